"""How fast Mend answers Slack, against a bare Bolt app and the app a team would write instead.

Starts every server first, each as its own processes with its own local stand-in for
Slack's Web API:

- the bare app: a slack-bolt aiohttp app that only acks, the floor of any Bolt app;
- the equivalent app (bench/slack_equivalent.py): what a team would write instead of Mend
  with the same libraries, at equal work: Bolt on aiohttp like the bare app, /recover acks
  and opens a modal the size of Mend's case modal with views.open; a case-form submission
  checks the fields, writes the case and one audit row to its own SQLite file (WAL) in one
  transaction, acks (closing the modal), then posts a suggestion with chat.postMessage. It
  keeps the libraries' defaults (an HTTP session per Web API call, the standard JSON
  encoder), which Mend tunes;
- `mend serve` on SQLite, and `mend serve` on PostgreSQL (unless --skip-postgres).

Each server gets the same one-second warm-up, which is not counted. Then, in `--rounds`
interleaved rounds (the order reversed every other round), each server is driven for
seconds/rounds with signed /recover commands from `--concurrency` connections, then each
for seconds/rounds with case-form submissions, so drift on a shared, noisy machine falls
on all of them alike.

It prints, per server, throughput, p50 and p99 of the /recover ack and of the case-open
round trip (view_submission -> response, including the database write) over all rounds,
throughput as a ratio to the equivalent app and to the bare app, and the Web API calls the
server made (views.open, chat.postMessage, with their mean size) next to the acks and case
opens it answered, warm-up included: Mend and the equivalent app ack first and call
views.open after, so this shows the work behind each ack was done. For the equivalent app
it also counts the case and audit rows in its database. On Linux each line also gives the
CPU time the server's processes used per answered request, and how many cores they kept
busy: a figure that drifts less than throughput on a shared machine, and that shows
whether a server was limited by its CPU (about 1 core per process) or by something else.

It ends with every server's ratios to the equivalent app (and, in brackets, to the bare
app): throughput above 1x is faster, p99 and CPU per request above 1x are slower or
costlier. The comparison at equal work is Mend against the equivalent app, the case open
above all on SQLite, where both write to SQLite; the bare app does no work behind its acks,
so its ratios are a ceiling, not a target.

`--workers N` runs `mend serve --workers N` on PostgreSQL, and the bare and equivalent apps
as N processes on one port each (SO_REUSEPORT; the equivalent's share one SQLite file), like
for like; Mend on SQLite is served from one process whatever N is.

    .venv/bin/python bench/slack_ack.py [--seconds 10] [--concurrency 16] [--rounds 5]
        [--workers 1] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections import Counter
from contextlib import ExitStack, closing
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENT = Path(__file__).resolve().with_name("slack_equivalent.py")
SECRET = "bench-signing-secret"
TEAM = "TBENCH"
POSTGRES_URL = os.environ.get("MEND_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
USERS = 16
WARM_UP_SECONDS = 1.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the processes under test ------------------------------------------------------------


def run_mock_api(port: int) -> None:
    """Answer every Web API method like Slack would, quickly; GET /counts: calls and bytes sent, by method."""
    from aiohttp import web

    counter = itertools.count(1)
    calls: Counter[str] = Counter()
    sizes: Counter[str] = Counter()  # bytes received, by the same names

    async def method(request: web.Request) -> web.Response:
        name = request.match_info["method"]
        body = await request.read() if request.can_read_body else b""
        n = next(counter)
        counted = name
        if name == "chat.postMessage":
            channel = _channel(body)
            # A person (a DM, what a case open sends) or a channel (the scheduler's own posts).
            counted = name if channel[:1] in ("U", "D") else f"{name} to #{channel}"
        calls[counted] += 1
        sizes[counted] += len(body)
        if name == "auth.test":
            return web.json_response({"ok": True, "user_id": "UBOT", "bot_id": "BBOT", "team_id": TEAM})
        if name.startswith("views."):
            return web.json_response({"ok": True, "view": {"id": f"V{n}", "hash": f"h{n}"}})
        if name == "users.info":
            return web.json_response({"ok": True, "user": {"id": request.query.get("user"), "profile": {}}})
        return web.json_response({"ok": True, "channel": "DBENCH", "ts": f"1763900000.{n:06d}"})

    async def counts(_request: web.Request) -> web.Response:
        return web.json_response({"calls": calls, "bytes": sizes})

    app = web.Application()
    app.router.add_route("*", "/api/{method}", method)
    app.router.add_get("/counts", counts)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


def _channel(body: bytes) -> str:
    try:
        args = json.loads(body)
    except ValueError:
        args = dict(urllib.parse.parse_qsl(body.decode()))
    return str(args.get("channel", ""))


def run_bare(port: int, api_url: str) -> None:
    """A bare slack-bolt app on aiohttp: acks /recover and modal submissions, nothing else.

    It listens with SO_REUSEPORT, so several of them can share the port like `mend serve --workers`.
    """
    import logging

    from aiohttp import web
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    logging.basicConfig(level=logging.WARNING)
    app = AsyncApp(signing_secret=SECRET, client=AsyncWebClient(token="xoxb-bare", base_url=api_url))

    @app.command("/recover")
    async def recover(ack):  # type: ignore[no-untyped-def]
        await ack()

    @app.view("mend_open_case")
    async def submit(ack):  # type: ignore[no-untyped-def]
        await ack()

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    web_app = web.Application()
    web_app.router.add_post("/slack/events", events)
    web.run_app(web_app, host="127.0.0.1", port=port, access_log=None, print=None, reuse_port=True)


# --- the load ------------------------------------------------------------------------------


def _sign(body: str) -> dict[str, str]:
    from slack_sdk.signature import SignatureVerifier

    ts = str(int(time.time()))
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": SignatureVerifier(SECRET).generate_signature(timestamp=ts, body=body),
        "Content-Type": "application/x-www-form-urlencoded",
    }


def command_body(worker: int, n: int) -> str:
    return urllib.parse.urlencode(
        {
            "team_id": TEAM,
            "channel_id": "DBENCH",
            "user_id": f"UBENCH{worker:02d}",
            "user_name": f"bench{worker}",
            "command": "/recover",
            "text": "parcel late $80",
            "response_url": "http://127.0.0.1:9/unused",
            "trigger_id": f"trigger-{worker}-{n}",
            "api_app_id": "ABENCH",
        }
    )


def submission_body(worker: int, n: int) -> str:
    def text(value: str) -> dict:
        return {"value": {"type": "plain_text_input", "value": value}}

    def choice(value: str) -> dict:
        return {"value": {"type": "static_select", "selected_option": {"value": value}}}

    values = {
        "customer_name": text("Jane Customer"),
        "category": choice("late_delivery"),
        "severity": choice("minor"),
        "description": text("The parcel arrived two days late."),
        "customer_ref": text(f"ORD-{worker:02d}{n:06d}"),
        "customer_email": text(""),
        "customer_phone": text(""),
        "order_value": text("80"),
        "tier": choice("standard"),
    }
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM},
        "user": {"id": f"UBENCH{worker:02d}", "name": f"bench{worker}", "team_id": TEAM},
        "api_app_id": "ABENCH",
        "trigger_id": f"trigger-{worker}-{n}",
        "view": {
            "id": f"V{uuid.uuid4().hex[:12]}",
            "type": "modal",
            "hash": "h",
            "callback_id": "mend_open_case",
            "private_metadata": json.dumps({"value": ""}),
            "blocks": [{"type": "input", "block_id": k} for k in values],
            "state": {"values": values},
        },
    }
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


@dataclass
class Sample:
    """What one or more measurements of one server saw: latencies of answered requests, errors, time."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    cpu: float | None = 0.0  # CPU seconds the server's processes used meanwhile (None: unknown)

    def add(self, other: Sample) -> None:
        self.latencies += other.latencies
        self.errors += other.errors
        self.seconds += other.seconds
        self.cpu = None if self.cpu is None or other.cpu is None else self.cpu + other.cpu

    def figures(self) -> dict[str, float]:
        latencies = sorted(self.latencies)
        if not latencies:
            return {"rps": 0.0, "p50": float("nan"), "p99": float("nan"), "errors": self.errors}
        return {
            "cpu_ms": self.cpu / len(latencies) * 1000 if self.cpu is not None else float("nan"),
            "cores": self.cpu / self.seconds if self.cpu is not None else float("nan"),
            "rps": len(latencies) / self.seconds,
            "p50": statistics.median(latencies) * 1000,
            "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
            "errors": self.errors,
        }


