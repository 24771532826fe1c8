"""Every copy of a card tells the truth, over the Bot Framework protocol, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from adapters.main import Runtime
from adapters.settings import Settings
from bot import staff
from db import migrate
from db.models import ApprovalDecision, ApprovalRequest, Delivery, Offer
from db.session import make_engine, make_sessions
from policies.loader import load_policy
from tests.fakes import MONDAY_MORNING, FakeClock
from tests.teams.conftest import LESSONS_CHANNEL, STAFF_CSV, TeamsUser, find_action, teams_server
from tests.teams.connector import Call, RecordingConnector
from tests.teams.test_over_limit_case import CUSTOMER


@pytest.fixture(params=["sqlite", "postgresql"])
def runtime(request: pytest.FixtureRequest, tmp_path) -> Iterator[Runtime]:
    """A runtime with alice -> bob -> carol on Teams, on a SQLite file or a PostgreSQL database of its own."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'mend.db'}"
        engine = make_engine(url)
        migrate.upgrade(engine)
    else:
        template = request.getfixturevalue("postgres_template")
        engine = make_engine(request.getfixturevalue("postgres").create(template=template))
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        MICROSOFT_APP_ID=None,
        MICROSOFT_APP_PASSWORD=None,
        MICROSOFT_APP_TENANT_ID=None,
        MEND_TEAMS_UNAUTHENTICATED=True,
        SLACK_SIGNING_SECRET=None,
    )
    base = load_policy(settings.policy_file)
    policy = base.model_copy(
        update={"broadcast": base.broadcast.model_copy(update={"teams_channel": LESSONS_CHANNEL})}
    )
    rt = Runtime(
        settings=settings,
        policy=policy,
        engine=engine,
        sessions=make_sessions(engine),
        clock=FakeClock(MONDAY_MORNING),
    )
    with rt.sessions() as session:
        staff.import_staff(STAFF_CSV, session=session, policy=rt.policy, clock=rt.clock)
    yield rt
    engine.dispose()


async def eventually(check: Callable[[], Any], *, seconds: float = 10.0) -> Any:
    """Return the first truthy result of `check`, polling while Mend sends what a click caused."""
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        result = check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("the connector never saw the expected call")
        await asyncio.sleep(0.02)


def text_of(call: Call) -> str:
    return json.dumps(call.card)


