"""Neutral replies and forms as Block Kit, and modal state back to form inputs. Pure: no SDK, no I/O.

A button's `action_id` is Mend's action id (with `#n` appended when one actions
block holds the same action twice, as Slack wants them unique) and its `value`
the case, option or request id. A modal's `callback_id` is the form's action id,
its `private_metadata` a JSON object with the form's value and where it was opened.

Everything rendered keeps to what Slack accepts, whatever length the core's text has:
a text is cut with an ellipsis (after escaping, never inside an entity), a prefill
to its input's own maximum, a message to 50 blocks and a view to 100. Slack refuses
the whole message or view otherwise, and the person sees nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bot.i18n import _
from bot.replies import Button, Field, Form, Input, InputKind, Reply, Style, Tone

INPUT_ACTION = "value"
# Slack's limits, in characters (after escaping, for mrkdwn).
TITLE_LIMIT = 24  # a modal's title, submit and close buttons
TEXT_LIMIT = 3000  # a section's text
FIELD_LIMIT = 2000  # one of a section's fields
CONTEXT_LIMIT = 2000  # one element of a context block
HEADING_LIMIT = 150  # a bold heading above a body (Mend's own layout, not Slack's)
LABEL_LIMIT = 150  # an input's label
HINT_LIMIT = 2000  # an input's hint
PLACEHOLDER_LIMIT = 150
BUTTON_LIMIT = 75  # a button's or an option's text
INPUT_LIMIT = 3000  # what a plain-text input takes, and so its longest prefill
FALLBACK_LIMIT = 40_000  # a message's `text`, shown in notifications
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100  # a modal or the Home tab
_TONE = {Tone.INFO: "", Tone.SUCCESS: ":white_check_mark: ", Tone.WARNING: ":warning: ", Tone.ERROR: ":x: "}
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_ESCAPES = str.maketrans(_ENTITIES)
# What Mend puts in a modal's private_metadata, and the longest each may be when it comes back.
_METADATA_KEYS = ("value", "channel", "ts")
_METADATA_LIMIT = 255


def _plain(text: str, limit: int = TEXT_LIMIT) -> dict[str, Any]:
    return {"type": "plain_text", "text": cut(text, limit) or " ", "emoji": True}


def _escape(text: str, limit: int | None = None) -> str:
    """Return plain text escaped for mrkdwn, cut so the escaped text fits `limit`.

    Slack reads `<`, `>` and `&` as control characters (mentions, `<!channel>`,
    disguised links), so typed text carries them as entities. The cut falls
    between escaped characters, so it never leaves half an entity.
    """
    if limit is None:
        return text.translate(_ESCAPES)
    # Escaping only lengthens a text: what lies past `limit` typed characters is never shown.
    pieces = [_ENTITIES.get(char, char) for char in text[: limit + 1]]
    if len(text) <= limit and sum(map(len, pieces)) <= limit:
        return "".join(pieces)
    kept, size = [], 0
    for piece in pieces:
        if size + len(piece) > limit - 1:
            break
        kept.append(piece)
        size += len(piece)
    return "".join(kept) + "…"


def _mrkdwn(body: str = "", *, heading: str = "", mark: str = "", limit: int = TEXT_LIMIT) -> dict[str, Any]:
    """Return a mrkdwn text object from plain text: a bold heading line (after `mark`) and a body.

    Every plain string is escaped here and only here, so nothing is escaped twice;
    `verbatim` stops Slack from turning a typed `@channel` or channel name into a mention or link.
    """
    head = ""
    if heading:
        room = limit - len(mark) - 2
        head = f"{mark}*{_escape(heading, min(room - 1, HEADING_LIMIT) if body else room)}*"
    if body:
        body = _escape(body, limit - len(head) - (1 if head else 0))
    text = "\n".join(part for part in (head, body) if part)
    return {"type": "mrkdwn", "text": text or " ", "verbatim": True}


def cut(text: str, limit: int) -> str:
    """Return plain text cut to `limit` characters, its last one an ellipsis when anything was cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def action_of(action_id: str) -> str:
    """Return Mend's action id from a Slack `action_id` (which may carry a `#n` suffix)."""
    return action_id.split("#", 1)[0]


def _button(button: Button, suffix: str = "") -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": _plain(button.label, BUTTON_LIMIT),
        "action_id": f"{button.action.value}{suffix}",
        "value": button.value,
    }
    if button.style is not Style.DEFAULT:
        element["style"] = button.style.value
    return element


def fallback_text(reply: Reply) -> str:
    """Return the text Slack shows in notifications for a reply, escaped: Slack parses it as mrkdwn."""
    return _escape(f"{reply.title}: {reply.text}" if reply.text else reply.title, FALLBACK_LIMIT)


def _fact_sections(fields: tuple[Field, ...]) -> list[dict[str, Any]]:
    """Return labelled facts as sections of at most ten fields each, as Slack allows."""
    return [
        {
            "type": "section",
            "fields": [
                _mrkdwn(f.value, heading=f.label, limit=FIELD_LIMIT) for f in fields[start : start + 10]
            ],
        }
        for start in range(0, len(fields), 10)
    ]


