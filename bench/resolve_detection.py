"""Benchmark what looking for a recurring lapse adds to resolving a case, on a large database.

    .venv/bin/python bench/resolve_detection.py [--source mend_bench_reports] [--samples 300]

Copies the reports benchmark's database (1,000,000 cases over two years: run
bench/reports.py first) into `mend_bench_detect`, gives every resolved case a kind of
root cause from the policy's list for its category, and times `tasks.on_resolved`, the
check a resolve runs, on cases of the last month:

- "opens a task": the pattern has no open task yet, so the check counts the cases and
  opens one (each call rolled back, so every sample takes this path);
- "joins an open task": the pattern's task is open, so the check only adds the case.

Each is printed as median and p95 in milliseconds against the 5 ms budget.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import timedelta

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from bot import tasks
from db.models import Case, CaseStatus
from db.session import make_engine, make_sessions
from policies.loader import load_policy

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/"
BUDGET_MS = 5.0


def main() -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--source", default="mend_bench_reports", help="the database bench/reports.py filled")
    parser.add_argument("--target", default="mend_bench_detect")
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    policy = load_policy()
    url = _copy(args.source, args.target)
    engine = make_engine(url)
    started = time.perf_counter()
    _give_causes(engine, policy)
    print(f"{args.target}: causes given and analysed in {time.perf_counter() - started:.1f} s")
    sessions = make_sessions(engine)
    rng = random.Random(args.seed)
    with sessions() as session:
        latest = session.scalar(select(Case.created_at).order_by(Case.created_at.desc()).limit(1))
        assert latest is not None
        recent = session.scalars(
            select(Case.id).where(
                Case.created_at >= latest - timedelta(days=30), Case.status == CaseStatus.RESOLVED.value
            )
        ).all()
        total = session.scalar(text("SELECT count(*) FROM cases"))
    picked = rng.sample(list(recent), min(args.samples, len(recent)))
    print(f"{total:,} cases; {len(recent):,} resolved in the last 30 days, {len(picked)} sampled")
    now = latest + timedelta(minutes=1)
    opening = _time(sessions, picked, policy, now, commit=False)
    _time(sessions, picked[: len(picked) // 2], policy, now, commit=True)  # open the patterns' tasks
    joining = _time(sessions, picked[len(picked) // 2 :], policy, now, commit=False)
    print(f"{'check':<22}{'median':>10}{'p95':>10}{'budget':>10}")
    for name, times in (("opens a task", opening), ("joins an open task", joining)):
        median, p95 = statistics.median(times), statistics.quantiles(times, n=20)[-1]
        verdict = "ok" if p95 <= BUDGET_MS else "OVER"
        print(f"{name:<22}{median:>8.2f}ms{p95:>8.2f}ms{BUDGET_MS:>8.1f}ms  {verdict}")
    engine.dispose()


def _copy(source: str, target: str) -> str:
    admin = create_engine(SERVER + "postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{target}" TEMPLATE "{source}"'))
    admin.dispose()
    return make_url(SERVER).set(database=target).render_as_string(hide_password=False)


def _give_causes(engine, policy) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        for category in policy.categories:
            causes = list(policy.learning.causes_of(category))
            # Spread each category's cases over its causes (and "other") by id.
            conn.execute(
                text(
                    "UPDATE cases SET root_cause_key = (CAST(:causes AS text[]))[1 + id % :n]"
                    " WHERE category = :category AND status IN ('resolved', 'recovered')"
                ),
                {"causes": causes, "n": len(causes), "category": category},
            )
        conn.execute(text("ANALYZE cases"))


def _time(sessions, case_ids, policy, now, *, commit: bool) -> list[float]:  # type: ignore[no-untyped-def]
    times = []
    for case_id in case_ids:
        with sessions() as session:
            case = session.get(Case, case_id)
            assert case is not None
            started = time.perf_counter()
            tasks.on_resolved(session, case, policy=policy, now=now)
            session.flush()
            times.append((time.perf_counter() - started) * 1000)
            if commit:
                session.commit()
            else:
                session.rollback()
    return times


if __name__ == "__main__":
    main()
