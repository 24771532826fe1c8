"""Neutral replies as terminal text, and buttons as the commands that press them.

Pure, but for `shown` and `save_image`: a terminal cannot show a chart, so the chart
is saved as a PNG file and one line says where, with what it shows in words.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import replace
from pathlib import Path
from typing import Any

from bot import cases
from bot.errors import MendError
from bot.i18n import N_, _
from bot.replies import ActionId, Button, Field, Image, Reply, Tone
from bot.values import Target
from db.models import CASE_REF_OFFSET

# C0 and C1 controls but newline and tab, and the bidi controls that reorder a line.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# A number typed for a request, task or item: a few digits, nothing else.
NUMBER = re.compile(r"\d{1,9}", re.A)
_MARK = {Tone.INFO: "•", Tone.SUCCESS: "✔", Tone.WARNING: "!", Tone.ERROR: "✗"}

# Each command of the terminal, the action it presses and the words it takes; "case" takes R-1042.
COMMANDS: dict[str, tuple[ActionId, tuple[str, ...]]] = {
    "case": (ActionId.SHOW_CASE, ("case",)),
    "give": (ActionId.GIVE_OPTION, ("case", "option")),
    "amount": (ActionId.CHOOSE_AMOUNT, ("case",)),
    "waiting": (ActionId.CUSTOMER_WAITING, ("case",)),
    "request": (ActionId.REVIEW_REQUEST, ("request",)),
    "approve": (ActionId.APPROVE, ("request",)),
    "deny": (ActionId.DENY, ("request",)),
    "resolve": (ActionId.RESOLVE, ("case",)),
    "reopen": (ActionId.REOPEN, ("case",)),
    "cancel": (ActionId.CANCEL, ("case",)),
    "fixed": (ActionId.FOLLOW_UP_FIXED, ("case", "attempt")),
    "unhappy": (ActionId.FOLLOW_UP_UNHAPPY, ("case", "attempt")),
    "unreachable": (ActionId.FOLLOW_UP_UNREACHABLE, ("case", "attempt")),
    "task": (ActionId.SHOW_TASK, ("task",)),
    "accept": (ActionId.TASK_ACCEPT, ("task",)),
    "handover": (ActionId.TASK_REASSIGN, ("task",)),
    "wontfix": (ActionId.TASK_WONT_FIX, ("task",)),
    "done": (ActionId.TASK_DONE, ("task",)),
    "practice": (ActionId.PRACTICE_NEXT, ()),
    "answer": (ActionId.PRACTICE_OPEN, ("case",)),
    "try": (ActionId.PRACTICE_TRY, ("case",)),
    "fine": (ActionId.REVIEW_FINE, ("item",)),
    "talk": (ActionId.REVIEW_TALK, ("item",)),
    "applaud": (ActionId.APPLAUD, ("case",)),
}
# The part of a button's Target each word of a command gives.
TARGET_FIELDS = {
    "case": "case_id",
    "option": "rank",
    "request": "request_id",
    "attempt": "attempt",
    "task": "task_id",
    "item": "item_id",
}
_BY_ACTION = {action: name for name, (action, _) in COMMANDS.items()}
_BY_ACTION[ActionId.REQUEST_APPROVAL] = "give"
# How /help shows each word a command takes; the case may be left out for the last one seen.
_WORD_USAGE = {"case": "[R-1042]", "option": "N", "request": "ID", "attempt": "N", "task": "N", "item": "N"}


def usage(name: str) -> str:
    """Return the words command `name` takes, as /help shows them: `[R-1042] N`."""
    return " ".join(_WORD_USAGE[word] for word in COMMANDS[name][1])


def command_for(button: Button) -> str:
    """Return the terminal command that presses `button`.

    Only the words the command takes are shown: an option's rendering (the third part
    of its value) tells card versions apart on Slack and Teams and means nothing here.
    """
    name = _BY_ACTION[button.action]
    target = Target.decode(button.action, button.value)
    args = [getattr(target, TARGET_FIELDS[word]) for word in COMMANDS[name][1]]
    if COMMANDS[name][1][:1] == ("case",):
        args[0] = f"R-{args[0] + CASE_REF_OFFSET}"
    return f"/{name} {' '.join(str(arg) for arg in args)}".rstrip()


def inert(text: str) -> str:
    """Return text with control characters shown as escapes (`\\x1b`): typed text must not drive the terminal.

    An ANSI sequence could recolour or clear the screen, a carriage return overwrite
    a line with something else; shown literally they are harmless and visible.
    """
    text = text.replace("\r\n", "\n")
    return _CONTROL.sub(lambda m: f"\\u{ord(m[0]):04x}" if ord(m[0]) > 0xFF else f"\\x{ord(m[0]):02x}", text)


def render(reply: Reply, *, width: int = 88) -> str:
    """Return a reply as lines of terminal text, with control characters made inert."""
    reply = _inert_reply(reply)
    lines = [f"{_MARK[reply.tone]} {reply.title}"]
    for paragraph in reply.text.splitlines():
        lines += textwrap.wrap(paragraph, width, initial_indent="  ", subsequent_indent="  ") or [""]
    for field in reply.fields:
        lines += textwrap.wrap(
            f"{field.label}: {field.value}", width, initial_indent="  · ", subsequent_indent="    "
        )
    for item in reply.items:
        lines.append(f"  {item.title}")
        if item.detail:
            lines += textwrap.wrap(item.detail, width, initial_indent="      ", subsequent_indent="      ")
        if item.button:
            lines.append(f"      {item.button.label}: {command_for(item.button)}")
    if reply.buttons:
        lines.append("  " + "   ".join(f"[{b.label}: {command_for(b)}]" for b in reply.buttons))
    if reply.note:
        lines += textwrap.wrap(reply.note, width, initial_indent="  ", subsequent_indent="  ")
    return inert("\n".join(lines))  # also covers what is not a reply string, such as a button value


def _inert_button(button: Button) -> Button:
    return replace(button, label=inert(button.label))


def _inert_reply(reply: Reply) -> Reply:
    """Return a reply with every string made inert before wrapping, which would turn a `\\r` into a space."""
    return replace(
        reply,
        title=inert(reply.title),
        text=inert(reply.text),
        fields=tuple(Field(inert(f.label), inert(f.value)) for f in reply.fields),
        items=tuple(
            replace(
                i,
                title=inert(i.title),
                detail=inert(i.detail),
                button=_inert_button(i.button) if i.button else None,
            )
            for i in reply.items
        ),
        buttons=tuple(_inert_button(b) for b in reply.buttons),
        note=inert(reply.note),
    )


def shown(reply: Reply, charts: Path) -> str:
    """Return a reply as terminal text; its image, if any, is saved under `charts` and named in a line."""
    text = render(reply)
    if reply.image is None:
        return text
    try:
        return f"{text}\n{image_line(reply.image, save_image(reply.image, charts))}"
    except OSError as exc:  # a full disk or a read-only directory costs the chart, not the message
        return f"{text}\n{image_line(reply.image, None, f'{charts}: {exc.strerror or exc}')}"


def save_image(image: Image, directory: Path) -> Path:
    """Write an image's PNG into `directory` (made if missing) and return the file's path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / Path(image.name).name  # a name, never a path that leaves the directory
    path.write_bytes(image.png)
    return path


