"""What a case open's database work costs in CPU, against the floor of its own SQL.

Opens `--count` cases on a fresh SQLite file through the core's entry point
(`bot.actions.handle`, the call the Slack adapter makes on a form submission),
then replays the exact statements one case open sent, each time in one
`BEGIN IMMEDIATE ... COMMIT`, straight on the sqlite3 connection. It prints the CPU
time per case open of each, over `--rounds` alternating rounds; the difference is
what SQLAlchemy, the validation and the suggestion add to the SQL itself.

    .venv/bin/python bench/case_open_cost.py [--count 1000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

USERS = 16
INPUTS = {
    "customer_name": "Jane Customer",
    "category": "late_delivery",
    "severity": "minor",
    "description": "The parcel arrived two days late.",
    "order_value": "80",
    "tier": "standard",
}


def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="mend-bench-") as folder:
        measure(args, folder)


def measure(args: argparse.Namespace, folder: str) -> None:
    from sqlalchemy import event

    from adapters.main import build_runtime
    from adapters.settings import Settings
    from bot import actions, staff
    from bot.commands import Actor
    from bot.replies import ActionId

    os.environ["MEND_DATABASE_URL"] = f"sqlite:///{folder}/mend.db"
    os.environ["MEND_LOG_LEVEL"] = "WARNING"
    runtime = build_runtime(Settings())  # migrates the new SQLite file
    rows = ["platform,user_id,name,email,role,manager,location"]
    rows += [f"slack,U{i:02d},Bench {i},bench{i}@example.com,frontline,,hq" for i in range(USERS)]
    with runtime.sessions() as session:
        staff.import_staff(
            "\n".join(rows) + "\n", session=session, policy=runtime.policy, clock=runtime.clock
        )
    opened = 0

    def open_case() -> None:
        nonlocal opened
        opened += 1
        actor = Actor("slack", f"U{opened % USERS:02d}")
        inputs = {**INPUTS, "customer_ref": f"ORD-{opened:08d}"}
        with runtime.sessions() as session:
            actions.handle(
                ActionId.OPEN_CASE,
                "",
                actor,
                inputs,
                session=session,
                policy=runtime.policy,
                clock=runtime.clock,
                request_key=uuid.uuid4().hex,
            )

    for _ in range(50):  # warm SQLAlchemy's statement caches
        open_case()
    sent: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if not statement.startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            sent.append((statement, parameters))

    event.listen(runtime.engine, "before_cursor_execute", capture)
    open_case()
    event.remove(runtime.engine, "before_cursor_execute", capture)
    key_at = next(
        (i for i, value in enumerate(sent[2][1]) if isinstance(value, str) and len(value) == 32), None
    )

    def replay() -> None:
        raw = runtime.engine.raw_connection()
        try:
            db = raw.driver_connection
            assert db is not None
            for _ in range(args.count):
                db.execute("BEGIN IMMEDIATE")
                for statement, parameters in sent:
                    values = list(parameters)
                    if "INSERT INTO cases" in statement and key_at is not None:
                        values[key_at] = uuid.uuid4().hex  # the request key is unique
                    db.execute(statement, values).fetchall()
                db.execute("COMMIT")
        finally:
            raw.close()

    print(f"one case open sends {len(sent)} statements in one transaction; {args.count} case opens per round")
    for round_ in range(1, args.rounds + 1):
        started = time.process_time()
        for _ in range(args.count):
            open_case()
        core = (time.process_time() - started) / args.count * 1000
        started = time.process_time()
        replay()
        floor = (time.process_time() - started) / args.count * 1000
        print(
            f"  round {round_}: the use case {core:5.2f} ms CPU per case open;"
            f" its statements on the bare driver {floor:5.2f} ms ({floor / core:.0%})"
        )
    runtime.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    main(parser.parse_args())
