"""The load of bench/slack_ack.py: signed Slack requests, the driver that sends them, what it saw.

`command_body` and `submission_body` make the body of a /recover command and of a case-form
submission; `drive` signs them with the bench's secret, sends them from many connections for a while
and returns a `Sample` (latencies, errors, time, the server's CPU); a `Server` is one server under
test as the driver sees it, with the samples it was measured by and the requests it answered.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import statistics
import subprocess
import time
import urllib.parse
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

SECRET = "bench-signing-secret"
TEAM = "TBENCH"


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
