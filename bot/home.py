"""A person's Home: their open cases and where each stands, what waits on them, their authority.

Slack shows it as the App Home tab, Teams as a card (the `cases` and `approvals` words).
Either is rendered from the state of the moment, when it is opened and again when what
it shows changes (`bot.home_refresh` queues that; `bot.notices` renders it).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session

from bot import messages
from bot.deliveries import Kind
from bot.replies import Keep, Reply
from bot.staff import get_headroom
from db import queries
from db.models import Staff
from policies.schema import Policy


def home_of(session: Session, staff: Staff, *, policy: Policy, now: datetime) -> Reply:
    """Return a person's Home as it stands now; an edge that shows it records where (`Reply.keep`)."""
    cases = queries.list_open_cases(session, staff.id)
    waiting = queries.list_pending_requests_for(
        session, staff.id, group_member=staff.email in policy.approvals.group
    )
    offers = queries.list_latest_offers(session, [case.id for case in cases])
    room = get_headroom(session, staff, policy=policy, now=now)
    reply = messages.my_cases(staff, cases, waiting, room, policy, offers=offers)
    return replace(reply, home=True, keep=Keep(kind=Kind.HOME.value, case_id=None, recipient_id=staff.id))


def home_for(session: Session, staff_id: int | None, *, policy: Policy, now: datetime) -> Reply | None:
    """Return the Home of the person with this id, or None when Mend no longer knows them."""
    staff = queries.get_staff(session, staff_id) if staff_id is not None else None
    return home_of(session, staff, policy=policy, now=now) if staff is not None else None
