"""Neutral replies and forms as Adaptive Cards (version 1.4, what Teams renders). Pure.

Every string of a reply or form is plain text, often typed by someone, so it is
shown in a RichTextBlock of TextRuns: unlike TextBlock text and FactSet facts,
a TextRun is not markdown-processed, so `[the rota](https://evil.example)`,
`**bold**` or `<at>Bob</at>` are shown as typed (RichTextBlock is 1.2, so 1.4 holds).

Teams refuses a message over about 28 KB (the connector answers 413), so every card
fits in CARD_BYTES: an input shows at most its field's maximum, a choice only one of
its choices, and when the card is still too big its longest texts are cut, with an
ellipsis, until it fits. The rest of a message (who, where) is bounded by
`boundary.MAX_REFERENCE_BYTES`.

A reply's image (the digest's chart) is an Image element with the PNG inline as a
data URI, after the text and facts. It counts against the same budget: when the
whole card would not fit with it, the image is left out and a line says so, with
what it shows in words; texts are never cut to make room for a picture.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping
from typing import Any

from adapters.teams.translate import submit_data
from bot.i18n import N_, _
from bot.replies import Button, Field, Form, Image, Input, InputKind, Reply, Style, Tone

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.4"
CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
# The card as sent (JSON, non-ASCII escaped as aiohttp's encoder does); with the
# reference around it (at most 4 kB) and the activity's own keys, under Teams' 28 KB.
CARD_BYTES = 22_000
VALUE_LIMIT = 1_000  # what an input without a maximum of its own shows at most
ELLIPSIS = "…"
_SHORTEST = 40  # bytes a text keeps however full the card is
ALT_TEXT_LIMIT = 1_000  # an image's altText, in characters
# Translators: said in place of a chart on a Teams card; {alt} says in words what the chart shows.
CHART_LEFT_OUT = N_("The chart was left out: it is too large for a Teams message. It shows: {alt}")

_TONE = {Tone.INFO: "default", Tone.SUCCESS: "good", Tone.WARNING: "warning", Tone.ERROR: "attention"}
_BUTTON = {Style.DEFAULT: "default", Style.PRIMARY: "positive", Style.DANGER: "destructive"}


def _card(body: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return fit(_unfitted(body, actions))


def _unfitted(body: list[dict[str, Any]], actions: list[dict[str, Any]] | None) -> dict[str, Any]:
    card: dict[str, Any] = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": VERSION, "body": body}
    if actions:
        card["actions"] = actions
    return card


def size(node: Any) -> int:
    """Return the bytes a card or text takes as sent: JSON with non-ASCII escaped, as aiohttp sends it."""
    return len(json.dumps(node))


def cut(text: str, limit: int) -> str:
    """Return text cut to `limit` characters, its last one an ellipsis when anything was cut."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + ELLIPSIS


def fit(card: dict[str, Any], budget: int = CARD_BYTES) -> dict[str, Any]:
    """Return the card with its longest texts and typed values cut, with an ellipsis, until it fits `budget`.

    The longest are cut first and to the same length, so a short title survives a
    long description; action data, ids and choices are never cut.
    """
    excess = size(card) - budget
    while excess > 0:
        slots = sorted(_cuttable(card), key=lambda slot: -size(slot[0][slot[1]]))
        sizes = [size(node[key]) for node, key in slots]
        if not sizes or sizes[0] <= _SHORTEST:
            return _drop_tail(card, budget)
        level = _level(sizes, excess)
        for (node, key), have in zip(slots, sizes, strict=True):
            if have <= level:
                break
            node[key] = _cut_to_bytes(node[key], level)
        excess = size(card) - budget
    return card


def _cuttable(node: Any) -> Iterator[tuple[dict[str, Any], str]]:
    """Yield where a card holds plain text (TextRun text, typed input values), depth first."""
    if isinstance(node, dict):
        if node.get("type") == "TextRun" and isinstance(node.get("text"), str):
            yield node, "text"
        if node.get("type") == "Input.Text" and isinstance(node.get("value"), str):
            yield node, "value"
        for value in node.values():
            yield from _cuttable(value)
    elif isinstance(node, list):
        for value in node:
            yield from _cuttable(value)