async def drive(url: str, make_body, *, seconds: float, concurrency: int) -> Sample:
    """Send signed requests from `concurrency` connections for `seconds`; return what was seen."""
    from aiohttp import ClientSession, ClientTimeout, TCPConnector

    sample = Sample()
    deadline = time.perf_counter() + seconds

    async def worker(index: int, http: ClientSession) -> None:
        for n in itertools.count():
            if time.perf_counter() >= deadline:
                return
            body = make_body(index, n)
            headers = _sign(body)
            started = time.perf_counter()
            try:
                async with http.post(url, data=body.encode(), headers=headers) as response:
                    await response.read()
                    ok = response.status == 200
            except (TimeoutError, OSError):
                ok = False
            if ok:
                sample.latencies.append(time.perf_counter() - started)
            else:
                sample.errors += 1

    timeout = ClientTimeout(total=30)
    async with ClientSession(connector=TCPConnector(limit=concurrency), timeout=timeout) as http:
        started = time.perf_counter()
        await asyncio.gather(*(worker(i, http) for i in range(concurrency)))
        sample.seconds = time.perf_counter() - started
    return sample


# --- orchestration ---------------------------------------------------------------------------


LOGS = Path(tempfile.gettempdir()) / f"mend-bench-{os.getpid()}.log"
KINDS = {"ack": command_body, "case_open": submission_body}


