"""The weekly digest reaches the Teams lessons channel as an Adaptive Card that shows its chart.

The chart travels inside the card as a data URI, so it counts against Teams' message
size: a card that would be too big with it goes without it, and says so.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import random
import struct
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from PIL import Image as PILImage
from sqlalchemy.orm import Session, sessionmaker

from adapters.main import SENDER_KEY, Runtime, build_web_app
from adapters.settings import Settings
from adapters.teams import cards
from bot import digest
from bot.commands import Actor
from bot.replies import Field, Image, Item, Reply
from bot.staff import import_staff
from policies.loader import load_policy
from tests.conftest import FakeClock
from tests.helpers import open_late_delivery
from tests.teams.conftest import LESSONS_CHANNEL, STAFF_CSV, TeamsUser
from tests.teams.connector import MAX_ACTIVITY_BYTES, RecordingConnector
from tests.teams.test_cards_escape import elements, runs

# Monday 16 November, 08:00 in New York (the lessons channel's zone): the digest of the week of 9 November.
MONDAY = datetime(2026, 11, 16, 13, 0, tzinfo=UTC)
IN_THE_WEEK = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)
ALICE = Actor("teams", "aad-alice", "Alice Park")


def png(width: int, height: int, *, noise: bool = False) -> bytes:
    """Return a real PNG; with `noise`, one that barely compresses."""
    picture = PILImage.new("RGB", (width, height), "white")
    if noise:
        rng = random.Random(7)
        picture.putdata(
            [(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(width * height)]
        )
    out = io.BytesIO()
    picture.save(out, format="PNG")
    return out.getvalue()


def images(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in elements(card) if e.get("type") == "Image"]


def test_the_digest_in_the_teams_lessons_channel_shows_its_chart_inline(fresh_sessions) -> None:
    asyncio.run(_digest_in_teams(fresh_sessions))


async def _digest_in_teams(sessions: sessionmaker[Session]) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        MICROSOFT_APP_ID=None,
        MEND_TEAMS_UNAUTHENTICATED=True,  # the connector is a local stand-in without Azure's tokens
        SLACK_SIGNING_SECRET=None,
    )
    base = load_policy(settings.policy_file)
    policy = base.model_copy(
        update={"broadcast": base.broadcast.model_copy(update={"teams_channel": LESSONS_CHANNEL})}
    )
    clock = FakeClock(IN_THE_WEEK)
    runtime = Runtime(
        settings=settings, policy=policy, engine=sessions.kw["bind"], sessions=sessions, clock=clock
    )
    with sessions() as session:
        import_staff(STAFF_CSV, session=session, policy=policy, clock=clock)
    connector = await RecordingConnector().start()
    web_app = build_web_app(runtime)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        endpoint = f"http://127.0.0.1:{runner.addresses[0][1]}/api/messages"
        # Mend learns where the Teams connector is from the first activity it gets
        assert await TeamsUser(endpoint, connector, "aad-alice", "Alice Park").install() == 202
        with sessions() as session:
            open_late_delivery(session, policy, clock, actor=ALICE)
            open_late_delivery(session, policy, clock, actor=ALICE, customer_name="Marguerite Okonkwo")
            assert digest.enqueue_weekly_digest(session, policy, MONDAY)
            session.commit()
        clock.set(MONDAY)
        await web_app[SENDER_KEY].dispatch_pass()
    finally:
        await runner.cleanup()
        await connector.stop()

    assert connector.refused == []
    (post,) = [
        c
        for c in connector.posts(LESSONS_CHANNEL)
        if "Service recovery, week of November 9" in json.dumps(c.body)
    ]
    card = post.card
    assert "2 cases opened; the four weeks before averaged 0 a week." in runs(card)
    (chart,) = images(card)
    prefix = "data:image/png;base64,"
    assert chart["url"].startswith(prefix) and chart["size"] == "Stretch"
    picture = base64.b64decode(chart["url"][len(prefix) :])
    assert picture.startswith(b"\x89PNG\r\n\x1a\n") and struct.unpack(">II", picture[16:24]) == (800, 400)
    assert chart["altText"].startswith("Cases opened per week from Sep 21 to Nov 9: 0, 0, 0, 0, 0, 0, 0, 2.")
    # after the figures, before the lessons and the note
    body = [e.get("type") for e in card["body"]]
    assert body.index("Image") > body.index("ColumnSet")
    shown = json.dumps(post.body)
    assert len(shown) <= MAX_ACTIVITY_BYTES
    for private in ("Jane", "Doe", "Marguerite", "Okonkwo"):
        assert private not in shown


def test_an_image_that_fits_comes_after_the_text_and_facts_with_its_alt_text() -> None:
    reply = Reply(
        title="Your week",
        text="3 cases",
        fields=(Field("Recovery rate", "2 of 3"),),
        items=(Item("R-1001", "Check the scans"),),
        note="No customer details.",
        image=Image(png(80, 40), "Three bars, rising", "week.png"),
    )
    card = cards.render_reply(reply)
    assert cards.size(card) <= cards.CARD_BYTES
    kinds = [e.get("type") for e in card["body"]]
    assert kinds[:4] == ["Container", "RichTextBlock", "ColumnSet", "Image"]
    (image,) = images(card)
    assert image["altText"] == "Three bars, rising"
    assert base64.b64decode(image["url"].split(",", 1)[1]) == reply.image.png  # type: ignore[union-attr]


def test_a_card_too_big_with_its_image_goes_without_it_and_says_so_uncut() -> None:
    picture = png(90, 60, noise=True)  # about 16 kB, 22 kB as base64
    assert len(base64.b64encode(picture)) > cards.CARD_BYTES - 2_000
    text = "Cases this week by kind. " * 120  # 3 kB: the card fits without the image, not with it
    reply = Reply(
        title="Service recovery", text=text, image=Image(picture, "Cases per week: 1, 2, 3.", "w.png")
    )

    card = cards.render_reply(reply)

    assert images(card) == [] and "data:image" not in json.dumps(card)
    assert cards.size(card) <= cards.CARD_BYTES
    shown = runs(card)
    assert text in shown  # the words are never cut to make room for a picture
    (left_out,) = [r for r in shown if "chart was left out" in r]
    assert "too large" in left_out and "Cases per week: 1, 2, 3." in left_out
