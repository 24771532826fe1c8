"""Benchmark the reports on a large database: the weekly digest, `mend report --by location`, the chart.

    .venv/bin/python bench/reports.py [--cases 1000000] [--runs 5] [--reuse] [--before 0005] \\
        [--setting jit=off] [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/mend_bench_reports]
    .venv/bin/python bench/reports.py --cases 50000 --database-url sqlite:////tmp/mend_bench_reports.db

The database is the benchmark's own: made again on each run (a PostgreSQL database
dropped and created, a SQLite file deleted), or kept with `--reuse` when it already
holds cases. It is migrated with `db.migrate.upgrade` and filled in bulk (COPY on
PostgreSQL): 2,000 staff in 40 locations under supervisors and managers, and `--cases`
cases opened over two years with what happened to them, in realistic shares (offers,
approval requests, escalations and fallbacks, resolutions, follow-up answers,
reopenings, lessons and their applause, customers who come back). Then it ANALYZEs
(VACUUM ANALYZE on PostgreSQL, as autovacuum would) and times, as the median of
`--runs` runs after a warm-up, each in its own session as a command would:

- the weekly digest's figures for the lessons channel's last full week (< 1 s);
- for a quarter, the measures by location, repeat customers and the top root causes,
  what `mend report --by location` was specified to run (< 1 s), and, for information,
  `reports.build_report` as the command runs it today (it adds the overall measures);
- the digest's chart, 8 weeks by 8 categories (< 500 ms).

Each figure is printed against its target with its slowest statements (median time);
for a figure over its target, the plan of each slow statement (EXPLAIN ANALYZE on
PostgreSQL). `--before REVISION` first times the figures with the schema downgraded to
that revision, then upgraded again, so an index is judged by the two in the same run;
`--setting` also times each schema with a PostgreSQL setting on the connections.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from scheduled_jobs import Table, bulk_load, open_database, shown
from scheduled_jobs import stamp as stamp_for
from sqlalchemy import Engine, event, text

from alembic import command
from bot import digest, measures, reports
from bot.charts import weekly_cases_png
from bot.measures import Dimension, Period
from bot.messages.digest import CHART_TITLE
from db import migrate
from db.session import make_engine, make_sessions
from policies.loader import load_policy
from policies.schema import Policy

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/mend_bench_reports"
# Tuesday 10 November 2026, 14:00 UTC: the digest of the week to Monday 9 November is due.
NOW = datetime(2026, 11, 10, 14, 0, tzinfo=UTC)
SPAN = timedelta(days=730)
QUARTER = Period(datetime(2026, 7, 1, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC))
QUARTER_NAME = "Jul-Sep 2026"
HOUR, DAY = 3600.0, 86400.0

# Eight of the policy's categories, most frequent first, so the chart is 8 weeks by 8 categories.
CATEGORIES = (
    "late_delivery", "wrong_or_missing_item", "defective_product", "long_wait", "billing_error",
    "staff_conduct", "missed_appointment", "repair_failed_again",
)  # fmt: skip
CATEGORY_SHARES = (0.30, 0.18, 0.14, 0.12, 0.10, 0.07, 0.05, 0.04)
SEVERITIES, SEVERITY_SHARES = ("minor", "major", "critical"), (0.6, 0.3, 0.1)
OFFER, REQUEST, ESCALATED, FELL_BACK = 0.60, 0.08, 0.15, 0.4  # shares of cases; of requests; of escalations
RESOLVED, CANCELLED, REOPENED, FOLLOWED_UP = 0.85, 0.03, 0.03, 0.70  # shares of all cases
LESSON, APPLAUDED = 0.25, 0.4  # resolved cases with a lesson; lessons applauded (by one to six people)
ANSWERS, ANSWER_SHARES = ("fixed", "unhappy", "unreachable"), (0.75, 0.10, 0.15)
# A case is the customer's return with this probability, to a customer seen in the 90 days before:
# about a tenth of customers then come back within 90 days.
RETURNS = 0.12
DESCRIPTIONS = {
    "late_delivery": "Parcel promised for Monday arrived on Friday; the customer had taken the day off",
    "wrong_or_missing_item": "Two of the five items ordered were missing from the box, no note inside",
    "defective_product": "The kettle stopped working after three uses and smelt of burning plastic",
    "long_wait": "Waited forty minutes at the counter while two tills stayed closed",
    "billing_error": "Charged twice for the same order; the second charge is still pending on the card",
    "staff_conduct": "The customer felt talked down to when asking about the returns policy",
    "missed_appointment": "The fitter did not come in the booked slot and nobody called",
    "repair_failed_again": "Third visit for the same leak under the sink; it came back within a week",
}
ROOT_CAUSES = (
    "Courier missed the depot scan", "Stock count wrong in the warehouse", "Picker skipped a line",
    "Faulty batch from the supplier", "Too few staff on the rota", "Payment retried by the gateway",
    "Booking system double-booked the fitter", "Part out of stock at the van", "Address typed wrongly",
    "Label printed for the wrong order", "Training gap on returns", "Promo price not loaded at the till",
    "Weather delay at the hub", "Sub-contractor no-show", "Wrong part fitted", "Queue system down",
    "Refund stuck in manual review", "Damaged in transit", "Website showed stale stock",
    "Handover note not read",
)  # fmt: skip
LESSONS = (
    "Check the depot scan before promising a delivery day",
    "Count the box against the order before sealing it",
    "Call the customer before the slot when the van runs late",
    "Open a second till once the queue passes five people",
)


@dataclass(frozen=True)
class Figure:
    """One thing timed: a name, its target and how to run it once in a session."""

    name: str
    target_ms: float
    run: Callable[[Any], Any]


@dataclass
class Timing:
    """A figure's times, and each statement it ran: its median time and its last parameters."""

    times_ms: list[float]
    statements: list[tuple[float, str, Any]]  # (median ms, SQL, parameters), slowest first

    @property
    def median(self) -> float:
        return statistics.median(self.times_ms)


