"""Every copy of a card tells the truth: cancellations, App Home reviews, double clicks, repeat decisions."""

from __future__ import annotations

import asyncio
import itertools
import json
import urllib.parse

from sqlalchemy import func, select

from db.models import ApprovalDecision, ApprovalRequest, Delivery, Offer
from tests.slack.conftest import SlackUser, load_staff, slack_server, wait_for
from tests.slack.test_over_limit_case import CASE
from tests.slack.webapi import Call, SlackWebApi

_home_clicks = itertools.count(1)


def home_click_body(user: SlackUser, home: Call, label: str) -> str:
    """Return the body of a click on a button of the App Home tab Mend published (a view, not a message)."""
    button = home.buttons()[label]
    view = home.answer["view"]
    n = next(_home_clicks)
    payload = {
        "type": "block_actions",
        "team": {"id": user.team, "domain": "acme"},
        "user": user.user,
        "api_app_id": "AMEND",
        "token": "legacy",
        "container": {"type": "view", "view_id": view["id"]},
        "trigger_id": f"trigger-{user.user_id}-home-{n}",
        "view": view,
        "actions": [
            {
                "action_id": button["action_id"],
                "block_id": "b",
                "value": button.get("value", ""),
                "type": "button",
                "action_ts": f"1763900300.{n:06d}",
            }
        ],
    }
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


async def open_home(user: SlackUser, api: SlackWebApi) -> Call:
    """Open the person's Home tab and return what Mend published there."""
    before = len(api.of("views.publish", user_id=user.user_id))
    assert (await user.open_home())[0] == 200
    published = await wait_for(lambda: api.of("views.publish", user_id=user.user_id)[before:] or None)
    return published[-1]


def _count(runtime, model) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _settled(runtime) -> bool:
    """Say whether nothing due is left in the outbox (sent, skipped or waiting for later)."""
    with runtime.sessions() as session:
        busy = select(Delivery.id).where(
            Delivery.status.in_(["pending", "sending"]), Delivery.due_at <= runtime.clock.now()
        )
        return session.scalars(busy).first() is None


def _updates(api: SlackWebApi, message: Call) -> list[Call]:
    return api.of("chat.update", ts=message.where[1])


async def _ask_approval(endpoint: str, api: SlackWebApi, runtime) -> tuple[SlackUser, SlackUser, Call, Call]:
    """Alice opens the standard case and asks approval; return alice, carol, her message, carol's card."""
    load_staff(runtime)
    alice = SlackUser(endpoint, api, "UALICE", "alice")
    carol = SlackUser(endpoint, api, "UCAROL", "carol")
    await alice.recover("")
    (opened,) = await wait_for(lambda: api.of("views.open"))
    await alice.submit(opened.answer["view"], **CASE)
    (suggestion,) = await wait_for(lambda: api.of("chat.postMessage", channel="UALICE"))
    assert await alice.click(suggestion, "Ask approval") == (200, "")
    await wait_for(lambda: any("for approval" in c.text for c in _updates(api, suggestion)))
    (request,) = await wait_for(lambda: api.of("chat.postMessage", channel="UCAROL"))
    assert {"Approve", "Deny"} <= set(request.buttons())
    await wait_for(lambda: _settled(runtime))
    return alice, carol, suggestion, request


# --- 1. cancelling a case withdraws the request on every card --------------------------------


def test_cancelling_a_case_shows_the_request_withdrawn_on_every_card(make_runtime):
    asyncio.run(_cancel_withdraws(make_runtime))


