"""The Notifier port for Slack: direct messages, purpose channels and in-place updates over the Web API.

Synchronous (slack_sdk's WebClient): the dispatcher calls it from a worker thread.
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

from adapters.slack import blocks
from bot.ports import Recipient, SendError
from bot.replies import Reply
from db.models import Platform

# Errors that will not go away by sending again.
_PERMANENT = {
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "user_not_found",
    "cannot_dm_bot",
    "message_not_found",
    "cant_update_message",
    "invalid_auth",
    "account_inactive",
    "token_revoked",
    "missing_scope",
    "invalid_blocks",
}


def web_client(token: str | None, base_url: str | None, *, retries: int = 1) -> WebClient:
    """Return a Web API client that retries connection errors and honours Retry-After on 429."""
    kwargs: dict[str, Any] = {"token": token}
    if base_url:
        kwargs["base_url"] = base_url.rstrip("/") + "/"
    client = WebClient(**kwargs)
    client.retry_handlers = [
        ConnectionErrorRetryHandler(max_retry_count=retries),
        RateLimitErrorRetryHandler(max_retry_count=retries),
    ]
    return client


def sent_ref(channel: str, ts: str, team_id: str | None = None) -> dict[str, Any]:
    """Return where a Slack message lives, as the outbox stores it."""
    ref: dict[str, Any] = {"platform": Platform.SLACK.value, "channel": channel, "ts": ts}
    if team_id:
        ref["team_id"] = team_id
    return ref


class SlackNotifier:
    """Sends replies to people (a DM from the bot) and to the lessons and approvals channels."""

    def __init__(self, client: WebClient, *, channels: dict[str, str | None]) -> None:
        self.client = client
        self.channels = channels

    def send(self, recipient: Recipient, reply: Reply) -> dict[str, Any]:
        """Post `reply` to the person's DM or to the purpose channel; return its sent reference."""
        channel = self._channel_for(recipient)
        response = self._call(
            self.client.chat_postMessage,
            channel=channel,
            text=blocks.fallback_text(reply),
            blocks=blocks.render_reply(reply),
            unfurl_links=False,
        )
        return sent_ref(str(response["channel"]), str(response["ts"]))

    def update(self, sent_ref: dict[str, Any], reply: Reply) -> None:
        """Replace a message Mend posted in Slack earlier."""
        if sent_ref.get("platform") != Platform.SLACK.value or not sent_ref.get("ts"):
            raise SendError("not a Slack message", permanent=True)
        self._call(
            self.client.chat_update,
            channel=sent_ref["channel"],
            ts=sent_ref["ts"],
            text=blocks.fallback_text(reply),
            blocks=blocks.render_reply(reply),
        )

    def _channel_for(self, recipient: Recipient) -> str:
        if recipient.channel is not None:
            channel = self.channels.get(recipient.channel)
            if not channel:
                raise SendError(f"no Slack channel is configured for {recipient.channel}", permanent=True)
            return channel
        user_id = (recipient.accounts.get(Platform.SLACK.value) or {}).get("user_id")
        if not user_id:
            raise SendError(f"{recipient.name} has no Slack account known to Mend", permanent=True)
        return str(user_id)

    def _call(self, method: Any, **kwargs: Any) -> Any:
        try:
            return method(**kwargs)
        except SlackApiError as exc:
            response = exc.response
            if response.status_code == 429:
                retry_after = float(
                    response.headers.get("Retry-After", response.headers.get("retry-after", 30))
                )
                raise SendError("Slack asked to slow down", retry_after=retry_after) from exc
            error = str(response.get("error", ""))
            hint = " (invite Mend to the channel: /invite @Mend)" if error == "not_in_channel" else ""
            raise SendError(
                f"Slack refused the message: {error}{hint}", permanent=error in _PERMANENT
            ) from exc
        except Exception as exc:
            raise SendError(f"sending to Slack failed: {exc!r}") from exc
