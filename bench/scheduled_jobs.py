"""Benchmark the scheduled jobs on a large database: escalations, open-case reminders, the digest.

    .venv/bin/python bench/scheduled_jobs.py [--cases 200000] [--stale 0.01] [--overdue 100]
    MEND_BENCH_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \\
        .venv/bin/python bench/scheduled_jobs.py --dialect postgresql

Each run gets a fresh database (a SQLite file, or a PostgreSQL database created and
dropped), migrated and filled in bulk: staff in a management chain, cases opened
over two years (a share of them still open and older than the reminder age, the
last three days' open and young, the rest closed), two deliveries per case (the
reminder queued at opening and a follow-up), some approval requests and a few of
them pending and overdue. It then runs every job the scheduler runs each minute,
each in its own transaction as a replica would, and prints how long each took and
what it added.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bot import digest, escalations
from db import migrate
from db.session import make_engine, make_sessions
from policies.loader import load_policy
from policies.schema import Policy

# Tuesday 10 November 2026, 14:00 UTC: working hours in New York and London, so reminders are due now.
NOW = datetime(2026, 11, 10, 14, 0, tzinfo=UTC)
SPAN = timedelta(days=730)
MAX_RUNS = 1000
CATEGORIES = ("late_delivery", "wrong_or_missing_item", "defective_product", "billing_error", "long_wait")
SEVERITIES = ("minor", "major", "critical")


def _time_format(dialect: str) -> Callable[[datetime], Any]:
    if dialect == "sqlite":
        # How SQLAlchemy stores Mend's UtcDateTime on SQLite: naive UTC text, always with microseconds,
        # so that the database compares the text as it compares times.
        return lambda moment: moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    return lambda moment: moment


def stamp(dialect: str) -> Callable[[float], Any]:
    """Return how a POSIX timestamp is written into a table by `bulk_load` on this database."""
    to_value = _time_format(dialect)
    return lambda ts: to_value(datetime.fromtimestamp(ts, UTC))


def open_database(url: str, *, reuse: bool) -> Engine:
    """Return an engine on a benchmark's own database: made again (a SQLite file deleted, a
    PostgreSQL database dropped and created), or kept with `reuse` when it exists."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if not reuse:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
        return make_engine(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database})
            exists = found.first() is not None
            if exists and not reuse:
                conn.execute(text(f'DROP DATABASE "{parsed.database}" WITH (FORCE)'))
            if not exists or not reuse:
                conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    finally:
        admin.dispose()
    return make_engine(url)


def shown(url: str) -> str:
    """Return a database URL as printed: without its password."""
    return make_url(url).render_as_string(hide_password=True)


Table = tuple[str, Sequence[str], Iterable[Sequence[Any]]]  # name, columns, rows of database values

_SECONDARY_INDEXES = {
    # Indexes that back no constraint: dropped for the load and built again after it.
    "sqlite": "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
    "postgresql": "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x"
    " JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid"
    " WHERE t.relname = %s AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)",
}


