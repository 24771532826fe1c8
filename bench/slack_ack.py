"""How fast Mend answers Slack, against a bare Bolt app that only acks, on the same machine.

Starts every server first, each as its own processes with its own local stand-in for
Slack's Web API: a bare slack-bolt aiohttp app, `mend serve` on SQLite and `mend
serve` on PostgreSQL (unless --skip-postgres). Each server gets the same one-second
warm-up, which is not counted. Then, in `--rounds` interleaved rounds (the order
reversed every other round), each server is driven for seconds/rounds with signed
/recover commands from `--concurrency` connections, then each for seconds/rounds with
case-form submissions, so drift on a shared, noisy machine falls on all of them alike.
It prints, per server, throughput, p50 and p99 of the /recover ack and of the
case-open round trip (view_submission -> response, including Mend's database write)
over all rounds, each as a ratio to the bare app, and the Web API calls the server
made (views.open, chat.postMessage) next to the acks and case opens it answered,
warm-up included: Mend acks first and calls views.open after, so this shows the work
behind each ack was done. On Linux each line also gives the CPU time the server's
processes used per answered request, and how many cores they kept busy: a figure
that drifts less than throughput on a shared machine, and that shows whether a
server was limited by its CPU (about 1 core per process) or by something else.

`--workers N` runs `mend serve --workers N` on PostgreSQL and the bare app as N
processes on one port (SO_REUSEPORT), like for like; SQLite is served from one
process whatever N is.

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
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
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
    """Answer every Web API method like Slack would, quickly; GET /counts says how often each was called."""
    from aiohttp import web

    counter = itertools.count(1)
    calls: Counter[str] = Counter()

    async def method(request: web.Request) -> web.Response:
        name = request.match_info["method"]
        body = await request.read() if request.can_read_body else b""
        n = next(counter)
        if name == "chat.postMessage":
            channel = _channel(body)
            # A person (a DM, what a case open sends) or a channel (the scheduler's own posts).
            calls[name if channel[:1] in ("U", "D") else f"{name} to #{channel}"] += 1
        else:
            calls[name] += 1
        if name == "auth.test":
            return web.json_response({"ok": True, "user_id": "UBOT", "bot_id": "BBOT", "team_id": TEAM})
        if name.startswith("views."):
            return web.json_response({"ok": True, "view": {"id": f"V{n}", "hash": f"h{n}"}})
        if name == "users.info":
            return web.json_response({"ok": True, "user": {"id": request.query.get("user"), "profile": {}}})
        return web.json_response({"ok": True, "channel": "DBENCH", "ts": f"1763900000.{n:06d}"})

    async def counts(_request: web.Request) -> web.Response:
        return web.json_response(dict(calls))

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

    title: str
    base: str
    api_base: str
    processes: list[subprocess.Popen[bytes]]
    listeners: int
    ready_path: str
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


async def _calls(server: Server) -> Counter[str]:
    """Return the stand-in's call counts once they stop moving (work after the ack finishes)."""
    from aiohttp import ClientSession

    async with ClientSession() as http:
        last: Counter[str] | None = None
        for _ in range(20):
            async with http.get(f"{server.api_base}/counts") as response:
                counts = Counter(await response.json())
            if counts == last:
                break
            last = counts
            await asyncio.sleep(0.5)
    return counts


def _line(label: str, figures: dict[str, float], bare: dict[str, float]) -> str:
    ratio = figures["rps"] / bare["rps"] if bare["rps"] else float("nan")
    return (
        f"  {label:<28} {figures['rps']:8.0f} req/s"
        f"  p50 {figures['p50']:7.1f} ms  p99 {figures['p99']:7.1f} ms"
        f"  errors {figures['errors']:.0f}  ratio to bare {ratio:6.0%}"
        f"  server CPU {figures.get('cpu_ms', float('nan')):5.2f} ms/req"
        f" ({figures.get('cores', float('nan')):.2f} cores)"
    )


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

    servers: list[Server] = []
    api_base, api_url = stand_in()
    port = _free_port()
    bare = [_spawn([*me, "--bare", str(port), api_url], _env()) for _ in range(args.workers)]
    processes += bare
    many = f"{args.workers} processes on one port" if args.workers > 1 else "1 process"
    servers.append(
        Server(
            f"bare slack-bolt app (ack only), {many}",
            f"http://127.0.0.1:{port}",
            api_base,
            bare,
            args.workers,
            "/slack/events",
        )
    )
    for dialect in ["sqlite"] + ([] if args.skip_postgres else ["postgresql"]):
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        if dialect == "sqlite":
            database_url = f"sqlite:///{tmp / 'mend.db'}"
            workers, title = 1, "mend serve on SQLite, 1 process (SQLite is served from one process)"
        else:
            database_url = _postgres_database()
            stack.callback(_drop_postgres, database_url)
            workers = args.workers
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
        servers.append(Server(title, base, api_base, [supervisor], workers, "/healthz"))
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
    bare = servers[0].measured
    for server in servers:
        calls = await _calls(server)
        print(server.title)
        print(_line("/recover ack", server.measured["ack"].figures(), bare["ack"].figures()))
        label = "case open (view_submission)" if server is not servers[0] else "view_submission ack"
        print(_line(label, server.measured["case_open"].figures(), bare["case_open"].figures()))
        opened, posted = calls.pop("views.open", 0), calls.pop("chat.postMessage", 0)
        others = ", ".join(f"{name} {n}" for name, n in sorted(calls.items()))
        submissions = "view_submission acks" if server is servers[0] else "case opens"
        print(
            f"  Web API calls (warm-up included): {opened} views.open for {server.answered['ack']}"
            f" /recover acks answered, {posted} chat.postMessage to a person for"
            f" {server.answered['case_open']} {submissions} answered\n"
            f"    other calls: {others or 'none'}"
        )


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
