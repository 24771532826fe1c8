"""`mend doctor`: every check an admin needs before going live, each with what to do."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from adapters.settings import Settings
from db import migrate
from db.session import make_engine
from policies.loader import PolicyError, load_policy


@dataclass(frozen=True)
class Check:
    """One check's outcome."""

    name: str
    ok: bool
    detail: str


def run_checks(settings: Settings) -> Iterator[Check]:
    """Check the policy file, the database and its schema, and the platform credentials set."""
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


def _database(settings: Settings) -> Iterator[Check]:
    where = settings.describe_database()
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        yield Check("database", True, f"{where} reachable")
        current, head = migrate.current_revision(engine), migrate.head_revision()
        if current == head:
            yield Check("schema", True, f"at {head}")
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
    if settings.slack_bot_token and not settings.slack_bot_token.startswith("xoxb-"):
        yield Check("slack", False, "SLACK_BOT_TOKEN should start with xoxb- (the Bot User OAuth Token)")
    if settings.slack_client_id and not settings.slack_client_secret:
        yield Check("slack", False, "SLACK_CLIENT_ID is set without SLACK_CLIENT_SECRET")
    if settings.slack_app_token and not settings.slack_app_token.startswith("xapp-"):
        yield Check(
            "slack",
            False,
            "SLACK_APP_TOKEN should start with xapp- (an app-level token for Socket Mode)",
        )
    if settings.slack_signing_secret and (settings.slack_bot_token or "").startswith("xoxb-"):
        yield Check("slack", True, "token and signing secret set")


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
        tenant = settings.microsoft_app_tenant_id or "multi-tenant"
        yield Check("teams", True, f"app {settings.microsoft_app_id} ({tenant})")
