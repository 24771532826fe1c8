"""What a Slack user sees of typed text: Reply and Form strings are escaped once for mrkdwn, and cut whole."""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


# --- Slack's limits ------------------------------------------------------------------------
# What Slack refuses outright (invalid_blocks, invalid_arguments, a view that is not opened).

SECTION_TEXT, SECTION_FIELD, CONTEXT_ELEMENT = 3000, 2000, 2000
LABEL, HINT, PLACEHOLDER, BUTTON, OPTION, TITLE = 150, 2000, 150, 75, 75, 24
MESSAGE_BLOCKS, VIEW_BLOCKS, FALLBACK, METADATA, INPUT = 50, 100, 40_000, 3000, 3000


def breaches(node: Any) -> list[str]:
    """Return every place a message's blocks, or a modal or Home view, goes past Slack's limits.

    `node` is a list of blocks (a message), a view (`{"type": "modal" | "home", ...}`), or what
    Mend sends with a message (`{"text": ..., "blocks": [...]}`).
    """
    found: list[str] = []

    def over(what: str, text: Any, limit: int) -> None:
        if not isinstance(text, str) or not 1 <= len(text) <= limit:
            found.append(f"{what}: {len(text) if isinstance(text, str) else type(text).__name__} > {limit}")
        elif re.search(r"&(?!amp;|lt;|gt;)", text) and what.endswith("mrkdwn"):
            found.append(f"{what}: half an entity")

    def text_object(what: str, obj: Any, limit: int) -> None:
        if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
            found.append(f"{what}: not a text object")
            return
        over(f"{what} {obj['type']}", obj.get("text"), limit)

    def element(what: str, el: dict[str, Any]) -> None:
        if el.get("type") == "button":
            text_object(f"{what} button", el.get("text"), BUTTON)
        for option in el.get("options") or []:
            text_object(f"{what} option", option.get("text"), OPTION)
        if len(el.get("options") or []) > 100:
            found.append(f"{what}: more than 100 options")
        if "placeholder" in el:
            text_object(f"{what} placeholder", el["placeholder"], PLACEHOLDER)
        if "initial_value" in el:
            limit = min(el.get("max_length") or INPUT, INPUT)
            over(f"{what} initial_value", el["initial_value"], limit)

    def block(what: str, b: dict[str, Any]) -> None:
        kind = b.get("type")
        if kind == "section":
            if "text" in b:
                text_object(f"{what} section", b["text"], SECTION_TEXT)
            if len(b.get("fields") or []) > 10:
                found.append(f"{what}: more than 10 fields")
            for f in b.get("fields") or []:
                text_object(f"{what} field", f, SECTION_FIELD)
            if "accessory" in b:
                element(what, b["accessory"])
        elif kind == "context":
            if len(b.get("elements") or []) > 10:
                found.append(f"{what}: more than 10 context elements")
            for e in b.get("elements") or []:
                text_object(f"{what} context", e, CONTEXT_ELEMENT)
        elif kind == "actions":
            if len(b.get("elements") or []) > 25:
                found.append(f"{what}: more than 25 actions")
            for e in b.get("elements") or []:
                element(what, e)
        elif kind == "input":
            text_object(f"{what} label", b.get("label"), LABEL)
            if "hint" in b:
                text_object(f"{what} hint", b["hint"], HINT)
            element(what, b.get("element") or {})
        else:
            found.append(f"{what}: a {kind} block")

    def blocks(what: str, items: Any, limit: int) -> None:
        if isinstance(items, str):
            items = json.loads(items)
        if len(items) > limit:
            found.append(f"{what}: {len(items)} blocks > {limit}")
        for n, b in enumerate(items):
            block(f"{what}[{n}]", b)

    if isinstance(node, list):
        blocks("message", node, MESSAGE_BLOCKS)
    elif node.get("type") in ("modal", "home"):
        blocks(node["type"], node.get("blocks") or [], VIEW_BLOCKS)
        for key in ("title", "submit", "close"):
            if key in node:
                text_object(f"{node['type']} {key}", node[key], TITLE)
        if len(node.get("private_metadata") or "") > METADATA:
            found.append("private_metadata: too long")
    else:
        if len(node.get("text") or "") > FALLBACK:  # may be empty next to blocks
            found.append(f"fallback text: {len(node['text'])} > {FALLBACK}")
        if node.get("blocks"):
            blocks("message", node["blocks"], MESSAGE_BLOCKS)
    return found


HUGE = "Fish & chips <!channel> " * 10_000  # 240,000 characters, each & and < to escape


def test_a_reply_of_huge_texts_stays_within_every_limit():
    reply = Reply(
        title=HUGE,
        text=HUGE,
        fields=tuple(Field(HUGE, HUGE) for _ in range(25)),
        items=tuple(Item(HUGE, HUGE, Button(HUGE, ActionId.GIVE_OPTION, "1:1")) for _ in range(60)),
        note=HUGE,
        buttons=tuple(Button(HUGE, ActionId.CANCEL, str(n)) for n in range(30)),
    )
    rendered = blocks.render_reply(reply)
    assert breaches(rendered) == []
    assert breaches({"text": blocks.fallback_text(reply), "blocks": rendered}) == []
    assert breaches(blocks.render_home(reply)) == []