@dataclass
class Server:
    """One server under test, its processes, its stand-in Web API and what it was measured doing."""

    name: str  # short, for the ratios
    title: str
    base: str
    api_base: str
    processes: list[subprocess.Popen[bytes]]
    listeners: int
    ready_path: str
    database: Path | None = None  # the equivalent app's, whose rows are counted at the end
    measured: dict[str, Sample] = field(default_factory=lambda: {kind: Sample() for kind in KINDS})
    answered: Counter[str] = field(default_factory=Counter)  # warm-up included

    async def run(self, kind: str, seconds: float, concurrency: int, *, count: bool = True) -> None:
        before = _cpu_seconds(self.processes)
        sample = await drive(
            f"{self.base}/slack/events", KINDS[kind], seconds=seconds, concurrency=concurrency
        )
        after = _cpu_seconds(self.processes)
        sample.cpu = after - before if before is not None and after is not None else None
        self.answered[kind] += len(sample.latencies)
        if count:
            self.measured[kind].add(sample)


def _cpu_seconds(processes: list[subprocess.Popen[bytes]]) -> float | None:
    """Return the CPU time used so far by these processes and their children (None off Linux)."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0.0
    pids = [p.pid for p in processes]
    while pids:
        pid = pids.pop()
        try:
            stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            return None
        total += (int(stat[11]) + int(stat[12])) / tick  # utime + stime
        pids += [int(child) for child in children]
    return total


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    # A file, not a pipe: a pipe nobody reads blocks the server once it fills.
    with LOGS.open("ab") as log:
        return subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)


def _listening(port: int) -> int | None:
    """Count the sockets listening on `port` (one per process with SO_REUSEPORT); None off Linux."""
    tables = [Path("/proc/net/tcp"), Path("/proc/net/tcp6")]
    if not tables[0].exists():
        return None
    found = 0
    for table in tables:
        for line in table.read_text().splitlines()[1:] if table.exists() else []:
            fields = line.split()
            found += fields[1].endswith(f":{port:04X}") and fields[3] == "0A"  # 0A: LISTEN
    return found


async def _wait_up(url: str, processes: list[subprocess.Popen[bytes]], listeners: int = 1) -> None:
    """Wait until `url` answers and all `listeners` processes listen on its port."""
    from aiohttp import ClientSession

    port = urllib.parse.urlsplit(url).port or 80
    async with ClientSession() as http:
        for _ in range(1200):
            if any(process.poll() is not None for process in processes):
                raise SystemExit(f"{url} did not start; see {LOGS}")
            try:
                async with http.get(url) as response:
                    up = response.status < 500
                listening = _listening(port)
                if up and (listening is None or listening >= listeners):
                    return
            except OSError:
                pass
            await asyncio.sleep(0.05)
    raise SystemExit(f"{url} did not start in time")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_", "MEND_"))}
    env.update(PYTHONPATH=str(ROOT), MEND_LOG_LEVEL="WARNING", **extra)
    return env


def _staff_csv(path: Path) -> None:
    rows = ["platform,user_id,name,email,role,manager,location"]
    rows += [f"slack,UBENCH{i:02d},Bench {i},bench{i}@example.com,frontline,,hq" for i in range(USERS)]
    path.write_text("\n".join(rows) + "\n")


def _postgres_database() -> str:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(POSTGRES_URL)
    name = f"mend_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _drop_postgres(database_url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = make_url(database_url).database
    admin = create_engine(make_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _equivalent_database(stack: ExitStack) -> Path:
    """Return a new SQLite file for the equivalent app, its tables made (so its processes need not race)."""
    from slack_equivalent import connect  # beside this file, the first folder on a script's path

    path = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "equivalent.db"
    connect(str(path)).close()
    return path


def _rows(database: Path) -> tuple[int, int]:
    """Count the cases and audit rows the equivalent app wrote."""
    with closing(sqlite3.connect(database)) as db:
        cases, audits = db.execute(
            "SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM audit_events)"
        ).fetchone()
    return cases, audits


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _calls(server: Server) -> tuple[Counter[str], Counter[str]]:
    """Return the stand-in's call counts and bytes by method, once they stop moving (work after acks)."""
    from aiohttp import ClientSession

    async with ClientSession() as http:
        last: dict | None = None
        for _ in range(20):
            async with http.get(f"{server.api_base}/counts") as response:
                counts = await response.json()
            if counts == last:
                break
            last = counts
            await asyncio.sleep(0.5)
    return Counter(counts["calls"]), Counter(counts["bytes"])


