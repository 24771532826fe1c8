"""`mend doctor`: every check an admin needs before going live, each with what to do.

Credentials are tried, not only read: the Slack bot token against Slack's `auth.test`,
the Teams app id and password by asking Microsoft for a Bot Framework token, each
within a few seconds. What the platform answered is what the check reports.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from adapters.settings import Settings
from db import migrate
from db.session import make_engine
from policies.loader import PolicyError, load_policy
from policies.schema import Policy

CHECK_SECONDS = 5
BOT_FRAMEWORK_SCOPE = "https://api.botframework.com/.default"

# What to do about Slack's and Microsoft's commonest refusals; any other is reported as it came.
SLACK_REFUSALS = {
    "invalid_auth": "copy the Bot User OAuth Token (xoxb-) again from the app's OAuth & Permissions page",
    "not_authed": "set SLACK_BOT_TOKEN to the Bot User OAuth Token (xoxb-)",
    "token_revoked": "the token was revoked: reinstall the app to the workspace and copy the new token",
    "account_inactive": "the app was uninstalled: reinstall it to the workspace and copy the new token",
}
TEAMS_REFUSALS = {
    "invalid_client": (
        "Check MICROSOFT_APP_PASSWORD: a client secret's Value (not its Secret ID), not expired,"
        " of the app registration MICROSOFT_APP_ID names"
    ),
    "unauthorized_client": (
        "Check MICROSOFT_APP_ID, and MICROSOFT_APP_TENANT_ID (set only for a single-tenant bot,"
        " to the app registration's own tenant)"
    ),
}


@dataclass(frozen=True)
class Check:
    """One check's outcome; a warning passes but tells the admin something to act on."""

    name: str
    ok: bool
    detail: str
    warning: bool = False


def run_checks(settings: Settings) -> Iterator[Check]:
    """Check the policy file, the database and its schema, the platform credentials and the channels."""
    policy = None
    try:
        policy = load_policy(settings.policy_file)
        yield Check(
            "policy",
            True,
            f"{settings.policy_file} ({len(policy.roles)} roles, {len(policy.categories)} categories)",
        )
    except PolicyError as exc:
        yield Check("policy", False, f"{exc}\n       Fix the file; check it with: mend policy check FILE")
    yield from _database(settings)
    yield from _slack(settings)
    yield from _teams(settings)
    if policy is not None:
        yield from lessons_checks(settings, policy)


def _database(settings: Settings) -> Iterator[Check]:
    where = settings.describe_database()
    url = make_url(settings.database_url)
    sqlite = url.get_backend_name() == "sqlite"
    if sqlite and url.database not in (None, "", ":memory:") and not Path(url.database).exists():
        # Looking must not create it: Mend creates and migrates its SQLite file when it starts.
        yield Check("database", True, f"{where} does not exist yet; Mend creates it when it first starts")
        return
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        yield Check("database", True, f"{where} reachable")
        current, head = migrate.current_revision(engine), migrate.head_revision()
        if current == head:
            yield Check("schema", True, f"at {head}")
        elif sqlite:
            yield Check("schema", True, f"at {current or 'none'}; Mend brings it to {head} when it starts")
        else:
            yield Check("schema", False, f"at {current or 'none'}, Mend needs {head}: run mend db upgrade")
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        yield Check(
            "database",
            False,
            f"{where}: {reason}. Check MEND_DATABASE_URL and that the server runs.",
        )
    finally:
        engine.dispose()


def _slack(settings: Settings) -> Iterator[Check]:
    if not (settings.slack_bot_token or settings.slack_client_id):
        yield Check("slack", True, "not configured (set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to use it)")
        return
    if not settings.slack_signing_secret:
        yield Check(
            "slack",
            False,
            "SLACK_SIGNING_SECRET is missing: copy it from the app's Basic Information page",
        )
    for problem in settings.slack_format_problems():
        yield Check("slack", False, problem)
    token = settings.slack_bot_token or ""
    if token.startswith("xoxp-"):
        yield Check(
            "slack",
            False,
            "SLACK_BOT_TOKEN should start with xoxb- (the Bot User OAuth Token): an xoxp- token is a"
            " person's, and Mend would act as them",
        )
    if settings.slack_client_id and not settings.slack_client_secret:
        yield Check("slack", False, "SLACK_CLIENT_ID is set without SLACK_CLIENT_SECRET")
    if token.startswith("xoxb-"):
        yield _slack_token(settings)
    elif settings.slack_client_id and settings.slack_client_secret:
        yield Check("slack", True, "OAuth install flow set: each workspace's token comes with its install")


def _slack_token(settings: Settings) -> Check:
    """Ask Slack's auth.test whom the bot token belongs to."""
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError, SlackClientError

    where = settings.slack_api_url or WebClient.BASE_URL
    client = WebClient(
        token=settings.slack_bot_token,
        base_url=where.rstrip("/") + "/",
        timeout=CHECK_SECONDS,
        retry_handlers=[],  # one try: the admin is waiting, and doctor can be run again
    )
    try:
        answer = client.auth_test()
    except SlackApiError as exc:
        error = exc.response.get("error") or f"HTTP {exc.response.status_code}"
        advice = SLACK_REFUSALS.get(error, "see https://api.slack.com/methods/auth.test")
        return Check("slack", False, f"Slack refused SLACK_BOT_TOKEN: {error}; {advice}")
    except (SlackClientError, OSError, ValueError) as exc:
        return Check(
            "slack",
            False,
            f"could not reach Slack at {where}: {_reason(exc)}. Check this server's outbound HTTPS"
            " (and MEND_SLACK_API_URL if it is set)",
        )
    bot = f"@{answer['user']} ({answer.get('user_id')})" if answer.get("user") else answer.get("user_id")
    return Check(
        "slack",
        True,
        f"Slack accepts the bot token: workspace {answer.get('team')} ({answer.get('team_id')}),"
        f" bot user {bot}",
    )


