"""How fast Mend answers Slack, against a bare Bolt app that only acks, on the same machine.

Starts a local stand-in for Slack's Web API, `mend serve` (SQLite, then PostgreSQL)
and a bare slack-bolt aiohttp app, each as its own process; drives each with signed
requests from `--concurrency` connections for `--seconds`; prints throughput, p50
and p99 of the /recover ack and of the case-open round trip (view_submission ->
response, including Mend's database write), and each as a ratio to the bare app.
Each server first gets the same one-second warm-up, which is not counted.

    .venv/bin/python bench/slack_ack.py [--seconds 10] [--concurrency 16] [--skip-postgres]
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
    """Answer every Web API method like Slack would, quickly."""
    from aiohttp import web

    counter = itertools.count(1)

    async def method(request: web.Request) -> web.Response:
        name = request.match_info["method"]
        if request.can_read_body:
            await request.read()
        n = next(counter)
        if name == "auth.test":
            return web.json_response({"ok": True, "user_id": "UBOT", "bot_id": "BBOT", "team_id": TEAM})
        if name.startswith("views."):
            return web.json_response({"ok": True, "view": {"id": f"V{n}", "hash": f"h{n}"}})
        if name == "users.info":
            return web.json_response({"ok": True, "user": {"id": request.query.get("user"), "profile": {}}})
        return web.json_response({"ok": True, "channel": "DBENCH", "ts": f"1763900000.{n:06d}"})

    app = web.Application()
    app.router.add_route("*", "/api/{method}", method)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


def run_bare(port: int, api_url: str) -> None:
    """A bare slack-bolt app on aiohttp: acks /recover and modal submissions, nothing else."""
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
    web.run_app(web_app, host="127.0.0.1", port=port, access_log=None, print=None)


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


async def drive(url: str, make_body, *, seconds: float, concurrency: int) -> dict[str, float]:
    """Send signed requests from `concurrency` connections for `seconds`; return the figures."""
    from aiohttp import ClientSession, ClientTimeout, TCPConnector

    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def worker(index: int, http: ClientSession) -> None:
        nonlocal errors
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
                latencies.append(time.perf_counter() - started)
            else:
                errors += 1

    timeout = ClientTimeout(total=30)
    async with ClientSession(connector=TCPConnector(limit=concurrency), timeout=timeout) as http:
        started = time.perf_counter()
        await asyncio.gather(*(worker(i, http) for i in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    if not latencies:
        return {"rps": 0.0, "p50": float("nan"), "p99": float("nan"), "errors": errors}
    return {
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "errors": errors,
    }


# --- orchestration ---------------------------------------------------------------------------


LOGS = Path(tempfile.gettempdir()) / f"mend-bench-{os.getpid()}.log"


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    # A file, not a pipe: a pipe nobody reads blocks the server once it fills.
    with LOGS.open("ab") as log:
        return subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)


async def _wait_up(url: str, process: subprocess.Popen[bytes]) -> None:
    from aiohttp import ClientSession

    async with ClientSession() as http:
        for _ in range(400):
            if process.poll() is not None:
                raise SystemExit(f"{url} did not start; see {LOGS}")
            try:
                async with http.get(url) as response:
                    if response.status < 500:
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


async def _measure(base: str, seconds: float, concurrency: int) -> dict[str, dict[str, float]]:
    url = f"{base}/slack/events"
    # The same short warm-up for every server (first connections, SQL compilation caches), not counted.
    await drive(url, command_body, seconds=WARM_UP_SECONDS, concurrency=concurrency)
    await drive(url, submission_body, seconds=WARM_UP_SECONDS, concurrency=concurrency)
    ack = await drive(url, command_body, seconds=seconds, concurrency=concurrency)
    case_open = await drive(url, submission_body, seconds=seconds, concurrency=concurrency)
    return {"ack": ack, "case_open": case_open}


def _line(label: str, figures: dict[str, float], bare: dict[str, float]) -> str:
    ratio = figures["rps"] / bare["rps"] if bare["rps"] else float("nan")
    return (
        f"  {label:<28} {figures['rps']:8.0f} req/s"
        f"  p50 {figures['p50']:7.1f} ms  p99 {figures['p99']:7.1f} ms"
        f"  errors {figures['errors']:.0f}  ratio to bare {ratio:6.0%}"
    )


async def main(args: argparse.Namespace) -> None:
    me = [sys.executable, str(Path(__file__).resolve())]
    api_port, bare_port = _free_port(), _free_port()
    api_url = f"http://127.0.0.1:{api_port}/api/"
    processes = [_spawn([*me, "--mock-api", str(api_port)], _env())]
    try:
        await _wait_up(api_url + "auth.test", processes[0])
        processes.append(_spawn([*me, "--bare", str(bare_port), api_url], _env()))
        bare_base = f"http://127.0.0.1:{bare_port}"
        await _wait_up(f"{bare_base}/slack/events", processes[-1])
        print(f"{os.cpu_count()} CPUs, {args.concurrency} connections, {args.seconds:.0f} s per measurement")
        bare = await _measure(bare_base, args.seconds, args.concurrency)
        print("bare slack-bolt app (ack only)")
        print(_line("/recover ack", bare["ack"], bare["ack"]))
        print(_line("view_submission ack", bare["case_open"], bare["case_open"]))
        databases = ["sqlite"] + ([] if args.skip_postgres else ["postgresql"])
        for dialect in databases:
            with tempfile.TemporaryDirectory() as tmp:
                if dialect == "sqlite":
                    database_url = f"sqlite:///{Path(tmp) / 'mend.db'}"
                else:
                    database_url = _postgres_database()
                try:
                    env = _env(
                        MEND_DATABASE_URL=database_url,
                        SLACK_SIGNING_SECRET=SECRET,
                        SLACK_BOT_TOKEN="xoxb-bench",
                        MEND_SLACK_API_URL=api_url,
                    )
                    staff = Path(tmp) / "staff.csv"
                    _staff_csv(staff)
                    mend = [sys.executable, "-m", "adapters.cli"]
                    subprocess.run(
                        [*mend, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True
                    )
                    subprocess.run(
                        [*mend, "staff", "import", str(staff)],
                        cwd=ROOT,
                        env=env,
                        check=True,
                        capture_output=True,
                    )
                    port = _free_port()
                    server = _spawn([*mend, "serve", "--host", "127.0.0.1", "--port", str(port)], env)
                    processes.append(server)
                    base = f"http://127.0.0.1:{port}"
                    await _wait_up(f"{base}/healthz", server)
                    figures = await _measure(base, args.seconds, args.concurrency)
                    server.terminate()
                    server.wait(timeout=30)
                    print(f"mend serve on {dialect}")
                    print(_line("/recover ack", figures["ack"], bare["ack"]))
                    print(_line("case open (view_submission)", figures["case_open"], bare["case_open"]))
                finally:
                    if dialect == "postgresql":
                        _drop_postgres(database_url)
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
                process.wait(timeout=30)


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--mock-api":
        run_mock_api(int(sys.argv[2]))
    elif len(sys.argv) > 3 and sys.argv[1] == "--bare":
        run_bare(int(sys.argv[2]), sys.argv[3])
    else:
        parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
        parser.add_argument("--seconds", type=float, default=10.0)
        parser.add_argument("--concurrency", type=int, default=16)
        parser.add_argument("--skip-postgres", action="store_true")
        asyncio.run(main(parser.parse_args()))
