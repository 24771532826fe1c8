"""Who may call /api/messages, and who a Teams user is to Mend."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time

import jwt
import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt import PyJWKClient
from microsoft_agents.hosting.core import AuthenticationConstants
from microsoft_agents.hosting.core.authorization.jwt import jwt_token_validator
from sqlalchemy import func, select

from adapters.teams.app import MULTI_TENANT, authenticate, build_connections, sdk_configuration
from bot import staff
from bot.commands import Actor
from db import queries
from db.models import Case, StaffIdentity
from tests.teams.conftest import TeamsUser, find_action, teams_server
from tests.teams.connector import RecordingConnector

APP_ID = "11111111-2222-3333-4444-555555555555"


@pytest.fixture
def dns_lookups(monkeypatch):
    """Refuse and record every lookup of a host that is not local: these tests run offline."""
    attempts: list[str] = []
    real = socket.getaddrinfo

    def guarded(host, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name not in ("127.0.0.1", "localhost", "::1", None):
            attempts.append(name)
            raise socket.gaierror(socket.EAI_NONAME, f"offline test: {name}")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", guarded)
    return attempts


def test_with_an_app_id_a_request_without_a_valid_token_is_refused_and_stores_nothing(
    make_runtime, dns_lookups
):
    runtime = make_runtime(MICROSOFT_APP_ID=APP_ID, MICROSOFT_APP_PASSWORD="secret")
    statuses = asyncio.run(_unauthenticated_requests(runtime))
    assert statuses == [401, 401, 401, 401]
    assert dns_lookups == []
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(StaffIdentity)) == 0
        assert session.scalar(select(func.count()).select_from(Case)) == 0


async def _unauthenticated_requests(runtime):
    forged = jwt.encode({"aud": APP_ID, "iss": "https://api.botframework.com"}, "x" * 32, algorithm="HS256")
    wrong_audience = jwt.encode({"aud": "someone-else"}, "x" * 32, algorithm="HS256")
    async with teams_server(runtime) as (endpoint, connector):
        zed = TeamsUser(endpoint, connector, "aad-zed", "Zed")
        statuses = [
            await zed.post(zed.activity(text="recover")),
            await zed.post(zed.activity(text="recover"), {"Authorization": "Bearer garbage"}),
            await zed.post(zed.activity(text="recover"), {"Authorization": f"Bearer {forged}"}),
            await zed.post(zed.activity(text="recover"), {"Authorization": f"Bearer {wrong_audience}"}),
        ]
        assert connector.calls == []
    return statuses


def test_a_tenant_id_means_single_tenant_and_none_means_multi_tenant(make_runtime):
    single = make_runtime(MICROSOFT_APP_ID=APP_ID, MICROSOFT_APP_PASSWORD="s", MICROSOFT_APP_TENANT_ID="t-1")
    multi = make_runtime(MICROSOFT_APP_ID=APP_ID, MICROSOFT_APP_PASSWORD="s")

    def tenant(rt):
        return sdk_configuration(rt.settings)["CONNECTIONS"]["SERVICE_CONNECTION"]["SETTINGS"]["TENANTID"]

    assert tenant(single) == "t-1"
    assert tenant(multi) == MULTI_TENANT
    assert sdk_configuration(make_runtime().settings) == {}


SLACK_ALICE = """platform,user_id,name,email,role,manager,location
slack,U_ALICE,Alice Park,alice@example.com,frontline,,hq
"""


def test_a_teams_user_with_a_slack_users_email_shares_their_staff_row_and_budget(make_runtime):
    runtime = make_runtime()
    with runtime.sessions() as session:
        staff.import_staff(SLACK_ALICE, session=session, policy=runtime.policy, clock=runtime.clock)
    asyncio.run(_give_within_limit(runtime))
    with runtime.sessions() as session:
        on_slack = queries.get_staff_by_identity(session, "slack", "U_ALICE")
        on_teams = queries.get_staff_by_identity(session, "teams", "aad-alice-teams")
        assert on_slack is not None and on_teams is not None
        assert on_slack.id == on_teams.id
        spent = queries.spent_since(session, on_slack.id, staff.period_start(runtime.clock.now()))
        assert spent > 0
        slack_actor = Actor(platform="slack", user_id="U_ALICE")
        room = staff.get_headroom(
            session,
            staff.resolve_actor(session, slack_actor, policy=runtime.policy, now=runtime.clock.now()),
            policy=runtime.policy,
            now=runtime.clock.now(),
        )
        assert room.budget_left == room.budget - spent


async def _give_within_limit(runtime):
    async with teams_server(runtime) as (endpoint, connector):
        alice = TeamsUser(
            endpoint, connector, "aad-alice-teams", "Alice P.", userPrincipalName="Alice@Example.com"
        )
        await alice.say("recover")
        submit = find_action(connector.posts(alice.conversation)[0].card, "Get suggestion")
        await alice.submit(
            submit,
            "activity-1",
            customer_name="Sam Buyer",
            category="late_delivery",
            severity="major",
            description="Two days late.",
        )
        suggestion = connector.puts(alice.conversation, "activity-1")[-1].card
        assert await alice.submit(find_action(suggestion, "Give"), "activity-1") == 202
        assert " given" in str(connector.puts(alice.conversation, "activity-1")[-1].card)


@contextlib.contextmanager
def local_signing_keys(url: str):
    """Point the SDK's cached Bot Framework signing keys at a local server (restored after)."""
    cache = jwt_token_validator.JwtTokenValidator._jwk_client_manager._cache
    uri = AuthenticationConstants.PUBLIC_ABS_JWKS_URL
    saved = cache.get(uri)
    cache[uri] = jwt_token_validator._JwkClientCacheEntry(PyJWKClient(url, timeout=5), threading.Lock())
    try:
        yield
    finally:
        if saved is None:
            cache.pop(uri, None)
        else:
            cache[uri] = saved


