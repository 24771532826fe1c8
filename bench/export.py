"""Benchmark `mend export cases`: rows a second and memory, streamed against loading every case first.

    .venv/bin/python bench/export.py [--cases 200000] [--database-url URL] [--runs 1]
    .venv/bin/python bench/export.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/mend_bench_export

Without --database-url the cases go in a temporary SQLite file. A database that
already holds cases (the one bench/reports.py fills, say) is exported as it is;
an empty one (a PostgreSQL database is created when missing) is migrated and
filled in bulk through the driver (`scheduled_jobs.bulk_load`: COPY on
PostgreSQL): staff under managers in three locations, and `--cases` cases over
two years with offers, approval requests, follow-up answers and the lessons
posted for the closed ones.

Each export runs in a process of its own, so its memory is its own, and writes
a real file:

- streamed: `bot.export.write_cases`, counted first, as `mend export cases` runs it;
- streamed, with the customer columns (`--with-customer-data`);
- naive: the ORM loads every Case with `.all()`, and the figures of every case
  into dicts, then writes the same rows.

For each it prints rows a second, the peak RSS of the process, and the RSS after
a tenth of the rows and at the end (flat when streaming); then the ratios.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from scheduled_jobs import OFFER_COLUMNS, REQUEST_COLUMNS, _time_format, bulk_load, shown
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bot import export
from bot.measures import FOLLOW_UP_ACTIONS
from db import migrate
from db.models import ApprovalRequest, AuditEvent, Case, Delivery, Offer, OfferStatus, Staff
from db.session import make_engine, make_sessions

NOW = datetime(2026, 11, 10, 14, 0, tzinfo=UTC)
SPAN = timedelta(days=730)
CATEGORIES = ("late_delivery", "wrong_or_missing_item", "defective_product", "billing_error", "long_wait")
CAUSES = ("Courier scan missed at the depot", "Tax rate not updated", "=stock count formula", "Rota gap")
WAYS = ("streamed", "streamed, with customer data", "naive (ORM .all())")


def main() -> None:
    """Fill or reuse the database, then time each way of exporting in a process of its own."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url", help="a database to reuse or fill (default: a temporary SQLite file)"
    )
    parser.add_argument("--cases", type=int, default=200_000, help="cases to generate into an empty database")
    parser.add_argument("--runs", type=int, default=1, help="runs of each way; the best is shown")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--child", choices=WAYS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_export(args.database_url, args.child)))
        return
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{folder}/bench.db"
        engine = _open(url)
        try:
            with engine.connect() as conn:
                existing = conn.execute(text("SELECT count(*) FROM cases")).scalar_one()
            if existing:
                print(f"reusing {existing:,} cases in {shown(url)}")
            else:
                started = time.perf_counter()
                _fill(engine, cases=args.cases, seed=args.seed)
                print(
                    f"filled {shown(url)} with {args.cases:,} cases in {time.perf_counter() - started:.1f} s"
                )
        finally:
            engine.dispose()
        results = {way: _best([_child(url, way) for _ in range(args.runs)]) for way in WAYS}
    for way, r in results.items():
        print(
            f"  {way:<30} {r['rows']:>9,} rows in {r['seconds']:6.2f} s ="
            f" {r['rows'] / r['seconds']:>7,.0f} rows/s"
            f" ({r['cpu']:5.2f} s CPU in this process); RSS {r['rss_before']:5.1f} MB before,"
            f" {r['rss_tenth']:5.1f} MB at 10%, {r['rss_end']:5.1f} MB at the end, peak {r['peak']:5.1f} MB"
        )
    streamed, naive = results[WAYS[0]], results[WAYS[2]]
    speed = (streamed["rows"] / streamed["seconds"]) / (naive["rows"] / naive["seconds"])
    grew = {name: r["peak"] - r["rss_before"] for name, r in (("streamed", streamed), ("naive", naive))}
    print(
        f"  streamed against naive: {speed:.1f}x the rows a second; memory grew {grew['streamed']:.1f} MB"
        f" against {grew['naive']:.1f} MB during the export"
    )


def _best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return max(runs, key=lambda r: r["rows"] / r["seconds"])


