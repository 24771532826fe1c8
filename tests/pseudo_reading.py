"""What a person reads on each surface, and the two checks `test_pseudo_locale.py` makes of it.

In the pseudo-locale (`bot.i18n.PSEUDO`) every catalog message is ⟦accented and longer⟧.
So a text a person reads must (1) hold every ⟦ with its ⟧ and keep to its platform's
limit, or it was cut; and (2) once every ⟦…⟧ is taken out, hold no English word but
what the people and the policy wrote themselves, or a sentence skipped the catalog.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale

from adapters.slack import blocks as slack
from adapters.slack.notifier import ALT_TEXT_LIMIT, FILE_TITLE_LIMIT
from adapters.teams import cards
from policies.schema import Policy

INNERMOST = re.compile(r"⟦[^⟦⟧]*⟧")
WORD = re.compile(r"[A-Za-z]{3,}")
PLACEHOLDER = re.compile(r"\{\w*\}")  # in the policy's apologies: filled in, never read as written
EMOJI = re.compile(r":[a-z0-9_+-]+:")  # Slack's emoji codes (:white_check_mark:) are pictures, not words
# Product names, which no language translates.
PRODUCTS = ("Mend", "Slack", "Teams")


@dataclass(frozen=True)
class Text:
    """One text a person reads: where it was, what it said, the most its platform shows of it."""

    where: str
    text: str
    limit: int | None = None
    channel_post: bool = False  # a lesson or digest: in the channel's language, not the reader's
    size: int | None = None  # what the limit counts when not the text's characters (blocks, bytes)


def is_whole(text: str) -> bool:
    """Say whether every ⟦ in `text` is closed by its ⟧ (a cut text loses its last ⟧)."""
    depth = 0
    for char in text:
        depth += {"⟦": 1, "⟧": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def outside_catalog(text: str) -> str:
    """Return what is left of `text` once every ⟦…⟧ is taken out, the innermost first."""
    while True:
        fewer = INNERMOST.sub(" ", text)
        if fewer == text:
            return text
        text = fewer


@dataclass(frozen=True)
class Allowed:
    """What a person may read outside the catalog: whole phrases people and the policy wrote, and a
    few single words (English dates and times, product names, commands typed as they are)."""

    phrases: re.Pattern[str]
    words: frozenset[str]

    def left_over(self, text: str) -> str:
        """Return what is left of `text` without its ⟦…⟧, the phrases allowed, markup and extra spaces."""
        plain = " ".join(EMOJI.sub(" ", html.unescape(outside_catalog(text))).split())
        return " ".join(self.phrases.sub(" ", plain).split())


def problems(texts: Iterable[Text], allowed: Allowed) -> list[str]:
    """Return each text that was cut, is over its limit, or holds an English word outside the catalog."""
    found: list[str] = []
    for t in texts:
        if not is_whole(t.text):
            found.append(f"cut (a ⟦ without its ⟧) in {t.where}: {t.text!r}")
        size = len(t.text) if t.size is None else t.size
        if t.limit is not None and size > t.limit:
            found.append(f"over its limit of {t.limit} ({size}) in {t.where}: {t.text!r}")
        if not t.channel_post:
            left = allowed.left_over(t.text)
            words = sorted({w for w in WORD.findall(left) if w.lower() not in allowed.words})
            if words:
                found.append(f"not from the catalog {words} in {t.where}: {left!r}")
    return found


def allowed(policy: Policy, data: Any, words: Iterable[str] = ()) -> Allowed:
    """Return what a person may read outside the catalog.

    Phrases, each removed whole wherever it stands: what people typed or the directory holds
    (`data`, any nesting of strings), and what the policy says in its own words (roles,
    categories with their apologies and fixes, options, kinds of cause, tiers, locations,
    channels). Words: Babel's English dates and times (the pseudo-locale writes them as English
    does), the product names, and `words` (commands, typed as they are).
    """
    english = Locale.parse("en")
    said = [*PRODUCTS, *english.months["format"]["abbreviated"].values(), "AM", "PM", "UTC", *words]
    said += english.days["format"]["abbreviated"].values()
    for location in policy.locations.values():
        zone = ZoneInfo(location.timezone)
        said += [zone.tzname(datetime(2026, month, 1, tzinfo=UTC)) or "" for month in (1, 7)]
    phrases = [role.label for role in policy.roles.values()]
    for category in policy.categories.values():
        phrases += [category.label, *PLACEHOLDER.split(category.apology), *PLACEHOLDER.split(category.fix)]
        phrases += [o.label or "" for options in category.compensation.values() for o in options]
    phrases += [label for causes in policy.learning.root_causes.values() for label in causes.values()]
    phrases += [*policy.adjustments.tiers, *policy.locations, policy.broadcast.channel, *_strings(data)]
    kept = sorted({" ".join(p.split()) for p in phrases if WORD.search(p)}, key=len, reverse=True)
    pattern = "|".join(rf"(?<!\w){re.escape(p.strip(' ,.;:'))}(?!\w)" for p in kept)
    return Allowed(re.compile(pattern, re.IGNORECASE), frozenset(w.lower() for w in said))


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, (list, tuple, set)):
        for value in node:
            yield from _strings(value)


# --- Slack: text objects in what Mend sent, with Slack's limit for where each sits -------------

_SLACK_LIMITS: dict[Any, int] = {
    ("modal", "title"): slack.TITLE_LIMIT,
    ("modal", "submit"): slack.TITLE_LIMIT,
    ("modal", "close"): slack.TITLE_LIMIT,
    ("button", "text"): slack.BUTTON_LIMIT,
    ("section", "text"): slack.TEXT_LIMIT,
    ("context", "elements"): slack.CONTEXT_LIMIT,
    "fields": slack.FIELD_LIMIT,
    "label": slack.LABEL_LIMIT,
    "placeholder": slack.PLACEHOLDER_LIMIT,
    "hint": slack.HINT_LIMIT,
    "options": slack.BUTTON_LIMIT,
    "initial_option": slack.BUTTON_LIMIT,
}
SLACK_SENDS = (
    "chat.postMessage",
    "chat.update",
    "chat.postEphemeral",
    "views.open",
    "views.update",
    "views.publish",
    "response_url",
    "files.getUploadURLExternal",
    "files.completeUploadExternal",
)


def slack_texts(where: str, args: dict[str, Any], *, channel_post: bool = False) -> list[Text]:
    """Return every text of a Web API call's arguments (or a modal submission's answer)."""
    found = [Text(where, t, limit, channel_post) for t, limit in _slack_objects(args, slack.TEXT_LIMIT, None)]
    if isinstance(args.get("text"), str):  # a message's fallback text, shown in notifications
        found.append(Text(f"{where} fallback", args["text"], slack.FALLBACK_LIMIT, channel_post))
    for text, limit in ((args.get("alt_txt"), ALT_TEXT_LIMIT), (args.get("initial_comment"), None)):
        if isinstance(text, str):
            found.append(Text(f"{where} file", text, limit, channel_post))
    for file in args.get("files") or []:
        found.append(Text(f"{where} file title", file.get("title", ""), FILE_TITLE_LIMIT, channel_post))
    for field, error in (args.get("errors") or {}).items():  # shown under a modal's field
        found.append(Text(f"{where} error on {field}", error, None, channel_post))
    for kind, limit in (("blocks", slack.MESSAGE_BLOCKS), ("view", slack.VIEW_BLOCKS)):
        shown = args.get(kind)
        count = len(shown.get("blocks", [])) if isinstance(shown, dict) else len(shown or [])
        if count > limit:
            found.append(Text(f"{where}, its blocks", "", limit, channel_post, size=count))
    return found


def _slack_objects(node: Any, limit: int, kind: str | None) -> Iterator[tuple[str, int]]:
    if isinstance(node, list):
        for value in node:
            yield from _slack_objects(value, limit, kind)
    elif isinstance(node, dict):
        if node.get("type") in ("plain_text", "mrkdwn"):
            yield node["text"], limit
            return
        own = node.get("type", kind)
        for key, value in node.items():
            yield from _slack_objects(
                value, _SLACK_LIMITS.get((own, key), _SLACK_LIMITS.get(key, limit)), own
            )


# --- Teams: every text of the cards the connector was sent -----------------------------------

_CARD_TEXTS = ("text", "title", "label", "placeholder", "errorMessage", "altText")


def teams_texts(where: str, card: dict[str, Any], *, channel_post: bool = False) -> list[Text]:
    """Return every text of an Adaptive Card, and the card's own size against Mend's budget."""
    found = [Text(where, t, limit, channel_post) for t, limit in _card_texts(card)]
    if cards.size(card) > cards.CARD_BYTES:  # Mend's budget under Teams' 28 KB for a whole message
        found.append(Text(f"{where}, the card's bytes", "", cards.CARD_BYTES, size=cards.size(card)))
    return found


def _card_texts(node: Any) -> Iterator[tuple[str, int | None]]:
    if isinstance(node, list):
        for value in node:
            yield from _card_texts(value)
    elif isinstance(node, dict):
        for key in _CARD_TEXTS:
            if isinstance(node.get(key), str):
                yield node[key], cards.ALT_TEXT_LIMIT if key == "altText" else None
        if node.get("type") == "Input.Text" and isinstance(node.get("value"), str):
            yield node["value"], node.get("maxLength")  # a prefill, such as the lesson as the team reads it
        for key, value in node.items():
            if key != "data":  # an action's data goes back to Mend, nobody reads it
                yield from _card_texts(value)


def body_of(answer: str) -> dict[str, Any]:
    """Return Mend's JSON answer to a slash command or modal submission ({} when it is empty)."""
    return json.loads(answer) if answer.strip() else {}
