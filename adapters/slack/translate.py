"""Slack payloads (plain dicts) to what the core needs. Pure: no SDK, no I/O."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.commands import Actor
from bot.fields import storable
from db.models import Platform

# The longest request key the database keeps (cases.request_key, offers.request_key).
KEY_LIMIT = 200


@dataclass(frozen=True)
class Command:
    """What `/recover` was asked to do: open a case (with free text), show history, or help."""

    verb: str
    text: str = ""


def parse_recover(text: str | None) -> Command:
    """Return the sub-command of `/recover TEXT`: `help`, `history CUSTOMER`, `report [week|month]`,
    `tasks`, `practice`, or free text for a case."""
    text = (text or "").strip()
    first, _, rest = text.partition(" ")
    if first.lower() in ("help", "?"):
        return Command("help")
    if first.lower() in ("history", "report", "tasks", "practice"):
        return Command(first.lower(), rest.strip())
    return Command("open", text)


def actor_from(
    user: Mapping[str, Any] | None, *, user_id: str | None = None, email: str | None = None
) -> Actor:
    """Return who acted, from a payload's `user` object (or a bare user id; users.info's has a locale)."""
    user = user or {}
    name = user.get("real_name") or user.get("name") or user.get("username")
    return Actor(
        platform=Platform.SLACK.value,
        user_id=str(user.get("id") or user_id or ""),
        name=name,
        email=email,
        locale=user.get("locale"),
    )


def team_of(body: Mapping[str, Any]) -> str:
    """Return the workspace id a payload comes from."""
    team = body.get("team")
    if isinstance(team, Mapping):
        return str(team.get("id") or "")
    return str(body.get("team_id") or team or "")


def view_request_key(body: Mapping[str, Any]) -> str:
    """Return the idempotency key of a modal submission: a retried submission has the same view id."""
    view = body.get("view") or {}
    return _storable_key(f"slack:{team_of(body)}:view:{view.get('id')}")


def action_request_key(body: Mapping[str, Any], action: Mapping[str, Any]) -> str:
    """Return the idempotency key of a button click.

    On a message it is the message, the button and the person: a double click (two
    action_ts) or a retried request is the same key. Elsewhere (App Home) the
    action_ts, which a retried request repeats.
    """
    user = (body.get("user") or {}).get("id")
    where = message_location(body)
    if where is not None:
        button = f"{action.get('action_id')}:{action.get('value')}"
        return _storable_key(f"slack:{team_of(body)}:click:{where[0]}:{where[1]}:{button}:{user}")
    return _storable_key(f"slack:{team_of(body)}:action:{action.get('action_ts')}:{user}")


def _storable_key(key: str) -> str:
    """Return the key as it is, or its digest when the database could not store it (too long, a NUL)."""
    if len(key) <= KEY_LIMIT and storable(key):
        return key
    return "slack:sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def message_location(body: Mapping[str, Any]) -> tuple[str, str] | None:
    """Return the channel and ts of the message whose button was clicked (None in a modal or App Home)."""
    container = body.get("container") or {}
    if container.get("type") != "message":
        return None
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    ts = container.get("message_ts") or (body.get("message") or {}).get("ts")
    return (str(channel), str(ts)) if channel and ts else None