def _ratio(value: float, to: float) -> float:
    return value / to if to else float("nan")


def _line(label: str, figures: dict[str, float], equivalent: dict[str, float], bare: dict[str, float]) -> str:
    return (
        f"  {label:<28} {figures['rps']:8.0f} req/s"
        f"  p50 {figures['p50']:7.1f} ms  p99 {figures['p99']:7.1f} ms  errors {figures['errors']:.0f}"
        f"  {_ratio(figures['rps'], equivalent['rps']):5.2f}x equivalent"
        f" ({_ratio(figures['rps'], bare['rps']):.2f}x bare)"
        f"  server CPU {figures.get('cpu_ms', float('nan')):5.2f} ms/req"
        f" ({figures.get('cores', float('nan')):.2f} cores)"
    )


def _ratios(
    label: str, figures: dict[str, float], equivalent: dict[str, float], bare: dict[str, float]
) -> str:
    """Say how `figures` compare with the equivalent app's, and (in brackets) with the bare app's."""

    def both(key: str) -> str:
        to_equivalent = _ratio(figures.get(key, float("nan")), equivalent.get(key, float("nan")))
        to_bare = _ratio(figures.get(key, float("nan")), bare.get(key, float("nan")))
        return f"{to_equivalent:5.2f}x equivalent ({to_bare:5.2f}x bare)"

    return f"{label:<10} {both('rps')}   p99 {both('p99')}   CPU/req {both('cpu_ms')}"


