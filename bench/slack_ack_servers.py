"""The servers bench/slack_ack.py measures, and the processes it starts and stops for them.

Each server gets its own stand-in for Slack's Web API (`run_mock_api`); the servers are the bare
Bolt app (`run_bare`), the equivalent app (bench/slack_equivalent.py, with its SQLite file made
here), and `mend serve` on SQLite and on a fresh PostgreSQL database created and dropped here.
`start_servers` starts them all and waits until they listen; `stop_processes` stops them. The
stand-in and the bare app run as processes of this file:

    .venv/bin/python bench/slack_ack_servers.py --mock-api PORT
    .venv/bin/python bench/slack_ack_servers.py --bare PORT WEB_API_URL
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import socket
import subprocess
import sys
import tempfile
import urllib.parse
import uuid
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

from slack_ack_load import SECRET, TEAM, Server

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENT = Path(__file__).resolve().with_name("slack_equivalent.py")
POSTGRES_URL = os.environ.get("MEND_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
USERS = 16
LOGS = Path(tempfile.gettempdir()) / f"mend-bench-{os.getpid()}.log"


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


# --- starting and stopping them -------------------------------------------------------------


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
    connect(str(path)).dispose()
    return path


def stop_processes(processes: list[subprocess.Popen[bytes]]) -> None:
    """Stop these processes: ask first, kill those that do not stop within 90 s."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=90)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def start_servers(
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


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--mock-api":
        run_mock_api(int(sys.argv[2]))
    elif len(sys.argv) > 3 and sys.argv[1] == "--bare":
        run_bare(int(sys.argv[2]), sys.argv[3])
    else:
        raise SystemExit(__doc__)
