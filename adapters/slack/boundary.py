"""What a signed Slack request must hold before Bolt or a listener reads it. Pure: no SDK, no I/O.

Bolt parses the body while it builds its request; then its context, its matchers and
Mend's listeners index into the payload. A body Slack never sends (not JSON, a list,
an object where an id belongs, no actions, a submission without its view) raised
somewhere in there and was answered 500 with a traceback. `read_payload` checks,
once and before any of them, everything they read, and says what is wrong without
repeating the content; the route answers 400 and logs that reason on one line.

What it lets through is a payload of a kind Mend listens to (`FORMS`, `PAYLOADS`), with the
fields Bolt and the listeners read present where they are needed and of the type
they expect. What the fields say (a value, a typed text) is the core's to judge.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlsplit

FORM = "application/x-www-form-urlencoded"  # slash commands, and interactions as `payload=JSON`
JSON = "application/json"  # the Events API

# Slack's ids (people, workspaces, channels, messages, actions, views, triggers) are short
# printable ASCII; bounded so an id always fits where Mend stores it.
_ID = re.compile(r"[!-~]{1,100}")
_URL = re.compile(r"https?://[!-~]{1,2000}")
_HOST = re.compile(r"[a-z0-9.\-]+")
# Bolt looks for ids in `event`, `message`, `item` ... and in each of them again; Slack nests
# two levels (a changed message in an event), so deeper is not Slack.
_DEPTH = 4
# Where Bolt looks for ids (its request context), in any payload and at each level.
_IDS = ("team_id", "enterprise_id", "user_id", "channel_id", "api_app_id", "trigger_id")
_ID_OR_OBJECT = ("team", "enterprise", "user", "channel")  # an id, or an object with one
_NESTED = ("message", "previous_message", "item", "assistant_thread")  # may be null
_TEXTS = ("type", "thread_ts", "function_execution_id", "bot_access_token", "token")


class Refused(ValueError):
    """A signed request Mend cannot read; the message says why, without its content."""


def read_payload(body: str, content_types: Sequence[str]) -> dict[str, Any]:
    """Return the payload of a signed request as Bolt will read it, or raise Refused with the reason."""
    if len(content_types) != 1:
        raise Refused(f"{len(content_types)} content types, not one")
    # As Bolt reads it: the media type before any parameter, exactly as sent.
    content_type = content_types[0].split(";")[0]
    form: dict[str, str] | None = None
    if content_type == FORM:
        if body.startswith("{"):  # Bolt reads any body that starts so as JSON
            raise Refused("a form body that starts like JSON")
        form = dict(parse_qsl(body, keep_blank_values=True))
        payload = _json(form["payload"], "the payload field") if "payload" in form else form
    elif content_type == JSON:
        payload = _json(body, "the body")
    else:
        raise Refused(f"content type {content_type[:60]!r} is neither a form nor JSON")
    _context(payload, "payload", 0)
    if form is not None and "payload" not in form:
        kind = next((name for name in FORMS if name in form), None)
        if kind is None:
            raise Refused("a form that is neither a command nor an interaction")
        FORMS[kind](payload)
        return payload
    if "command" in payload:  # Bolt would take it for a slash command
        raise Refused("a command inside a JSON payload")
    kind = payload.get("type")
    if not isinstance(kind, str):
        raise Refused("a JSON payload without a type")
    check = PAYLOADS.get(kind)
    if check is None:
        raise Refused(f"Mend does not handle {kind[:40]!r} requests")
    check(payload)
    return payload


def _json(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested past what the parser follows
        raise Refused(f"{what} is not JSON") from None
    if not isinstance(value, dict):
        raise Refused(f"{what} is a JSON {type(value).__name__}, not an object")
    return value


# --- what Bolt reads of every payload --------------------------------------------------------


def _context(payload: Mapping[str, Any], where: str, depth: int) -> None:
    """Check what Bolt reads while it builds a request's context and matches listeners."""
    if depth > _DEPTH:
        raise Refused(f"{where} is nested deeper than Slack nests")
    for key in _IDS:
        _id(payload, key, where)
    for key in _TEXTS:
        _text(payload, key, where)
    for key in _ID_OR_OBJECT:
        value = payload.get(key)
        if isinstance(value, Mapping):
            _id(value, "id", f"{where}.{key}")
            _id(value, "team_id", f"{where}.{key}")
            _id(value, "enterprise_id", f"{where}.{key}")
        elif value is not None and not _is_id(value, empty=True):
            raise Refused(f"{where}.{key} is neither an id nor an object")
    if "event" in payload:  # never null: Bolt reads it as `body.get("event", {}).get(...)`
        _context(_object(payload, "event", where), f"{where}.event", depth + 1)
    for key in _NESTED:
        if payload.get(key) is not None:
            _context(_object(payload, key, where), f"{where}.{key}", depth + 1)
    for key in ("view", "container", "function_data"):
        if payload.get(key) is not None:
            _object(payload, key, where)
    if isinstance(payload.get("view"), Mapping):
        _id(payload["view"], "app_installed_team_id", f"{where}.view")
        _id(payload["view"], "team_id", f"{where}.view")
    if isinstance(payload.get("function_data"), Mapping):
        _text(payload["function_data"], "execution_id", f"{where}.function_data")
    for n, authorization in enumerate(_objects(payload, "authorizations", where)):
        _context(authorization, f"{where}.authorizations[{n}]", depth + 1)
    if depth == 0:  # read of the payload itself only
        _url(payload, "response_url", where)
        for n, entry in enumerate(_objects(payload, "response_urls", where)):
            _url(entry, "response_url", f"{where}.response_urls[{n}]")
        _objects(payload, "actions", where)