async def _cancel_withdraws(make_runtime):
    async with slack_server(make_runtime) as (endpoint, api, runtime):
        alice, carol, suggestion, request = await _ask_approval(endpoint, api, runtime)
        # carol also opened the request from her Home tab: a second copy of the card
        home = await open_home(carol, api)
        await carol.post(home_click_body(carol, home, "Review"))
        review = await wait_for(
            lambda: [c for c in api.of("chat.postMessage", channel="UCAROL") if c.where != request.where]
        )
        assert {"Approve", "Deny"} <= set(review[0].buttons())

        # alice opens the case from her Home tab and cancels it
        alice_home = await open_home(alice, api)
        await alice.post(home_click_body(alice, alice_home, "Open"))
        case_card = (
            await wait_for(
                lambda: [
                    c for c in api.of("chat.postMessage", channel="UALICE") if "Cancel case" in c.buttons()
                ]
            )
        )[-1]
        assert await alice.click(case_card, "Cancel case") == (200, "")
        (form,) = await wait_for(lambda: [c for c in api.of("views.open") if "mend_cancel_case" in c.text])
        assert await alice.submit(form.answer["view"], reason="Opened on the wrong customer") == (200, "")
        await wait_for(lambda: any("cancelled" in c.text for c in _updates(api, case_card)))

        # both of carol's copies and alice's "sent for approval" message say it was withdrawn
        for message in (request, review[0], suggestion):
            updates = await wait_for(
                lambda message=message: [c for c in _updates(api, message) if "withdrawn" in c.text]
            )
            assert "cancelled" in updates[-1].text
            assert not {"Approve", "Deny"} & set(updates[-1].buttons())
        with runtime.sessions() as session:
            assert session.scalars(select(ApprovalRequest.status)).one() == "withdrawn"


# --- 2. a copy opened from App Home follows the decision ----------------------------------------


def test_a_request_reviewed_from_app_home_shows_the_decision_made_on_the_original(make_runtime):
    asyncio.run(_review_copy(make_runtime))


async def _review_copy(make_runtime):
    async with slack_server(make_runtime) as (endpoint, api, runtime):
        _alice, carol, _suggestion, request = await _ask_approval(endpoint, api, runtime)
        home = await open_home(carol, api)
        assert "1 approval waiting on you" in home.text
        assert await carol.post(home_click_body(carol, home, "Review")) == (200, "")
        # the Home tab is a view, not a message: the card comes as a new message in her DM
        (review,) = await wait_for(
            lambda: [c for c in api.of("chat.postMessage", channel="UCAROL") if c.where != request.where]
        )
        assert {"Approve", "Deny"} <= set(review.buttons())
        assert not api.of("chat.update", ts=home.answer["view"]["id"])

        # carol decides on the original card: the copy she opened from Home follows
        assert await carol.click(request, "Approve") == (200, "")
        updates = await wait_for(
            lambda: [c for c in _updates(api, review) if "Approved by Carol Diaz" in c.text]
        )
        assert not {"Approve", "Deny"} & set(updates[-1].buttons())

        # the Home tab is published anew when she opens it: nothing waits on her any more
        home = await open_home(carol, api)
        assert "0 approvals waiting on you" in home.text and "Review" not in home.buttons()


def test_a_decision_made_on_the_app_home_copy_updates_the_original(make_runtime):
    asyncio.run(_decide_on_review(make_runtime))


async def _decide_on_review(make_runtime):
    async with slack_server(make_runtime) as (endpoint, api, runtime):
        _alice, carol, suggestion, request = await _ask_approval(endpoint, api, runtime)
        home = await open_home(carol, api)
        await carol.post(home_click_body(carol, home, "Review"))
        (review,) = await wait_for(
            lambda: [c for c in api.of("chat.postMessage", channel="UCAROL") if c.where != request.where]
        )
        assert await carol.click(review, "Approve") == (200, "")
        for message in (review, request, suggestion):
            await wait_for(
                lambda message=message: [
                    c for c in _updates(api, message) if "Approved by Carol Diaz" in c.text
                ]
            )
        assert _count(runtime, ApprovalDecision) == 1


# --- 3. a double click leaves the first click's result in place ---------------------------------


def test_a_double_click_on_give_leaves_the_given_card_with_its_resolve_button(make_runtime):
    asyncio.run(_double_give(make_runtime))