def _child(url: str, way: str) -> dict[str, Any]:
    command = [sys.executable, __file__, "--database-url", url, "--child", way]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.splitlines()[-1]))


def _export(url: str, way: str) -> dict[str, Any]:
    """Export every case to a file, as `way` says; return rows, seconds and memory figures in MB."""
    engine = make_engine(url)
    marks: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder, make_sessions(engine)() as session:
        session.execute(select(1))  # connect first: the connection is not the export's memory
        marks["rss_before"] = _memory("VmRSS")
        started, cpu = time.perf_counter(), time.process_time()
        with Path(folder, "cases.csv").open("w", newline="", encoding="utf-8-sig") as out:
            if way == WAYS[2]:
                rows = _naive(session, out, marks)
            else:
                total = export.count_cases(session, since=None, until=None)
                written = 0

                def progress(batch: int) -> None:
                    nonlocal written
                    written += batch
                    if "rss_tenth" not in marks and written >= total / 10:
                        marks["rss_tenth"] = _memory("VmRSS")

                rows = export.write_cases(
                    session, out, since=None, until=None, with_customer=way == WAYS[1], progress=progress
                )
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        marks["rss_end"] = _memory("VmRSS")
    engine.dispose()
    return {"rows": rows, "seconds": seconds, "cpu": cpu, "peak": _memory("VmHWM"), **marks}


def _naive(session: Session, out: Any, marks: dict[str, float]) -> int:
    """Write the same rows the way a first version would: load everything, then write."""
    cases = session.scalars(select(Case).order_by(Case.created_at, Case.id)).all()
    people = {s.id: s for s in session.scalars(select(Staff)).all()}
    given_status = (OfferStatus.GRANTED, OfferStatus.APPROVED)
    given = dict(
        session.execute(
            select(Offer.case_id, func.sum(Offer.amount))
            .where(Offer.status.in_(given_status))
            .group_by(Offer.case_id)
        ).all()
    )
    asked = dict(
        session.execute(select(ApprovalRequest.case_id, func.count()).group_by(ApprovalRequest.case_id)).all()
    )
    answers: dict[int, int] = {}
    for case_id, action in session.execute(
        select(AuditEvent.case_id, AuditEvent.action).where(AuditEvent.action.in_(FOLLOW_UP_ACTIONS))
    ).all():
        answers[case_id] = max(answers.get(case_id, 0), 2 if action == "follow_up_unhappy" else 1)
    lessons = {
        d.case_id: d.payload["lesson"]
        for d in session.scalars(
            select(Delivery).where(Delivery.kind == "lesson").order_by(Delivery.id)
        ).all()
    }
    writer = csv.writer(out)
    writer.writerow(export.CASE_COLUMNS)
    for i, case in enumerate(cases):
        if i == len(cases) // 10:
            marks["rss_tenth"] = _memory("VmRSS")
        opener = people[case.opened_by_id]
        manager = people.get(opener.manager_id) if opener.manager_id else None
        lesson = lessons.get(case.id, {})
        answered = answers.get(case.id)
        outcome = (
            "none"
            if not answered
            else "fixed"
            if case.status == "recovered"
            else ("", "unreachable", "unhappy")[answered]
        )
        writer.writerow(
            [
                case.ref,
                case.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                export.spreadsheet_safe(case.category),
                export.spreadsheet_safe(case.severity),
                export.spreadsheet_safe(case.tier),
                case.status,
                export.spreadsheet_safe(opener.location),
                export.spreadsheet_safe(opener.name),
                export.spreadsheet_safe(manager.name if manager else None),
                f"{case.order_value / 100:.2f}" if case.order_value else "",
                case.currency,
                f"{given.get(case.id, 0) / 100:.2f}",
                asked.get(case.id, 0),
                outcome,
                case.resolved_at.strftime("%Y-%m-%d %H:%M:%S") if case.resolved_at else "",
                export.spreadsheet_safe(lesson.get("root_cause")),
                export.spreadsheet_safe(lesson.get("lesson")),
            ]
        )
    return len(cases)