def bulk_load(engine: Engine, tables: Sequence[Table]) -> None:
    """Load tables through the driver, as a database restore does: COPY on PostgreSQL, executemany on
    SQLite, with foreign keys unchecked and the tables' other indexes built once the rows are in."""
    dialect = engine.dialect.name
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if dialect == "sqlite":
            cursor.execute("PRAGMA foreign_keys = OFF")  # Mend's engine leaves pysqlite in autocommit mode
            cursor.execute("BEGIN")
        else:
            cursor.execute("SET session_replication_role = replica")  # no foreign-key triggers
        indexes: list[str] = []
        for name, columns, rows in tables:
            cursor.execute(_SECONDARY_INDEXES[dialect], (name,))
            for index, definition in cursor.fetchall():
                cursor.execute(f"DROP INDEX {index}")
                indexes.append(definition)
            if dialect == "postgresql":
                with cursor.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" for _ in columns)
                cursor.executemany(f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({marks})", rows)
        for definition in indexes:
            cursor.execute(definition)
        if dialect == "sqlite":
            cursor.execute("COMMIT")
            cursor.execute("PRAGMA foreign_keys = ON")
        else:
            cursor.execute("SET session_replication_role = DEFAULT")
            raw.commit()
    finally:
        raw.close()


CASE_COLUMNS = (
    "id", "customer_name", "customer_ref", "customer_email", "ref_key", "email_key", "tier", "category",
    "severity", "description", "order_value", "currency", "earlier_incidents", "status", "opened_by_id",
    "platform", "created_at", "updated_at", "resolved_at",
)  # fmt: skip
DELIVERY_COLUMNS = (
    "id", "kind", "recipient_id", "case_id", "payload", "status", "due_at", "attempts", "created_at",
)  # fmt: skip
OFFER_COLUMNS = (
    "id", "case_id", "type", "label", "amount", "currency", "status", "given_by_id", "created_at",
    "granted_at",
)  # fmt: skip
REQUEST_COLUMNS = (
    "id", "offer_id", "case_id", "requested_by_id", "approver_id", "level", "customer_waiting", "status",
    "due_at", "created_at",
)  # fmt: skip


def fill(engine: Engine, *, cases: int, stale: float, overdue: int, staff: int, seed: int) -> dict[str, int]:
    """Fill a migrated database; return how many rows of each kind it holds."""
    rng = random.Random(seed)
    t = _time_format(engine.dialect.name)
    age = timedelta(hours=load_policy().deliveries.open_case_reminder_hours)
    # One director, four managers, 25 supervisors, the rest on the front line.
    managers = {n: None if n == 1 else 1 if n <= 5 else rng.randint(2, 5) if n <= 30 else rng.randint(6, 30)
                for n in range(1, staff + 1)}  # fmt: skip
    roles = {n: "director" if n == 1 else "manager" if n <= 5 else "supervisor" if n <= 30 else "frontline"
             for n in managers}  # fmt: skip
    people = [
        (n, f"Person {n}", f"p{n}@example.com", roles[n], managers[n], "london" if n % 3 == 0 else "hq",
         t(NOW - SPAN))
        for n in managers
    ]  # fmt: skip

    case_rows, delivery_rows = [], []
    opened_by: dict[int, int] = {}
    opened_at: dict[int, Any] = {}
    stale_open = young_open = 0
    for n in range(1, cases + 1):
        created = NOW - SPAN + SPAN * (n / cases) - timedelta(seconds=1)
        owner = opened_by[n] = rng.randint(31, staff)
        if created > NOW - age:
            status, young_open = "open", young_open + 1
        elif rng.random() < stale:
            status, stale_open = "open", stale_open + 1
        else:
            status = rng.choice(("resolved", "recovered", "recovered", "cancelled"))
        closed = status != "open"
        opened_at[n] = t(created)
        later = t(created + timedelta(days=1)) if closed else None
        case_rows.append(
            (n, f"Customer {n}", f"ORD-{n}", f"c{n}@example.com", f"ORD{n}", f"c{n}@example.com",
             rng.choice(("standard", "gold")), rng.choice(CATEGORIES), rng.choice(SEVERITIES),
             "Parcel promised Monday arrived Friday", rng.randint(1000, 20000), "USD", 0, status, owner,
             "slack", opened_at[n], later or opened_at[n], later)
        )  # fmt: skip
        # The reminder queued when the case was opened: sent once it came due, skipped once closed.
        reminder_due = created + age
        reminder = "skipped" if closed else "sent" if reminder_due <= NOW else "pending"
        delivery_rows.append(
            (len(delivery_rows) + 1, "reminder", owner, n, "{}", reminder, t(reminder_due), 1, opened_at[n])
        )
        if closed:
            follow_up = t(created + timedelta(days=2))
            delivery_rows.append(
                (len(delivery_rows) + 1, "follow_up", owner, n, '{"attempt": 1}', "sent", follow_up, 1,
                 opened_at[n])
            )  # fmt: skip

    # Approval requests on 1 case in 200, decided long ago, except `overdue` of them still pending.
    with_request = range(200, cases + 1, 200)
    pending = set(rng.sample(with_request, min(overdue, len(with_request))))
    offers, requests = [], []
    for i, n in enumerate(with_request, start=1):
        waiting, created = n in pending, opened_at[n]
        offers.append(
            (i, n, "voucher", "Voucher", 4000, "USD", "pending_approval" if waiting else "approved",
             opened_by[n], created, None if waiting else created)
        )  # fmt: skip
        due = t(NOW - timedelta(minutes=1)) if waiting else created
        requests.append(
            (i, i, n, opened_by[n], managers[opened_by[n]], 0, False, "pending" if waiting else "approved",
             due, created)
        )  # fmt: skip
    bulk_load(
        engine,
        [
            ("staff", ("id", "name", "email", "role", "manager_id", "location", "created_at"), people),
            ("cases", CASE_COLUMNS, case_rows),
            ("deliveries", DELIVERY_COLUMNS, delivery_rows),
            ("offers", OFFER_COLUMNS, offers),
            ("approval_requests", REQUEST_COLUMNS, requests),
        ],
    )
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            for table in ("staff", "cases", "deliveries", "offers", "approval_requests"):
                last = f"(SELECT max(id) FROM {table})"
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {last})"))
            # What autovacuum does after a load this size; SQLite is left as Mend leaves it.
            conn.execute(text("ANALYZE"))
    return {
        "staff": staff,
        "cases": cases,
        "stale open": stale_open,
        "young open": young_open,
        "deliveries": len(delivery_rows),
        "approval requests": len(requests),
        "overdue": len(pending),
    }


