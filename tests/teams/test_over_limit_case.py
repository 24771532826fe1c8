"""A whole over-limit case over the Bot Framework protocol, from `recover` to the lesson in the channel."""

from __future__ import annotations

import asyncio
import json
import time

from sqlalchemy import select

from db.models import Case, Delivery, Offer, StaffIdentity
from tests.teams.conftest import LESSONS_CHANNEL, TeamsUser, find_action, shown_inputs, teams_server

CUSTOMER = {
    "customer_name": "Jane Customer",
    "customer_email": "jane@example.org",
    "customer_phone": "+1 555 0100",
    "customer_ref": "ORD-123456",
}


def test_an_over_limit_case_runs_from_recover_to_the_lesson(runtime):
    asyncio.run(_over_limit_case(runtime))


async def _over_limit_case(runtime):
    async with teams_server(runtime) as (endpoint, connector):
        alice = TeamsUser(endpoint, connector, "aad-alice", "Alice Park")
        bob = TeamsUser(endpoint, connector, "aad-bob", "Bob Reyes")
        assert await bob.install() == 202  # bob's chat reference is captured on install

        # recover -> the case form, prefilled from the text
        assert await alice.say("recover late parcel $80") == 202
        (form_call,) = alice_posts = connector.posts(alice.conversation)
        form_id = "activity-1"
        assert "Make it right" in json.dumps(form_call.card)
        assert form_call.body["replyToId"].startswith("in-")
        submit = find_action(form_call.card, "Get suggestion")

        # a missing field: the form comes back in place with the error under that field
        assert await alice.submit(submit, form_id, category="late_delivery", severity="critical") == 202
        (error_put,) = connector.puts(alice.conversation, form_id)
        body = error_put.card["body"]
        name_at = next(i for i, e in enumerate(body) if e.get("id") == "customer_name")
        assert body[name_at + 1]["inlines"][0]["color"] == "Attention"

        # the full form: the suggestion replaces the form
        inputs = {
            **CUSTOMER,
            "category": "late_delivery",
            "severity": "critical",
            "description": "The parcel for Jane Customer arrived a week late, ORD-123456.",
            "order_value": "400",
            "tier": "standard",
        }
        assert await alice.submit(submit, form_id, **inputs) == 202
        suggestion = connector.puts(alice.conversation, form_id)[-1].card
        assert "Say this" in json.dumps(suggestion)
        ask = find_action(suggestion, "Ask approval")

        # ask approval: alice's card says so in place, bob gets the approval card proactively
        assert await alice.submit(ask, form_id) == 202
        assert "for approval" in json.dumps(connector.puts(alice.conversation, form_id)[-1].card)
        (approval_call,) = connector.posts(bob.conversation)
        assert approval_call.path == f"/v3/conversations/{bob.conversation}/activities"
        assert "replyToId" not in approval_call.body or not approval_call.body["replyToId"]
        approve = find_action(approval_call.card, "Approve")
        find_action(approval_call.card, "Deny")
        bob_card_id = "activity-2"

        # bob approves: both cards are updated in place, alice is told
        assert await bob.submit(approve, bob_card_id) == 202
        bob_updates = connector.puts(bob.conversation, bob_card_id)
        assert bob_updates and "approved" in json.dumps(bob_updates[-1].card)
        assert "Approve" not in [a.get("title") for a in bob_updates[-1].card.get("actions", [])]
        alice_update = connector.puts(alice.conversation, form_id)[-1].card
        assert "Approved by Bob Reyes" in json.dumps(alice_update)
        told = connector.posts(alice.conversation)[len(alice_posts) :]
        assert any("Bob Reyes approved" in json.dumps(c.card) for c in told)

        # resolve: the form comes as a new card, its submission resolves the case
        decided = next(c for c in told if "Bob Reyes approved" in json.dumps(c.card))
        decided_id = "activity-3"
        assert await alice.submit(find_action(decided.card, "Resolve"), decided_id) == 202
        resolve_form = connector.posts(alice.conversation)[-1]
        assert "Resolve R-" in json.dumps(resolve_form.card)
        resolve = find_action(resolve_form.card, "Preview lesson")
        lesson_text = {
            "outcome": "Express replacement sent; Jane Customer was happy.",
            "root_cause": "The courier missed the cut-off.",
            "lesson": "Check the courier cut-off before promising a date.",
        }
        assert await alice.submit(resolve, "activity-9", **lesson_text) == 202
        # the lesson comes back exactly as the team will read it; posting it as shown resolves the case
        preview = connector.posts(alice.conversation)[-1].card
        shown = shown_inputs(preview)
        assert "Jane" not in json.dumps(shown) and "[customer]" in shown["outcome"]
        assert await alice.submit(find_action(preview, "Post lesson"), "activity-10", **shown) == 202

        # the lesson reaches the Teams channel without the customer's personal data
        (lesson,) = connector.posts(LESSONS_CHANNEL)
        sent = json.dumps(lesson.body)
        assert "courier cut-off" in sent
        for private in ("Jane", "jane@example.org", "555 0100", "ORD-123456"):
            assert private not in sent

    with runtime.sessions() as session:
        case = session.scalars(select(Case)).one()
        assert case.status == "resolved"
        bob_identity = session.scalars(select(StaffIdentity).where(StaffIdentity.user_id == "aad-bob")).one()
        assert bob_identity.address["conversation"]["id"] == bob.conversation


