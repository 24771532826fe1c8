"""The scheduled work of the moment: what is overdue, due or owed by now.

One function, run by the server's scheduler every minute and by the terminal each time
its clock moves, so both do the same: escalate approvals nobody answered (and offer the
fallback), remind owners of old open cases, and queue the week's digest, each manager's
review and the channel's practice case once they are due. Each step is idempotent and
bounded, so running it often, or on several replicas, does each thing once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot import digest, escalations, practice, review
from policies.schema import Policy


def run_scheduled(session: Session, policy: Policy, now: datetime) -> None:
    """Do what is due at `now`, in the session's transaction (the caller commits)."""
    escalations.escalate_overdue(session, policy, now)
    escalations.remind_open_cases(session, policy, now)
    digest.enqueue_weekly_digest(session, policy, now)
    review.enqueue_weekly_review(session, policy, now)
    practice.enqueue_weekly_practice(session, policy, now)