def test_a_note_is_cut_to_what_a_context_element_holds():
    (context,) = [b for b in blocks.render_reply(Reply(title="T", note="&" * 2500)) if b["type"] == "context"]
    (note,) = context["elements"]
    assert len(note["text"]) <= 2000 and note["text"].endswith("&amp;…")


def test_the_notification_text_is_cut_to_what_slack_takes_and_never_mid_entity():
    text = blocks.fallback_text(Reply(title="T", text="<" * 50_000))
    assert len(text) <= 40_000 and text.endswith("&lt;…")


def huge_form(initial: str = HUGE, inputs: int = 3) -> Form:
    return Form(
        title=HUGE,
        action=ActionId.OPEN_CASE,
        submit_label=HUGE,
        intro=HUGE,
        fields=tuple(Field(HUGE, HUGE) for _ in range(25)),
        inputs=tuple(
            Input(f"i{n}", HUGE, hint=HUGE, placeholder=HUGE, initial=initial, max_length=limit)
            for n, limit in zip(range(inputs), itertools.cycle((200, 3000, None, 5000)), strict=False)
        ),
    )


def test_a_form_of_huge_texts_stays_within_every_limit():
    assert breaches(blocks.render_form(huge_form())) == []


def test_a_prefill_is_cut_to_its_inputs_own_limit():
    form = Form(
        title="T",
        action=ActionId.OPEN_CASE,
        submit_label="Go",
        inputs=(
            Input("customer_name", "Customer name", initial="x" * 200_000, max_length=200),
            Input("description", "What happened", initial="y" * 200_000, max_length=3000),
            Input("notes", "Notes", initial="z" * 200_000),
        ),
    )
    name, description, notes = (b["element"] for b in blocks.render_form(form)["blocks"])
    assert (len(name["initial_value"]), name["max_length"]) == (200, 200)
    assert name["initial_value"] == "x" * 199 + "…"
    assert len(description["initial_value"]) == 3000
    assert len(notes["initial_value"]) == 3000


def test_a_prefill_that_fits_is_shown_as_it_is():
    form = Form(
        title="T",
        action=ActionId.OPEN_CASE,
        submit_label="Go",
        inputs=(Input("customer_name", "Customer name", initial="é & <b>" * 25, max_length=200),),
    )
    (block,) = blocks.render_form(form)["blocks"]
    assert block["element"]["initial_value"] == "é & <b>" * 25


def test_a_form_with_more_inputs_than_a_modal_holds_keeps_to_a_hundred_blocks():
    assert breaches(blocks.render_form(huge_form(initial="x", inputs=120))) == []


def test_metadata_mend_did_not_write_is_not_carried_into_the_next_modal():
    view = {
        "private_metadata": json.dumps(
            {"value": "case:1", "channel": "D1", "ts": "1.2", "extra": "x" * 5000, "origin": {"a": 1}}
        )
    }
    assert blocks.view_metadata(view) == {"value": "case:1", "channel": "D1", "ts": "1.2"}
    assert blocks.view_metadata({"private_metadata": json.dumps({"channel": ["D1"], "ts": 5})}) == {}
    assert blocks.view_metadata({"private_metadata": 5}) == {}
    assert blocks.view_metadata({"private_metadata": "[" * 100_000}) == {}


# Short texts, and long ones around Slack's limits made of characters that escape to more.
TEXTS = st.one_of(
    st.text(max_size=30),
    st.builds(
        lambda chunk, times: (chunk * times)[:times],
        st.text(alphabet="&<>é a", min_size=1, max_size=4),
        st.sampled_from([24, 75, 150, 151, 2000, 2001, 3000, 3001, 40_001]),
    ),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.data_too_large, HealthCheck.too_slow]
)
@given(
    reply=st.builds(
        Reply,
        title=TEXTS,
        text=TEXTS,
        note=TEXTS,
        tone=st.sampled_from(Tone),
        fields=st.lists(st.builds(Field, TEXTS, TEXTS), max_size=12).map(tuple),
        items=st.lists(
            st.builds(
                Item, TEXTS, TEXTS, st.none() | st.builds(Button, TEXTS, st.sampled_from(ActionId), TEXTS)
            ),
            max_size=55,
        ).map(tuple),
    ),
    initial=TEXTS,
    max_length=st.none() | st.integers(1, 5000),
)
def test_whatever_the_core_says_is_rendered_within_slacks_limits(reply, initial, max_length):
    rendered = blocks.render_reply(reply)
    assert breaches({"text": blocks.fallback_text(reply), "blocks": rendered}) == []
    form = Form(
        title=reply.title,
        action=ActionId.RESOLVE_CASE,
        submit_label=reply.text,
        intro=reply.note,
        fields=reply.fields,
        inputs=(
            Input("lesson", reply.title, hint=reply.text, initial=initial or None, max_length=max_length),
        ),
    )
    assert breaches(blocks.render_form(form)) == []
