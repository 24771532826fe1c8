"""What a request body must be before the SDK or the core sees it. No I/O.

Teams sends well-formed activities; anything else (a hand-made request, a broken
proxy, a fuzzer) is refused here with a reason, so it never reaches a handler that
would fail on it halfway. Besides the SDK's own model, Mend needs what it reads and
what goes back out in every reply: who sent it (`from.id`), to whom (`recipient`),
where (`conversation.id`, `serviceUrl`, `channelId`) and what (`type`).
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from microsoft_agents.activity import Activity

# The conversation reference is copied into every reply and stored for proactive
# messages; Teams' own are well under 1 kB. Bounded so a reply always fits in a
# Teams message next to its card (see cards.CARD_BYTES).
MAX_REFERENCE_BYTES = 4_000
# Ids that become part of the connector's URL path: /v3/conversations/{id}/activities/{id}.
# Teams' are under 200 characters.
MAX_ID_CHARS = 512
_PATH_ID = re.compile(r"[!-~]+")  # printable ASCII, no space
_NOT_IN_PATH = frozenset("/\\?#%")
_HOST = re.compile(r"[A-Za-z0-9.\-]+")
_URL_PATH = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@/]*")
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
_SDK_LOG = logging.getLogger("microsoft_agents.activity.activity")


class Refused(ValueError):
    """A request body that is not an activity Mend can handle; the message says why, without its content."""


def read_activity(body: Any) -> Activity:
    """Return the activity a parsed JSON body holds, or raise Refused with the reason."""
    if not isinstance(body, dict):
        raise Refused(f"the body is a JSON {type(body).__name__}, not an object")
    for path in (("type",), ("channelId",), ("serviceUrl",), ("from", "id"), ("recipient", "id")):
        _require_text(body, path)
    activity = _validated(body)
    conversation_id = activity.conversation.id if activity.conversation else None
    for name, value in (
        ("conversation.id", conversation_id),
        ("id", activity.id),
        ("replyToId", activity.reply_to_id),
    ):
        if value is not None and not _path_safe(value):
            raise Refused(f"{name} cannot be part of a URL path")
        if value is not None and len(value) > MAX_ID_CHARS:
            raise Refused(f"{name} is longer than {MAX_ID_CHARS} characters")
    if not _service_url_ok(str(activity.service_url)):
        raise Refused("serviceUrl is not an http(s) URL without query or fragment")
    reference = conversation_reference(activity)
    if any(_UNPRINTABLE.search(text) for text in _strings(reference)):
        raise Refused("the sender, recipient or conversation holds control characters or half a character")
    if len(json.dumps(reference)) > MAX_REFERENCE_BYTES:
        raise Refused(f"the sender, recipient and conversation take more than {MAX_REFERENCE_BYTES} bytes")
    return activity


def conversation_reference(activity: Activity) -> dict[str, Any]:
    """Return where a reply to this activity goes, as JSON: stored for proactive messages, and sent back."""
    reference = activity.get_conversation_reference().model_dump(
        mode="json", by_alias=True, exclude_none=True
    )
    reference.pop("requestId", None)
    reference.pop("activityId", None)
    tenant = activity.conversation.tenant_id if activity.conversation else None
    if not tenant and isinstance(activity.channel_data, dict):
        found = activity.channel_data.get("tenant")
        tenant = found.get("id") if isinstance(found, dict) else None
    if isinstance(tenant, str) and tenant:
        reference.setdefault("conversation", {})["tenantId"] = tenant
    return reference


def _require_text(body: dict[str, Any], path: tuple[str, ...]) -> None:
    node: Any = body
    for key in path:
        node = node.get(key) if isinstance(node, dict) else None
    if not isinstance(node, str) or not node:
        raise Refused(f"{'.'.join(path)} is missing or not a text")


def _validated(body: dict[str, Any]) -> Activity:
    """Return the SDK's model of the body; its own error log is left out, Mend logs the refusal once."""
    quiet = _OtherThreadsOnly()
    _SDK_LOG.addFilter(quiet)
    try:
        activity = Activity.model_validate(body)
        activity.get_conversation_reference()
    except Exception as exc:  # whatever the model cannot read is the sender's problem, not Mend's
        raise Refused(f"not a Bot Framework activity ({_where(exc)})") from None
    finally:
        _SDK_LOG.removeFilter(quiet)
    if not activity.conversation or not activity.conversation.id:
        raise Refused("conversation.id is missing")
    return activity


def _where(exc: Exception) -> str:
    """Return which field failed, without the content that failed it."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        try:
            first = errors()[0]
            location = ".".join(str(part) for part in first.get("loc", ()))
            return repr(f"{location}: {first.get('type')}"[:120])
        except Exception:  # a model error that cannot describe itself still refuses the body
            pass
    return type(exc).__name__


class _OtherThreadsOnly(logging.Filter):
    """Keep the log records of every thread but the one validating a body (validation never awaits)."""

    def __init__(self) -> None:
        super().__init__()
        self.thread = threading.get_ident()

    def filter(self, record: logging.LogRecord) -> bool:
        return record.thread != self.thread


def _service_url_ok(url: str) -> bool:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises for a port out of range
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(_HOST.fullmatch(parts.hostname or ""))
        and not parts.username
        and not (parts.query or parts.fragment or "?" in url or "#" in url)
        and bool(_URL_PATH.fullmatch(parts.path))
    )


def _path_safe(value: str) -> bool:
    return (
        bool(_PATH_ID.fullmatch(value)) and not _NOT_IN_PATH.intersection(value) and value not in (".", "..")
    )


def _strings(node: Any) -> Iterator[str]:
    """Yield every string of a JSON value, keys included."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield str(key)
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)
