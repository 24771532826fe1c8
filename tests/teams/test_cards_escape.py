"""What a Teams user sees of typed text: every Reply and Form string is a TextRun, never markdown."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.teams import cards, translate
from bot.replies import ActionId, Button, Field, Form, Input, InputKind, Item, Reply, Style, Tone

HOSTILE = ("[the rota](https://evil.example)", "**bold**", "<at>Bob</at>", "_it_ - item\r\n1. one")


def elements(node: Any) -> list[dict[str, Any]]:
    """Return every object of a card, depth first."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            found += elements(value)
    elif isinstance(node, list):
        for value in node:
            found += elements(value)
    return found


def runs(card: dict[str, Any]) -> list[str]:
    """Return the text of every TextRun of a card, as the user reads it."""
    return [e["text"] for e in elements(card) if e.get("type") == "TextRun"]


def assert_no_markdown_surface(card: dict[str, Any]) -> None:
    kinds = {e.get("type") for e in elements(card)}
    assert not kinds & {"TextBlock", "FactSet"}, "TextBlock and FactSet read their text as markdown"


@pytest.mark.parametrize("typed", HOSTILE)
def test_markdown_and_mentions_in_a_reply_are_shown_as_typed(typed):
    reply = Reply(
        title=f"R-1001 · {typed}",
        text=f"Lesson: {typed}",
        fields=(Field(f"Label {typed}", f"Customer {typed}"),),
        items=(Item(f"Option {typed}", f"Why {typed}", Button("Give", ActionId.GIVE_OPTION, "1:1")),),
        note=f"Note {typed}",
    )
    card = cards.render_reply(reply)
    assert_no_markdown_surface(card)
    assert runs(card) == [
        f"R-1001 · {typed}",
        f"Lesson: {typed}",
        f"Label {typed}",
        f"Customer {typed}",
        f"Option {typed}",
        f"Why {typed}",
        f"Note {typed}",
    ]


@pytest.mark.parametrize("typed", HOSTILE)
def test_markdown_in_a_form_and_its_errors_is_shown_as_typed(typed):
    form = Form(
        title="Resolve",
        action=ActionId.RESOLVE_CASE,
        value="7",
        submit_label="Resolve",
        inputs=(Input("lesson", "Lesson", InputKind.LONG_TEXT, hint=f"Hint {typed}"),),
        intro=f"Case of {typed}",
        fields=(Field("Customer", typed),),
    )
    at_field = cards.render_form(form, error=f"Field {typed}", error_field="lesson")
    at_top = cards.render_form(form, error=f"Top {typed}")
    for card in (at_field, at_top):
        assert_no_markdown_surface(card)
        assert {f"Case of {typed}", typed, f"Hint {typed}"} <= set(runs(card))
    assert f"Field {typed}" in runs(at_field) and f"Top {typed}" in runs(at_top)


def test_the_title_keeps_its_weight_size_and_tone_colour():
    card = cards.render_reply(Reply(title="Over the limit", tone=Tone.WARNING, note="Small print"))
    (title,) = card["body"][0]["items"][0]["inlines"]
    assert title == {
        "type": "TextRun",
        "text": "Over the limit",
        "weight": "Bolder",
        "size": "Medium",
        "color": "warning",
    }
    note = card["body"][-1]
    assert note["inlines"][0] == {"type": "TextRun", "text": "Small print", "isSubtle": True, "size": "Small"}


def test_facts_are_label_and_value_rows_in_order():
    card = cards.render_reply(Reply(title="T", fields=(Field("Customer", "Jo"), Field("Amount", "$80.00"))))
    rows = [e for e in card["body"] if e["type"] == "ColumnSet"]
    shown = [tuple(c["items"][0]["inlines"][0]["text"] for c in row["columns"]) for row in rows]
    assert shown == [("Customer", "Jo"), ("Amount", "$80.00")]
    assert "spacing" not in rows[0] and rows[1]["spacing"] == "Small"


def test_buttons_and_their_data_are_unchanged():
    reply = Reply(
        title="T",
        items=(Item("1. Voucher", "", Button("Give **now**", ActionId.GIVE_OPTION, "1:1", Style.PRIMARY)),),
        buttons=(Button("Cancel case", ActionId.CANCEL, "1", Style.DANGER),),
    )
    card = cards.render_reply(reply)
    (give,) = card["body"][1]["items"][-1]["actions"]
    assert give == {
        "type": "Action.Submit",
        "title": "Give **now**",
        "data": translate.submit_data(ActionId.GIVE_OPTION, "1:1"),
        "style": "positive",
    }
    assert card["actions"] == [
        {
            "type": "Action.Submit",
            "title": "Cancel case",
            "data": translate.submit_data(ActionId.CANCEL, "1"),
            "style": "destructive",
        }
    ]
    assert card["version"] == "1.4"