def test_a_repeated_submission_opens_one_case(runtime):
    asyncio.run(_repeated_submission(runtime))


async def _repeated_submission(runtime):
    async with teams_server(runtime) as (endpoint, connector):
        alice = TeamsUser(endpoint, connector, "aad-alice", "Alice Park")
        await alice.say("recover")
        submit = find_action(connector.posts(alice.conversation)[0].card, "Get suggestion")
        activity = alice.activity(
            value={
                **submit,
                **CUSTOMER,
                "category": "long_wait",
                "severity": "minor",
                "description": "Waited 40 minutes at the desk.",
            },
            replyToId="activity-1",
        )
        assert await alice.post(activity) == 202
        assert await alice.post(activity) == 202  # Teams retried the same activity
    with runtime.sessions() as session:
        assert len(session.scalars(select(Case)).all()) == 1


async def _ask_approval(endpoint, connector):
    """Bob installs Mend; Alice opens a critical case (card activity-1) and asks approval."""
    alice = TeamsUser(endpoint, connector, "aad-alice", "Alice Park")
    bob = TeamsUser(endpoint, connector, "aad-bob", "Bob Reyes")
    await bob.install()
    await alice.say("recover")
    submit = find_action(connector.posts(alice.conversation)[0].card, "Get suggestion")
    inputs = {**CUSTOMER, "category": "late_delivery", "severity": "critical", "description": "Late."}
    await alice.submit(submit, "activity-1", **inputs)
    await alice.submit(
        find_action(connector.puts(alice.conversation, "activity-1")[-1].card, "Ask approval"),
        "activity-1",
    )
    return alice, bob


def test_a_denial_without_a_reason_is_shown_on_the_deny_card_and_with_one_updates_both_cards(runtime):
    asyncio.run(_denial(runtime))


async def _denial(runtime):
    async with teams_server(runtime) as (endpoint, connector):
        alice, bob = await _ask_approval(endpoint, connector)
        (approval,) = connector.posts(bob.conversation)
        await bob.submit(find_action(approval.card, "Deny"), "activity-2")
        deny_form = connector.posts(bob.conversation)[-1]
        assert "Deny request" in json.dumps(deny_form.card)
        deny = find_action(deny_form.card, "Deny")

        await bob.submit(deny, "activity-3", reason="  ")
        error_card = connector.puts(bob.conversation, "activity-3")[-1].card
        reason_at = next(i for i, e in enumerate(error_card["body"]) if e.get("id") == "reason")
        assert any(
            run.get("color") == "Attention"
            for e in error_card["body"][reason_at + 1 : reason_at + 3]
            for run in e.get("inlines", ())
        )

        await bob.submit(deny, "activity-3", reason="Offer the express replacement within your limit.")
        assert "denied" in json.dumps(connector.puts(bob.conversation, "activity-3")[-1].card)
        assert "denied" in json.dumps(connector.puts(bob.conversation, "activity-2")[-1].card)
        assert "Denied by Bob Reyes" in json.dumps(connector.puts(alice.conversation, "activity-1")[-1].card)


def test_a_mention_in_a_channel_answers_there_and_is_not_kept_as_the_persons_address(runtime):
    asyncio.run(_channel_mention(runtime))


async def _channel_mention(runtime):
    async with teams_server(runtime) as (endpoint, connector):
        alice = TeamsUser(endpoint, connector, "aad-alice", "Alice Park")
        channel = "19:general@thread.tacv2;messageid=42"
        activity = alice.activity(
            text="<at>Mend</at> recover broken kettle",
            entities=[
                {
                    "type": "mention",
                    "mentioned": {"id": "28:mend-bot", "name": "Mend"},
                    "text": "<at>Mend</at>",
                }
            ],
            conversation={
                "id": channel,
                "conversationType": "channel",
                "isGroup": True,
                "tenantId": "tenant-1",
            },
        )
        assert await alice.post(activity) == 202
        (form,) = connector.posts(channel)
        assert '"value": "defective_product"' in json.dumps(form.card)
        assert _address(runtime, "aad-alice") is None
        await alice.say("recover")  # first contact in the personal chat
    assert _address(runtime, "aad-alice")["conversation"]["id"] == alice.conversation


