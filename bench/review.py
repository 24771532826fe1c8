"""Benchmark the weekly after-the-fact review on a large database (target: < 2 s on PostgreSQL).

    .venv/bin/python bench/review.py [--cases 1000000] [--runs 5] [--reuse] \\
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/mend_bench_review]
    .venv/bin/python bench/review.py --cases 100000 --database-url sqlite:////tmp/mend_bench_review.db

The database is the benchmark's own: made again on each run (a PostgreSQL database
dropped and created, a SQLite file deleted), or kept with `--reuse` when it already
holds cases. It is migrated and filled in bulk (COPY on PostgreSQL): a director, a
manager per location, four supervisors under each, the rest on the front line; `--cases`
cases opened over two years, an eighth of them by a customer seen in the 90 days before;
an offer on 60% of cases (mostly granted on the giver's own authority, some approved over
the limit, a few denied), with a few generous people and a few who give just under their
limit. It then ANALYZEs, and times `review.review_week` for the week before NOW, each run
in its own transaction rolled back afterwards (so every run finds and inserts the same),
as the median of `--runs` after a warm-up, with each rule's query on its own and the
slowest statements. Last it runs the review twice in one transaction to show that the
second adds nothing.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from scheduled_jobs import bulk_load, open_database
from scheduled_jobs import stamp as stamp_for
from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bot import review, review_rules
from db import migrate
from db.session import make_sessions
from policies.loader import load_policy
from policies.schema import Policy

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/mend_bench_review"
NOW = datetime(2026, 11, 10, 14, 0, tzinfo=UTC)  # Tuesday: the review of the week to Monday 9 November
SPAN = timedelta(days=730)
TARGET_MS = 2000.0
STAFF_COLUMNS = ("id", "name", "email", "role", "manager_id", "location", "created_at")
CASE_COLUMNS = (
    "id", "customer_name", "customer_ref", "ref_key", "tier", "category", "severity", "description",
    "currency", "earlier_incidents", "status", "opened_by_id", "platform", "created_at", "updated_at",
)  # fmt: skip
OFFER_COLUMNS = (
    "id", "case_id", "type", "label", "amount", "currency", "status", "given_by_id", "authorised_by_id",
    "created_at", "granted_at",
)  # fmt: skip
LIMITS = {"frontline": 2500, "supervisor": 7500}


def main() -> None:
    """Create or reuse the database, fill it once, and print the review's time against its target."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--staff", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5, help="timed runs after one warm-up")
    parser.add_argument("--reuse", action="store_true", help="keep the database if it already holds cases")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    engine = open_database(args.database_url, reuse=args.reuse)
    try:
        migrate.upgrade(engine)
        with engine.connect() as conn:
            existing = conn.execute(text("SELECT count(*) FROM cases")).scalar_one()
        shown = make_url(args.database_url).render_as_string(hide_password=True)
        if existing:
            print(f"reusing {existing:,} cases in {shown}")
        else:
            started = time.perf_counter()
            rows = fill(engine, cases=args.cases, staff=args.staff, seed=args.seed)
            took = time.perf_counter() - started
            print(f"filled {shown} in {took:.1f} s: " + ", ".join(f"{n:,} {t}" for t, n in rows.items()))
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
        time_review(engine, load_policy(), runs=args.runs)
    finally:
        engine.dispose()


def time_review(engine: Engine, policy: Policy, *, runs: int) -> None:
    """Print the review's median time, each rule's, and what the review found; then rerun it once."""
    week, _ = review.due_week(NOW, policy)
    rule = policy.learning.review
    sessions = make_sessions(engine)
    parts: dict[str, Callable[[Session], Any]] = {
        "whole review (rules, items, cards)": lambda s: review.review_week(s, policy, week, now=NOW),
        "  repeat compensation": lambda s: review_rules._repeat_compensation(s, rule, week),
        "  high spend per case": lambda s: review_rules._high_spend(s, policy, rule, week),
        "  near the limit": lambda s: review_rules._near_limit(s, policy, rule, week),
    }
    print(f"\n{engine.dialect.name}: review of week {week.key} ({week.since:%d %b} to {week.until:%d %b %Y})")
    print(f"  {'part':<38} {'median':>9} {'min':>9} {'max':>9}")
    with _statements(engine) as log:
        for name, part in parts.items():
            times, result = [], None
            for _ in range(runs + 1):  # the first is the warm-up
                log.clear()
                with sessions() as session:
                    started = time.perf_counter()
                    result = part(session)
                    times.append((time.perf_counter() - started) * 1000)
                    session.rollback()
            times = times[1:]
            found = f"  {result} items" if isinstance(result, int) else f"  {len(result)} found"
            print(
                f"  {name:<38} {statistics.median(times):6.1f} ms {min(times):6.1f} ms {max(times):6.1f} ms"
                + found
            )
            if name.startswith("whole"):
                verdict = "ok" if statistics.median(times) < TARGET_MS else "OVER"
                print(f"  {'target':<38} {TARGET_MS:6.0f} ms  {verdict}")
                for seconds, sql in sorted(log, key=lambda s: -s[0])[:4]:
                    print(f"      {seconds * 1000:7.1f} ms  {' '.join(sql.split())[:92]}")
    with sessions() as session:
        first = review.review_week(session, policy, week, now=NOW)
        again = review.review_week(session, policy, week, now=NOW + timedelta(days=2))
        counts = session.execute(
            text("SELECT reason, count(*), count(DISTINCT manager_id) FROM review_items GROUP BY reason")
        ).all()
        session.rollback()
    print(f"  a first run added {first} items, a rerun {again}; by reason (items, managers): {counts}")


