"""The Notifier port for Slack: direct messages, purpose channels and in-place updates over the Web API.

Synchronous (slack_sdk's WebClient): the dispatcher calls it from a worker thread.
A reply with an image (the weekly digest's chart) is sent as one file share that
carries the message's blocks (files upload v2: `files.getUploadURLExternal`, a POST
of the bytes, `files.completeUploadExternal`), so the picture and the words arrive
together; a person's Home is published as their App Home tab (`views.publish`); every
other reply is a `chat.postMessage`.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import threading
from collections.abc import Callable
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler

from adapters.slack import blocks
from bot.ports import Recipient, SendError
from bot.replies import Image, Reply
from db.models import Platform

log = logging.getLogger(__name__)

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
    "invalid_arguments",  # such as a channel name where files.completeUploadExternal wants an id
}
# Slack's limits for an uploaded file's alt text (files.getUploadURLExternal) and, to be safe, its title.
ALT_TEXT_LIMIT = 1000
FILE_TITLE_LIMIT = 250
# A user id: files.completeUploadExternal shares with one only through `channels`, never `channel_id`.
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")


def web_client(token: str | None, base_url: str | None, *, retries: int = 1) -> WebClient:
    """Return a Web API client that retries connection errors and answers a 429 at once.

    No handler sleeps out a Retry-After inside the call: the notifier turns a 429
    into `SendError(retry_after=...)`, so the outbox delays that row and the
    dispatcher's other sends (and its lease) carry on.
    """
    # slack_sdk tests its logger's own level: set it, or every call formats an unused debug line.
    web_api_log = logging.getLogger("slack_sdk.web.mend_notifier")
    web_api_log.setLevel(max(logging.WARNING, logging.getLogger().level))
    kwargs: dict[str, Any] = {"token": token, "logger": web_api_log}
    if base_url:
        kwargs["base_url"] = base_url.rstrip("/") + "/"
    client = WebClient(**kwargs)
    client.retry_handlers = [ConnectionErrorRetryHandler(max_retry_count=retries)]
    return client


def sent_ref(
    channel: str, ts: str | None, team_id: str | None = None, *, file_id: str | None = None
) -> dict[str, Any]:
    """Return where a Slack message (or a file share, which may come back without its ts) lives."""
    ref: dict[str, Any] = {"platform": Platform.SLACK.value, "channel": channel}
    if ts:
        ref["ts"] = ts
    if file_id:
        ref["file_id"] = file_id
    if team_id:
        ref["team_id"] = team_id
    return ref


class Workspaces(Protocol):
    """Which bot token reaches which Slack workspace."""

    def token_for(self, team_id: str | None) -> str | None:
        """Return the bot token for a workspace (None: the only one, if there is only one)."""
        ...

    def all(self) -> list[tuple[str | None, str]]:
        """Return every workspace Mend is in, with its bot token."""
        ...


class OneWorkspace:
    """Token mode: one bot token (SLACK_BOT_TOKEN) for the one workspace."""

    def __init__(self, token: str | None) -> None:
        self.token = token

    def token_for(self, team_id: str | None) -> str | None:
        """Return the one token, whatever the workspace."""
        return self.token

    def all(self) -> list[tuple[str | None, str]]:
        """Return the one workspace."""
        return [(None, self.token)] if self.token else []


class SlackNotifier:
    """Sends replies to people (a DM from the bot) and to the lessons and approvals channels.

    With several workspaces (OAuth installs) a person is reached with the token of
    the workspace they last used Mend from, and a purpose channel is posted in
    every workspace Mend is installed in.
    """

    def __init__(
        self,
        client: WebClient,
        *,
        channels: dict[str, str | None],
        workspaces: Workspaces | None = None,
    ) -> None:
        self.client = client
        self.channels = channels
        self.workspaces = workspaces
        self._clients: dict[str, WebClient] = {}
        self._lock = threading.Lock()

    def send(self, recipient: Recipient, reply: Reply) -> dict[str, Any] | None:
        """Post `reply` to the person's DM or to the purpose channel(s); return its sent reference.

        A Home is published as the person's App Home tab instead, which keeps no reference.
        """
        channel = self._channel_for(recipient)
        if reply.home:
            self._publish_home(recipient, channel, reply)
            return None
        if reply.image is None:
            post = functools.partial(
                self._post,
                channel=channel,
                text=blocks.fallback_text(reply),
                blocks=blocks.render_reply(reply),
            )
        else:
            post = functools.partial(self._post_with_image, channel=channel, reply=reply, image=reply.image)
        if self.workspaces is None:
            return post(self.client, None)
        if recipient.channel is not None:
            return self._post_everywhere(post, recipient.channel)
        account = recipient.accounts.get(Platform.SLACK.value) or {}
        team = (account.get("address") or {}).get("team_id")
        return post(self._client_for(team, who=recipient.name), team)

    def update(self, sent_ref: dict[str, Any], reply: Reply) -> None:
        """Replace a message Mend posted in Slack earlier (in each workspace it went to)."""
        if sent_ref.get("platform") != Platform.SLACK.value:
            raise SendError("not a Slack message", permanent=True)
        if not sent_ref.get("ts"):
            raise SendError(
                "Slack gave no message ts for this file share: it cannot be updated", permanent=True
            )
        for where in [sent_ref, *sent_ref.get("copies", [])]:
            client = self.client
            if self.workspaces is not None:
                client = self._client_for(where.get("team_id"), who="that workspace")
            self._call(
                client.chat_update,
                channel=where["channel"],
                ts=where["ts"],
                text=blocks.fallback_text(reply),
                blocks=blocks.render_reply(reply),
            )

    def _publish_home(self, recipient: Recipient, user_id: str, reply: Reply) -> None:
        """Publish a person's App Home tab anew (whether or not they ever opened it)."""
        client = self.client
        if self.workspaces is not None:
            account = recipient.accounts.get(Platform.SLACK.value) or {}
            team = (account.get("address") or {}).get("team_id")
            client = self._client_for(team, who=recipient.name)
        self._call(client.views_publish, user_id=user_id, view=blocks.render_home(reply))

    def _post(self, client: WebClient, team: str | None, **message: Any) -> dict[str, Any]:
        response = self._call(client.chat_postMessage, unfurl_links=False, **message)
        return sent_ref(str(response["channel"]), str(response["ts"]), team)

    def _post_with_image(
        self, client: WebClient, team: str | None, *, channel: str, reply: Reply, image: Image
    ) -> dict[str, Any]:
        where: dict[str, Any] = (
            {"channels": [channel]} if _USER_ID.fullmatch(channel) else {"channel": channel}
        )
        try:
            response = self._call(
                client.files_upload_v2,
                content=image.png,
                filename=image.name,
                title=blocks.cut(image.alt or image.name, FILE_TITLE_LIMIT),
                alt_txt=blocks.cut(image.alt, ALT_TEXT_LIMIT) or None,
                blocks=json.dumps(blocks.render_reply(reply)),
                **where,
            )
        except SendError as exc:
            if not exc.permanent:
                raise  # the outbox sends the whole message again later
            # An install from before charts lacks files:write, and a channel named rather than
            # given by id takes messages but no files: the message still goes, the chart in words.
            log.warning("Slack took no chart for %s, sending the message without it: %s", channel, exc)
            return self._post(
                client,
                team,
                channel=channel,
                text=blocks.fallback_text(reply),
                blocks=blocks.render_reply(reply, image_in_words=True),
            )
        file = response.get("file") or {}
        return sent_ref(channel, _share_ts(file), team, file_id=str(file.get("id") or "") or None)

    def _post_everywhere(self, post: Callable[..., dict[str, Any]], purpose: str) -> dict[str, Any]:
        assert self.workspaces is not None
        installed = self.workspaces.all()
        if not installed:
            raise SendError("Mend is not installed in any Slack workspace yet", permanent=True)
        refs, errors = [], []
        for team, token in installed:
            try:
                refs.append(post(self._client(token), team))
            except SendError as exc:
                errors.append(exc)
        if not refs:
            raise errors[0]
        first, *copies = refs
        return {**first, "copies": copies} if copies else first

    def _client_for(self, team: str | None, *, who: str) -> WebClient:
        assert self.workspaces is not None
        token = self.workspaces.token_for(team)
        if not token:
            where = f"workspace {team}" if team else "a workspace Mend knows"
            raise SendError(
                f"Mend has no bot token for {who} in {where}: install Mend there, or have them use"
                " /recover once so Mend learns their workspace",
                permanent=True,
            )
        return self._client(token)

    def _client(self, token: str) -> WebClient:
        with self._lock:
            client = self._clients.get(token)
            if client is None:
                client = WebClient(token=token, base_url=self.client.base_url, logger=self.client.logger)
                client.retry_handlers = list(self.client.retry_handlers)
                self._clients[token] = client
            return client

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


def _share_ts(file: dict[str, Any]) -> str | None:
    """Return the ts of the message that shared a file, when Slack already tells it (it may not yet)."""
    for shares in (file.get("shares") or {}).values():
        for messages in (shares or {}).values():
            for message in messages or []:
                if message.get("ts"):
                    return str(message["ts"])
    return None