def _address(runtime, user_id):
    with runtime.sessions() as session:
        return session.scalars(select(StaffIdentity).where(StaffIdentity.user_id == user_id)).one().address


def test_an_approver_mend_cannot_reach_yet_leaves_a_failed_delivery_that_says_why(runtime):
    asyncio.run(_unreachable_approver(runtime))
    with runtime.sessions() as session:
        requests = session.scalars(select(Delivery).where(Delivery.kind == "approval_request")).all()
        # alice's own "sent for approval" card is recorded as sent, bob's card could not go
        assert sorted(d.status for d in requests) == ["failed", "sent"]
        delivery = next(d for d in requests if d.status == "failed")
        assert "Bob Reyes has no Teams conversation with Mend yet" in delivery.last_error


async def _unreachable_approver(runtime):
    async with teams_server(runtime) as (endpoint, connector):
        alice = TeamsUser(endpoint, connector, "aad-alice", "Alice Park")
        await alice.say("recover")
        submit = find_action(connector.posts(alice.conversation)[0].card, "Get suggestion")
        inputs = {**CUSTOMER, "category": "late_delivery", "severity": "critical", "description": "Late."}
        await alice.submit(submit, "activity-1", **inputs)
        suggestion = connector.puts(alice.conversation, "activity-1")[-1].card
        assert await alice.submit(find_action(suggestion, "Ask approval"), "activity-1") == 202
        assert "for approval" in json.dumps(connector.puts(alice.conversation, "activity-1")[-1].card)


APPROVALS_CHANNEL = "19:approvals@thread.tacv2"


def test_with_an_approvals_channel_the_request_card_goes_there_and_is_decided_there(runtime):
    approvals = runtime.policy.approvals.model_copy(update={"teams_channel": APPROVALS_CHANNEL})
    runtime.policy = runtime.policy.model_copy(update={"approvals": approvals})
    asyncio.run(_approvals_channel(runtime))


async def _approvals_channel(runtime):
    async with teams_server(runtime) as (endpoint, connector):
        alice, bob = await _ask_approval(endpoint, connector)
        (request,) = connector.posts(APPROVALS_CHANNEL)
        assert connector.posts(bob.conversation) == []
        in_channel = {
            "id": APPROVALS_CHANNEL,
            "conversationType": "channel",
            "isGroup": True,
            "tenantId": "tenant-1",
        }
        press = bob.activity(
            value=find_action(request.card, "Approve"), replyToId=request.answered_id, conversation=in_channel
        )
        assert await bob.post(press) == 202
        assert request.answered_id is not None
        assert "approved" in json.dumps(connector.puts(APPROVALS_CHANNEL, request.answered_id)[-1].card)
        assert "Approved by Bob Reyes" in json.dumps(
            connector.puts(alice.conversation, "activity-1")[-1].card
        )


def test_a_double_click_on_give_makes_one_offer(runtime):
    asyncio.run(_double_click(runtime))


async def _double_click(runtime):
    async with teams_server(runtime) as (endpoint, connector):
        alice = TeamsUser(endpoint, connector, "aad-alice", "Alice Park")
        await alice.say("recover")
        submit = find_action(connector.posts(alice.conversation)[0].card, "Get suggestion")
        inputs = {**CUSTOMER, "category": "long_wait", "severity": "minor", "description": "Waited an hour."}
        await alice.submit(submit, "activity-1", **inputs)
        give = find_action(connector.puts(alice.conversation, "activity-1")[-1].card, "Give")
        # two clicks arrive as two activities with their own ids, on the same card
        first, second = (
            alice.activity(value=give, replyToId="activity-1"),
            alice.activity(value=give, replyToId="activity-1"),
        )
        assert first["id"] != second["id"]
        assert await asyncio.gather(alice.post(first), alice.post(second)) == [202, 202]
    with runtime.sessions() as session:
        assert len(session.scalars(select(Offer)).all()) == 1


def test_a_slow_approver_chat_does_not_hold_the_employees_click(runtime):
    asyncio.run(_slow_connector(runtime))


async def _slow_connector(runtime):
    async with teams_server(runtime) as (endpoint, connector):
        connector.slow["a:chat-aad-bob"] = 6.0
        started = time.monotonic()
        alice, bob = await _ask_approval(endpoint, connector)
        # the click is answered after the bounded wait, not after the slow send
        assert time.monotonic() - started < 5.0
        assert "for approval" in json.dumps(connector.puts(alice.conversation, "activity-1")[-1].card)
        for _ in range(200):  # the approval card still arrives, in the background
            if connector.posts(bob.conversation):
                break
            await asyncio.sleep(0.05)
        (approval,) = connector.posts(bob.conversation)
        find_action(approval.card, "Approve")