def image_line(image: Image, path: Path | None, problem: str = "") -> str:
    """Return the line that says where a reply's chart was saved (or why not), and what it shows."""
    if path is None:
        # Translators: {problem} says why the chart's file could not be written; {alt} what the chart shows.
        return inert("  " + _("Chart not saved ({problem}): {alt}", problem=problem, alt=image.alt))
    # Translators: {path} is the file the chart was saved in; {alt} what the chart shows.
    return inert("  " + _("Chart: {path} ({alt})", path=path, alt=image.alt))


# What is said when a command's number is missing, by the word it stands for (see COMMANDS).
_SAY_WHICH = {
    # Translators: the option of a suggestion, to give (/give R-1042 N).
    "option": N_("Say which option: a number."),
    # Translators: an approval request (/approve ID).
    "request": N_("Say which request: a number."),
    # Translators: a follow-up with the customer (/fixed R-1042 N).
    "attempt": N_("Say which attempt: a number."),
    # Translators: a fix-the-system task (/accept N).
    "task": N_("Say which task: a number."),
    # Translators: an item of the weekly review (/fine N).
    "item": N_("Say which item: a number."),
}


def command_target(
    name: str, params: tuple[str, ...], args: list[str], last_case: int | None
) -> tuple[str, int | None]:
    """Return the value a command's words press, and the case it is about (the last one when left out)."""
    args = list(args)
    numbers: dict[str, Any] = {}
    for i, param in enumerate(params):
        if param == "case":
            # A bare number is the case when the words after it are all there: /give 1042 1.
            spare = len(args) > len(params) - i - 1
            if args and (args[0][:1] in ("R", "r") or spare):
                case_id = cases.parse_case_ref(args.pop(0))
            elif last_case is not None:
                case_id = last_case
            else:
                raise MendError(_("Say which case, for example R-1001."))
            last_case = case_id
            numbers[TARGET_FIELDS[param]] = case_id
        else:
            if not args or not NUMBER.fullmatch(args[0]):
                raise MendError(_(_SAY_WHICH[param]))
            numbers[TARGET_FIELDS[param]] = int(args.pop(0))
    if args:
        raise MendError(
            # Translators: {usage} is how the command's words are typed, such as "[R-1042] N";
            # {word} is the first word typed past them.
            _(
                "/{command} takes {usage}: {word} is one word too many.",
                command=name,
                usage=usage(name),
                word=inert(args[0][:40]),
            )
        )
    return Target(**numbers).encode(), last_case
