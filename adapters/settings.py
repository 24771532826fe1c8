"""Configuration from the environment and `.env`: the only reader of either."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from policies.loader import DEFAULT_POLICY

DEFAULT_DATABASE_URL = "sqlite:///mend.db"


class Settings(BaseSettings):
    """Everything Mend reads from its environment."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = Field(default=DEFAULT_DATABASE_URL, alias="MEND_DATABASE_URL")
    policy_file: Path = Field(default=DEFAULT_POLICY, alias="MEND_POLICY_FILE")
    log_level: str = Field(default="INFO", alias="MEND_LOG_LEVEL")

    slack_bot_token: str | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: str | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: str | None = Field(default=None, alias="SLACK_APP_TOKEN")
    slack_client_id: str | None = Field(default=None, alias="SLACK_CLIENT_ID")
    slack_client_secret: str | None = Field(default=None, alias="SLACK_CLIENT_SECRET")
    slack_api_url: str | None = Field(default=None, alias="MEND_SLACK_API_URL")

    microsoft_app_id: str | None = Field(default=None, alias="MICROSOFT_APP_ID")
    microsoft_app_password: str | None = Field(default=None, alias="MICROSOFT_APP_PASSWORD")
    microsoft_app_tenant_id: str | None = Field(default=None, alias="MICROSOFT_APP_TENANT_ID")
    # Without an app id, /api/messages is served only when this is set: anyone who can reach
    # it may then act as any staff member. For local testing against a Bot Framework emulator.
    teams_unauthenticated: bool = Field(default=False, alias="MEND_TEAMS_UNAUTHENTICATED")

    def teams_enabled(self) -> bool:
        """Say whether `mend serve` hosts Teams: with an app id, or unauthenticated by explicit choice."""
        return bool(self.microsoft_app_id or self.teams_unauthenticated)

    def describe_database(self) -> str:
        """Return the database URL with any password hidden."""
        from sqlalchemy.engine import make_url

        return make_url(self.database_url).render_as_string(hide_password=True)