class _statements:
    """Record each statement's time on the engine's connections while in use."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.log: list[tuple[float, str]] = []

    def _before(self, conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def _after(self, conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        self.log.append((time.perf_counter() - conn.info["bench_started"].pop(), statement))

    def __enter__(self) -> list[tuple[float, str]]:
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        return self.log

    def __exit__(self, *_: Any) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)


def fill(engine: Engine, *, cases: int, staff: int, seed: int) -> dict[str, int]:
    """Fill a migrated, empty database; return how many rows each table got."""
    rng = np.random.default_rng(seed)
    stamp = stamp_for(engine.dialect.name)
    people, roles, boss = _staff(staff, stamp)
    openers = np.array([n for n, role in roles.items() if role in LIMITS])
    # Cases in time order; a few people give more than most, or just under their limit.
    created = np.sort(NOW.timestamp() - SPAN.total_seconds() * rng.random(cases))
    opener = rng.choice(openers, cases)
    generous = set(rng.choice(openers, len(openers) // 50, replace=False).tolist())
    near = set(rng.choice(openers, len(openers) // 100, replace=False).tolist())
    customer = np.arange(1, cases + 1)
    back = (rng.random(cases) < 0.12).nonzero()[0]
    per_90_days = max(1, int(cases * 90 / 730))
    for n, earlier in zip(back, rng.integers(1, per_90_days, len(back)), strict=True):
        if n >= earlier:
            customer[n] = customer[n - earlier]  # the same customer again, within 90 days
    counts: dict[str, int] = {"staff": len(people), "cases": cases, "offers": 0}

    def case_rows() -> Iterator[tuple[Any, ...]]:
        for n in range(cases):
            at = stamp(created[n])
            ref = f"C{customer[n]:07d}"
            yield (n + 1, "Jordan Example", ref, ref, "standard", "late_delivery", "major", "Parcel late",
                   "USD", 0, "resolved", int(opener[n]), "slack", at, at)  # fmt: skip

    def offer_rows() -> Iterator[tuple[Any, ...]]:
        given = rng.random(cases) < 0.6
        kind = rng.random(cases)
        usual = np.minimum(rng.lognormal(np.log(900), 0.6, cases).astype(int) // 100 * 100 + 100, 2000)
        share = 0.9 + 0.1 * rng.random(cases)
        for n in np.nonzero(given)[0]:
            who = int(opener[n])
            limit = LIMITS[roles[who]]
            at = stamp(created[n] + 600)
            if kind[n] < 0.08:
                status, amount, by = "approved", limit + int(usual[n]) * 4, boss[who]
            elif kind[n] < 0.10:
                status, amount, by = "denied", limit + int(usual[n]) * 4, None
            else:
                status, by = "granted", who
                amount = min(limit, int(usual[n]) * 3) if who in generous else int(usual[n])
                if who in near and kind[n] > 0.5:
                    amount = int(limit * share[n])
            counts["offers"] += 1
            yield (counts["offers"], int(n) + 1, "voucher", "Voucher", amount, "USD", status, who, by, at,
                   at if status != "denied" else None)  # fmt: skip

    bulk_load(
        engine,
        [
            ("staff", STAFF_COLUMNS, people),
            ("cases", CASE_COLUMNS, case_rows()),
            ("offers", OFFER_COLUMNS, offer_rows()),
        ],
    )
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            for table in ("staff", "cases", "offers"):
                last = f"(SELECT max(id) FROM {table})"
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {last})"))
    return counts


def _staff(
    count: int, stamp: Callable[[float], Any]
) -> tuple[list[tuple[Any, ...]], dict[int, str], dict[int, int]]:
    """Return the staff rows, each person's role, and each opener's manager (who approves)."""
    hired = stamp((NOW - SPAN - timedelta(days=30)).timestamp())
    locations = 40
    rows: list[tuple[Any, ...]] = [(1, "Director", "p1@example.com", "director", None, "hq", hired)]
    roles, boss = {1: "director"}, {}
    supervisors: list[list[int]] = []
    for loc in range(locations):
        manager = 2 + loc
        roles[manager] = "manager"
        rows.append((manager, f"Manager {manager}", f"p{manager}@example.com", "manager", 1, "hq", hired))
        supervisors.append([])
        for k in range(4):
            n = 2 + locations + 4 * loc + k
            roles[n], boss[n] = "supervisor", manager
            supervisors[loc].append(n)
            rows.append((n, f"Supervisor {n}", f"p{n}@example.com", "supervisor", manager, "london", hired))
    for n in range(2 + 5 * locations, count + 1):
        above = supervisors[n % locations][n % 4]
        roles[n], boss[n] = "frontline", above
        rows.append((n, f"Person {n}", f"p{n}@example.com", "frontline", above, "hq", hired))
    return rows, roles, boss


if __name__ == "__main__":
    main()