# --- what the listeners read, by kind ------------------------------------------------------


def _command(payload: Mapping[str, Any]) -> None:
    """A slash command (a form: every value is text): /recover answers through its trigger and URL."""
    for key in ("user_id", "trigger_id"):
        _id(payload, key, "command", required=True)
    _url(payload, "response_url", "command", required=True)
    if "user" in payload:  # Slack names the person by user_id; a listener would read `user` first
        raise Refused("a command with a user field")


def _block_actions(payload: Mapping[str, Any]) -> None:
    """A click: who clicked what, on which message, with a trigger for a form it may open."""
    _person(payload)
    _id(payload, "trigger_id", "payload", required=True)
    actions = _objects(payload, "actions", "payload")
    if not actions:
        raise Refused("payload.actions is empty")
    action = actions[0]
    _id(action, "action_id", "payload.actions[0]", required=True)
    for key in ("block_id", "action_ts"):
        _id(action, key, "payload.actions[0]")
    _text(action, "value", "payload.actions[0]")
    if isinstance(payload.get("container"), Mapping):
        container = payload["container"]
        _text(container, "type", "payload.container")
        for key in ("channel_id", "message_ts"):
            _id(container, key, "payload.container")
    if isinstance(payload.get("message"), Mapping):
        _id(payload["message"], "ts", "payload.message")
    if payload.get("channel") is not None:  # where a click on a message came from
        _object(payload, "channel", "payload")


def _view_submission(payload: Mapping[str, Any]) -> None:
    """A submitted modal: its callback, what was typed and chosen, and Mend's metadata."""
    _person(payload)
    view = _object(payload, "view", "payload")
    _id(view, "callback_id", "payload.view", required=True)
    _text(view, "type", "payload.view", required=True)  # Bolt asks whether it is a workflow step
    _id(view, "id", "payload.view")
    _text(view, "private_metadata", "payload.view")
    for n, block in enumerate(_objects(view, "blocks", "payload.view")):
        _text(block, "type", f"payload.view.blocks[{n}]")
        _id(block, "block_id", f"payload.view.blocks[{n}]")
    state = view.get("state")
    if state is None:
        return
    values = _object(view, "state", "payload.view").get("values")
    if values is None:
        return
    if not isinstance(values, Mapping):
        raise Refused("payload.view.state.values is not an object")
    for block_id, elements in values.items():
        where = f"payload.view.state.values[{block_id[:40]!r}]"
        if not isinstance(elements, Mapping):
            raise Refused(f"{where} is not an object")
        for action_id, element in elements.items():
            at = f"{where}[{action_id[:40]!r}]"
            if not isinstance(element, Mapping):
                raise Refused(f"{at} is not an object")
            _text(element, "type", at)
            _text(element, "value", at)
            if element.get("selected_option") is not None:
                _text(_object(element, "selected_option", at), "value", f"{at}.selected_option")


