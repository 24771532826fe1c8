"""Bot Framework activities (plain JSON dicts) to what the core needs. Pure: no SDK, no I/O.

A card button or form is an Action.Submit whose `data` carries the action id and
value; Teams posts it back as a `message` activity whose `value` holds that data
merged with the form's inputs (keyed by input name).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot import fields
from bot.commands import Actor
from bot.replies import ActionId
from db.models import Platform

VERB = "mend"
ACTION_KEY = "mend_action"
VALUE_KEY = "mend_value"
HOME_KEY = "mend_home"  # on a Home card's buttons: what they bring is shown as a new card

# A form submission that failed on a field is shown again: this is the button that opens it.
FORM_OPENERS: dict[ActionId, ActionId] = {
    ActionId.GIVE_AMOUNT: ActionId.CHOOSE_AMOUNT,
    ActionId.DENY_WITH_REASON: ActionId.DENY,
    ActionId.RESOLVE_CASE: ActionId.RESOLVE,
    ActionId.REOPEN_CASE: ActionId.REOPEN,
    ActionId.CANCEL_CASE: ActionId.CANCEL,
    ActionId.PRACTICE_ANSWER: ActionId.PRACTICE_OPEN,
}

RECOVER = "recover"
_RECOVER = re.compile(r"^\s*/?recover\b\s*(?P<text>.*)$", re.IGNORECASE | re.DOTALL)
_MENTION = re.compile(r"<at>[^<]*</at>", re.IGNORECASE)
# Enough for mentions of Mend, `recover` and a full description after them.
_RECOVER_READ = 2 * (fields.DESCRIPTION.max_length or 0) + 1_000


class Word(StrEnum):
    """What a chat message to Mend asks for, by its first word."""

    RECOVER = RECOVER
    HELP = "help"
    HISTORY = "history"
    CASES = "cases"
    APPROVALS = "approvals"
    ME = "me"
    REPORT = "report"
    TASKS = "tasks"
    PRACTICE = "practice"
    UNKNOWN = "unknown"  # any other text: answered with a short help in a personal chat


# The words a person types for each command (a leading `/` is fine too); `recover` is matched apart.
_WORDS: dict[str, Word] = {
    "help": Word.HELP,
    "?": Word.HELP,
    "history": Word.HISTORY,
    "cases": Word.CASES,
    "approvals": Word.APPROVALS,
    "me": Word.ME,
    "report": Word.REPORT,
    "tasks": Word.TASKS,
    "practice": Word.PRACTICE,
}


@dataclass(frozen=True)
class ChatCommand:
    """A chat message to Mend: the command word and the text after it (a customer, a case's words)."""

    word: Word
    text: str = ""


@dataclass(frozen=True)
class Press:
    """A button click or form submission: the action, its value, and what was typed."""

    action: str
    value: str
    inputs: dict[str, str] = field(default_factory=dict)
    from_home: bool = False  # pressed on a Home card, which stays as it is


def submit_data(action: ActionId | str, value: str, *, home: bool = False) -> dict[str, str]:
    """Return the Action.Submit data that brings `action` with `value` back to Mend (from a Home card)."""
    data = {"verb": VERB, ACTION_KEY: str(action), VALUE_KEY: value}
    if home:
        data[HOME_KEY] = "1"
    return data


def is_press(activity: Mapping[str, Any]) -> bool:
    """Say whether a message activity is a card submission made by Mend's cards."""
    value = activity.get("value")
    return (
        activity.get("type") == "message"
        and isinstance(value, Mapping)
        and isinstance(value.get(ACTION_KEY), str)
    )


def to_press(activity: Mapping[str, Any]) -> Press:
    """Return the press a card submission carries; the inputs are every other string value."""
    value = activity["value"]
    inputs = {
        str(k): "" if v is None else str(v)
        for k, v in value.items()
        if k not in ("verb", ACTION_KEY, VALUE_KEY, HOME_KEY) and not isinstance(v, (dict, list))
    }
    return Press(
        action=value[ACTION_KEY],
        value=str(value.get(VALUE_KEY, "")),
        inputs=inputs,
        from_home=value.get(HOME_KEY) == "1",
    )


def recover_text(activity: Mapping[str, Any]) -> str | None:
    """Return the free text after `recover` (empty for none), or None when the message is not `recover`.

    The text prefills the case's description, so no more of it than that field takes is
    read (a hand-made megabyte would otherwise cost the core a second of matching).
    """
    text = _MENTION.sub(" ", str(activity.get("text") or "")[:_RECOVER_READ])
    match = _RECOVER.match(text)
    return match.group("text").strip()[: fields.DESCRIPTION.max_length] if match else None


# The words that take what follows them: a customer, a period (help ignores it).
_TAKES_TEXT = (Word.HISTORY, Word.REPORT, Word.HELP)


def chat_command(activity: Mapping[str, Any]) -> ChatCommand:
    """Return the command a chat message gives: `recover`, a known word with its text, or UNKNOWN.

    Mentions are dropped first, so `@Mend cases` is `cases`; a word counts only on its own
    (`casesX` and `me too` are UNKNOWN; `history` takes the rest as the customer, `report`
    as its period, `help` ignores it).
    """
    recover = recover_text(activity)
    if recover is not None:
        return ChatCommand(Word.RECOVER, recover)
    first, _, rest = _first_word(_MENTION.sub(" ", str(activity.get("text") or "")[:_RECOVER_READ]))
    word = _WORDS.get(first.removeprefix("/").lower())
    if word is None or (rest and word not in _TAKES_TEXT):
        return ChatCommand(Word.UNKNOWN)
    return ChatCommand(word, rest[: fields.CUSTOMER_NAME.max_length] if word in _TAKES_TEXT else "")


def _first_word(text: str) -> tuple[str, str, str]:
    """Split text at its first run of white space, like str.partition, with both ends stripped."""
    parts = text.split(maxsplit=1)
    return (parts[0], " ", parts[1].strip()) if len(parts) == 2 else ((parts or [""])[0], "", "")


def actor_from(activity: Mapping[str, Any]) -> Actor:
    """Return who sent an activity.

    The user id is the Entra (AAD) object id when Teams sends it, as it is the same
    for every bot in the tenant and is what a directory export lists; otherwise the
    channel's user id. The email is read from the activity when a client puts it
    there (`from.email` or `from.userPrincipalName`); Mend makes no Graph call for it.
    The language is the activity's `locale`, which Teams sets from the client's.
    """
    sender = activity.get("from") or {}
    email = sender.get("email") or sender.get("userPrincipalName")
    if not isinstance(email, str) or "@" not in email:
        email = None
    return Actor(
        platform=Platform.TEAMS,
        user_id=str(sender.get("aadObjectId") or sender.get("id") or ""),
        name=sender.get("name"),
        email=email,
        locale=activity.get("locale") if isinstance(activity.get("locale"), str) else None,
    )


def request_key(activity: Mapping[str, Any], press: Press | None = None) -> str | None:
    """Return the idempotency key of an activity.

    A press on a card is keyed by the card, the action, its value and the person, so a
    double click (two activities with two ids) is one offer or one decision; anything
    else by the activity id, which a retried delivery repeats.
    """
    card_id = activity.get("replyToId")
    if press is not None and card_id:
        person = actor_from(activity).user_id
        return f"teams:{card_id}:{press.action}:{press.value}:{person}"[:200]
    activity_id = activity.get("id")
    return f"teams:{activity_id}" if activity_id else None


def is_personal(activity: Mapping[str, Any]) -> bool:
    """Say whether an activity comes from a one-to-one chat with Mend."""
    conversation = activity.get("conversation") or {}
    return conversation.get("conversationType", "personal") == "personal" and not conversation.get("isGroup")


def bot_was_added(activity: Mapping[str, Any]) -> bool:
    """Say whether a conversationUpdate or installationUpdate tells that Mend was installed here."""
    if activity.get("type") == "installationUpdate":
        return activity.get("action", "add").startswith("add")
    bot_id = (activity.get("recipient") or {}).get("id")
    return any(member.get("id") == bot_id for member in activity.get("membersAdded") or [])
