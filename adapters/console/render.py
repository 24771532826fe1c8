"""Neutral replies as terminal text, and buttons as the commands that press them. Pure."""

from __future__ import annotations

import textwrap

from bot.replies import ActionId, Button, Reply, Tone
from db.models import CASE_REF_OFFSET

_MARK = {Tone.INFO: "•", Tone.SUCCESS: "✔", Tone.WARNING: "!", Tone.ERROR: "✗"}

# Each command of the terminal and the action it presses; "case" takes R-1042.
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
}
_BY_ACTION = {action: name for name, (action, _) in COMMANDS.items()}
_BY_ACTION[ActionId.REQUEST_APPROVAL] = "give"


def command_for(button: Button) -> str:
    """Return the terminal command that presses `button`."""
    name = _BY_ACTION[button.action]
    parts = button.value.split(":")
    args = [f"R-{int(parts[0]) + CASE_REF_OFFSET}" if COMMANDS[name][1][0] == "case" else parts[0]]
    args += parts[1:]
    return f"/{name} {' '.join(args)}"


def render(reply: Reply, *, width: int = 88) -> str:
    """Return a reply as lines of terminal text."""
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
    return "\n".join(lines)
