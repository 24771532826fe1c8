"""A whole over-limit case on Teams in German: what each person reads, from `recover` to the lesson.

Alice and Bob's Teams clients are German (every activity says `locale: de-DE`); the
lessons channel reads the policy's language (English).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from sqlalchemy import select

from db.models import StaffIdentity
from tests.teams.conftest import LESSONS_CHANNEL, TeamsUser, find_action, shown_inputs, teams_server
from tests.teams.test_over_limit_case import CUSTOMER


class GermanUser(TeamsUser):
    """A person whose Teams client is set to German."""

    def activity(self, **fields: Any) -> dict[str, Any]:
        return super().activity(locale="de-DE", **fields)


def read(card: dict[str, Any]) -> str:
    """Return a card's text as its reader sees the characters."""
    return json.dumps(card, ensure_ascii=False)


def test_a_case_is_played_in_german_from_recover_to_the_lesson(runtime):
    asyncio.run(_in_german(runtime))


async def _in_german(runtime):
    async with teams_server(runtime) as (endpoint, connector):
        alice = GermanUser(endpoint, connector, "aad-alice", "Alice Park")
        bob = GermanUser(endpoint, connector, "aad-bob", "Bob Reyes")
        assert await bob.install() == 202  # Mend learns Bob's language with his chat

        # the case form, and a missing field named in German under it
        await alice.say("recover late parcel $80")
        (form_call,) = connector.posts(alice.conversation)
        assert "Wiedergutmachen" in read(form_call.card)
        submit = find_action(form_call.card, "Vorschlag anzeigen")
        await alice.submit(submit, "activity-1", category="late_delivery", severity="critical")
        (error_put,) = connector.puts(alice.conversation, "activity-1")
        assert "Name des Kunden ist ein Pflichtfeld: Bitte ausfüllen." in read(error_put.card)

        # the suggestion: the policy's German apology, amounts as a German reader writes them
        inputs = {
            **CUSTOMER,
            "category": "late_delivery",
            "severity": "critical",
            "description": "Das Paket kam eine Woche zu spät.",
            "order_value": "400",
            "tier": "standard",
        }
        await alice.submit(submit, "activity-1", **inputs)
        suggestion = connector.puts(alice.conversation, "activity-1")[-1].card
        assert "Sag Folgendes:" in read(suggestion)
        assert "Jane, es tut mir aufrichtig leid, dass Ihre Bestellung nicht wie versprochen" in read(
            suggestion
        )
        assert "Vollständige Rückerstattung der Bestellung: 400,00\xa0$" in read(suggestion)

        # Bob reads the request in German, and decides in German
        await alice.submit(find_action(suggestion, "Genehmigung anfragen"), "activity-1")
        (request,) = connector.posts(bob.conversation)
        find_action(request.card, "Ablehnen")
        await bob.submit(find_action(request.card, "Genehmigen"), "activity-2")
        told = [c for c in connector.posts(alice.conversation) if "Bob Reyes hat" in read(c.card)]
        assert "R-1001: Bob Reyes hat Ersatz per Expresskurier (30,00\xa0$) genehmigt" in read(told[-1].card)

        # resolve, check the lesson, post it
        await alice.submit(find_action(told[-1].card, "Abschließen"), "activity-3")
        resolve_form = connector.posts(alice.conversation)[-1].card
        assert "R-1001 abschließen" in read(resolve_form)
        lesson_text = {
            "outcome": "Ersatz per Express geschickt.",
            "root_cause": "Der Kurier hat die Abholzeit verschoben.",
            "lesson": "Die Abholzeit jeden Montag prüfen.",
        }
        await alice.submit(find_action(resolve_form, "Erkenntnis prüfen"), "activity-9", **lesson_text)
        preview = connector.posts(alice.conversation)[-1].card
        await alice.submit(find_action(preview, "Erkenntnis teilen"), "activity-10", **shown_inputs(preview))

        # the channel reads its own language: English headings around Alice's words
        (lesson,) = connector.posts(LESSONS_CHANNEL)
        assert "Die Abholzeit jeden Montag prüfen." in read(lesson.body)
        assert "Lesson" in read(lesson.body) and "Erkenntnis" not in read(lesson.body)

    with runtime.sessions() as session:
        rows = session.execute(select(StaffIdentity.user_id, StaffIdentity.locale)).all()
    locales = {user: locale for user, locale in rows}
    assert locales["aad-alice"] == "de-DE" and locales["aad-bob"] == "de-DE"
