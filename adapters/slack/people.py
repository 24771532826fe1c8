"""Who is who on Slack, as one process knows them: users.info once per person, and their workspace."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack import translate
from bot.commands import Actor

log = logging.getLogger("adapters.slack.app")
RETRY_SECONDS = 60.0  # after users.info failed for someone, before it is asked again


@dataclass
class SlackPeople:
    """What this process learnt of Slack users, so no request asks Slack or the database again."""

    # Slack users as users.info described them (name, email, locale): asked once per process.
    _described: dict[str, Actor] = field(default_factory=dict)
    # The workspace each Slack user was last seen in, as stored on their identity.
    _placed: dict[str, str] = field(default_factory=dict)
    # When users.info last failed for someone: not asked again for a while (Slack may be limiting).
    _failed: dict[str, float] = field(default_factory=dict)

    async def known(self, actor: Actor, client: AsyncWebClient) -> Actor:
        """Return the person with their name, email and language as Slack knows them.

        Asked once per process and person (users.info, with the locale): the email links
        a newcomer to the directory, the locale is the language Mend answers in.
        """
        known = self._described.get(actor.user_id)
        if known is not None:
            return known
        if time.monotonic() - self._failed.get(actor.user_id, -RETRY_SECONDS) < RETRY_SECONDS:
            return actor
        try:
            info = await client.users_info(user=actor.user_id, include_locale=True)
        except Exception as exc:  # without it: the default role, and the language Mend has noted
            log.warning("users.info for %s failed: %s", actor.user_id, exc)
            self._failed[actor.user_id] = time.monotonic()
            return actor
        user = info.get("user") or {}
        profile = user.get("profile") or {}
        known = self._described[actor.user_id] = translate.actor_from(
            {
                "id": actor.user_id,
                "real_name": profile.get("real_name") or user.get("real_name") or actor.name,
                "locale": user.get("locale"),
            },
            email=profile.get("email"),
        )
        return known

    def new_place(self, actor: Actor, team: str | None) -> dict[str, Any] | None:
        """Return the workspace a person acts from as their address, if this process has not noted it."""
        return {"team_id": team} if team and self._placed.get(actor.user_id) != team else None

    def placed_in(self, actor: Actor, team: str | None) -> None:
        """Note the workspace a person was last seen in, once it is stored on their identity."""
        if team:
            self._placed[actor.user_id] = team