def main() -> None:
    """Create or reuse the database, fill it once, and print each figure against its target."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--staff", type=int, default=2000)
    parser.add_argument("--locations", type=int, default=40)
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each figure, after one warm-up")
    parser.add_argument("--reuse", action="store_true", help="keep the database if it already holds cases")
    parser.add_argument("--before", metavar="REVISION", help="time at this schema revision first, then head")
    parser.add_argument(
        "--setting",
        metavar="NAME=VALUE",
        help="PostgreSQL: also time each stage with this setting on the connections, such as jit=off",
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    url = args.database_url
    engine = open_database(url, reuse=args.reuse)
    try:
        migrate.upgrade(engine)
        with engine.connect() as conn:
            existing = conn.execute(text("SELECT count(*) FROM cases")).scalar_one()
        if existing:
            print(f"reusing {existing:,} cases in {shown(url)}")
        else:
            started = time.perf_counter()
            rows = fill(engine, cases=args.cases, staff=args.staff, locations=args.locations, seed=args.seed)
            print(
                f"filled {shown(url)} in {time.perf_counter() - started:.1f} s: "
                + ", ".join(f"{n:,} {table}" for table, n in rows.items())
            )
        policy = load_policy()
        stages = [(f"schema {args.before}", args.before)] if args.before else []
        stages.append((f"schema {migrate.head_revision()} (head)", None))
        results: dict[str, dict[str, Timing]] = {}
        for label, revision in stages:
            started = time.perf_counter()
            if revision:
                _downgrade(engine, revision)
            else:
                migrate.upgrade(engine)
            _analyze(engine)
            took = time.perf_counter() - started
            print(f"\n{engine.dialect.name}, {label} (migrated and analysed in {took:.1f} s)")
            results[label] = run_figures(engine, policy, runs=args.runs)
            if args.setting and engine.dialect.name == "postgresql":
                print(f"\n{engine.dialect.name}, {label}, with {args.setting}")
                other = make_engine(url, connect_args={"options": f"-c {args.setting}"})
                try:
                    results[f"{label}, {args.setting}"] = run_figures(other, policy, runs=args.runs)
                finally:
                    other.dispose()
        _print_medians(results)
    finally:
        engine.dispose()


def _print_medians(results: dict[str, dict[str, Timing]]) -> None:
    """Print each figure's median in every stage, and each stage's ratio to the last one like it."""
    if len(results) < 2:
        return
    labels = list(results)
    print("\nmedians (ms), measured in this run:")
    for i, label in enumerate(labels):
        print(f"  [{i + 1}] {label}")
    print(f"  {'figure':<44}" + "".join(f"{f'[{i + 1}]':>10}" for i in range(len(labels))))
    for name in results[labels[0]]:
        print(f"  {name:<44}" + "".join(f"{results[label][name].median:10.1f}" for label in labels))
    for i, label in enumerate(labels):
        # The same setting at head, if this stage is an earlier schema.
        later = [
            j for j, other in enumerate(labels) if j > i and other.split(", ")[1:] == label.split(", ")[1:]
        ]
        if later:
            j = later[-1]
            ratios = ", ".join(
                f"{name.split(',')[0]} {results[label][name].median / results[labels[j]][name].median:.2f}"
                for name in results[label]
            )
            print(f"  [{i + 1}]/[{j + 1}]: {ratios}")


def run_figures(engine: Engine, policy: Policy, *, runs: int) -> dict[str, Timing]:
    """Time each figure, print it against its target, and explain the slow statements of any over it."""
    zone = ZoneInfo(policy.digest_timezone)
    monday = digest.monday_of(NOW, zone)
    since, until = (digest.local_midnight(monday - timedelta(days=d), zone) for d in (7, 0))
    sessions = make_sessions(engine)
    with sessions() as session:
        chart = digest.weekly_figures(session, policy, since, until).chart
        rows = measures.measure(session, QUARTER, by=[Dimension.LOCATION])
        repeats = measures.repeat_customers(session, QUARTER)
    _print_shares(measures.total(rows), repeats, len(rows))
    print(f"  chart: {len(chart.weeks)} weeks x {len(chart.by_category)} categories")

    def location_report(session: Any) -> Any:
        return (
            measures.measure(session, QUARTER, by=[Dimension.LOCATION]),
            measures.repeat_customers(session, QUARTER),
            measures.top_root_causes(session, QUARTER),
        )

    figures = [
        Figure(
            f"weekly digest, week of {since.astimezone(zone):%d %b}",
            1000,
            lambda session: digest.weekly_figures(session, policy, since, until),
        ),
        Figure(
            f"report --by location, {QUARTER_NAME}",
            1000,
            location_report,
        ),
        Figure("chart, weekly_cases_png", 500, lambda _: weekly_cases_png(chart, title=CHART_TITLE)),
        # What the command's build_report runs today: the above, the overall measures and asks.
        Figure(
            "report, as reports.build_report runs it",
            1000,
            lambda session: reports.build_report(session, policy, QUARTER, by=Dimension.LOCATION),
        ),
    ]
    print(f"  {'figure':<44} {'median':>9} {'min':>9} {'max':>9} {'target':>9}  median/target")
    timings = {}
    with _StatementLog(engine) as log:
        for figure in figures:
            timing = timings[figure.name] = _time(sessions, figure, runs=runs, log=log)
            verdict = "ok" if timing.median < figure.target_ms else "OVER"
            print(
                f"  {figure.name:<44} {timing.median:6.1f} ms {min(timing.times_ms):6.1f} ms"
                f" {max(timing.times_ms):6.1f} ms {figure.target_ms:6.0f} ms  "
                f"{timing.median / figure.target_ms:5.2f} {verdict}",
                flush=True,
            )
            for ms, sql, _ in timing.statements[:4]:
                print(f"      {ms:7.1f} ms  {_one_line(sql)[:96]}")
    for figure in figures:
        timing = timings[figure.name]
        if timing.median >= figure.target_ms:
            slow = [s for s in timing.statements if s[0] >= figure.target_ms / 10]
            for _, sql, parameters in slow[:3]:
                _explain(engine, sql, parameters)
    return timings


def _time(sessions: Any, figure: Figure, *, runs: int, log: list[Any]) -> Timing:
    times: list[float] = []
    statements: dict[str, tuple[list[float], Any]] = {}
    for run in range(runs + 1):  # the first is the warm-up
        log.clear()
        with sessions() as session:
            started = time.perf_counter()
            figure.run(session)
            times.append((time.perf_counter() - started) * 1000)
            session.rollback()
        for seconds, sql, parameters in log if run else ():
            statements.setdefault(sql, ([], None))[0].append(seconds * 1000)
            statements[sql] = (statements[sql][0], parameters)
    medians = [(statistics.median(ms), sql, parameters) for sql, (ms, parameters) in statements.items()]
    return Timing(times_ms=times[1:], statements=sorted(medians, key=lambda s: -s[0]))


class _StatementLog:
    """Record each statement's time on the engine's connections while in use."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.log: list[tuple[float, str, Any]] = []

    def _before(self, conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def _after(self, conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        started = conn.info["bench_started"].pop()
        self.log.append((time.perf_counter() - started, statement, parameters))

    def __enter__(self) -> list[tuple[float, str, Any]]:
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        return self.log

    def __exit__(self, *_: Any) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)


def _explain(engine: Engine, sql: str, parameters: Any) -> None:
    postgres = engine.dialect.name == "postgresql"
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
    with engine.connect() as conn:
        plan = conn.exec_driver_sql(prefix + sql, parameters).all()
        conn.rollback()
    print(f"\n  plan of: {_one_line(sql)[:120]}")
    for row in plan:
        print("    " + (row[0] if postgres else f"{row[1]:>3} {row[3]}"))


def _print_shares(row: measures.Row, repeats: measures.Repeats, locations: int) -> None:
    def pct(part: float, whole: float) -> str:
        return f"{100 * part / whole:.0f}%" if whole else "-"

    answered = row.fixed + row.unhappy + row.unreachable
    print(
        f"  {QUARTER_NAME}: {row.opened:,} cases in {locations} locations;"
        f" offer given {pct(row.given_cases, row.opened)}, approval asked {pct(row.requested, row.opened)}"
        f" ({pct(row.escalated, row.requested)} escalated, {row.fell_back} fallbacks),"
        f" resolved {pct(row.resolved, row.opened)}, followed up {pct(row.followed_up, row.opened)}"
        f" (fixed/unhappy/unreachable {pct(row.fixed, answered)}/{pct(row.unhappy, answered)}/"
        f"{pct(row.unreachable, answered)}), reopened {pct(row.reopened, row.ever_resolved)},"
        f" customers back within 90 days {pct(repeats.repeats, repeats.first_cases)}"
    )


def _one_line(sql: str) -> str:
    return " ".join(sql.split())


# The database: created or reused, migrated, filled.


def _downgrade(engine: Engine, revision: str) -> None:
    config = migrate.alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def _analyze(engine: Engine) -> None:
    # On PostgreSQL, what autovacuum does after a load this size: statistics, and the visibility
    # map that lets a covering index answer without reading the table.
    statement = "VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(statement)


def fill(engine: Engine, *, cases: int, staff: int, locations: int, seed: int) -> dict[str, int]:
    """Fill a migrated, empty database; return how many rows each table got."""
    rng = np.random.default_rng(seed)
    stamp = stamp_for(engine.dialect.name)
    people, openers, managers = _staff(staff, locations, stamp)
    plan = _plan(rng, cases, openers)
    counts: dict[str, int] = {}

    def counted(name: str, rows: Iterator[Sequence[Any]]) -> Iterator[Sequence[Any]]:
        counts[name] = 0
        for row in rows:
            counts[name] += 1
            yield row

    tables: list[Table] = [
        ("staff", ("id", "name", "email", "role", "manager_id", "location", "created_at"), people),
        ("cases", CASE_COLUMNS, counted("cases", _cases(plan, stamp))),
        ("offers", OFFER_COLUMNS, counted("offers", _offers(plan, stamp))),
        (
            "approval_requests",
            REQUEST_COLUMNS,
            counted("approval requests", _requests(plan, managers, stamp)),
        ),
        ("approval_decisions", DECISION_COLUMNS, counted("decisions", _decisions(plan, managers, stamp))),
        ("deliveries", DELIVERY_COLUMNS, counted("fallback deliveries", _fallbacks(plan, stamp))),
        ("audit_events", EVENT_COLUMNS, counted("audit events", _events(plan, managers, stamp))),
        (
            "applause",
            ("id", "case_id", "staff_id", "created_at"),
            counted("applause", _applause(plan, staff, stamp)),
        ),
    ]
    bulk_load(engine, tables)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            for table, *_ in tables:
                last = f"(SELECT max(id) FROM {table})"
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {last})"))
    return {"staff": len(people), **counts}


