"""Several workspaces: deliveries use the token of the workspace a person uses Mend from."""

from __future__ import annotations

import asyncio
import time

import pytest
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore

from adapters.main import Runtime
from adapters.slack.install import BOTS_TABLE, INSTALLATIONS_TABLE, InstalledWorkspaces
from adapters.slack.notifier import SlackNotifier, web_client
from bot.ports import Recipient, SendError
from bot.replies import Reply
from db import queries
from policies.loader import DEFAULT_POLICY
from tests.slack.conftest import SlackUser, load_staff, slack_server, wait_for
from tests.slack.test_over_limit_case import CASE
from tests.slack.webapi import TEAM, SlackWebApi

OAUTH = {"SLACK_BOT_TOKEN": None, "SLACK_CLIENT_ID": "111.222", "SLACK_CLIENT_SECRET": "shh"}
OTHER_TEAM = "T0OTHER"
TOKENS = {TEAM: "xoxb-acme-main", OTHER_TEAM: "xoxb-acme-other"}


def install(runtime: Runtime) -> SQLAlchemyInstallationStore:
    """Store the installs in two workspaces, as the OAuth redirect would after each admin's consent."""
    store = SQLAlchemyInstallationStore(
        client_id="111.222",
        engine=runtime.engine,
        installations_table_name=INSTALLATIONS_TABLE,
        bots_table_name=BOTS_TABLE,
    )
    for team, token in TOKENS.items():
        store.save(
            Installation(
                app_id="AMEND",
                enterprise_id=None,
                team_id=team,
                bot_token=token,
                bot_id=f"B{team}",
                bot_user_id="UMENDBOT",
                bot_scopes=["chat:write", "commands"],
                user_id="UADMIN",
                installed_at=time.time(),
            )
        )
    return store


def test_an_approval_request_reaches_the_approver_with_their_workspaces_token(make_runtime):
    async def run():
        async with slack_server(make_runtime, **OAUTH) as (endpoint, api, runtime):
            install(runtime)
            load_staff(runtime)
            alice = SlackUser(endpoint, api, "UALICE", "alice")
            carol = SlackUser(endpoint, api, "UCAROL", "carol")
            # carol has used Mend from her workspace once (her Home tab), so Mend knows where she is
            assert (await carol.open_home())[0] == 200
            (home,) = await wait_for(lambda: api.of("views.publish"))
            assert home.token == TOKENS[TEAM]

            assert await alice.recover("late parcel") == (200, "")
            (opened,) = await wait_for(lambda: api.of("views.open"))
            assert await alice.submit(opened.answer["view"], **CASE) == (200, "")
            (suggestion,) = await wait_for(lambda: api.of("chat.postMessage", channel="UALICE"))
            assert await alice.click(suggestion, "Ask approval") == (200, "")
            (request,) = await wait_for(lambda: api.of("chat.postMessage", channel="UCAROL"))
            assert "Approve" in request.buttons()
            assert request.token == TOKENS[TEAM]
            with runtime.sessions() as session:
                for user in ("UALICE", "UCAROL"):
                    identity = queries.get_identity(session, "slack", user)
                    assert identity is not None and identity.address == {"team_id": TEAM}

    asyncio.run(run())


def test_a_lesson_goes_to_every_workspace_and_an_unplaced_person_is_a_clear_dead_letter(make_runtime):
    async def run():
        api = await SlackWebApi().start()
        runtime = make_runtime(**OAUTH)
        try:
            notifier = SlackNotifier(
                web_client(None, api.url, retries=0),
                channels={"lessons": "service-lessons"},
                workspaces=InstalledWorkspaces(install(runtime)),
            )
            lessons = Recipient(staff_id=None, name="lessons", channel="lessons")
            sent = await asyncio.to_thread(notifier.send, lessons, Reply(title="Check the cut-off"))
            posts = api.of("chat.postMessage", channel="service-lessons")
            assert sorted(p.token for p in posts) == sorted(TOKENS.values())
            assert len(sent["copies"]) == 1

            # an update of that lesson reaches both copies, each with its own token
            await asyncio.to_thread(notifier.update, sent, Reply(title="Check the cut-off (edited)"))
            assert sorted(u.token for u in api.of("chat.update")) == sorted(TOKENS.values())

            # someone imported from the directory who never used Mend: which workspace is unknown
            dana = Recipient(
                staff_id=4, name="Dana", accounts={"slack": {"user_id": "UDANA", "address": None}}
            )
            with pytest.raises(SendError, match="Mend has no bot token for Dana") as unknown:
                await asyncio.to_thread(notifier.send, dana, Reply(title="Approval needed"))
            assert unknown.value.permanent and "/recover once" in str(unknown.value)
        finally:
            await api.stop()

    asyncio.run(run())


def test_with_an_approvals_channel_requests_go_there_and_anyone_with_authority_decides(
    make_runtime, tmp_path
):
    policy_text = DEFAULT_POLICY.read_text()
    assert "  channel: null\n" in policy_text
    policy_file = tmp_path / "policy.yaml"
    policy_file.write_text(policy_text.replace("  channel: null\n", "  channel: approvals-desk\n", 1))

    async def run():
        async with slack_server(make_runtime, MEND_POLICY_FILE=str(policy_file)) as (endpoint, api, runtime):
            assert runtime.policy.approvals.channel == "approvals-desk"
            load_staff(runtime)
            alice = SlackUser(endpoint, api, "UALICE", "alice")
            carol = SlackUser(endpoint, api, "UCAROL", "carol")
            assert await alice.recover("late parcel") == (200, "")
            (opened,) = await wait_for(lambda: api.of("views.open"))
            assert await alice.submit(opened.answer["view"], **CASE) == (200, "")
            (suggestion,) = await wait_for(lambda: api.of("chat.postMessage", channel="UALICE"))
            assert await alice.click(suggestion, "Ask approval") == (200, "")

            (request,) = await wait_for(lambda: api.of("chat.postMessage", channel="approvals-desk"))
            assert {"Approve", "Deny"} <= set(request.buttons())
            assert not api.of("chat.postMessage", channel="UBOB") and not api.of(
                "chat.postMessage", channel="UCAROL"
            )
            assert await carol.click(request, "Approve") == (200, "")
            await wait_for(
                lambda: [c for c in api.of("chat.update", channel="approvals-desk") if "Carol Diaz" in c.text]
            )
            await wait_for(
                lambda: [
                    c
                    for c in api.of("chat.update", ts=suggestion.where[1])
                    if "Approved by Carol Diaz" in c.text
                ]
            )

    asyncio.run(run())
