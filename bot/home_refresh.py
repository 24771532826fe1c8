"""When a person's Home is refreshed: after each change to what it shows, once per burst.

A Home (`bot.home`) shows a person's open cases and where each stands, the approvals
waiting on them, and their authority and budget. Every change to one of those writes an
audit event in its own transaction, and `bot.audit.record` hands it to `after_change`:
the one place refreshes are queued. No use case asks for one, and the escalation job's
changes refresh Homes as a person's do.

A refresh is a delivery, rendered from the state when it is sent:

- `home` to a person with a Slack identity: Slack publishes it as their App Home tab;
- `card_update` of the last Home card a Teams edge showed them (recorded as a `home`
  delivery with its sent reference), updated in place. Without one, nothing goes to Teams.

It waits `DELAY` for the rest of its burst (a decision and what follows it, a few quick
clicks), and a change meanwhile joins it instead of queueing another. The waiting row is
read FOR UPDATE SKIP LOCKED, so a dispatcher skips it until the joining transaction
commits: a joined change is never left out of what is rendered (SQLite serialises
writers anyway). A row a dispatcher already holds is not joined, nor one already due
(while no dispatcher runs, each change queues its own; each shows the state when sent).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Integer, Row, Table, bindparam, func, or_, select, union_all
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from bot import deliveries
from bot.deliveries import Kind
from db.models import AuditEvent, Case, Delivery, DeliveryStatus, Platform, StaffIdentity

DELAY = timedelta(seconds=2)

# The audit actions that change what a Home shows, each with whether the case's approvers'
# Homes change too (a request appears on, or leaves, the list of what waits on them).
CHANGES: dict[str, bool] = {
    "case_opened": False,
    "case_resolved": False,
    "case_reopened": False,
    "follow_up_unhappy": False,  # the case is open again
    "offer_granted": False,  # the giver's budget; where the case stands
    "case_cancelled": True,  # a request waiting on someone is withdrawn
    "approval_requested": True,
    "approval_approved": True,
    "approval_denied": True,
    "approval_escalated": True,  # off one approver's Home, onto the next one's
}


def after_change(
    session: Session, *, action: str, case_id: int | None, actor_id: int | None, now: datetime
) -> None:
    """Queue a refresh of the Home of everyone a change to a case concerns, if it changes a Home."""
    approvers = CHANGES.get(action)
    if approvers is None or case_id is None:
        return
    # What is read here is written already; the change's own ORM objects need no flush for it.
    with session.no_autoflush:
        query = _CONCERNED_AND_APPROVERS if approvers else _CONCERNED
        _queue(session, session.execute(query, {"case_id": case_id, "actor_id": actor_id}).all(), now=now)


def refresh(session: Session, people: Collection[int], *, now: datetime) -> None:
    """Queue a refresh of each person's Slack Home and last Teams Home card, unless one is pending."""
    if people:
        _queue(session, session.execute(_ACCOUNTS_OF, {"people": list(people)}).all(), now=now)


def _queue(session: Session, accounts: Sequence[Row[int, str]], *, now: datetime) -> None:
    """Queue the refreshes these (person, platform) accounts call for, unless one is pending."""
    wanted: list[tuple[int, Kind, int | None]] = [
        (person, Kind.HOME, None) for person, platform in accounts if platform == Platform.SLACK
    ]
    on_teams = {person for person, platform in accounts if platform == Platform.TEAMS}
    if on_teams:
        cards = session.execute(_LAST_HOME_CARDS, {"people": list(on_teams)}).all()
        wanted += [(person, Kind.CARD_UPDATE, card) for person, card in cards]
    if not wanted:
        return
    waiting = session.execute(_WAITING, {"people": list({w[0] for w in wanted}), "now": now})
    pending = {
        (person, kind, (payload or {}).get("target_id"))
        for person, kind, payload, status in waiting
        if status == DeliveryStatus.PENDING
    }
    for person, kind, card in sorted(set(wanted), key=lambda w: (w[0], w[1].value)):
        if (person, kind.value, card) in pending:
            continue
        target: dict[str, Any] = {} if card is None else {"target_id": card}
        deliveries.enqueue(session, kind, now=now, due_at=now + DELAY, recipient_id=person, **target)


# Built once: a case open runs them on every change, and building a statement costs more
# than running it. Core tables, so no ORM work on rows nobody reads as objects.
_identity = cast(Table, StaffIdentity.__table__)
_delivery = cast(Table, Delivery.__table__)
_audit = cast(Table, AuditEvent.__table__)
_case = cast(Table, Case.__table__)
_ACCOUNT = select(_identity.c.staff_id, _identity.c.platform)
_person = _identity.c.staff_id
_ACTOR = select(sql_cast(bindparam("actor_id"), Integer))
_OPENER = select(_case.c.opened_by_id).where(_case.c.id == bindparam("case_id"))
# Everyone a request on the case was put to: named (first and after each escalation), the
# group's members and those who opened a copy, who were each sent (or shown) its card.
_NAMED = select(_audit.c.detail["approver_id"].as_integer()).where(
    _audit.c.case_id == bindparam("case_id"),
    or_(_audit.c.action == "approval_requested", _audit.c.action == "approval_escalated"),
)
_ASKED = select(_delivery.c.recipient_id).where(
    _delivery.c.case_id == bindparam("case_id"), _delivery.c.kind == Kind.APPROVAL_REQUEST.value
)
# Each person's accounts on every platform, found by the person (one IN over a union, no test
# of the platform, so no database reads a whole platform's accounts instead).
_CONCERNED = _ACCOUNT.where(_person.in_(union_all(_ACTOR, _OPENER)))
_CONCERNED_AND_APPROVERS = _ACCOUNT.where(_person.in_(union_all(_ACTOR, _OPENER, _NAMED, _ASKED)))
_ACCOUNTS_OF = _ACCOUNT.where(_person.in_(bindparam("people", expanding=True)))
# The last Home card a Teams edge showed each person (a `home` row with a Teams sent reference).
_LAST_HOME_CARDS = (
    select(_delivery.c.recipient_id, func.max(_delivery.c.id))
    .where(
        _delivery.c.recipient_id.in_(bindparam("people", expanding=True)),
        _delivery.c.kind == Kind.HOME.value,
        _delivery.c.status == DeliveryStatus.SENT.value,
        _delivery.c.sent_ref["platform"].as_string() == Platform.TEAMS.value,
    )
    .group_by(_delivery.c.recipient_id)
)
# The Home refreshes of these people still waiting for the rest of their burst: a few rows,
# read by the index on (case_id, kind, due_at) (a row not due yet is pending; the status is
# checked on the rows, or SQLite would read every pending delivery by its status index).
# Locked so that no dispatcher claims one this transaction joins before it commits; one
# another transaction holds is skipped.
_WAITING = (
    select(_delivery.c.recipient_id, _delivery.c.kind, _delivery.c.payload, _delivery.c.status)
    .where(
        _delivery.c.case_id.is_(None),
        _delivery.c.kind.in_((Kind.HOME.value, Kind.CARD_UPDATE.value)),
        _delivery.c.due_at > bindparam("now", type_=_delivery.c.due_at.type),
        _delivery.c.recipient_id.in_(bindparam("people", expanding=True)),
    )
    .with_for_update(skip_locked=True)
)
