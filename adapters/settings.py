"""Configuration from the environment and `.env`: the only reader of either."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from policies.loader import DEFAULT_POLICY

DEFAULT_DATABASE_URL = "sqlite:///mend.db"
DEFAULT_TEAMS_LOGIN_URL = "https://login.microsoftonline.com"
BOT_FRAMEWORK_TENANT = "botframework.com"  # the tenant of a multi-tenant bot's tokens
SLACK_TOKEN_PREFIXES = ("xoxb-", "xoxp-")
# Slack gives signing secrets as 32 lower-case hex digits; anything else (a space, a quote, the
# client secret pasted instead) makes every request's signature fail.
_SIGNING_SECRET = re.compile(r"[0-9a-f]{32}")


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
    # Where `mend doctor` asks for a Bot Framework token (the tenant is appended): Entra ID's login
    # host, another cloud's, or a local stand-in in tests.
    teams_login_url: str = Field(default=DEFAULT_TEAMS_LOGIN_URL, alias="MEND_TEAMS_LOGIN_URL")
    # Without an app id, /api/messages is served only when this is set: anyone who can reach
    # it may then act as any staff member. For local testing against a Bot Framework emulator.
    teams_unauthenticated: bool = Field(default=False, alias="MEND_TEAMS_UNAUTHENTICATED")

    def teams_enabled(self) -> bool:
        """Say whether `mend serve` hosts Teams: with an app id, or unauthenticated by explicit choice."""
        return bool(self.microsoft_app_id or self.teams_unauthenticated)

    def teams_tenant(self) -> str:
        """Return the tenant the Teams app gets tokens from: its own, or Bot Framework's (multi-tenant)."""
        return self.microsoft_app_tenant_id or BOT_FRAMEWORK_TENANT

    def slack_format_problems(self) -> list[str]:
        """Say which Slack credentials are malformed and how to fix them, without showing them."""
        problems = []
        token = self.slack_bot_token
        if token and not token.startswith(SLACK_TOKEN_PREFIXES):
            problems.append(
                "SLACK_BOT_TOKEN should start with xoxb- (the Bot User OAuth Token, on the app's"
                " OAuth & Permissions page); this is not a Slack token"
            )
        secret = self.slack_signing_secret
        if secret and not _SIGNING_SECRET.fullmatch(secret):
            problems.append(
                "SLACK_SIGNING_SECRET should be 32 hexadecimal characters (0-9, a-f);"
                f" {_what_is_off(secret)}. Copy the Signing Secret again from the app's Basic"
                " Information page: until then Mend refuses every request Slack sends over HTTP (401)"
            )
        app_token = self.slack_app_token
        if app_token and not app_token.startswith("xapp-"):
            problems.append("SLACK_APP_TOKEN should start with xapp- (an app-level token for Socket Mode)")
        return problems

    def describe_database(self) -> str:
        """Return the database URL with any password hidden."""
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            return make_url(self.database_url).render_as_string(hide_password=True)
        except ArgumentError:  # not shown: what does not parse may still hold a password
            return "(MEND_DATABASE_URL, not a database URL)"


def _what_is_off(secret: str) -> str:
    if any(c.isspace() for c in secret):
        return "the one set has spaces or line breaks in it"
    if len(secret) != 32:
        return f"the one set has {len(secret)} characters"
    return "the one set has other characters"
