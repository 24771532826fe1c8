"""Benchmark the outbox: 10,000 deliveries due at once on PostgreSQL, one then two dispatcher processes.

    MEND_BENCH_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python bench/deliveries.py [--count 10000] [--batch 200] [--concurrency 4] \\
        [--processes 1 2] [--rounds 1] [--baseline DIR]

Each run gets a fresh database (created, migrated, filled), and its dispatchers
(`python -m adapters.relay`) send to a local HTTP server that records every
request. It prints deliveries per second per run, the ratio two/one, and the
duplicates and lost deliveries counted at the server.

`--baseline DIR` runs the dispatchers of another copy of the source tree too (a
copy taken before a change, say), alternating with this one round by round, so
before and after are measured under the same load on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from db import migrate
from db.models import Delivery, DeliveryStatus
from db.session import make_engine

ROOT = Path(__file__).resolve().parent.parent


class _Recorder(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.titles: Counter[str] = Counter()
        self.first = self.last = 0.0


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # answer headers and body without a delayed-ACK stall
    server: _Recorder

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        now = time.monotonic()
        with self.server.lock:
            self.server.titles[body["reply"]["title"]] += 1
            self.server.first = self.server.first or now
            self.server.last = now
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _fresh_database(admin_url: str, count: int) -> str:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"mend_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    migrate.upgrade(engine)
    now = datetime.now(UTC)
    rows = [
        {
            "kind": "lesson",
            "channel": "lessons",
            "payload": {
                "lesson": {
                    "ref": f"R-{1000 + n}",  # a Mend reference: the redactor keeps it
                    "category": "late_delivery",
                    "severity": "major",
                    "what_happened": "Parcel late",
                    "outcome": "Sent again",
                    "root_cause": "Depot",
                    "lesson": "Check scans",
                }
            },
            "status": DeliveryStatus.PENDING.value,
            "due_at": now,
            "attempts": 0,
            "created_at": now,
        }
        for n in range(count)
    ]
    with engine.begin() as conn:
        conn.execute(insert(Delivery), rows)
    engine.dispose()
    return url


def _drop(admin_url: str, url: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def run(
    admin_url: str, *, processes: int, count: int, batch: int, concurrency: int, code: Path = ROOT
) -> dict[str, Any]:
    """Send `count` deliveries with `processes` dispatchers run from the tree `code`; return the figures."""
    url = _fresh_database(admin_url, count)
    server = _Recorder()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook = f"http://127.0.0.1:{server.server_address[1]}/hook"
    env = {**os.environ, "PYTHONPATH": str(code), "MEND_LOG_LEVEL": "WARNING"}
    command = [sys.executable, "-m", "adapters.relay", url, hook, "--until-empty"]
    command += ["--batch", str(batch), "--concurrency", str(concurrency)]
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    workers = [
        subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env, cwd=code)
        for _ in range(processes)
    ]
    reports = [json.loads(worker.communicate()[0]) for worker in workers]
    wall = time.monotonic() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    server.shutdown()
    server.server_close()
    _drop(admin_url, url)
    distinct = len(server.titles)
    window = server.last - server.first
    return {
        "processes": processes,
        "sent": sum(r["sent"] for r in reports),
        "per_process": [r["sent"] for r in reports],
        "wall_seconds": wall,
        "send_window_seconds": window,
        "per_second_wall": count / wall,
        "per_second_window": distinct / window if window else 0.0,
        "duplicates": sum(n - 1 for n in server.titles.values() if n > 1),
        "lost": count - distinct,
        "dispatcher_cpu_ms_per_delivery": 1000 * cpu / count,
    }


def main() -> None:
    """Run the benchmark with one and with two dispatcher processes and print the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=1, help="how many times to run each configuration")
    parser.add_argument("--baseline", type=Path, help="another source tree to measure alternately")
    args = parser.parse_args()
    admin_url = os.environ.get("MEND_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    print(
        f"{args.count} deliveries due at once; batch {args.batch}, "
        f"{args.concurrency} sends at once per process"
    )
    print(f"machine: {os.cpu_count()} CPU(s); server, dispatchers and PostgreSQL share them")
    trees = {"this tree": ROOT} if args.baseline is None else {"baseline": args.baseline, "this tree": ROOT}
    results: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for _ in range(args.rounds):
        for processes in args.processes:
            for name, code in trees.items():
                r = run(
                    admin_url,
                    processes=processes,
                    count=args.count,
                    batch=args.batch,
                    concurrency=args.concurrency,
                    code=code,
                )
                results.setdefault((name, processes), []).append(r)
                print(
                    f"{name}, {processes} process(es): {r['per_second_wall']:.0f}/s over "
                    f"{r['wall_seconds']:.2f} s wall (start-up included), {r['per_second_window']:.0f}/s "
                    f"first to last request ({r['send_window_seconds']:.2f} s); "
                    f"sent per process {r['per_process']}; duplicates {r['duplicates']}, lost {r['lost']}; "
                    f"dispatcher CPU {r['dispatcher_cpu_ms_per_delivery']:.2f} ms per delivery; "
                    f"load average {os.getloadavg()[0]:.1f}",
                    flush=True,
                )
    for name in trees:
        if (name, 1) in results and (name, 2) in results:
            one, two = results[(name, 1)], results[(name, 2)]
            ratio_wall = _mean(two, "per_second_wall") / _mean(one, "per_second_wall")
            ratio_window = _mean(two, "per_second_window") / _mean(one, "per_second_window")
            print(f"{name}, two/one: {ratio_wall:.2f} (wall), {ratio_window:.2f} (first to last request)")


def _mean(runs: list[dict[str, Any]], key: str) -> float:
    return sum(r[key] for r in runs) / len(runs)


if __name__ == "__main__":
    main()