def _teams(settings: Settings) -> Iterator[Check]:
    if not settings.microsoft_app_id:
        if settings.teams_unauthenticated:
            yield Check(
                "teams",
                False,
                "MEND_TEAMS_UNAUTHENTICATED is set: anyone who reaches /api/messages can act as any"
                " staff member. Local testing only; set MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD",
            )
        else:
            yield Check("teams", True, "off (set MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD to serve Teams)")
        return
    if not settings.microsoft_app_password:
        yield Check(
            "teams",
            False,
            "MICROSOFT_APP_PASSWORD is missing: create a client secret for the app registration",
        )
    else:
        yield _teams_token(settings)


def _teams_token(settings: Settings) -> Check:
    """Ask Microsoft for the Bot Framework token Mend needs to send anything to Teams."""
    import msal
    import requests

    app_id = settings.microsoft_app_id
    tenant = settings.teams_tenant()
    login = settings.teams_login_url.rstrip("/")
    authority = f"{login}/{tenant}"
    if not login.startswith("https://"):
        return Check("teams", False, f"MEND_TEAMS_LOGIN_URL {login} should be an https:// address")
    result: dict[str, Any]
    try:
        client = msal.ConfidentialClientApplication(
            app_id,
            client_credential=settings.microsoft_app_password,
            authority=authority,
            timeout=CHECK_SECONDS,
            # The login host is the admin's own setting: no asking login.microsoftonline.com about it.
            instance_discovery=False,
        )
        result = client.acquire_token_for_client(scopes=[BOT_FRAMEWORK_SCOPE])
    except requests.RequestException as exc:
        return Check(
            "teams",
            False,
            f"could not reach {authority}: {_reason(exc)}. Mend needs it to send anything to Teams:"
            " check this server's outbound HTTPS (and MEND_TEAMS_LOGIN_URL if it is set)",
        )
    except (ValueError, KeyError) as exc:  # MSAL's word for a tenant the login host does not know
        said = re.search(r"AADSTS\d+:[^\"\\]*", str(exc.__context__ or exc))
        return Check(
            "teams",
            False,
            f"{login} does not know the tenant {tenant}{f' ({said[0].strip()})' if said else ''}:"
            " set MICROSOFT_APP_TENANT_ID to the app registration's Directory (tenant) ID, or leave it"
            " unset for a multi-tenant bot",
        )
    if result.get("access_token"):
        return Check("teams", True, f"Microsoft issued a Bot Framework token to app {app_id} ({tenant})")
    error = str(result.get("error") or "no token")
    advice = TEAMS_REFUSALS.get(error, "Check MICROSOFT_APP_ID, MICROSOFT_APP_PASSWORD and the tenant")
    description = _first_line(str(result.get("error_description") or ""))
    return Check(
        "teams", False, f"Microsoft refused app {app_id} ({tenant}): {error}: {description} {advice}"
    )


def lessons_checks(settings: Settings, policy: Policy) -> Iterator[Check]:
    """Say where lessons go when Teams is served without a lessons channel (nothing otherwise)."""
    if not settings.teams_enabled() or policy.broadcast.teams_channel:
        return
    from adapters.slack.app import slack_configured

    how = (
        f"set broadcast.teams_channel in {settings.policy_file} to the Teams channel's id"
        " (19:...@thread.tacv2) and add Mend to that team; see docs/install-teams.md"
    )
    if slack_configured(settings):
        yield Check(
            "lessons",
            True,
            f"Teams has no lessons channel: lessons reach Slack's #{policy.broadcast.channel} only."
            f" To share them in Teams too, {how}",
            warning=True,
        )
    else:
        yield Check(
            "lessons",
            False,
            "Teams has no lessons channel: every lesson would fail to send (a dead letter in"
            f" mend deliveries list --failed). {how[0].upper()}{how[1:]}",
        )


def _first_line(message: str) -> str:
    """Return the first line of a message, without Entra ID's trace and correlation ids."""
    line = message.strip().splitlines()[0] if message.strip() else ""
    return line if line.endswith((".", "!", "?")) or not line else line + "."


def _reason(exc: BaseException) -> str:
    """Return the root of a network error, e.g. "[Errno 111] Connection refused", for one line."""
    message = str(exc)
    found = re.search(r"\[Errno -?\d+\] [^'\")>]+|\[SSL: [^\]]+\][^'\")(]*", message)
    if found:
        return found.group(0).strip()
    if isinstance(exc, TimeoutError) or "timed out" in message.lower():
        return f"no answer within {CHECK_SECONDS} s"
    return _first_line(message).rstrip(".") or type(exc).__name__