def timed(engine: Engine, job: Callable[[Session, Policy, datetime], Any], policy: Policy, now: datetime):
    """Run one job in its own transaction, as a replica's scheduler does; return (seconds, result)."""
    started = time.perf_counter()
    with make_sessions(engine)() as session:
        result = job(session, policy, now)
        session.commit()
    return time.perf_counter() - started, result


def run(engine: Engine, args: argparse.Namespace) -> None:
    """Fill the database and print each job's time."""
    started = time.perf_counter()
    figures = fill(
        engine, cases=args.cases, stale=args.stale, overdue=args.overdue, staff=args.staff, seed=args.seed
    )
    print(
        f"  filled in {time.perf_counter() - started:.1f} s: "
        + ", ".join(f"{v:,} {k}" for k, v in figures.items())
    )
    policy = load_policy()
    jobs = [escalations.escalate_overdue, escalations.remind_open_cases, digest.enqueue_weekly_digest]
    minute = 0
    for job in jobs:
        # Once a minute, as the scheduler runs it, until a run finds nothing left to do.
        times, results = [], []
        for _ in range(MAX_RUNS):
            seconds, result = timed(engine, job, policy, NOW + timedelta(minutes=minute))
            minute += 1
            times.append(seconds * 1000)
            results.append(result)
            if not result:
                break
        first, *between, last = times if len(times) > 1 else times * 2
        print(
            f"  {job.__name__:<22} first run {first:7.1f} ms -> {results[0]}"
            + (f", next {len(between)} runs at most {max(between):7.1f} ms" if between else "")
            + f", then {last:6.1f} ms -> {results[-1]}"
        )

    def tick(session: Session, policy: Policy, now: datetime) -> None:
        for job in jobs:
            job(session, policy, now)

    seconds, _ = timed(engine, tick, policy, NOW + timedelta(minutes=minute))
    print(f"  {'the scheduler tick':<22} all three in one transaction: {seconds * 1000:.1f} ms")


def main() -> None:
    """Run the benchmark on the dialects asked for."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dialect", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--cases", type=int, default=200_000)
    parser.add_argument("--stale", type=float, default=0.01, help="share of cases open past the reminder age")
    parser.add_argument("--overdue", type=int, default=None, help="pending overdue approval requests")
    parser.add_argument("--staff", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.overdue is None:
        args.overdue = args.cases // 2000
    dialects = ["sqlite", "postgresql"] if args.dialect == "both" else [args.dialect]
    admin_url = os.environ.get("MEND_BENCH_POSTGRES_URL")
    for dialect in dialects:
        print(f"{dialect}:")
        if dialect == "sqlite":
            with tempfile.TemporaryDirectory() as folder:
                engine = make_engine(f"sqlite:///{folder}/bench.db")
                migrate.upgrade(engine)
                try:
                    run(engine, args)
                finally:
                    engine.dispose()
            continue
        if not admin_url:
            print("  skipped: set MEND_BENCH_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test")
            continue
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        name = f"mend_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine = make_engine(make_url(admin_url).set(database=name).render_as_string(hide_password=False))
        try:
            migrate.upgrade(engine)
            run(engine, args)
        finally:
            engine.dispose()
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