def _staff(
    count: int, locations: int, stamp: Callable[[float], Any]
) -> tuple[list[tuple[Any, ...]], list[int], dict[int, tuple[int, int]]]:
    """Return the staff rows, who opens cases, and each opener's (supervisor, location manager).

    One director; a manager per location; four supervisors per location; the rest on the
    front line, each under a supervisor of their location.
    """
    hired = stamp((NOW - SPAN - timedelta(days=30)).timestamp())
    rows: list[tuple[Any, ...]] = [(1, "Director", "p1@example.com", "director", None, "loc-01", hired)]
    manager_of = {}
    for loc in range(locations):
        manager_of[loc] = 2 + loc
        rows.append(
            (
                2 + loc,
                f"Manager {loc + 1}",
                f"p{2 + loc}@example.com",
                "manager",
                1,
                f"loc-{loc + 1:02d}",
                hired,
            )
        )
    supervisors: dict[int, list[int]] = {loc: [] for loc in range(locations)}
    managers: dict[int, tuple[int, int]] = {}
    for n in range(2 + locations, count + 1):
        loc = n % locations
        if len(supervisors[loc]) < 4:
            supervisors[loc].append(n)
            role, boss = "supervisor", manager_of[loc]
        else:
            role, boss = "frontline", supervisors[loc][n % 4]
        rows.append((n, f"Person {n}", f"p{n}@example.com", role, boss, f"loc-{loc + 1:02d}", hired))
        managers[n] = (boss, manager_of[loc])
    return rows, sorted(managers), managers


