"""Through Slack: a lesson typed with personal data and markup is previewed, edited and posted clean."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import select

from db.models import Case, Delivery
from tests.slack.conftest import (
    LESSONS,
    SlackUser,
    load_staff,
    shown_inputs,
    slack_server,
    updated_view,
    wait_for,
)

CASE = {
    "customer_name": "Søren Søndergaard",
    "customer_email": "soren@example.dk",
    "customer_phone": "+1 212 555 0199",
    "customer_ref": "ORD-79158",
    "category": "late_delivery",
    "severity": "minor",
    "description": "Parcel for Sondergaard (order #79158) went to 42 Wallaby Way, Springfield IL 62704.",
    "order_value": "",
    "tier": "standard",
}
NOTES = {
    "outcome": "Called 212-555-0199 and refunded 555 dollars; her husband Robert Smith-Doe agreed.",
    "root_cause": "<!channel> the label printer swapped addresses, see <https://evil.example|the rota>",
    "lesson": "Check the label against the order before the van leaves.",
}


def test_the_resolver_sees_edits_and_posts_a_lesson_free_of_personal_data_and_markup(make_runtime):
    asyncio.run(_lesson(make_runtime))


async def _lesson(make_runtime):
    async with slack_server(make_runtime) as (endpoint, api, runtime):
        load_staff(runtime)
        alice = SlackUser(endpoint, api, "UALICE", "alice")
        assert await alice.recover("") == (200, "")
        (opened,) = await wait_for(lambda: api.of("views.open"))
        assert await alice.submit(opened.answer["view"], **CASE) == (200, "")
        (card,) = await wait_for(lambda: api.of("chat.postMessage", channel="UALICE"))
        # the case card shows the typed markup as text, never as a mention or a link
        assert "<!channel>" not in card.text and "<https://" not in card.text

        await alice.click(card, "Resolve")
        (resolve,) = await wait_for(
            lambda: [c for c in api.of("views.open") if "mend_resolve_case" in c.text]
        )
        status, answer = await alice.submit(resolve.answer["view"], **NOTES)
        assert status == 200
        preview = updated_view(answer)
        shown = shown_inputs(preview)
        assert shown["what_happened"] == "Parcel for [customer] (order [order ref]) went to [address]."
        assert shown["outcome"] == "Called [phone] and refunded 555 dollars; her husband [name] agreed."
        # nothing is posted, and the case stays open, until the resolver posts what they saw
        assert api.of("chat.postMessage", channel=LESSONS) == []

        # an edit that names the customer again is shown once more, with the name removed
        edited = {**shown, "lesson": "Check the label first; Søren was upset."}
        status, answer = await alice.submit(preview, **edited)
        assert status == 200
        again = updated_view(answer)
        assert "removed more personal data" in json.dumps(again)
        assert shown_inputs(again)["lesson"] == "Check the label first; [customer] was upset."
        with runtime.sessions() as session:
            assert session.scalars(select(Case.status)).one() == "open"

        assert await alice.submit(again, **shown_inputs(again)) == (200, "")
        (posted,) = await wait_for(lambda: api.of("chat.postMessage", channel=LESSONS))
        sent = json.dumps(posted.args)
        for private in (
            "Søren",
            "Sondergaard",
            "Søndergaard",
            "79158",
            "555 0199",
            "555-0199",
            "Wallaby",
            "62704",
            "Robert",
            "Smith-Doe",
            "soren@",
        ):
            assert private not in sent, private
        assert "refunded 555 dollars" in sent and "[customer] was upset" in sent
        assert "<!channel>" not in sent and "<https://evil.example|" not in sent
        assert "&lt;!channel&gt;" in sent
        with runtime.sessions() as session:
            assert session.scalars(select(Case.status)).one() == "resolved"
            lesson = session.scalars(select(Delivery).where(Delivery.kind == "lesson")).one()
            assert lesson.payload["lesson"]["lesson"] == "Check the label first; [customer] was upset."