async def _start(
    args: argparse.Namespace, stack: ExitStack, processes: list[subprocess.Popen[bytes]]
) -> list[Server]:
    """Start every server (and its stand-in Web API), wait until all are up, and return them."""
    me = [sys.executable, str(Path(__file__).resolve())]
    mend = [sys.executable, "-m", "adapters.cli"]

    def stand_in() -> tuple[str, str]:
        port = _free_port()
        processes.append(_spawn([*me, "--mock-api", str(port)], _env()))
        return f"http://127.0.0.1:{port}", f"http://127.0.0.1:{port}/api/"

    many = f"{args.workers} processes on one port" if args.workers > 1 else "1 process"

    def bolt_app(command: list[str], name: str, title: str, database: Path | None = None) -> Server:
        """Start a Bolt app as --workers processes on one port, with its own stand-in Web API."""
        api_base, api_url = stand_in()
        port = _free_port()
        extra = [str(database)] if database else []
        started = [_spawn([*command, str(port), api_url, *extra], _env()) for _ in range(args.workers)]
        processes.extend(started)
        base = f"http://127.0.0.1:{port}"
        return Server(
            name, f"{title}, {many}", base, api_base, started, args.workers, "/slack/events", database
        )

    servers = [bolt_app([*me, "--bare"], "bare", "bare slack-bolt app (ack only)")]
    servers.append(
        bolt_app(
            [sys.executable, str(EQUIVALENT)],
            "equivalent",
            "equivalent app (Bolt, modal, SQLite write, suggestion: bench/slack_equivalent.py)",
            _equivalent_database(stack),
        )
    )
    for dialect in ["sqlite"] + ([] if args.skip_postgres else ["postgresql"]):
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        if dialect == "sqlite":
            database_url = f"sqlite:///{tmp / 'mend.db'}"
            name, workers = "mend sqlite", 1
            title = "mend serve on SQLite, 1 process (SQLite is served from one process)"
        else:
            database_url = _postgres_database()
            stack.callback(_drop_postgres, database_url)
            name, workers = "mend postgresql", args.workers
            title = (
                f"mend serve --workers {workers} on PostgreSQL, {many}"
                if workers > 1
                else "mend serve on PostgreSQL, 1 process"
            )
        api_base, api_url = stand_in()
        env = _env(
            MEND_DATABASE_URL=database_url,
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_BOT_TOKEN="xoxb-bench",
            MEND_SLACK_API_URL=api_url,
        )
        staff = tmp / "staff.csv"
        _staff_csv(staff)
        for command in (["db", "upgrade"], ["staff", "import", str(staff)]):
            subprocess.run([*mend, *command], cwd=ROOT, env=env, check=True, capture_output=True)
        port = _free_port()
        serve = ["serve", "--host", "127.0.0.1", "--port", str(port)]
        if workers > 1:
            serve += ["--workers", str(workers)]
        supervisor = _spawn([*mend, *serve], env)
        processes.append(supervisor)
        base = f"http://127.0.0.1:{port}"
        servers.append(Server(name, title, base, api_base, [supervisor], workers, "/healthz"))
    for server in servers:
        await _wait_up(f"{server.api_base}/counts", processes)
        await _wait_up(server.base + server.ready_path, server.processes, server.listeners)
    return servers


async def main(args: argparse.Namespace) -> None:
    processes: list[subprocess.Popen[bytes]] = []
    # The stack removes the servers' folders and databases, once the servers are stopped.
    with ExitStack() as stack:
        try:
            await _run(args, await _start(args, stack, processes))
        finally:
            _stop(processes)