def _plan(rng: np.random.Generator, n: int, openers: list[int]) -> dict[str, list[Any]]:
    """Return what happens to each case, as columns (times in seconds since the epoch; nan: never)."""
    start, span, now = (NOW - SPAN).timestamp(), SPAN.total_seconds(), NOW.timestamp()
    created = start + span * (np.arange(n) + rng.random(n)) / n
    never = np.full(n, np.nan)

    def happened(at: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return np.where(mask & (at <= now), at, never)

    offered = rng.random(n) < OFFER
    offer_at = created + rng.exponential(2 * HOUR, n)
    requested = offered & (rng.random(n) < REQUEST / OFFER)
    escalated = requested & (rng.random(n) < ESCALATED)
    decided_at = offer_at + rng.exponential(3 * HOUR, n) + np.where(escalated, 8 * HOUR, 0)
    approved = rng.random(n) < 0.8
    fell_back = escalated & (rng.random(n) < FELL_BACK)
    amount = np.where(requested, rng.integers(60, 300, n), rng.integers(5, 60, n)) * 100

    resolves = rng.random(n) < RESOLVED
    first_resolved = created + rng.lognormal(math.log(5 * HOUR), 1.2, n)
    first_resolved = np.where(requested, np.maximum(first_resolved, decided_at + 600), first_resolved)
    reopens = resolves & (rng.random(n) < REOPENED / RESOLVED)
    reopened_at = first_resolved + rng.uniform(1 * DAY, 3 * DAY, n)
    resolved_again = reopened_at + rng.exponential(1 * DAY, n)
    last_resolved = np.where(reopens, resolved_again, first_resolved)
    follows = resolves & (rng.random(n) < FOLLOWED_UP / RESOLVED)
    answer = rng.choice(len(ANSWERS), n, p=ANSWER_SHARES)
    resolved_at = happened(first_resolved, resolves)
    reopened = happened(reopened_at, reopens & (first_resolved <= now))
    resolved_again_at = happened(resolved_again, reopens & (reopened_at <= now))
    closed_at = np.where(np.isnan(reopened), resolved_at, resolved_again_at)  # nan: open now
    lesson = np.where(rng.random(n) < LESSON, rng.integers(0, len(LESSONS), n), -1)
    applauded = (lesson >= 0) & ~np.isnan(closed_at) & (rng.random(n) < APPLAUDED)

    plan = {
        "created": created,
        "opener": rng.choice(np.array(openers), n),
        "category": rng.choice(len(CATEGORIES), n, p=CATEGORY_SHARES),
        "severity": rng.choice(len(SEVERITIES), n, p=SEVERITY_SHARES),
        "gold": rng.random(n) < 0.15,
        "order_value": np.where(rng.random(n) < 0.9, rng.integers(1000, 30000, n), -1),
        "offer_at": happened(offer_at, offered),
        "amount": amount,
        "request": requested,
        "escalated": escalated,
        "decided_at": happened(decided_at, requested),
        "approved": approved,
        "fell_back_at": happened(offer_at + 8 * HOUR, fell_back),
        "resolved_at": resolved_at,
        "reopened_at": reopened,
        "resolved_again_at": resolved_again_at,
        "closed_at": closed_at,
        "followed_at": happened(last_resolved + 2 * DAY, follows),
        "answer": answer,
        "cancelled": ~resolves & (rng.random(n) < CANCELLED / (1 - RESOLVED)),
        "root_cause": np.where(rng.random(n) < 0.9, rng.zipf(1.6, n) % len(ROOT_CAUSES), -1),
        "variant": rng.integers(0, 4, n),
        "lesson": lesson,
        "applause": np.where(applauded, rng.integers(1, 7, n), 0),
    }
    columns: dict[str, list[Any]] = {k: v.tolist() for k, v in plan.items()}
    columns["customer"], columns["earlier"] = _customers(rng, n)
    return columns


def _customers(rng: np.random.Generator, n: int) -> tuple[list[int], list[int]]:
    """Return each case's customer and how many cases that customer had before."""
    window = max(1, int(n * 90 / SPAN.days))  # cases are opened evenly: this many in 90 days
    returns = (rng.random(n) < RETURNS).tolist()
    back = rng.integers(1, window + 1, n).tolist()
    customer, earlier, seen = [0] * n, [0] * n, {}
    fresh = 0
    for i in range(n):
        if returns[i] and i:
            who = customer[max(0, i - back[i])]
        else:
            fresh += 1
            who = fresh
        customer[i] = who
        earlier[i] = seen.get(who, 0)
        seen[who] = earlier[i] + 1
    return customer, earlier


CASE_COLUMNS = (
    "id", "customer_name", "customer_ref", "customer_email", "customer_phone", "ref_key", "email_key",
    "phone_key", "tier", "category", "severity", "description", "order_value", "currency",
    "earlier_incidents", "status", "opened_by_id", "platform", "outcome", "root_cause", "lesson",
    "created_at", "updated_at", "resolved_at",
)  # fmt: skip
OFFER_COLUMNS = (
    "id", "case_id", "type", "label", "amount", "currency", "status", "given_by_id", "authorised_by_id",
    "created_at", "granted_at",
)  # fmt: skip
REQUEST_COLUMNS = (
    "id", "offer_id", "case_id", "requested_by_id", "approver_id", "level", "customer_waiting", "status",
    "due_at", "created_at",
)  # fmt: skip
DECISION_COLUMNS = ("id", "request_id", "decided_by_id", "outcome", "reason", "platform", "decided_at")
DELIVERY_COLUMNS = (
    "id", "kind", "recipient_id", "case_id", "payload", "status", "due_at", "attempts", "created_at",
    "sent_at",
)  # fmt: skip
EVENT_COLUMNS = ("id", "at", "case_id", "actor_id", "platform", "action", "detail")


def _is(value: float) -> bool:
    return not math.isnan(value)


def _cases(plan: dict[str, list[Any]], stamp: Callable[[float], Any]) -> Iterator[tuple[Any, ...]]:
    p = plan
    for i, who in enumerate(p["customer"]):
        # Six customers in ten give an order reference, three an email, one a phone number.
        kind = who % 10
        ref = f"ORD-{who:07d}" if kind < 6 else None
        email = f"c{who}@example.com" if kind < 9 else None
        phone = f"+1 555 {who:07d}" if kind == 9 else None
        last = p["closed_at"][i]
        closed = _is(last)
        fixed = closed and _is(p["followed_at"][i]) and p["answer"][i] == 0
        status = (
            "recovered" if fixed else "resolved" if closed else "cancelled" if p["cancelled"][i] else "open"
        )
        category = CATEGORIES[p["category"][i]]
        cause = ROOT_CAUSES[p["root_cause"][i]] if closed and p["root_cause"][i] >= 0 else None
        if cause is not None:
            cause = (cause, cause.lower(), f"{cause} ", cause.upper())[p["variant"][i]]
        happened = [t for t in (p["created"][i], p["resolved_at"][i], last, p["followed_at"][i]) if _is(t)]
        yield (
            i + 1, f"Customer {who}", ref, email, phone, ref and ref.replace("-", ""), email,
            phone and phone.replace(" ", "").replace("+", "")[-9:], "gold" if p["gold"][i] else "standard",
            category, SEVERITIES[p["severity"][i]], DESCRIPTIONS[category],
            p["order_value"][i] if p["order_value"][i] > 0 else None, "USD", p["earlier"][i], status,
            p["opener"][i], "slack", "Sent again with next-day delivery" if closed else None, cause,
            LESSONS[p["lesson"][i]] if closed and p["lesson"][i] >= 0 else None,
            stamp(p["created"][i]), stamp(max(happened)), stamp(last) if closed else None,
        )  # fmt: skip


def _offers(plan: dict[str, list[Any]], stamp: Callable[[float], Any]) -> Iterator[tuple[Any, ...]]:
    p, n = plan, 0
    for i, at in enumerate(p["offer_at"]):
        if not _is(at):
            continue
        n += 1
        decided = p["decided_at"][i]
        if not p["request"][i]:
            status, granted = "granted", at
        elif not _is(decided):
            status, granted = "pending_approval", None
        else:
            status = "approved" if p["approved"][i] else "denied"
            granted = decided if p["approved"][i] else None
        yield (
            n, i + 1, "voucher", "Voucher", p["amount"][i], "USD", status, p["opener"][i],
            None if p["request"][i] else p["opener"][i], stamp(at), granted and stamp(granted),
        )  # fmt: skip


def _requests(
    plan: dict[str, list[Any]], managers: dict[int, tuple[int, int]], stamp: Callable[[float], Any]
) -> Iterator[tuple[Any, ...]]:
    p, offer, n = plan, 0, 0
    for i, at in enumerate(p["offer_at"]):
        if not _is(at):
            continue
        offer += 1
        if not p["request"][i]:
            continue
        n += 1
        decided = p["decided_at"][i]
        status = "pending" if not _is(decided) else "approved" if p["approved"][i] else "denied"
        supervisor, manager = managers[p["opener"][i]]
        escalated = p["escalated"][i]
        yield (
            n, offer, i + 1, p["opener"][i], manager if escalated else supervisor, int(escalated),
            _is(p["fell_back_at"][i]), status, stamp(at + (12 if escalated else 4) * HOUR), stamp(at),
        )  # fmt: skip


def _decisions(
    plan: dict[str, list[Any]], managers: dict[int, tuple[int, int]], stamp: Callable[[float], Any]
) -> Iterator[tuple[Any, ...]]:
    p, request, n = plan, 0, 0
    for i, asked in enumerate(p["request"]):
        if not (asked and _is(p["offer_at"][i])):
            continue
        request += 1
        if _is(p["decided_at"][i]):
            n += 1
            supervisor, manager = managers[p["opener"][i]]
            outcome = "approved" if p["approved"][i] else "denied"
            decider = manager if p["escalated"][i] else supervisor
            yield (n, request, decider, outcome, None, "slack", stamp(p["decided_at"][i]))


def _fallbacks(plan: dict[str, list[Any]], stamp: Callable[[float], Any]) -> Iterator[tuple[Any, ...]]:
    p, request, n = plan, 0, 0
    for i, asked in enumerate(p["request"]):
        if not (asked and _is(p["offer_at"][i])):
            continue
        request += 1
        at = p["fell_back_at"][i]
        if _is(at):
            n += 1
            payload = json.dumps({"request_id": request})
            yield (
                n,
                "fallback_offer",
                p["opener"][i],
                i + 1,
                payload,
                "sent",
                stamp(at),
                1,
                stamp(at),
                stamp(at),
            )


def _applause(
    plan: dict[str, list[Any]], staff: int, stamp: Callable[[float], Any]
) -> Iterator[tuple[Any, ...]]:
    rng, n = random.Random(len(plan["created"])), 0
    for i, count in enumerate(plan["applause"]):
        if count:
            for person in rng.sample(range(1, staff + 1), count):
                n += 1
                yield (
                    n,
                    i + 1,
                    person,
                    stamp(min(plan["closed_at"][i] + rng.uniform(HOUR, 3 * DAY), NOW.timestamp())),
                )


def _events(
    plan: dict[str, list[Any]], managers: dict[int, tuple[int, int]], stamp: Callable[[float], Any]
) -> Iterator[tuple[Any, ...]]:
    """Yield the audit log: what the use cases write, case by case, each event once it happened."""
    p, n = plan, 0
    for i, opener in enumerate(p["opener"]):
        supervisor, _ = managers[opener]
        events = [
            (p["created"][i], opener, "case_opened"),
            (p["offer_at"][i], opener, "approval_requested" if p["request"][i] else "offer_granted"),
            (p["decided_at"][i], supervisor, "approval_decided"),
            (p["resolved_at"][i], opener, "case_resolved"),
            (p["reopened_at"][i], opener, "case_reopened"),
            (p["resolved_again_at"][i], opener, "case_resolved"),
            (p["followed_at"][i], opener, f"follow_up_{ANSWERS[p['answer'][i]]}"),
        ]
        for at, actor, action in events:
            if _is(at):
                n += 1
                yield (n, stamp(at), i + 1, actor, "slack", action, "{}")


if __name__ == "__main__":
    main()
