"""`mend serve` as a process: it refuses a broken policy, and serves Slack, Teams, /healthz and /metrics."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import urllib.parse
from pathlib import Path

from aiohttp import ClientSession

from tests.slack.conftest import SECRET, SlackUser, wait_for
from tests.slack.webapi import SlackWebApi
from tests.teams.conftest import TeamsUser, find_action
from tests.teams.connector import RecordingConnector
from tests.test_cli import run

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_serve(tmp_path: Path, port: int, api: SlackWebApi, **settings: str) -> subprocess.Popen[bytes]:
    """Start `mend serve` on a SQLite file with Slack pointed at the stand-in Web API."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_", "MEND_"))}
    env.update(
        MEND_DATABASE_URL=f"sqlite:///{tmp_path / 'mend.db'}",
        MEND_LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_BOT_TOKEN="xoxb-mend-test",
        MEND_SLACK_API_URL=api.url,
        **settings,
    )
    return subprocess.Popen(
        [sys.executable, "-m", "adapters.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_serve_refuses_to_start_on_a_broken_policy(tmp_path: Path) -> None:
    bad = tmp_path / "policy.yaml"
    bad.write_text("currency: dollars\n")
    result = run(["serve", "--port", str(_free_port())], tmp_path, MEND_POLICY_FILE=str(bad))
    assert result.returncode == 1
    assert "The policy file is broken; Mend will not start" in result.stderr


def test_serve_with_an_app_token_takes_slack_requests_over_socket_mode(tmp_path: Path) -> None:
    asyncio.run(_socket_mode(tmp_path))


async def _socket_mode(tmp_path: Path) -> None:
    api = await SlackWebApi().start()
    port = _free_port()
    process = start_serve(tmp_path, port, api, SLACK_APP_TOKEN="xapp-mend-test")
    try:
        (opened,) = await wait_for(lambda: api.of("apps.connections.open") or process.poll(), seconds=30)
        assert opened is not None and opened.token == "xapp-mend-test"
        alice = SlackUser(f"http://127.0.0.1:{port}/slack/events", api, "UALICE", "alice")
        command = dict(urllib.parse.parse_qsl(alice.command_body("late parcel $80")))
        await api.envelopes.put(
            {
                "envelope_id": "env-1",
                "type": "slash_commands",
                "accepts_response_payload": True,
                "payload": command,
            }
        )
        # the envelope is acknowledged over the socket, and the case form opens
        await wait_for(lambda: [r for r in api.socket_replies if r.get("envelope_id") == "env-1"])
        (modal,) = await wait_for(lambda: api.of("views.open"))
        assert modal.args["view"]["callback_id"] == "mend_open_case"
        assert modal.token == "xoxb-mend-test"
    finally:
        process.terminate()
        # Waited for off the loop: the stand-in answers the server's Socket Mode close meanwhile.
        await asyncio.to_thread(process.wait, 20)
        await api.stop()


def test_serve_answers_health_metrics_slack_and_teams(tmp_path: Path) -> None:
    asyncio.run(_serve(tmp_path))


async def _serve(tmp_path: Path) -> None:
    api = await SlackWebApi().start()
    connector = await RecordingConnector().start()
    port = _free_port()
    process = start_serve(tmp_path, port, api, MEND_TEAMS_UNAUTHENTICATED="1")
    base = f"http://127.0.0.1:{port}"
    try:
        async with ClientSession() as http:

            async def healthy() -> int:
                try:
                    async with http.get(f"{base}/healthz") as response:
                        return response.status
                except OSError:
                    return 0

            for _ in range(300):
                if await healthy() == 200 or process.poll() is not None:
                    break
                await asyncio.sleep(0.05)
            assert await healthy() == 200, (
                process.stderr.read().decode() if process.poll() is not None else ""
            )
            alice = SlackUser(f"{base}/slack/events", api, "UALICE", "alice")
            assert await alice.recover("late parcel") == (200, "")
            (opened,) = await wait_for(lambda: api.of("views.open"))
            assert opened.args["view"]["callback_id"] == "mend_open_case"
            async with http.get(f"{base}/metrics") as response:
                text = await response.text()
            assert 'mend_http_requests_total{route="/slack/events",method="POST",status="200"} 1' in text

            # the same process answers Teams: `recover` in a personal chat gets the case form
            bob = TeamsUser(f"{base}/api/messages", connector, "aad-bob", "Bob Reyes")
            assert await bob.say("recover") == 202
            (form,) = await wait_for(lambda: connector.posts(bob.conversation))
            find_action(form.card, "Get suggestion")

            # SIGTERM (a deploy, `docker stop`) stops it cleanly: exit 0, not killed by the signal
            process.terminate()
            assert await asyncio.to_thread(process.wait, 20) == 0
            assert "Mend stopped" in process.stderr.read().decode()
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=20)
        await api.stop()
        await connector.stop()