async def _double_give(make_runtime):
    async with slack_server(make_runtime) as (endpoint, api, runtime):
        load_staff(runtime)
        alice = SlackUser(endpoint, api, "UALICE", "alice")
        await alice.recover("")
        (opened,) = await wait_for(lambda: api.of("views.open"))
        await alice.submit(opened.answer["view"], **{**CASE, "severity": "minor", "order_value": "20"})
        (suggestion,) = await wait_for(lambda: api.of("chat.postMessage", channel="UALICE"))
        give = next(
            label for label, b in suggestion.buttons().items() if b["action_id"] == "mend_give_option"
        )
        body = alice.click_body(suggestion, give)
        await asyncio.gather(alice.post(body), alice.post(body))
        await alice.post(body)
        updates = await wait_for(
            lambda: _updates(api, suggestion) if len(_updates(api, suggestion)) >= 3 else None
        )
        for update in updates:
            assert "given" in update.text and "already" not in update.text
            assert "Resolve" in update.buttons()
        assert _count(runtime, Offer) == 1
        assert not [c for c in api.of("response_url") if "did not work" in c.text]


def test_a_double_click_on_ask_approval_leaves_the_request_card_in_place(make_runtime):
    asyncio.run(_double_ask(make_runtime))


async def _double_ask(make_runtime):
    async with slack_server(make_runtime) as (endpoint, api, runtime):
        alice, carol, suggestion, request = await _ask_approval(endpoint, api, runtime)
        # the same click again (the same message and button): nothing new, the same card
        assert await alice.click(suggestion, "Ask approval") == (200, "")
        updates = await wait_for(
            lambda: _updates(api, suggestion) if len(_updates(api, suggestion)) >= 2 else None
        )
        assert "for approval" in updates[-1].text and "already" not in updates[-1].text
        assert "Customer is waiting" in updates[-1].buttons()
        assert _count(runtime, Offer) == 1 and _count(runtime, ApprovalRequest) == 1
        await wait_for(lambda: _settled(runtime))
        # the decision still reaches alice's message
        await carol.click(request, "Approve")
        await wait_for(lambda: [c for c in _updates(api, suggestion) if "Approved by Carol Diaz" in c.text])


# --- 4. the approver's own repeat clicks show the decision ---------------------------------------


def test_repeated_approve_clicks_by_the_approver_all_show_the_decision(make_runtime):
    asyncio.run(_repeat_approve(make_runtime))


async def _repeat_approve(make_runtime):
    async with slack_server(make_runtime) as (endpoint, api, runtime):
        _alice, carol, _suggestion, request = await _ask_approval(endpoint, api, runtime)
        bodies = [carol.click_body(request, "Approve") for _ in range(10)]
        assert await asyncio.gather(*(carol.post(b) for b in bodies)) == [(200, "")] * 10
        shown = await wait_for(lambda: _updates(api, request) if len(_updates(api, request)) >= 10 else None)
        await wait_for(lambda: _settled(runtime))
        for update in shown:
            assert "approved" in update.text.lower() and "Approve" not in update.buttons()
        assert not [c for c in api.of("response_url") if "did not work" in c.text]
        assert not [c for c in api.of("chat.postMessage", channel="UCAROL") if "did not work" in c.text]
        assert _count(runtime, ApprovalDecision) == 1


# --- 5. /recover whose form cannot open ---------------------------------------------------------


def test_recover_whose_form_cannot_open_says_so_and_how_to_try_again(make_runtime):
    async def run():
        async with slack_server(make_runtime) as (endpoint, api, runtime):
            load_staff(runtime)
            api.fail["views.open"] = "expired_trigger_id"
            alice = SlackUser(endpoint, api, "UALICE", "alice")
            assert (await alice.recover("late"))[0] == 200
            (told,) = await wait_for(lambda: api.of("response_url"))
            assert told.args["response_type"] == "ephemeral"
            assert "could not open the form" in told.text and "expired_trigger_id" in told.text
            assert "/recover again" in told.text
            assert "invite" not in told.text.lower()

    asyncio.run(run())