def _event_callback(payload: Mapping[str, Any]) -> None:
    """An event Mend subscribes to (the manifest's bot_events)."""
    event = _object(payload, "event", "payload")
    kind = _text(event, "type", "payload.event", required=True)
    check = EVENTS.get(kind)
    if check is None:
        raise Refused(f"Mend does not subscribe to {kind[:40]!r} events")
    check(event)


def _home_opened(event: Mapping[str, Any]) -> None:
    _id(event, "user", "payload.event", required=True)
    _text(event, "tab", "payload.event")


def _url_verification(payload: Mapping[str, Any]) -> None:
    _text(payload, "challenge", "payload", required=True)


def _ssl_check(_payload: Mapping[str, Any]) -> None:
    """Bolt answers it; nothing more is read."""


# Every kind of request Mend listens to (adapters.slack.app.register, and what Bolt answers
# itself), and what each must hold: form bodies by the field that says their kind, JSON
# payloads (interactions and the Events API) by their type.
FORMS: Mapping[str, Callable[[Mapping[str, Any]], None]] = {"ssl_check": _ssl_check, "command": _command}
PAYLOADS: Mapping[str, Callable[[Mapping[str, Any]], None]] = {
    "block_actions": _block_actions,
    "view_submission": _view_submission,
    "event_callback": _event_callback,
    "url_verification": _url_verification,
}
EVENTS: Mapping[str, Callable[[Mapping[str, Any]], None]] = {"app_home_opened": _home_opened}


# --- one field -------------------------------------------------------------------------------


def _person(payload: Mapping[str, Any]) -> None:
    """Check who acted in an interaction: an object with an id, and names that are text."""
    user = _object(payload, "user", "payload")
    _id(user, "id", "payload.user", required=True)
    for key in ("name", "username", "real_name"):
        _text(user, key, "payload.user")


def _is_id(value: Any, *, empty: bool = False) -> bool:
    return isinstance(value, str) and (_ID.fullmatch(value) is not None or (empty and value == ""))


def _id(obj: Mapping[str, Any], key: str, where: str, *, required: bool = False) -> None:
    value = obj.get(key)
    if value is None and not required:
        return
    if not _is_id(value, empty=not required):
        raise Refused(f"{where}.{key} is {'missing or ' if required else ''}not an id")


def _text(obj: Mapping[str, Any], key: str, where: str, *, required: bool = False) -> str:
    value = obj.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise Refused(f"{where}.{key} is {'missing or ' if required else ''}not text")
    return value


def _object(obj: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = obj.get(key)
    if not isinstance(value, Mapping):
        raise Refused(f"{where}.{key} is missing or not an object")
    return value


def _objects(obj: Mapping[str, Any], key: str, where: str) -> list[Mapping[str, Any]]:
    """Return a list of objects, empty when the key is absent."""
    if key not in obj:
        return []
    value = obj[key]
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        raise Refused(f"{where}.{key} is not a list of objects")
    return value


def _url(obj: Mapping[str, Any], key: str, where: str, *, required: bool = False) -> None:
    """Check a URL Mend may answer through: http(s) to a named host, nothing a client refuses to send."""
    value = obj.get(key)
    if value is None and not required:
        return
    if isinstance(value, str) and _URL.fullmatch(value):
        try:
            parts = urlsplit(value)
            parts.port  # noqa: B018 -- raises on a port that is no number
        except ValueError:  # a broken port or IPv6 host
            pass
        else:
            if _HOST.fullmatch(parts.hostname or ""):
                return
    raise Refused(f"{where}.{key} is {'missing or ' if required else ''}not an http(s) URL")