def _memory(field: str) -> float:
    """Return this process's VmRSS (now) or VmHWM (its peak), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise LookupError(field)


def _open(url: str) -> Engine:
    """Return an engine on a migrated database, creating a PostgreSQL database that is missing."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            if not conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}
            ).first():
                conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
        admin.dispose()
    engine = make_engine(url)
    migrate.upgrade(engine)
    return engine


CASE_COLUMNS = (
    "id", "customer_name", "customer_ref", "customer_email", "customer_phone", "tier", "category", "severity",
    "description", "order_value", "currency", "earlier_incidents", "status", "opened_by_id", "platform",
    "created_at", "updated_at", "resolved_at",
)  # fmt: skip
LESSON_COLUMNS = ("id", "kind", "channel", "case_id", "payload", "status", "due_at", "attempts", "created_at")
EVENT_COLUMNS = ("id", "at", "case_id", "platform", "action", "detail")


def _fill(engine: Engine, *, cases: int, seed: int, staff: int = 300) -> None:
    """Fill a migrated, empty database in bulk: staff, cases, offers, requests, answers and lessons."""
    rng, t = random.Random(seed), _time_format(engine.dialect.name)
    start = t(NOW - SPAN)
    roles = {n: "director" if n == 1 else "manager" if n <= 10 else "frontline" for n in range(1, staff + 1)}
    people = [
        (n, f"Person {n}", f"p{n}@example.com", role,
         None if n == 1 else 1 if n <= 10 else rng.randint(2, 10), ("hq", "london", "paris")[n % 3], start)
        for n, role in roles.items()
    ]  # fmt: skip
    case_rows, offers, requests, lessons, events = [], [], [], [], []
    for n in range(1, cases + 1):
        opened = NOW - SPAN + SPAN * (n / cases)
        status = rng.choice(("open", "resolved", "recovered", "recovered", "cancelled"))
        closed = status in ("resolved", "recovered")
        resolved = t(opened + timedelta(hours=rng.randint(1, 48))) if closed else None
        owner, at = rng.randint(11, staff), t(opened)
        case_rows.append(
            (n, f"Customer {n}", f"ORD-{n}", f"c{n}@example.com", f"+44 20 7946 {n % 10000:04d}",
             rng.choice(("standard", "gold")), rng.choice(CATEGORIES),
             rng.choice(("minor", "major", "critical")), "Parcel promised Monday arrived Friday",
             rng.randint(1000, 20000), "USD", 0, status, owner, "slack", at, resolved or at, resolved)
        )  # fmt: skip
        if rng.random() < 0.6:
            approved = rng.random() < 0.3
            given = ("approved" if approved else "granted", owner, at, at)
            offers.append((len(offers) + 1, n, "voucher", "Voucher", rng.randint(500, 5000), "USD", *given))
            if approved:
                requests.append((len(requests) + 1, len(offers), n, owner, 2, 0, False, "approved", at, at))
        if closed:
            lesson = {"root_cause": rng.choice(CAUSES), "lesson": "Check depot scans before promising a date"}
            payload = json.dumps({"lesson": {"ref": f"R-{1000 + n}", **lesson}})
            lessons.append((len(lessons) + 1, "lesson", "lessons", n, payload, "sent", resolved, 1, resolved))
            if rng.random() < 0.7:
                answer = "follow_up_fixed" if status == "recovered" else rng.choice(FOLLOW_UP_ACTIONS[1:])
                events.append((len(events) + 1, resolved, n, "slack", answer, "{}"))
    people_columns = ("id", "name", "email", "role", "manager_id", "location", "created_at")
    bulk_load(
        engine,
        [
            ("staff", people_columns, people),
            ("cases", CASE_COLUMNS, case_rows),
            ("offers", OFFER_COLUMNS, offers),
            ("approval_requests", REQUEST_COLUMNS, requests),
            ("deliveries", LESSON_COLUMNS, lessons),
            ("audit_events", EVENT_COLUMNS, events),
        ],
    )
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            for table in ("staff", "cases", "offers", "approval_requests", "deliveries", "audit_events"):
                last = f"(SELECT max(id) FROM {table})"
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {last})"))
            conn.execute(text("ANALYZE"))


if __name__ == "__main__":
    main()
