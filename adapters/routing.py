"""One Notifier over several platforms: people are reached where they can be, channels everywhere.

The dispatcher sends through a single Notifier. When Mend serves Slack and Teams
from one process, this one picks the platform per delivery:

- a person is tried on each platform they have an account on, in the order the
  notifiers were given, until one takes the message; a platform that cannot
  reach them (no conversation with Mend yet) passes them to the next;
- a purpose channel (lessons, approvals) is sent to every platform that has one
  configured, so a Slack team and a Teams team both learn;
- an update goes back to the platform that sent the original, as its sent
  reference records.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.ports import Notifier, Recipient, SendError
from bot.replies import Reply

MANY = "many"

log = logging.getLogger(__name__)


class RoutingNotifier:
    """Routes sends and updates to the notifier of the right platform."""

    def __init__(self, notifiers: dict[str, Notifier]) -> None:
        self.notifiers = dict(notifiers)

    def send(self, recipient: Recipient, reply: Reply) -> dict[str, Any] | None:
        """Send to the person on the first platform that reaches them, or to every channel."""
        if recipient.channel is not None:
            return self._send_to_channels(recipient, reply)
        platforms = [p for p in self.notifiers if p in recipient.accounts]
        if not platforms:
            raise SendError(
                f"{recipient.name} has no account on a platform Mend serves here"
                f" ({', '.join(self.notifiers) or 'none configured'})",
                permanent=True,
            )
        errors: list[SendError] = []
        for platform in platforms:
            try:
                return self.notifiers[platform].send(recipient, reply)
            except SendError as exc:
                if not exc.permanent:
                    raise  # a transient failure is retried later on the same platform
                errors.append(exc)
        raise SendError("; ".join(str(e) for e in errors), permanent=True)

    def update(self, sent_ref: dict[str, Any], reply: Reply) -> None:
        """Replace a message on the platform that sent it (on each, for a channel broadcast)."""
        if sent_ref.get("platform") == MANY:
            for ref in sent_ref.get("sent", []):
                self.update(ref, reply)
            return
        notifier = self.notifiers.get(str(sent_ref.get("platform")))
        if notifier is None:
            raise SendError(f"Mend does not serve {sent_ref.get('platform')!r} here", permanent=True)
        notifier.update(sent_ref, reply)

    def _send_to_channels(self, recipient: Recipient, reply: Reply) -> dict[str, Any]:
        sent: list[dict[str, Any]] = []
        errors: list[SendError] = []
        for notifier in self.notifiers.values():
            try:
                ref = notifier.send(recipient, reply)
            except SendError as exc:
                errors.append(exc)
                continue
            if ref is not None:
                sent.append(ref)
        if sent:
            for error in errors:
                if not error.permanent:
                    log.warning("a %s broadcast missed a platform: %s", recipient.channel, error)
            return sent[0] if len(sent) == 1 else {"platform": MANY, "sent": sent}
        transient = [e for e in errors if not e.permanent]
        if transient:
            raise transient[0]
        raise SendError(
            f"no platform has a {recipient.channel!r} channel configured: "
            + "; ".join(str(e) for e in errors),
            permanent=True,
        )
