"""A whole over-limit case through Slack, from /recover to the lesson in the channel."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import func, select

from db.models import ApprovalDecision, Case, Offer
from tests.slack.conftest import (
    LESSONS,
    SlackUser,
    load_staff,
    shown_inputs,
    slack_server,
    updated_view,
    wait_for,
)

CUSTOMER = {
    "customer_name": "Jane Customer",
    "customer_email": "jane@example.org",
    "customer_phone": "+1 555 0100",
    "customer_ref": "ORD-123456",
}
CASE = {
    **CUSTOMER,
    "category": "late_delivery",
    "severity": "critical",
    "description": "The parcel for Jane Customer arrived a week late, ORD-123456.",
    "order_value": "400",
    "tier": "standard",
}


def test_an_over_limit_case_runs_from_recover_to_the_lesson(make_runtime):
    asyncio.run(_over_limit_case(make_runtime))


async def _over_limit_case(make_runtime):
    async with slack_server(make_runtime) as (endpoint, api, runtime):
        load_staff(runtime)
        alice = SlackUser(endpoint, api, "UALICE", "alice")
        carol = SlackUser(endpoint, api, "UCAROL", "carol")

        # /recover acks at once and opens the case modal, prefilled from the text
        assert await alice.recover("late parcel $80") == (200, "")
        (opened,) = await wait_for(lambda: api.of("views.open"))
        assert opened.args["trigger_id"].startswith("trigger-UALICE")
        assert opened.args["view"]["callback_id"] == "mend_open_case"
        assert '"initial_value": "80"' in opened.text
        view = opened.answer["view"]

        # a missing name comes back inline on its field, and nothing is stored
        status, body = await alice.submit(view, **{**CASE, "customer_name": ""})
        assert status == 200
        answer = json.loads(body)
        assert answer["response_action"] == "errors" and "customer_name" in answer["errors"]
        with runtime.sessions() as session:
            assert session.scalar(select(func.count()).select_from(Case)) == 0

        # the full form: the modal closes, the suggestion arrives as a DM
        assert await alice.submit(view, **CASE) == (200, "")
        (suggestion,) = await wait_for(lambda: api.of("chat.postMessage", channel="UALICE"))
        assert "Say this" in suggestion.text
        assert {"Ask approval", "Other amount", "Resolve"} <= set(suggestion.buttons())

        # alice asks for approval: her message says so in place, carol gets a DM with the decision buttons
        assert await alice.click(suggestion, "Ask approval") == (200, "")
        await wait_for(lambda: api.of("chat.update", channel=suggestion.where[0]))
        assert "for approval" in api.of("chat.update", channel=suggestion.where[0])[-1].text
        (request,) = await wait_for(lambda: api.of("chat.postMessage", channel="UCAROL"))
        assert {"Approve", "Deny"} <= set(request.buttons())
        assert "Alice Park" in request.text

        # carol approves: both messages are updated to show who decided, alice is told
        assert await carol.click(request, "Approve") == (200, "")
        await wait_for(
            lambda: any(
                "Approved by Carol Diaz" in c.text for c in api.of("chat.update", ts=suggestion.where[1])
            )
        )
        bob_updates = await wait_for(lambda: api.of("chat.update", ts=request.where[1]))
        assert "approved" in bob_updates[-1].text.lower()
        assert "Approve" not in bob_updates[-1].buttons()
        told = await wait_for(
            lambda: [
                c for c in api.of("chat.postMessage", channel="UALICE") if "Carol Diaz approved" in c.text
            ]
        )

        # a second click on Approve changes nothing: carol's card shows her decision again
        shown_before = len(api.of("chat.update", ts=request.where[1]))
        await carol.click(request, "Approve")
        again = await wait_for(lambda: api.of("chat.update", ts=request.where[1])[shown_before:])
        assert "Approved by Carol Diaz" in again[-1].text and "Approve" not in again[-1].buttons()
        assert not [c for c in api.of("response_url") if "did not work" in c.text]

        # resolve: a modal, then the lesson goes to the channel without the customer's details
        await alice.click(told[-1], "Resolve")
        (resolve_modal,) = await wait_for(
            lambda: [c for c in api.of("views.open") if "mend_resolve_case" in c.text]
        )
        lesson_text = {
            "outcome": "Refunded shipping and sent a voucher",
            "root_cause": "The courier cut-off moved without notice",
            "lesson": "Check the courier cut-off each Monday",
        }
        status, answer = await alice.submit(resolve_modal.answer["view"], **lesson_text)
        # the lesson is shown exactly as the team will read it; posting it as shown resolves the case
        preview = updated_view(answer)
        assert status == 200 and "Post lesson" in json.dumps(preview)
        assert await alice.submit(preview, **shown_inputs(preview)) == (200, "")
        (lesson,) = await wait_for(lambda: api.of("chat.postMessage", channel=LESSONS))
        assert "courier cut-off" in lesson.text
        for private in ("Jane", "jane@example.org", "555 0100", "0100", "ORD-123456"):
            assert private not in lesson.text

        with runtime.sessions() as session:
            (case,) = session.scalars(select(Case)).all()
            assert case.status == "resolved"
            assert session.scalar(select(func.count()).select_from(ApprovalDecision)) == 1
            assert session.scalar(select(func.count()).select_from(Offer)) == 1
