"""What a Slack user sees of typed text: Reply and Form strings are escaped once for mrkdwn, and cut whole."""

from __future__ import annotations

import re
from typing import Any

import pytest

from adapters.slack import blocks
from bot.replies import ActionId, Button, Field, Form, Input, Item, Reply, Tone

HOSTILE = (
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U123>",
    "<#C123>",
    "<!subteam^S123>",
    "<https://evil.example|the rota>",
)


def mrkdwn_texts(node: Any) -> list[str]:
    """Return the text of every mrkdwn object in rendered blocks or a view."""
    found: list[str] = []
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn":
            found.append(node["text"])
        for value in node.values():
            found += mrkdwn_texts(value)
    elif isinstance(node, list):
        for value in node:
            found += mrkdwn_texts(value)
    return found


def unescape(text: str) -> str:
    """Return what Slack shows for escaped mrkdwn text (the three entities it decodes)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def hostile_reply(typed: str) -> Reply:
    return Reply(
        title=f"R-1001 · {typed}",
        text=f"Lesson: {typed}",
        fields=(Field(f"Label {typed}", f"Customer {typed}"),),
        items=(Item(f"Option {typed}", f"Why {typed}", Button("Give", ActionId.GIVE_OPTION, "1:1")),),
        note=f"Note {typed}",
        tone=Tone.WARNING,
    )


@pytest.mark.parametrize("typed", HOSTILE)
def test_mentions_specials_and_disguised_links_in_a_reply_are_shown_as_typed(typed):
    texts = mrkdwn_texts(blocks.render_reply(hostile_reply(typed)))
    assert len(texts) == 5  # title, text, field, item, note: every one of them escaped
    for text in texts:
        assert "<" not in text and ">" not in text
    shown = "\n".join(unescape(text) for text in texts)
    assert shown.count(typed) == 7


@pytest.mark.parametrize("typed", HOSTILE)
def test_mentions_in_a_form_intro_and_facts_are_shown_as_typed(typed):
    form = Form(
        title="Resolve",
        action=ActionId.RESOLVE_CASE,
        submit_label="Resolve",
        inputs=(Input("lesson", "Lesson"),),
        intro=f"Case of {typed}",
        fields=(Field("Customer", typed),),
    )
    texts = mrkdwn_texts(blocks.render_form(form))
    assert texts and all("<" not in t and ">" not in t for t in texts)
    assert f"Case of {typed}" in [unescape(t) for t in texts]


def test_the_notification_text_is_escaped_too():
    text = blocks.fallback_text(
        Reply(title="Lesson <!channel>", text="see <https://evil.example|the rota> & <@U1>")
    )
    assert text == "Lesson &lt;!channel&gt;: see &lt;https://evil.example|the rota&gt; &amp; &lt;@U1&gt;"


def test_an_ampersand_is_escaped_exactly_once():
    reply = Reply(title="R&D", text="Fish & chips, typed as &amp; too", fields=(Field("Q&A", "A & B"),))
    texts = mrkdwn_texts(blocks.render_reply(reply))
    assert texts[0] == "*R&amp;D*"
    assert texts[1] == "Fish &amp; chips, typed as &amp;amp; too"  # what was typed, shown as typed
    assert texts[2] == "*Q&amp;A*\nA &amp; B"
    assert unescape(texts[1]) == reply.text


def test_mends_own_layout_keeps_its_bold_title_and_tone_mark():
    (title,) = blocks.render_reply(Reply(title="Case resolved", tone=Tone.SUCCESS))
    assert title["text"] == {"type": "mrkdwn", "text": ":white_check_mark: *Case resolved*", "verbatim": True}


def test_plain_text_objects_stay_plain():
    reply = Reply(title="T", buttons=(Button("Q&A <now>", ActionId.CANCEL, "1"),))
    (button,) = blocks.render_reply(reply)[-1]["elements"]
    assert button["text"] == {"type": "plain_text", "text": "Q&A <now>", "emoji": True}


@pytest.mark.parametrize("char", ["<", ">", "&", "a", "é"])
@pytest.mark.parametrize("length", [2998, 2999, 3000, 3001, 5000])
def test_long_text_is_cut_within_the_limit_after_escaping_and_never_mid_entity(char, length):
    typed = "x" * (length % 7) + char * length
    rendered = blocks.render_reply(
        Reply(title=typed, text=typed, items=(Item(typed, typed),), fields=(Field(typed, typed),), note=typed)
    )
    title, text, field, item, note = mrkdwn_texts(rendered)
    for shown, limit in ((title, 3000), (text, 3000), (item, 3000), (note, 3000), (field, 2000)):
        assert len(shown) <= limit
        assert not re.search(r"&(?!amp;|lt;|gt;)", shown)  # every & starts a whole entity
        for line in shown.strip("*").split("\n"):
            line = line.rstrip("*")
            kept = unescape(line.removesuffix("…"))
            assert typed.startswith(kept)
            assert line.endswith("…") or kept == typed


def test_a_long_title_keeps_its_tone_mark_and_closing_star():
    (title,) = blocks.render_reply(Reply(title="<" * 3000, tone=Tone.ERROR))
    assert title["text"]["text"].startswith(":x: *&lt;") and title["text"]["text"].endswith("…*")
    assert len(title["text"]["text"]) <= 3000


def test_many_facts_of_a_form_are_split_into_sections_of_ten():
    form = Form(
        title="T",
        action=ActionId.OPEN_CASE,
        submit_label="Go",
        inputs=(),
        fields=tuple(Field(f"L{n}", "v") for n in range(12)),
    )
    sections = [b for b in blocks.render_form(form)["blocks"] if "fields" in b]
    assert [len(s["fields"]) for s in sections] == [10, 2]