def test_a_valid_token_cannot_send_mends_credentials_to_a_service_url_outside_microsoft(
    make_runtime, dns_lookups
):
    runtime = make_runtime(
        MICROSOFT_APP_ID=APP_ID, MICROSOFT_APP_PASSWORD="secret", MICROSOFT_APP_TENANT_ID="t"
    )
    asyncio.run(_valid_token_to_a_foreign_service_url(runtime))
    assert dns_lookups == []
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(StaffIdentity)) == 0


async def _valid_token_to_a_foreign_service_url(runtime):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update({"kid": "k1", "use": "sig", "alg": "RS256"})

    async def keys(_request):
        return web.json_response({"keys": [jwk]})

    keys_app = web.Application()
    keys_app.router.add_get("/keys", keys)
    runner = web.AppRunner(keys_app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        with local_signing_keys(f"http://127.0.0.1:{runner.addresses[0][1]}/keys"):
            async with teams_server(runtime) as (endpoint, connector):
                now = int(time.time())
                token = jwt.encode(
                    {
                        "iss": "https://api.botframework.com",
                        "aud": APP_ID,
                        "nbf": now - 10,
                        "exp": now + 600,
                        "serviceurl": connector.service_url,
                    },
                    key,
                    algorithm="RS256",
                    headers={"kid": "k1"},
                )
                config = build_connections(runtime.settings).get_default_connection_configuration()
                assert await authenticate(f"Bearer {token}", config) is not None
                zed = TeamsUser(endpoint, connector, "aad-zed", "Zed")
                status = await zed.post(zed.activity(text="recover"), {"Authorization": f"Bearer {token}"})
                assert status == 401  # the token was good; the serviceUrl is not a Microsoft host
                assert connector.calls == []
    finally:
        await runner.cleanup()


def test_without_an_app_id_mend_serve_does_not_answer_teams_at_all(make_runtime, tmp_path):
    """A Slack-only install must not leave an open door: no app id, no opt-in, no /api/messages."""
    from adapters.main import build_web_app

    runtime = make_runtime(MEND_TEAMS_UNAUTHENTICATED=False)
    assert not runtime.settings.teams_enabled()

    async def post() -> int:
        connector = await RecordingConnector().start()
        runner = web.AppRunner(build_web_app(runtime), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        try:
            mallory = TeamsUser(
                f"http://127.0.0.1:{runner.addresses[0][1]}/api/messages",
                connector,
                "aad-mallory",
                "Mallory",
                email="carol@example.com",
            )
            status = await mallory.say("recover")
            assert connector.calls == []
            return status
        finally:
            await runner.cleanup()
            await connector.stop()

    assert asyncio.run(post()) == 404
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(StaffIdentity)) == 0


def test_serving_teams_without_a_lessons_channel_warns_at_start(make_runtime, caplog):
    """Lessons would be dead letters: the server says so as it starts, as `mend doctor` does."""
    from dataclasses import replace

    from adapters.main import build_web_app

    runtime = make_runtime()
    build_web_app(runtime)
    assert not [r for r in caplog.records if "lessons channel" in r.getMessage()]
    no_channel = runtime.policy.model_copy(
        update={"broadcast": runtime.policy.broadcast.model_copy(update={"teams_channel": None})}
    )
    caplog.clear()
    build_web_app(replace(runtime, policy=no_channel))
    warned = [
        r for r in caplog.records if r.levelname == "WARNING" and "no lessons channel" in r.getMessage()
    ]
    assert warned and "broadcast.teams_channel" in warned[0].getMessage()
