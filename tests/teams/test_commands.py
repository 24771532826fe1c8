"""Through Teams: help, history, cases, approvals and me in a personal chat, run by the core."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import pytest

from adapters.main import Runtime
from adapters.teams import commands, translate
from bot import staff
from db.session import make_engine, make_sessions
from tests.teams.conftest import STAFF_CSV, TENANT, TeamsUser, find_action, teams_server

CASE = {
    "customer_name": "Jane Customer",
    "customer_email": "jane@example.org",
    "customer_phone": "+1 555 0100",
    "customer_ref": "ORD-123456",
    "category": "late_delivery",
    "severity": "critical",
    "description": "The parcel arrived a week late.",
    "order_value": "400",
    "tier": "standard",
}


@pytest.fixture(params=["sqlite", "postgresql"])
def runtime(request: pytest.FixtureRequest, make_runtime: Any) -> Iterator[Runtime]:
    """Return a Teams runtime with alice -> bob -> carol, on SQLite and on PostgreSQL when configured."""
    rt = make_runtime()
    if request.param == "postgresql":
        template = request.getfixturevalue("postgres_template")
        engine = make_engine(request.getfixturevalue("postgres").create(template=template))
        rt = dataclasses.replace(rt, engine=engine, sessions=make_sessions(engine))
    with rt.sessions() as session:
        staff.import_staff(STAFF_CSV, session=session, policy=rt.policy, clock=rt.clock)
    yield rt
    if request.param == "postgresql":
        rt.engine.dispose()


def test_every_chat_word_but_recover_runs_a_use_case():
    assert set(commands.CHAT_USES) == set(translate.Word) - {translate.Word.RECOVER}


def test_help_lists_every_command_in_teams_words(runtime):
    async def scenario():
        async with teams_server(runtime) as (endpoint, connector):
            alice = TeamsUser(endpoint, connector, "aad-alice", "Alice Park")
            assert await alice.say("help") == 202
            shown = read(connector, alice)
            assert "How to use Mend" in shown
            for words in ("recover [what happened]", "history CUSTOMER", "cases", "approvals", "me"):
                assert words in shown, words
            assert "/recover" not in shown and "Home tab" not in shown

    asyncio.run(scenario())


def test_other_text_in_a_personal_chat_gets_a_short_help_not_silence(runtime):
    async def scenario():
        async with teams_server(runtime) as (endpoint, connector):
            alice = TeamsUser(endpoint, connector, "aad-alice", "Alice Park")
            assert await alice.say("hello there") == 202
            shown = read(connector, alice)
            assert "Mend did not understand that" in shown
            assert "history CUSTOMER, cases, approvals, me, report, tasks, practice, help" in shown

    asyncio.run(scenario())


def test_me_tells_the_person_their_role_manager_and_authority(runtime):
    async def scenario():
        async with teams_server(runtime) as (endpoint, connector):
            alice = TeamsUser(endpoint, connector, "aad-alice", "Alice Park")
            assert await alice.say("me") == 202
            shown = read(connector, alice)
            assert "Alice Park" in shown
            assert "Bob Reyes" in shown  # her manager
            assert "Your authority" in shown

    asyncio.run(scenario())


def test_cases_and_approvals_show_open_cases_and_what_waits_on_the_approver(runtime):
    async def scenario():
        async with teams_server(runtime) as (endpoint, connector):
            alice, bob = await over_limit_case(endpoint, connector)

            assert await alice.say("cases") == 202
            shown = read(connector, alice)
            assert "1 open case, 0 approvals waiting on you" in shown
            assert "Jane Customer" in shown and "Your authority" in shown

            for word in ("approvals", "<at>Mend</at> cases"):
                assert await bob.say(word) == 202
                shown = read(connector, bob)
                assert "0 open cases, 1 approval waiting on you" in shown, word
                card = connector.posts(bob.conversation)[-1].card
                find_action(card, "Review")

    asyncio.run(scenario())


def test_history_shows_a_customers_earlier_cases_and_asks_for_a_customer_without_one(runtime):
    async def scenario():
        async with teams_server(runtime) as (endpoint, connector):
            alice, _bob = await over_limit_case(endpoint, connector)

            assert await alice.say("history jane@example.org") == 202
            shown = read(connector, alice)
            assert "jane@example.org" in shown and "R-" in shown

            assert await alice.say("history") == 202
            error = read(connector, alice)
            assert "R-" not in error
            assert "customer" in error.lower()

    asyncio.run(scenario())


def test_a_channel_message_other_than_recover_is_still_ignored(runtime):
    async def scenario():
        async with teams_server(runtime) as (endpoint, connector):
            alice = TeamsUser(endpoint, connector, "aad-alice", "Alice Park")
            channel = {"id": "19:general@thread.tacv2", "conversationType": "channel", "tenantId": TENANT}
            for text in ("<at>Mend</at> cases", "<at>Mend</at> hello", "lunch?"):
                assert await alice.post(alice.activity(text=text, conversation=channel)) == 202
            assert connector.calls == []
            assert await alice.post(alice.activity(text="<at>Mend</at> recover", conversation=channel)) == 202
            assert "Make it right" in json.dumps(connector.posts(channel["id"])[-1].card)

    asyncio.run(scenario())


async def over_limit_case(endpoint: str, connector: Any) -> tuple[TeamsUser, TeamsUser]:
    """Have alice open a case over her limit, so that it waits on bob's approval."""
    alice = TeamsUser(endpoint, connector, "aad-alice", "Alice Park")
    bob = TeamsUser(endpoint, connector, "aad-bob", "Bob Reyes")
    assert await bob.install() == 202
    assert await alice.say("recover late parcel") == 202
    form = connector.posts(alice.conversation)[-1].card
    assert await alice.submit(find_action(form, "Get suggestion"), "activity-1", **CASE) == 202
    suggestion = connector.puts(alice.conversation, "activity-1")[-1].card
    assert await alice.submit(find_action(suggestion, "Ask approval"), "activity-1") == 202
    assert connector.posts(bob.conversation)  # the approval card reached bob
    return alice, bob


def read(connector: Any, user: TeamsUser) -> str:
    """Return every text of the card last sent to a person, as they read it."""
    card = connector.posts(user.conversation)[-1].card
    return "\n".join(_texts(card))


def _texts(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("text", "title", "value") and isinstance(value, str):
                yield value
            else:
                yield from _texts(value)
    elif isinstance(node, list):
        for value in node:
            yield from _texts(value)