def render_reply(reply: Reply, *, image_in_words: bool = False) -> list[dict[str, Any]]:
    """Return a reply as blocks: title, text, fields, items with their buttons, note, buttons.

    The image itself travels as an uploaded file (see the notifier); with
    `image_in_words` its alt text is shown instead, for a message sent without it.
    Past Slack's 50 blocks, the last items are left out: the note and the buttons stay.
    """
    head: list[dict[str, Any]] = [
        {"type": "section", "text": _mrkdwn(heading=reply.title, mark=_TONE[reply.tone])}
    ]
    if reply.text:
        head.append({"type": "section", "text": _mrkdwn(reply.text)})
    head += _fact_sections(reply.fields)
    tail: list[dict[str, Any]] = []
    if image_in_words and reply.image is not None and reply.image.alt:
        tail.append({"type": "context", "elements": [_mrkdwn(reply.image.alt, limit=CONTEXT_LIMIT)]})
    if reply.note:
        tail.append({"type": "context", "elements": [_mrkdwn(reply.note, limit=CONTEXT_LIMIT)]})
    if reply.buttons:
        seen: dict[str, int] = {}
        elements = []
        for button in reply.buttons[:25]:
            count = seen.get(button.action.value, 0)
            seen[button.action.value] = count + 1
            elements.append(_button(button, f"#{count}" if count else ""))
        tail.append({"type": "actions", "elements": elements})
    head = head[: MESSAGE_BLOCKS - len(tail)]
    items = []
    for item in reply.items[: MESSAGE_BLOCKS - len(tail) - len(head)]:
        section: dict[str, Any] = {
            "type": "section",
            "text": _mrkdwn(item.detail, heading=item.title),
        }
        if item.button:
            section["accessory"] = _button(item.button)
        items.append(section)
    return head + items + tail


def _option(value: str, label: str) -> dict[str, Any]:
    return {"text": _plain(label, BUTTON_LIMIT), "value": value}


def _element(spec: Input, value: str | None) -> dict[str, Any]:
    if spec.kind is InputKind.CHOICE:
        choices = spec.choices[:100]
        element: dict[str, Any] = {
            "type": "static_select",
            "action_id": INPUT_ACTION,
            "options": [_option(c.value, c.label) for c in choices],
        }
        chosen = next((c for c in choices if c.value == value), None)
        if chosen is not None:
            element["initial_option"] = _option(chosen.value, chosen.label)
        if spec.placeholder:
            element["placeholder"] = _plain(spec.placeholder, PLACEHOLDER_LIMIT)
        return element
    element = {"type": "plain_text_input", "action_id": INPUT_ACTION}
    if spec.kind is InputKind.LONG_TEXT:
        element["multiline"] = True
    limit = min(spec.max_length or INPUT_LIMIT, INPUT_LIMIT)
    if spec.max_length:
        element["max_length"] = limit
    if spec.placeholder:
        element["placeholder"] = _plain(spec.placeholder, PLACEHOLDER_LIMIT)
    if value:
        # Slack refuses the whole view when a prefill is longer than its input takes.
        element["initial_value"] = cut(value, limit)
    return element


def render_form(form: Form, *, metadata: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return a form as a modal view whose submission comes back with the form's action and value."""
    head: list[dict[str, Any]] = []
    if form.intro:
        head.append({"type": "section", "text": _mrkdwn(form.intro)})
    head += _fact_sections(form.fields)
    inputs = []
    for spec in form.inputs[:VIEW_BLOCKS]:
        block: dict[str, Any] = {
            "type": "input",
            "block_id": spec.name,
            "label": _plain(spec.label, LABEL_LIMIT),
            "optional": not spec.required,
            "element": _element(spec, spec.initial),
        }
        if spec.hint:
            block["hint"] = _plain(spec.hint, HINT_LIMIT)
        inputs.append(block)
    blocks = head[: VIEW_BLOCKS - len(inputs)] + inputs
    return {
        "type": "modal",
        "callback_id": form.action.value,
        "private_metadata": json.dumps({"value": form.value, **(metadata or {})}),
        "title": _plain(form.title, TITLE_LIMIT),
        "submit": _plain(form.submit_label, TITLE_LIMIT),
        # Translators: the button that closes a form without sending it (not "cancel the case").
        "close": _plain(_("Cancel"), TITLE_LIMIT),
        "blocks": blocks,
    }


def render_home(reply: Reply) -> dict[str, Any]:
    """Return a reply as the App Home tab."""
    return {"type": "home", "blocks": render_reply(reply)}


def form_inputs(view: Mapping[str, Any]) -> dict[str, str]:
    """Return what was entered in a submitted modal, keyed by input name; empty inputs are ''."""
    inputs: dict[str, str] = {}
    for block_id, actions in ((view.get("state") or {}).get("values") or {}).items():
        element = actions.get(INPUT_ACTION) or {}
        if element.get("type") == "static_select":
            inputs[block_id] = ((element.get("selected_option") or {}).get("value")) or ""
        else:
            inputs[block_id] = element.get("value") or ""
    return inputs


def view_metadata(view: Mapping[str, Any]) -> dict[str, str]:
    """Return the private metadata Mend put in a modal (the form's value and where it came from).

    Only what Mend writes comes back, as text: the metadata is carried into the next modal,
    and told where to update a message.
    """
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except (TypeError, ValueError, RecursionError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {
        key: data[key]
        for key in _METADATA_KEYS
        if isinstance(data.get(key), str) and len(data[key]) <= _METADATA_LIMIT
    }


def first_input(view: Mapping[str, Any]) -> str | None:
    """Return the block id of a modal's first input, where errors not tied to a field are shown."""
    for block in view.get("blocks") or []:
        if block.get("type") == "input":
            return str(block.get("block_id"))
    return None
