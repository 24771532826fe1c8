"""What a person types at the terminal's prompts: answers to a form's questions, and times.

Each answer is checked as it is given where the check needs nothing but the form
(a required field, a field's length, a choice), so a mistake is asked again at once;
the whole form still goes through the core when it is submitted.
"""

from __future__ import annotations

import re

from adapters.console.render import inert
from bot import messages
from bot.errors import MendError
from bot.i18n import N_, _
from bot.replies import Input, InputKind

FORM_LEFT = N_("Form left; nothing was saved.")  # said as _(FORM_LEFT)
_QUIT = ("/quit", "/exit")
_LEAVE_FORM = ("/cancel", *_QUIT)
# How far `/later` may move the clock at once: past a year nothing new is due.
MAX_LATER_HOURS = 366 * 24
_LATER = re.compile(r"(\d{1,6}(?:\.\d{1,6})?|\.\d{1,6})\s*(h|hours?|m|mins?|minutes?|d|days?)?", re.I | re.A)
_HOURS_PER_UNIT = {"h": 1.0, "m": 1 / 60, "d": 24.0}


class FormLeft(Exception):
    """The person left a form before submitting it: /cancel, /quit or the end of input."""

    def __init__(self, *, end_chat: bool) -> None:
        super().__init__(FORM_LEFT)
        self.end_chat = end_chat


def later_hours(text: str) -> float:
    """Return the hours `/later` moves the clock on; raise MendError unless `text` is a positive time."""
    if not text.strip():
        return 24.0
    match = _LATER.fullmatch(text.strip())
    hours = float(match[1]) * _HOURS_PER_UNIT[(match[2] or "h")[0].lower()] if match else 0.0
    if not 0 < hours <= MAX_LATER_HOURS:
        raise MendError(
            # Translators: {text} is what the person typed after /later; 2, 0.5, 30m, 2h and 1d are
            # typed as they are (m, h and d for minutes, hours and days).
            _(
                "{text} is not a time to move on: give hours such as 2 or 0.5,"
                " or 30m, 2h, 1d (at most a year).",
                text=inert(text.strip()[:40]),
            )
        )
    return hours


def checked_answer(field_: Input, answer: str) -> str:
    """Return the value an answer gives a form input; raise MendError if the form's own limits refuse it."""
    if not answer:
        if field_.required:
            raise MendError(messages.required(field_.name), field=field_.name)
        return ""
    if field_.kind is InputKind.CHOICE:
        return _choice_value(field_, answer)
    if field_.max_length is not None and len(answer) > field_.max_length:
        raise MendError(messages.too_long(field_.name, field_.max_length, len(answer)), field=field_.name)
    return answer


def _choice_value(field_: Input, answer: str) -> str:
    """Return the choice an answer names by its number or its label (the key is taken, never shown)."""
    wanted = answer.strip().rstrip(".").lower()
    for n, choice in enumerate(field_.choices, start=1):
        label = choice.label.lower()
        if wanted in (str(n), choice.value.lower(), label, label.split(":")[0]):
            return choice.value
    listed = ", ".join(f"{n}. {choice.label}" for n, choice in enumerate(field_.choices, start=1))
    raise MendError(
        # Translators: {field} is a form field's label, {answer} what was typed, {choices} the
        # numbered choices ("1. Late delivery, 2. Damaged item").
        _(
            "{field}: {answer} is not one of the choices; type its number: {choices}.",
            field=field_.label,
            answer=inert(answer[:40]),
            choices=listed,
        ),
        field=field_.name,
    )


def _initial_number(field_: Input) -> str | None:
    """Return the number of a choice input's initial choice, if it has one of its choices."""
    numbers = {choice.value: str(n) for n, choice in enumerate(field_.choices, start=1)}
    return numbers.get(field_.initial or "")
