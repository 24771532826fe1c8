"""Through Teams: a lesson typed with personal data and markdown is previewed, edited and posted clean."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import select

from db.models import Case
from tests.teams.conftest import LESSONS_CHANNEL, TeamsUser, find_action, shown_inputs, teams_server

CASE = {
    "customer_name": "Will Park",
    "customer_email": "will.park@example.com",
    "customer_phone": "+1 212 555 0199",
    "customer_ref": "LOY-49679068",
    "category": "late_delivery",
    "severity": "minor",
    "description": "Will Park (loyalty LOY-49679068) waited at Calle de Alcalá 48, 28014 Madrid.",
    "tier": "standard",
}
NOTES = {
    "outcome": "We will refund 555 dollars; card 4111 1111 1111 1111 was charged twice.",
    "root_cause": "Shift rota [the rota](https://evil.example) had nobody on <at>Bob</at>.",
    "lesson": "Confirm the rota every morning.",
}


def test_the_resolver_sees_edits_and_posts_a_lesson_free_of_personal_data_and_markdown(runtime):
    asyncio.run(_lesson(runtime))


async def _lesson(runtime):
    async with teams_server(runtime) as (endpoint, connector):
        alice = TeamsUser(endpoint, connector, "aad-alice", "Alice Park")
        assert await alice.say("recover") == 202
        form = latest(connector, alice)
        assert await alice.submit(find_action(form, "Get suggestion"), "activity-1", **CASE) == 202
        card = latest(connector, alice)
        assert await alice.submit(find_action(card, "Resolve"), "activity-2") == 202
        resolve = latest(connector, alice)
        assert await alice.submit(find_action(resolve, "Preview lesson"), "activity-3", **NOTES) == 202

        preview = latest(connector, alice)
        shown = shown_inputs(preview)
        assert shown["what_happened"] == "[customer] (loyalty [order ref]) waited at [address]."
        assert shown["outcome"] == "We will refund 555 dollars; card [card] was charged twice."
        assert connector.posts(LESSONS_CHANNEL) == []

        edited = {
            **shown,
            "lesson": "Confirm the rota every morning; call Will Park on 212 555 0199 if late.",
        }
        assert await alice.submit(find_action(preview, "Post lesson"), "activity-4", **edited) == 202
        again = latest(connector, alice)
        assert (
            shown_inputs(again)["lesson"]
            == "Confirm the rota every morning; call [customer] on [phone] if late."
        )
        with runtime.sessions() as session:
            assert session.scalars(select(Case.status)).one() == "open"

        assert (
            await alice.submit(find_action(again, "Post lesson"), "activity-5", **shown_inputs(again)) == 202
        )
        (lesson,) = connector.posts(LESSONS_CHANNEL)
        sent = json.dumps(lesson.body, ensure_ascii=False)
        for private in ("Will Park", "Park", "49679068", "Alcalá", "28014", "4111", "0199", "will.park"):
            assert private not in sent, private
        assert "We will refund 555 dollars" in sent
        # typed markdown and mentions reach the channel only as plain text runs
        texts = [n for n in _walk(lesson.body) if "evil.example" in json.dumps(n)]
        assert texts and all(n.get("type") == "TextRun" for n in texts)


def latest(connector, user):
    """Return the card last sent or updated in a person's chat."""
    return [c for c in connector.calls if c.conversation == user.conversation][-1].card


def _walk(node):
    if isinstance(node, dict):
        if "text" in node and isinstance(node["text"], str):
            yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)
