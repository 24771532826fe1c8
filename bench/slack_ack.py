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

This file holds the measurement rounds, the report and the entry point; the servers and the
processes behind them are in bench/slack_ack_servers.py, the load in bench/slack_ack_load.py.

    .venv/bin/python bench/slack_ack.py [--seconds 10] [--concurrency 16] [--rounds 5]
        [--workers 1] [--skip-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import subprocess
from collections import Counter
from contextlib import ExitStack, closing
from pathlib import Path

from slack_ack_load import KINDS, Server
from slack_ack_servers import LOGS, start_servers, stop_processes

WARM_UP_SECONDS = 1.0


def _rows(database: Path) -> tuple[int, int]:
    """Count the cases and audit rows the equivalent app wrote."""
    with closing(sqlite3.connect(database)) as db:
        cases, audits = db.execute(
            "SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM audit_events)"
        ).fetchone()
    return cases, audits


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


async def main(args: argparse.Namespace) -> None:
    processes: list[subprocess.Popen[bytes]] = []
    # The stack removes the servers' folders and databases, once the servers are stopped.
    with ExitStack() as stack:
        try:
            await _run(args, await start_servers(args, stack, processes))
        finally:
            stop_processes(processes)


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
