"""No card is too big for Teams: values are cut to their field's maximum, long texts with an ellipsis."""

from __future__ import annotations

import json

import pytest

from adapters.teams import cards
from bot import fields
from bot.replies import ActionId, Button, Choice, Field, Form, Input, InputKind, Item, Reply
from tests.teams.test_cards_escape import elements, runs

DESCRIPTION = Input(
    "description", "What happened", InputKind.LONG_TEXT, max_length=fields.DESCRIPTION.max_length
)
CATEGORY = Input(
    "category", "What went wrong", InputKind.CHOICE, choices=(Choice("late_delivery", "Late delivery"),)
)
AMOUNT = Input("amount", "Amount", InputKind.AMOUNT)


def form(*inputs: Input, intro: str = "") -> Form:
    return Form(
        title="Make it right",
        action=ActionId.OPEN_CASE,
        value="",
        submit_label="Get suggestion",
        inputs=inputs,
        intro=intro,
    )


def inputs_of(card: dict) -> dict[str, dict]:
    return {e["id"]: e for e in elements(card) if str(e.get("type", "")).startswith("Input.")}


def test_a_prefill_longer_than_its_field_is_cut_to_the_fields_maximum_with_an_ellipsis():
    prefilled = Input(**{**DESCRIPTION.__dict__, "initial": "late parcel " + "x" * 1_000_000})
    card = cards.render_form(form(prefilled))
    shown = inputs_of(card)["description"]
    assert shown["maxLength"] == fields.DESCRIPTION.max_length
    assert len(shown["value"]) == fields.DESCRIPTION.max_length
    assert shown["value"].startswith("late parcel x") and shown["value"].endswith("…")


def test_what_was_typed_comes_back_no_longer_than_the_input_takes():
    typed = {"description": "y" * 200_000, "amount": "9" * 50_000}
    card = cards.render_form(
        form(DESCRIPTION, AMOUNT), values=typed, error="Too long", error_field="description"
    )
    shown = inputs_of(card)
    assert len(shown["description"]["value"]) == fields.DESCRIPTION.max_length
    assert len(shown["amount"]["value"]) == cards.VALUE_LIMIT
    assert cards.size(card) <= cards.CARD_BYTES


def test_a_value_that_fits_is_shown_unchanged():
    card = cards.render_form(form(DESCRIPTION), values={"description": "Two days late."})
    assert inputs_of(card)["description"]["value"] == "Two days late."


@pytest.mark.parametrize("typed", ["z" * 100_000, "late_deliveryX", ""])
def test_a_choice_shows_only_one_of_its_choices(typed):
    card = cards.render_form(form(CATEGORY), values={"category": typed})
    assert "value" not in inputs_of(card)["category"]
    card = cards.render_form(form(CATEGORY), values={"category": "late_delivery"})
    assert inputs_of(card)["category"]["value"] == "late_delivery"


def test_a_huge_reply_text_is_cut_with_an_ellipsis_and_the_title_survives():
    card = cards.render_reply(Reply(title="R-1001 opened", text="w" * 500_000, note="Small print"))
    assert cards.size(card) <= cards.CARD_BYTES
    title, text, note = runs(card)
    assert (title, note) == ("R-1001 opened", "Small print")
    assert text.startswith("www") and text.endswith("…")
    assert cards.size(card) > cards.CARD_BYTES - 100  # cut to what fits, not further


def test_many_long_texts_are_cut_to_the_same_length():
    reply = Reply(
        title="Case",
        fields=tuple(Field(f"Label {i}", "v" * (3_000 + i)) for i in range(20)),
    )
    card = cards.render_reply(reply)
    assert cards.size(card) <= cards.CARD_BYTES
    values = [t for t in runs(card) if t.startswith("v")]
    assert len(values) == 20 and all(v.endswith("…") for v in values)
    assert max(map(len, values)) - min(map(len, values)) <= 1


def test_the_budget_counts_characters_as_sent_escaped():
    """An emoji is 12 bytes as JSON sends it (two \\u escapes); a card of them still fits."""
    card = cards.render_reply(Reply(title="Case", text="😀" * 5_000 + "\u0000\ud83d"))
    assert cards.size(card) <= cards.CARD_BYTES
    assert len(json.dumps(card).encode()) <= cards.CARD_BYTES
    (_, text) = runs(card)
    assert text.endswith("…") and set(text[:-1]) == {"😀"}


def test_buttons_and_their_data_are_never_cut():
    reply = Reply(
        title="Options",
        items=tuple(
            Item("o" * 5_000, "d" * 5_000, Button(f"Give {i}", ActionId.GIVE_OPTION, f"7:{i}"))
            for i in range(8)
        ),
        buttons=(Button("Cancel case", ActionId.CANCEL, "7"),),
    )
    card = cards.render_reply(reply)
    assert cards.size(card) <= cards.CARD_BYTES
    data = [e["data"]["mend_value"] for e in elements(card) if e.get("type") == "Action.Submit"]
    assert data == [f"7:{i}" for i in range(8)] + ["7"]


def test_a_card_of_too_many_parts_drops_its_last_ones_and_says_so():
    reply = Reply(title="History", items=tuple(Item(f"R-{i}", "x" * 30) for i in range(2_000)))
    card = cards.render_reply(reply)
    assert cards.size(card) <= cards.CARD_BYTES
    shown = runs(card)
    assert shown[0] == "History" and shown[1] == "R-0" and shown[-1] == "…"


def test_a_form_keeps_every_input_and_its_submit_button_however_long_its_texts():
    long_form = Form(
        title="Resolve",
        action=ActionId.RESOLVE_CASE,
        value="7",
        submit_label="Resolve",
        inputs=tuple(
            Input(name, name, InputKind.LONG_TEXT, max_length=3_000, initial="é" * 3_000)
            for name in ("outcome", "root_cause", "lesson", "what_happened")
        ),
        intro="i" * 50_000,
        fields=(Field("Customer", "c" * 50_000),),
    )
    card = cards.render_form(long_form, error="e" * 50_000)
    assert cards.size(card) <= cards.CARD_BYTES
    assert set(inputs_of(card)) == {"outcome", "root_cause", "lesson", "what_happened"}
    assert [a["title"] for a in card["actions"]] == ["Resolve"]


def test_cut_keeps_short_texts_and_marks_cut_ones():
    assert cards.cut("short", 10) == "short"
    assert cards.cut("x" * 11, 10) == "x" * 9 + "…"
