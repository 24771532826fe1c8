"""Run the dispatcher on its own, sending to a webhook: crash drills, benchmarks, relays.

    python -m adapters.relay DATABASE_URL WEBHOOK_URL [--until-empty] [--batch 200] [--concurrency 8]

It prints one JSON line when it stops: how many it sent and in how many seconds.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from datetime import timedelta

from sqlalchemy import func, select

from adapters.webhook import WebhookNotifier
from bot import dispatcher
from bot.ports import SystemClock
from db.models import Delivery, DeliveryStatus
from db.session import make_engine, make_sessions
from policies.loader import load_policy

POLL_SECONDS = 0.2


def main(argv: list[str] | None = None) -> None:
    """Dispatch due deliveries to the webhook until told to stop, or until none is left."""
    parser = argparse.ArgumentParser(prog="python -m adapters.relay", description=__doc__)
    parser.add_argument("database_url")
    parser.add_argument("webhook_url")
    parser.add_argument("--batch", type=int, default=dispatcher.BATCH)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--lease-seconds", type=float, default=dispatcher.LEASE.total_seconds())
    parser.add_argument("--until-empty", action="store_true", help="stop once nothing is pending or sending")
    args = parser.parse_args(argv)
    engine = make_engine(args.database_url)
    sessions = make_sessions(engine)
    policy, clock = load_policy(), SystemClock()
    notifier = WebhookNotifier(args.webhook_url)
    totals = dispatcher.DispatchReport()
    started = time.monotonic()
    try:
        while True:
            report = dispatcher.dispatch_due(
                sessions=sessions,
                notifier=notifier,
                policy=policy,
                clock=clock,
                batch=args.batch,
                concurrency=args.concurrency,
                lease=timedelta(seconds=args.lease_seconds),
            )
            for item in dataclasses.fields(report):
                setattr(totals, item.name, getattr(totals, item.name) + getattr(report, item.name))
            if report.claimed:
                continue
            if args.until_empty and _unfinished(sessions) == 0:
                break
            time.sleep(POLL_SECONDS)
    finally:
        elapsed = time.monotonic() - started
        print(json.dumps({**vars(totals), "seconds": round(elapsed, 3)}), flush=True)
        engine.dispose()


def _unfinished(sessions) -> int:  # type: ignore[no-untyped-def]
    with sessions() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(Delivery)
                .where(Delivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.SENDING]))
            )
            or 0
        )


if __name__ == "__main__":
    main()