def _level(sizes: list[int], excess: int) -> int:
    """Return the size to cut the texts above it to, so that together they give up `excess` bytes.

    `sizes` are the texts' sizes, longest first.
    """
    total = 0
    for count, have in enumerate(sizes, start=1):
        total += have
        below = max(sizes[count] if count < len(sizes) else 0, _SHORTEST)
        if total - count * below >= excess:
            return max((total - excess) // count, _SHORTEST)
    return _SHORTEST


def _cut_to_bytes(text: str, limit: int) -> str:
    """Return text cut, with an ellipsis, so that as JSON (quotes included) it takes at most `limit` bytes."""
    if size(text) <= limit:
        return text
    room = limit - size(ELLIPSIS) + 2  # the quotes are counted once
    low, high = 0, min(len(text), limit)
    while low < high:  # the longest prefix that fits
        middle = (low + high + 1) // 2
        if size(text[:middle]) <= room:
            low = middle
        else:
            high = middle - 1
    return text[:low] + ELLIPSIS


def _drop_tail(card: dict[str, Any], budget: int) -> dict[str, Any]:
    """Drop the last body elements without inputs until the card fits; an ellipsis says some were."""
    body = card["body"]
    marker = _text(ELLIPSIS)
    excess = size(card) + size(marker) + 2 - budget
    dropped: set[int] = set()
    for at in range(len(body) - 1, 0, -1):  # the first element, the title, stays
        if excess <= 0:
            break
        if not _has_input(body[at]):
            dropped.add(at)
            excess -= size(body[at]) + 2  # the element and its ", " in the list
    if dropped:
        body[:] = [element for at, element in enumerate(body) if at not in dropped] + [marker]
    return card


def _has_input(node: Any) -> bool:
    if isinstance(node, dict):
        return str(node.get("type", "")).startswith("Input.") or any(_has_input(v) for v in node.values())
    return isinstance(node, list) and any(_has_input(v) for v in node)


# What a TextRun carries; the rest (spacing, separator) belongs to the block around it.
_RUN_STYLE = frozenset({"color", "isSubtle", "size", "weight", "fontType", "italic"})


def _text(text: str, **style: Any) -> dict[str, Any]:
    """Return plain text as a RichTextBlock of one TextRun, which shows markdown as typed and always wraps."""
    run = {"type": "TextRun", "text": text, **{k: v for k, v in style.items() if k in _RUN_STYLE}}
    return {
        "type": "RichTextBlock",
        "inlines": [run],
        **{k: v for k, v in style.items() if k not in _RUN_STYLE},
    }


def _facts(fields: tuple[Field, ...]) -> list[dict[str, Any]]:
    """Return labelled facts as rows of label and value TextRuns: a FactSet reads its facts as markdown."""
    rows: list[dict[str, Any]] = []
    for field in fields:
        row: dict[str, Any] = {
            "type": "ColumnSet",
            "columns": [
                {"type": "Column", "width": 1, "items": [_text(field.label, weight="Bolder")]},
                {"type": "Column", "width": 2, "items": [_text(field.value)]},
            ],
        }
        if rows:
            row["spacing"] = "Small"
        rows.append(row)
    return rows


def _action(button: Button, *, home: bool = False) -> dict[str, Any]:
    action: dict[str, Any] = {
        "type": "Action.Submit",
        "title": button.label,
        "data": submit_data(button.action, button.value, home=home),
    }
    if button.style is not Style.DEFAULT:
        action["style"] = _BUTTON[button.style]
    return action


def image(picture: Image) -> dict[str, Any]:
    """Return an image as an Adaptive Card Image element: the PNG inline as a data URI, with its alt text."""
    return {
        "type": "Image",
        "url": "data:image/png;base64," + base64.b64encode(picture.png).decode("ascii"),
        "altText": cut(picture.alt, ALT_TEXT_LIMIT),
        "size": "Stretch",
    }


def render_reply(reply: Reply) -> dict[str, Any]:
    """Return a reply as an Adaptive Card: title, text, facts, image, items with their buttons, buttons."""
    header: list[dict[str, Any]] = [
        _text(reply.title, weight="Bolder", size="Medium", color=_TONE[reply.tone])
    ]
    body: list[dict[str, Any]] = [{"type": "Container", "style": _TONE[reply.tone], "items": header}]
    if reply.text:
        body.append(_text(reply.text))
    body += _facts(reply.fields)
    image_at = len(body)
    for item in reply.items:
        items: list[dict[str, Any]] = [_text(item.title, weight="Bolder")]
        if item.detail:
            items.append(_text(item.detail, isSubtle=True, spacing="None"))
        if item.button:
            items.append({"type": "ActionSet", "actions": [_action(item.button, home=reply.home)]})
        body.append({"type": "Container", "separator": True, "items": items})
    if reply.note:
        body.append(_text(reply.note, isSubtle=True, size="Small"))
    actions = [_action(b, home=reply.home) for b in reply.buttons]
    if reply.image is not None:
        whole = _unfitted([*body[:image_at], image(reply.image), *body[image_at:]], actions)
        if size(whole) <= CARD_BYTES:
            return whole
        left_out = _(CHART_LEFT_OUT, alt=cut(reply.image.alt, ALT_TEXT_LIMIT))
        body.insert(image_at, _text(left_out, isSubtle=True, size="Small"))
    return _card(body, actions)


def _input(spec: Input, value: str | None) -> dict[str, Any]:
    element: dict[str, Any] = {"id": spec.name, "label": spec.label, "isRequired": spec.required}
    if spec.kind is InputKind.CHOICE:
        element.update(
            type="Input.ChoiceSet",
            style="compact",
            choices=[{"title": c.label, "value": c.value} for c in spec.choices],
        )
    else:
        element["type"] = "Input.Text"
        if spec.kind is InputKind.LONG_TEXT:
            element["isMultiline"] = True
        if spec.max_length:
            element["maxLength"] = spec.max_length
        if spec.placeholder:
            element["placeholder"] = spec.placeholder
    if spec.required:
        # Translators: shown under a form's input left empty that must be filled; {label} is its label.
        element["errorMessage"] = _("{label} is needed", label=spec.label)
    if spec.kind is InputKind.CHOICE:
        value = value if any(c.value == value for c in spec.choices) else None
    if value:
        element["value"] = cut(value, spec.max_length or VALUE_LIMIT)
    return element


def render_form(
    form: Form,
    *,
    values: Mapping[str, str] | None = None,
    error: str | None = None,
    error_field: str | None = None,
) -> dict[str, Any]:
    """Return a form as an Adaptive Card whose submit button sends the form's action with its inputs.

    After a failed submission pass what was typed as `values` and the problem as
    `error`: it is shown under the field it is about (`error_field`), or at the top.
    """
    values = values or {}
    body: list[dict[str, Any]] = [_text(form.title, weight="Bolder", size="Medium")]
    if form.intro:
        body.append(_text(form.intro))
    body += _facts(form.fields)
    names = {spec.name for spec in form.inputs}
    if error and error_field not in names:
        body.append(_text(error, color="Attention", weight="Bolder"))
    for spec in form.inputs:
        body.append(_input(spec, values.get(spec.name, spec.initial)))
        if spec.hint:
            body.append(_text(spec.hint, isSubtle=True, size="Small", spacing="None"))
        if error and error_field == spec.name:
            body.append(_text(error, color="Attention", spacing="None"))
    submit = {
        "type": "Action.Submit",
        "title": form.submit_label,
        "style": "positive",
        "data": submit_data(form.action, form.value),
    }
    return _card(body, [submit])


def attachment(card: dict[str, Any]) -> dict[str, Any]:
    """Return a card as a Bot Framework attachment."""
    return {"contentType": CONTENT_TYPE, "content": card}