async def _run(args: argparse.Namespace, servers: list[Server]) -> None:
    """Warm every server up, measure them in interleaved rounds, and print the figures."""
    share = args.seconds / args.rounds
    print(
        f"{os.cpu_count()} CPUs, {args.concurrency} connections, {args.seconds:.0f} s per measurement"
        f" in {args.rounds} interleaved rounds of {share:.1f} s, --workers {args.workers}"
    )
    # The same short warm-up for every server (first connections, SQL compilation caches), not counted.
    for server in servers:
        for kind in KINDS:
            await server.run(kind, WARM_UP_SECONDS, args.concurrency, count=False)
    for round_ in range(args.rounds):
        order = servers if round_ % 2 == 0 else servers[::-1]
        for kind in KINDS:
            for server in order:
                await server.run(kind, share, args.concurrency)
    figures = {server.name: {kind: server.measured[kind].figures() for kind in KINDS} for server in servers}
    for server in servers:
        await _report(server, figures)
    print(
        "Ratios to the equivalent app, and to the bare app in brackets: throughput above 1x is faster,"
        " p99 and CPU per request above 1x are slower and costlier."
    )
    bare, equivalent = figures["bare"], figures["equivalent"]
    for server in servers:
        if server.name != "equivalent":
            mine = figures[server.name]
            print(f"  {server.name:<16} {_ratios('ack', mine['ack'], equivalent['ack'], bare['ack'])}")
            case_open = _ratios("case open", mine["case_open"], equivalent["case_open"], bare["case_open"])
            print(f"  {'':<16} {case_open}")
    print(f"Server logs: {LOGS} ({len(LOGS.read_text().splitlines()) if LOGS.exists() else 0} lines)")


async def _report(server: Server, figures: dict[str, dict[str, dict[str, float]]]) -> None:
    """Print one server's figures, the Web API calls it made and, for the equivalent app, its rows."""
    mine, bare, equivalent = figures[server.name], figures["bare"], figures["equivalent"]
    calls, sizes = await _calls(server)
    print(server.title)
    print(_line("/recover ack", mine["ack"], equivalent["ack"], bare["ack"]))
    label = "view_submission ack" if server.name == "bare" else "case open (view_submission)"
    print(_line(label, mine["case_open"], equivalent["case_open"], bare["case_open"]))
    opened, posted = "views.open", "chat.postMessage"
    submissions = "view_submission acks" if server.name == "bare" else "case opens"
    print(
        f"  Web API calls (warm-up included): {calls[opened]} {opened}{_each(opened, calls, sizes)}"
        f" for {server.answered['ack']} /recover acks answered, {calls[posted]} {posted} to a person"
        f"{_each(posted, calls, sizes)} for {server.answered['case_open']} {submissions} answered"
    )
    others = ", ".join(f"{name} {n}" for name, n in sorted(calls.items()) if name not in (opened, posted))
    print(f"    other calls: {others or 'none'}")
    if server.database is not None:
        cases, audits = _rows(server.database)
        print(
            f"  Database: {cases} cases written ({audits} audit rows) for"
            f" {server.answered['case_open']} case opens answered"
        )


def _each(method: str, calls: Counter[str], sizes: Counter[str]) -> str:
    """Say how big a Web API call's body was on average."""
    return f" ({sizes[method] / calls[method] / 1000:.1f} kB each)" if calls[method] else ""


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--mock-api":
        run_mock_api(int(sys.argv[2]))
    elif len(sys.argv) > 3 and sys.argv[1] == "--bare":
        run_bare(int(sys.argv[2]), sys.argv[3])
    else:
        parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
        parser.add_argument("--seconds", type=float, default=10.0, help="measured time per server and kind")
        parser.add_argument("--concurrency", type=int, default=16)
        parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds the time is split into")
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="mend serve --workers on PostgreSQL, and bare app processes",
        )
        parser.add_argument("--skip-postgres", action="store_true")
        parsed = parser.parse_args()
        if parsed.rounds < 1 or parsed.workers < 1:
            parser.error("--rounds and --workers must be 1 or more")
        asyncio.run(main(parsed))
