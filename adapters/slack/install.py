"""Several workspaces: the OAuth install flow, with installations and states in Mend's own database.

slack_sdk's SQLAlchemy stores are synchronous; Bolt's AsyncApp wants async ones,
so thin wrappers run each call in a worker thread. Their tables are created by the
alembic migration 0002 (`slack_metadata()` is what alembic compares against).
"""

from __future__ import annotations

import asyncio
from typing import Any

from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine, MetaData, select

from adapters.settings import Settings

INSTALLATIONS_TABLE = "slack_installations"
BOTS_TABLE = "slack_bots"
STATES_TABLE = "slack_oauth_states"
STATE_EXPIRATION_SECONDS = 600

# Bot scopes Mend uses; docs/slack.md gives the reason for each, manifest.yml asks for them.
BOT_SCOPES = ["commands", "chat:write", "files:write", "users:read", "users:read.email"]


def slack_metadata() -> MetaData:
    """Return the tables slack_sdk's stores use, as the migrations must create them."""
    metadata = MetaData()
    SQLAlchemyInstallationStore.build_installations_table(metadata, INSTALLATIONS_TABLE)
    SQLAlchemyInstallationStore.build_bots_table(metadata, BOTS_TABLE)
    SQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, STATES_TABLE)
    return metadata


class ThreadedInstallationStore(AsyncInstallationStore):
    """slack_sdk's SQLAlchemy installation store, each call in a worker thread."""

    def __init__(self, store: SQLAlchemyInstallationStore) -> None:
        self.store = store

    async def async_save(self, installation: Installation) -> None:
        await asyncio.to_thread(self.store.save, installation)

    async def async_save_bot(self, bot: Bot) -> None:
        await asyncio.to_thread(self.store.save_bot, bot)

    async def async_find_bot(self, **kwargs: Any) -> Bot | None:
        return await asyncio.to_thread(lambda: self.store.find_bot(**kwargs))

    async def async_find_installation(self, **kwargs: Any) -> Installation | None:
        return await asyncio.to_thread(lambda: self.store.find_installation(**kwargs))

    async def async_delete_bot(self, **kwargs: Any) -> None:
        await asyncio.to_thread(lambda: self.store.delete_bot(**kwargs))

    async def async_delete_installation(self, **kwargs: Any) -> None:
        await asyncio.to_thread(lambda: self.store.delete_installation(**kwargs))


class ThreadedStateStore(AsyncOAuthStateStore):
    """slack_sdk's SQLAlchemy OAuth state store, each call in a worker thread."""

    def __init__(self, store: SQLAlchemyOAuthStateStore) -> None:
        self.store = store

    async def async_issue(self, *args: Any, **kwargs: Any) -> str:
        return await asyncio.to_thread(self.store.issue)

    async def async_consume(self, state: str) -> bool:
        return await asyncio.to_thread(self.store.consume, state)


class InstalledWorkspaces:
    """The workspaces Mend was installed in, and their bot tokens, from the installation store."""

    def __init__(self, store: SQLAlchemyInstallationStore) -> None:
        self.store = store

    def token_for(self, team_id: str | None) -> str | None:
        """Return the newest bot token of a workspace; without one, that of the only workspace."""
        if team_id is None:
            installed = self.all()
            return installed[0][1] if len(installed) == 1 else None
        bot = self.store.find_bot(enterprise_id=None, team_id=team_id)
        return bot.bot_token if bot is not None else None

    def all(self) -> list[tuple[str | None, str]]:
        """Return each workspace with a bot, and its newest token."""
        bots = self.store.bots
        with self.store.engine.connect() as conn:
            teams = conn.execute(
                select(bots.c.team_id).where(bots.c.client_id == self.store.client_id).distinct()
            ).scalars()
            team_ids = sorted(t for t in teams if t)
        found = []
        for team_id in team_ids:
            token = self.token_for(team_id)
            if token:
                found.append((team_id, token))
        return found


def installation_store(s: Settings, engine: Engine) -> SQLAlchemyInstallationStore | None:
    """Return slack_sdk's installation store on Mend's database, or None in one-workspace token mode."""
    if not (s.slack_client_id and s.slack_client_secret) or s.slack_bot_token:
        return None
    return SQLAlchemyInstallationStore(
        client_id=s.slack_client_id,
        engine=engine,
        installations_table_name=INSTALLATIONS_TABLE,
        bots_table_name=BOTS_TABLE,
    )


def oauth_settings(s: Settings, engine: Engine) -> AsyncOAuthSettings | None:
    """Return Bolt's OAuth settings on Mend's database, or None in one-workspace token mode."""
    installations = installation_store(s, engine)
    if installations is None or not (s.slack_client_id and s.slack_client_secret):
        return None
    states = SQLAlchemyOAuthStateStore(
        expiration_seconds=STATE_EXPIRATION_SECONDS, engine=engine, table_name=STATES_TABLE
    )
    return AsyncOAuthSettings(
        client_id=s.slack_client_id,
        client_secret=s.slack_client_secret,
        scopes=BOT_SCOPES,
        installation_store=ThreadedInstallationStore(installations),
        state_store=ThreadedStateStore(states),
        state_expiration_seconds=STATE_EXPIRATION_SECONDS,
    )
