"""The Notifier port for Teams: proactive cards and in-place updates through stored conversation references.

The dispatcher calls it from a worker thread; each call is run on the server's
event loop (where the SDK's HTTP client lives) and waited for.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from microsoft_agents.activity import ConversationReference
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import CardFactory, ClaimsIdentity, MessageFactory, TurnContext

from adapters.teams import cards
from bot.ports import Recipient, SendError
from bot.replies import Reply
from db.models import Platform

log = logging.getLogger(__name__)

# Microsoft's documented global service URL, for a channel Mend has not heard from yet.
GLOBAL_SERVICE_URL = "https://smba.trafficmanager.net/teams/"
LESSONS = "lessons"
APPROVALS = "approvals"
TIMEOUT_SECONDS = 30.0


def sent_ref(reference: dict[str, Any], activity_id: str | None) -> dict[str, Any]:
    """Return where a card sent to Teams lives, as the outbox stores it."""
    return {"platform": Platform.TEAMS.value, "reference": reference, "activity_id": activity_id}


async def send_card(
    adapter: CloudAdapter, app_id: str | None, reference: dict[str, Any], card: dict[str, Any]
) -> str | None:
    """Send a card into the conversation of `reference`; return the new activity's id."""
    sent: dict[str, str | None] = {"id": None}

    async def callback(context: TurnContext) -> None:
        response = await context.send_activity(MessageFactory.attachment(CardFactory.adaptive_card(card)))
        sent["id"] = response.id if response else None

    await _continue(adapter, app_id, reference, callback)
    return sent["id"]


async def update_card(
    adapter: CloudAdapter,
    app_id: str | None,
    reference: dict[str, Any],
    activity_id: str,
    card: dict[str, Any],
) -> None:
    """Replace the card at `activity_id` in the conversation of `reference`."""

    async def callback(context: TurnContext) -> None:
        activity = MessageFactory.attachment(CardFactory.adaptive_card(card))
        activity.id = activity_id
        await context.update_activity(activity)

    await _continue(adapter, app_id, reference, callback)


async def _continue(
    adapter: CloudAdapter, app_id: str | None, reference: dict[str, Any], callback: Any
) -> None:
    continuation = ConversationReference.model_validate(reference).get_continuation_activity()
    # Otherwise the random id becomes replyToId and the post goes to .../activities/{that id}.
    continuation.id = None
    if app_id:
        await adapter.continue_conversation(app_id, continuation, callback)
    else:
        # Unauthenticated: only an empty identity keeps the SDK from asking for a token.
        await adapter.continue_conversation_with_claims(ClaimsIdentity(), continuation, callback)


class TeamsNotifier:
    """Sends cards to people (their stored personal-chat reference) and to the lessons channel."""

    def __init__(
        self,
        adapter: CloudAdapter,
        *,
        app_id: str | None,
        lessons_channel: str | None,
        approvals_channel: str | None = None,
        service_url: str = GLOBAL_SERVICE_URL,
        tenant_id: str | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self.adapter = adapter
        self.app_id = app_id
        self.channels = {LESSONS: lessons_channel, APPROVALS: approvals_channel}
        self.service_url = service_url
        self.tenant_id = tenant_id
        self.bot_id = f"28:{app_id}" if app_id else None
        self.loop = loop

    def learn(self, reference: dict[str, Any]) -> None:
        """Take the service URL, tenant and bot id of an incoming activity for channel messages."""
        self.service_url = reference.get("serviceUrl") or self.service_url
        self.tenant_id = (reference.get("conversation") or {}).get("tenantId") or self.tenant_id
        self.bot_id = (reference.get("bot") or {}).get("id") or self.bot_id

    def send(self, recipient: Recipient, reply: Reply) -> dict[str, Any]:
        """Send `reply` as a card to the person or channel; return its sent reference.

        A Home is never sent as a new card: Teams only updates one the person opened.
        """
        if reply.home:
            raise SendError(
                "a Home goes to Teams only as an update of the card the person opened", permanent=True
            )
        reference = self._reference_for(recipient)
        activity_id = self._run(send_card(self.adapter, self.app_id, reference, cards.render_reply(reply)))
        return sent_ref(reference, activity_id)

    def update(self, sent_ref: dict[str, Any], reply: Reply) -> None:
        """Replace a card Mend sent to Teams earlier."""
        if sent_ref.get("platform") != Platform.TEAMS.value or not sent_ref.get("activity_id"):
            raise SendError("not a Teams message", permanent=True)
        self._run(
            update_card(
                self.adapter,
                self.app_id,
                sent_ref["reference"],
                sent_ref["activity_id"],
                cards.render_reply(reply),
            )
        )

    def _reference_for(self, recipient: Recipient) -> dict[str, Any]:
        if recipient.channel is not None:
            channel_id = self.channels.get(recipient.channel)
            if not channel_id:
                raise SendError(f"no Teams channel is configured for {recipient.channel}", permanent=True)
            conversation: dict[str, Any] = {
                "id": channel_id,
                "isGroup": True,
                "conversationType": "channel",
            }
            if self.tenant_id:
                conversation["tenantId"] = self.tenant_id
            reference: dict[str, Any] = {
                "channelId": "msteams",
                "serviceUrl": self.service_url,
                "conversation": conversation,
            }
            if self.bot_id:
                reference["bot"] = {"id": self.bot_id}
            return reference
        address = (recipient.accounts.get(Platform.TEAMS.value) or {}).get("address")
        if not address:
            raise SendError(
                f"{recipient.name} has no Teams conversation with Mend yet (install Mend or message it)",
                permanent=True,
            )
        return dict(address)

    def _run(self, call: Coroutine[Any, Any, Any]) -> Any:
        if self.loop is None:
            call.close()
            raise SendError("the Teams adapter is not running")
        if _running_loop() is self.loop:
            # Waiting here would block the loop that has to do the sending.
            call.close()
            raise SendError(
                "call the dispatcher in a worker thread (asyncio.to_thread), not on the event loop"
            )
        future = asyncio.run_coroutine_threadsafe(call, self.loop)
        try:
            return future.result(timeout=TIMEOUT_SECONDS)
        except TimeoutError as exc:
            future.cancel()
            raise SendError("Teams did not answer in time") from exc
        except Exception as exc:
            raise _send_error(exc) from exc


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _send_error(exc: Exception) -> SendError:
    status = getattr(exc, "status", None)
    if status == 429:
        return SendError(f"Teams asked to slow down: {exc}", retry_after=30)
    if status in (400, 403, 404):
        return SendError(f"Teams refused the message ({status}): {exc}", permanent=True)
    return SendError(f"sending to Teams failed: {exc!r}")
