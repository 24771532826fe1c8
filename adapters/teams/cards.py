"""Neutral replies and forms as Adaptive Cards (version 1.4, what Teams renders). Pure.

Every string of a reply or form is plain text, often typed by someone, so it is
shown in a RichTextBlock of TextRuns: unlike TextBlock text and FactSet facts,
a TextRun is not markdown-processed, so `[the rota](https://evil.example)`,
`**bold**` or `<at>Bob</at>` are shown as typed (RichTextBlock is 1.2, so 1.4 holds).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from adapters.teams.translate import submit_data
from bot.replies import Button, Field, Form, Input, InputKind, Reply, Style, Tone

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.4"
CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"

_TONE = {Tone.INFO: "default", Tone.SUCCESS: "good", Tone.WARNING: "warning", Tone.ERROR: "attention"}
_BUTTON = {Style.DEFAULT: "default", Style.PRIMARY: "positive", Style.DANGER: "destructive"}


def _card(body: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    card: dict[str, Any] = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": VERSION, "body": body}
    if actions:
        card["actions"] = actions
    return card


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


def _action(button: Button) -> dict[str, Any]:
    action: dict[str, Any] = {
        "type": "Action.Submit",
        "title": button.label,
        "data": submit_data(button.action, button.value),
    }
    if button.style is not Style.DEFAULT:
        action["style"] = _BUTTON[button.style]
    return action


def render_reply(reply: Reply) -> dict[str, Any]:
    """Return a reply as an Adaptive Card: title, text, facts, items with their buttons, buttons."""
    header: list[dict[str, Any]] = [
        _text(reply.title, weight="Bolder", size="Medium", color=_TONE[reply.tone])
    ]
    body: list[dict[str, Any]] = [{"type": "Container", "style": _TONE[reply.tone], "items": header}]
    if reply.text:
        body.append(_text(reply.text))
    body += _facts(reply.fields)
    for item in reply.items:
        items: list[dict[str, Any]] = [_text(item.title, weight="Bolder")]
        if item.detail:
            items.append(_text(item.detail, isSubtle=True, spacing="None"))
        if item.button:
            items.append({"type": "ActionSet", "actions": [_action(item.button)]})
        body.append({"type": "Container", "separator": True, "items": items})
    if reply.note:
        body.append(_text(reply.note, isSubtle=True, size="Small"))
    return _card(body, [_action(b) for b in reply.buttons])


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
        element["errorMessage"] = f"{spec.label} is needed"
    if value:
        element["value"] = value
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
