"""A person's Home is refreshed when what it shows changes: queued once per burst, rendered when sent."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from adapters.console.notifier import ConsoleNotifier
from bot import deliveries, dispatcher, escalations, home_refresh, notices
from bot.approvals import decide_approval
from bot.commands import DecideApproval, GiveOption
from bot.deliveries import Kind
from bot.delivery_leases import claim_batch
from bot.offers import give_option
from bot.staff import import_staff
from db.models import ApprovalRequest, Delivery, DeliveryStatus, Staff, StaffIdentity
from tests.conftest import STAFF_CSV, FakeClock
from tests.helpers import ALICE, BOB, open_late_delivery

pytestmark = pytest.mark.usefixtures("people")

TEAMS_CARD = {
    "platform": "teams",
    "reference": {"conversation": {"id": "a:chat"}},
    "activity_id": "activity-7",
}


def _staff_id(session: Session, name: str) -> int:
    return session.scalars(select(Staff.id).where(Staff.email == f"{name}@example.com")).one()


def _on(session: Session, platform: str, *names: str) -> None:
    """Give these people an account on a chat platform, as the staff directory would."""
    for name in names:
        session.add(
            StaffIdentity(staff_id=_staff_id(session, name), platform=platform, user_id=f"{platform}-{name}")
        )
    session.flush()


def _refreshes(session: Session, status: str = DeliveryStatus.PENDING) -> list[Delivery]:
    stmt = select(Delivery).where(
        Delivery.kind.in_([Kind.HOME.value, Kind.CARD_UPDATE.value]), Delivery.status == status
    )
    return list(session.scalars(stmt.order_by(Delivery.id)))


def _for(session: Session, name: str) -> list[Delivery]:
    return [d for d in _refreshes(session) if d.recipient_id == _staff_id(session, name)]


def _send_all(session: Session) -> None:
    """Mark every pending refresh sent, as a dispatcher pass would."""
    session.execute(
        update(Delivery)
        .where(Delivery.kind.in_([Kind.HOME.value, Kind.CARD_UPDATE.value]))
        .values(status=DeliveryStatus.SENT)
    )


def _show_home_card(session: Session, name: str, clock: FakeClock, activity_id: str = "activity-7") -> int:
    """Record a Home card a Teams edge showed this person (what `Reply.keep` asks of it)."""
    deliveries.remember_message(
        session,
        kind=Kind.HOME,
        case_id=None,
        recipient_id=_staff_id(session, name),
        sent_ref={**TEAMS_CARD, "activity_id": activity_id},
        now=clock.now(),
    )
    return session.scalars(select(Delivery.id).order_by(Delivery.id.desc()).limit(1)).one()


def test_a_burst_of_changes_queues_one_refresh_of_a_slack_home(session: Session, policy, clock) -> None:
    _on(session, "slack", "alice")
    first = open_late_delivery(session, policy, clock)
    open_late_delivery(session, policy, clock, customer_name="Marta Ruiz")
    give_option(GiveOption(ALICE, first.case_id, 2), session=session, policy=policy, clock=clock)

    (refresh,) = _refreshes(session)
    assert refresh.kind == Kind.HOME and refresh.recipient_id == _staff_id(session, "alice")
    assert refresh.channel is None and refresh.case_id is None
    assert refresh.due_at == clock.now() + home_refresh.DELAY
    assert not deliveries.due_now(session)  # it waits for its burst: no send pass is asked for

    # once a dispatcher holds it, the next change queues another: that one may be rendered already
    session.execute(update(Delivery).where(Delivery.id == refresh.id).values(status=DeliveryStatus.SENDING))
    clock.advance(seconds=1)
    open_late_delivery(session, policy, clock, customer_name="Ola Berg")
    (again,) = _refreshes(session)
    assert again.id != refresh.id and again.due_at == clock.now() + home_refresh.DELAY

    # and so does a change after a refresh fell due (no dispatcher took it yet: each shows the state then)
    clock.advance(seconds=home_refresh.DELAY.total_seconds())
    open_late_delivery(session, policy, clock, customer_name="Ida Holm")
    first_left, newest = _refreshes(session)
    assert first_left.id == again.id and newest.due_at == clock.now() + home_refresh.DELAY


def test_someone_known_only_in_the_terminal_or_with_no_teams_home_card_gets_no_refresh(
    session: Session, policy, clock
) -> None:
    open_late_delivery(session, policy, clock)
    _on(session, "teams", "alice")
    open_late_delivery(session, policy, clock)
    assert _refreshes(session) == []


def test_the_last_home_card_shown_in_teams_is_updated_in_place(session: Session, policy, clock) -> None:
    _on(session, "teams", "alice")
    _show_home_card(session, "alice", clock, "activity-1")
    newest = _show_home_card(session, "alice", clock, "activity-2")
    open_late_delivery(session, policy, clock)
    open_late_delivery(session, policy, clock, customer_name="Marta Ruiz")

    (refresh,) = _refreshes(session)
    assert refresh.kind == Kind.CARD_UPDATE and refresh.payload == {"target_id": newest}
    assert refresh.recipient_id == _staff_id(session, "alice") and refresh.case_id is None

    # a Home card shown since is the one the next refresh updates, even while the last one waits
    latest = _show_home_card(session, "alice", clock, "activity-3")
    open_late_delivery(session, policy, clock, customer_name="Ola Berg")
    assert [d.payload["target_id"] for d in _refreshes(session)] == [newest, latest]


def test_a_request_refreshes_the_requester_and_each_approver_it_was_put_to(
    session: Session, policy, clock
) -> None:
    _on(session, "slack", "alice", "bob", "carol", "dana")
    case = open_late_delivery(session, policy, clock)
    give_option(GiveOption(ALICE, case.case_id, 3), session=session, policy=policy, clock=clock)  # to bob
    assert [len(_for(session, name)) for name in ("alice", "bob", "carol")] == [1, 1, 0]

    # nobody answers in time: the request leaves bob's Home for carol's
    _send_all(session)
    clock.advance(minutes=policy.approvals.timeout_minutes)
    assert escalations.escalate_overdue(session, policy, clock.now()) == 1
    assert [len(_for(session, name)) for name in ("alice", "bob", "carol", "dana")] == [1, 1, 1, 0]


def test_a_home_shows_where_things_stand_when_it_is_sent(session: Session, policy, clock) -> None:
    _on(session, "slack", "alice", "bob")
    case = open_late_delivery(session, policy, clock)
    give_option(GiveOption(ALICE, case.case_id, 3), session=session, policy=policy, clock=clock)
    alice_refresh, bob_refresh = (_for(session, name)[0] for name in ("alice", "bob"))

    home = notices.render(session, alice_refresh, policy=policy)
    assert home is not None and home.home
    assert home.title == "Alice Park: 1 open case, 0 approvals waiting on you"
    (item,) = home.items
    assert item.title.startswith(f"{case.ref} · Jane Doe · ") and item.detail.endswith(
        "$40.00 waiting for approval"
    )
    waiting = notices.render(session, bob_refresh, policy=policy)
    assert waiting is not None and waiting.title == "Bob Reyes: 0 open cases, 1 approval waiting on you"

    # bob approves before the refresh goes: it shows the decision, not what was queued
    request = session.scalars(select(ApprovalRequest)).one()
    decide_approval(
        DecideApproval(BOB, request.id, approve=True), session=session, policy=policy, clock=clock
    )
    home = notices.render(session, alice_refresh, policy=policy)
    assert home is not None and home.items[0].detail.endswith("$40.00 approved")
    waiting = notices.render(session, bob_refresh, policy=policy)
    assert waiting is not None and waiting.title.endswith("0 approvals waiting on you") and not waiting.items


def test_a_home_of_someone_mend_no_longer_knows_is_not_sent(session: Session, policy, clock) -> None:
    gone = Delivery(kind=Kind.HOME.value, recipient_id=None, channel="nobody", payload={}, due_at=clock.now())
    assert notices.render(session, gone, policy=policy) is None


def test_the_terminal_prints_nothing_for_a_home_and_does_not_fail_on_it(fresh_sessions, policy) -> None:
    clock = FakeClock()
    with fresh_sessions() as session:
        import_staff(STAFF_CSV, session=session, policy=policy, clock=clock)
        _on(session, "slack", "alice")
        open_late_delivery(session, policy, clock)
        session.commit()
    out = io.StringIO()
    clock.advance(seconds=home_refresh.DELAY.total_seconds())
    report = dispatcher.dispatch_due(
        sessions=fresh_sessions, notifier=ConsoleNotifier(out=out), policy=policy, clock=clock
    )
    assert (report.sent, report.failed) == (1, 0) and out.getvalue() == ""
    with fresh_sessions() as session:
        assert [d.status for d in _refreshes(session, DeliveryStatus.SENT)] == [DeliveryStatus.SENT]


def test_a_refresh_a_change_joins_is_not_claimed_before_that_change_commits(fresh_sessions, policy) -> None:
    if fresh_sessions.kw["bind"].dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers: a claim waits for the change anyway")
    clock = FakeClock()
    with fresh_sessions() as session:
        import_staff(STAFF_CSV, session=session, policy=policy, clock=clock)
        _on(session, "slack", "alice")
        open_late_delivery(session, policy, clock)
        session.commit()
    clock.advance(seconds=1)
    with fresh_sessions() as changing, fresh_sessions() as claiming:
        # a change in flight joins the pending refresh (a use case commits at its end)
        home_refresh.refresh(changing, [_staff_id(changing, "alice")], now=clock.now())
        assert len(_refreshes(changing)) == 1
        clock.advance(seconds=home_refresh.DELAY.total_seconds())
        assert claim_batch(claiming, now=clock.now(), limit=10) == []  # held until the change commits
        changing.commit()
        claims = claim_batch(claiming, now=clock.now(), limit=10)
        assert _claimed_kinds(claiming, claims) == [Kind.HOME]


def _claimed_kinds(session: Session, claims: list[tuple[int, int]]) -> list[str]:
    return list(session.scalars(select(Delivery.kind).where(Delivery.id.in_([i for i, _ in claims]))))