def titles(call: Call) -> set[str]:
    """Return the titles of every action on a card."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if str(node.get("type", "")).startswith("Action.") and "title" in node:
                found.add(node["title"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(call.card)
    return found


def _count(runtime: Runtime, model: Any) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _settled(runtime: Runtime) -> bool:
    with runtime.sessions() as session:
        busy = select(Delivery.id).where(
            Delivery.status.in_(["pending", "sending"]), Delivery.due_at <= runtime.clock.now()
        )
        return session.scalars(busy).first() is None


async def _open_case(alice: TeamsUser, connector: RecordingConnector, **inputs: str) -> dict[str, Any]:
    """Alice opens a case on card activity-1 and returns the suggestion card."""
    await alice.say("recover")
    submit = find_action(connector.posts(alice.conversation)[0].card, "Get suggestion")
    await alice.submit(submit, "activity-1", **{**CUSTOMER, "description": "Late.", **inputs})
    return connector.puts(alice.conversation, "activity-1")[-1].card


async def _ask_approval(
    endpoint: str, connector: RecordingConnector, runtime: Runtime
) -> tuple[TeamsUser, TeamsUser, dict[str, Any], Call]:
    """Bob installs Mend; alice opens a critical case and asks approval.

    Return alice, bob, alice's case card and the approval card bob was sent.
    """
    alice = TeamsUser(endpoint, connector, "aad-alice", "Alice Park")
    bob = TeamsUser(endpoint, connector, "aad-bob", "Bob Reyes")
    await bob.install()
    suggestion = await _open_case(alice, connector, category="late_delivery", severity="critical")
    assert await alice.submit(find_action(suggestion, "Ask approval"), "activity-1") == 202
    assert "for approval" in text_of(connector.puts(alice.conversation, "activity-1")[-1])
    (approval,) = await eventually(lambda: connector.posts(bob.conversation))
    assert {"Approve", "Deny"} <= titles(approval)
    await eventually(lambda: _settled(runtime))
    return alice, bob, suggestion, approval


# --- 1. cancelling a case withdraws the request on every card --------------------------------


def test_cancelling_a_case_shows_the_request_withdrawn_on_both_cards(runtime):
    asyncio.run(_cancel_withdraws(runtime))


async def _cancel_withdraws(runtime):
    async with teams_server(runtime) as (endpoint, connector):
        alice, bob, suggestion, approval = await _ask_approval(endpoint, connector, runtime)
        # alice presses "Cancel case" on another copy of her case card, and gives the reason
        assert await alice.submit(find_action(suggestion, "Cancel case"), "activity-case") == 202
        form = connector.posts(alice.conversation)[-1]
        assert "mend_cancel_case" in text_of(form)
        cancel = find_action(form.card, "Cancel case")
        assert await alice.submit(cancel, form.answered_id, reason="Opened on the wrong customer") == 202
        assert "cancelled" in text_of(connector.puts(alice.conversation, form.answered_id)[-1])

        # bob's card and alice's "sent for approval" card both say the request was withdrawn
        for conversation, card_id in (
            (bob.conversation, approval.answered_id),
            (alice.conversation, "activity-1"),
        ):
            updates = await eventually(
                lambda c=conversation, i=card_id: [
                    u for u in connector.puts(c, i) if "withdrawn" in text_of(u)
                ]
            )
            assert "cancelled" in text_of(updates[-1])
            assert not {"Approve", "Deny"} & titles(updates[-1])
        with runtime.sessions() as session:
            assert session.scalars(select(ApprovalRequest.status)).one() == "withdrawn"


# --- 3. a double click leaves the first click's result in place ---------------------------------


def test_a_double_click_on_give_leaves_the_given_card_with_its_resolve_button(runtime):
    asyncio.run(_double_give(runtime))


async def _double_give(runtime):
    async with teams_server(runtime) as (endpoint, connector):
        alice = TeamsUser(endpoint, connector, "aad-alice", "Alice Park")
        suggestion = await _open_case(alice, connector, category="long_wait", severity="minor")
        give = find_action(suggestion, "Give")
        before = len(connector.puts(alice.conversation, "activity-1"))
        clicks = [alice.activity(value=give, replyToId="activity-1") for _ in range(3)]
        assert await asyncio.gather(*(alice.post(c) for c in clicks)) == [202, 202, 202]
        shown = connector.puts(alice.conversation, "activity-1")[before:]
        assert len(shown) == 3
        for update in shown:
            assert "given" in text_of(update) and "already" not in text_of(update)
            assert "Resolve" in titles(update)
        assert not [p for p in connector.posts(alice.conversation) if "did not work" in text_of(p)]
        assert _count(runtime, Offer) == 1


def test_a_double_click_on_ask_approval_leaves_the_request_card_in_place(runtime):
    asyncio.run(_double_ask(runtime))


async def _double_ask(runtime):
    async with teams_server(runtime) as (endpoint, connector):
        alice = TeamsUser(endpoint, connector, "aad-alice", "Alice Park")
        bob = TeamsUser(endpoint, connector, "aad-bob", "Bob Reyes")
        await bob.install()
        suggestion = await _open_case(alice, connector, category="late_delivery", severity="critical")
        ask = find_action(suggestion, "Ask approval")
        before = len(connector.puts(alice.conversation, "activity-1"))
        clicks = [alice.activity(value=ask, replyToId="activity-1") for _ in range(2)]
        assert await asyncio.gather(*(alice.post(c) for c in clicks)) == [202, 202]
        shown = connector.puts(alice.conversation, "activity-1")[before:]
        assert len(shown) == 2
        for update in shown:
            assert "for approval" in text_of(update) and "already" not in text_of(update)
            assert "Customer is waiting" in titles(update)
        assert _count(runtime, Offer) == 1 and _count(runtime, ApprovalRequest) == 1
        (approval,) = await eventually(lambda: connector.posts(bob.conversation))
        await eventually(lambda: _settled(runtime))
        # the decision still replaces alice's card
        assert await bob.submit(find_action(approval.card, "Approve"), approval.answered_id) == 202
        await eventually(
            lambda: [
                u
                for u in connector.puts(alice.conversation, "activity-1")
                if "Approved by Bob Reyes" in text_of(u)
            ]
        )


# --- 4. the approver's own repeat clicks show the decision ---------------------------------------


def test_ten_approve_clicks_at_once_by_the_approver_all_show_the_decision(runtime):
    asyncio.run(_ten_approvals(runtime))


async def _ten_approvals(runtime):
    async with teams_server(runtime) as (endpoint, connector):
        alice, bob, _suggestion, approval = await _ask_approval(endpoint, connector, runtime)
        approve = find_action(approval.card, "Approve")
        posts_before = len(connector.posts(bob.conversation))
        clicks = [bob.activity(value=approve, replyToId=approval.answered_id) for _ in range(10)]
        assert await asyncio.gather(*(bob.post(c) for c in clicks)) == [202] * 10
        await eventually(lambda: _settled(runtime))

        assert _count(runtime, ApprovalDecision) == 1
        assert connector.posts(bob.conversation)[posts_before:] == [], "no error cards"
        shown = connector.puts(bob.conversation, approval.answered_id)
        assert len(shown) >= 10
        for update in shown:
            assert "Approved by Bob Reyes" in text_of(update) and "did not work" not in text_of(update)
            assert not {"Approve", "Deny"} & titles(update)

        # someone else is still told who decided
        carol = TeamsUser(endpoint, connector, "aad-carol", "Carol Diaz")
        assert await carol.submit(approve, "activity-elsewhere") == 202
        (told,) = connector.posts(carol.conversation)
        assert "That did not work" in text_of(told) and "Already approved by Bob Reyes" in text_of(told)

        # and so is bob when he now denies what he approved
        assert await bob.submit(find_action(approval.card, "Deny"), approval.answered_id) == 202
        deny_form = connector.posts(bob.conversation)[-1]
        deny = find_action(deny_form.card, "Deny")
        assert await bob.submit(deny, deny_form.answered_id, reason="Changed my mind") == 202
        told = connector.posts(bob.conversation)[-1]
        assert "Already approved by Bob Reyes" in text_of(told)
        assert _count(runtime, ApprovalDecision) == 1
        with runtime.sessions() as session:
            assert session.scalars(select(ApprovalRequest.status)).one() == "approved"
        assert any("Bob Reyes approved" in text_of(p) for p in connector.posts(alice.conversation))
