"""`mend doctor` asks Slack and Microsoft about the credentials, and says what they answered.

Slack's Web API and Entra ID's token service are local stand-ins: the one the Slack tests
use, and an https server with a certificate made for the test (MSAL speaks https only),
which the doctor's process trusts through REQUESTS_CA_BUNDLE.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import json
import re
import socket
import sqlite3
import ssl
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from adapters.doctor import BOT_FRAMEWORK_SCOPE
from bot.replies import ActionId
from bot.values import Target
from tests.slack.webapi import BOT_USER, TEAM, SlackWebApi
from tests.test_cli import run

ROOT = Path(__file__).resolve().parent.parent
SIGNING_SECRET = "0123456789abcdef0123456789abcdef"
APP_ID = "11111111-2222-3333-4444-555555555555"
APP_PASSWORD = "the-right-client-secret"
TENANT = "22222222-3333-4444-5555-666666666666"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def slack_web_api() -> Iterator[SlackWebApi]:
    """Run the Slack stand-in on a loop of its own thread, so a blocking doctor can call it."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    api = asyncio.run_coroutine_threadsafe(SlackWebApi().start(), loop).result(10)
    try:
        yield api
    finally:
        asyncio.run_coroutine_threadsafe(api.stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def _certificate(directory: Path) -> tuple[Path, Path]:
    """Write a self-signed certificate for 127.0.0.1 and its key; return their paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "entra.pem", directory / "entra.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


class _EntraHandler(BaseHTTPRequestHandler):
    """Answers like Entra ID: a tenant's OpenID configuration, and client-credential tokens."""

    server: EntraServer

    def do_GET(self) -> None:
        tenant = self.path.split("/")[1]
        if self.path != f"/{tenant}/v2.0/.well-known/openid-configuration":
            self._answer(404, {"error": "not_found"})
        elif tenant not in self.server.tenants:
            self._answer(
                400,
                {
                    "error": "invalid_tenant",
                    "error_description": f"AADSTS90002: Tenant '{tenant}' not found.\r\nTrace ID: 1",
                },
            )
        else:
            base = f"https://127.0.0.1:{self.server.server_port}/{tenant}"
            self._answer(
                200,
                {
                    "issuer": f"{base}/v2.0",
                    "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                    "token_endpoint": f"{base}/oauth2/v2.0/token",
                },
            )

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
        self.server.token_requests.append({"tenant": self.path.split("/")[1], **form})
        if form.get("client_id") == APP_ID and form.get("client_secret") == APP_PASSWORD:
            self._answer(200, {"token_type": "Bearer", "expires_in": 3599, "access_token": "eyJ0.a.b"})
        else:
            self._answer(
                401,
                {
                    "error": "invalid_client",
                    "error_description": (
                        "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent"
                        " in the request is the client secret value, not the client secret ID.\r\n"
                        "Trace ID: 5f0c\r\nCorrelation ID: 9a1e\r\nTimestamp: 2026-11-28 10:00:00Z"
                    ),
                    "error_codes": [7000215],
                },
            )

    def _answer(self, status: int, body: dict[str, object]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # quiet in the test output
        pass


class EntraServer(ThreadingHTTPServer):
    """A local https stand-in for login.microsoftonline.com."""

    def __init__(self, certificate: Path, key: Path, tenants: set[str]) -> None:
        super().__init__(("127.0.0.1", 0), _EntraHandler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(certificate, key)
        self.socket = context.wrap_socket(self.socket, server_side=True)
        self.tenants = tenants
        self.token_requests: list[dict[str, str]] = []

    @property
    def url(self) -> str:
        """Return the login URL to give Mend as MEND_TEAMS_LOGIN_URL."""
        return f"https://127.0.0.1:{self.server_port}"


@pytest.fixture
def entra(tmp_path: Path) -> Iterator[tuple[EntraServer, Path]]:
    """The Entra ID stand-in, knowing the multi-tenant authority and TENANT, and its certificate."""
    certificate, key = _certificate(tmp_path)
    server = EntraServer(certificate, key, {"botframework.com", TENANT})
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, certificate
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def doctor(tmp_path: Path, **env: str) -> tuple[int, dict[str, list[str]]]:
    """Run `mend doctor`; return its exit code and its lines by check name."""
    result = run(["doctor"], tmp_path, NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost", **env)
    lines: dict[str, list[str]] = {}
    for line in result.stdout.splitlines():
        found = re.match(r"\[(ok  |warn|FAIL)\] (\w+): (.*)", line)
        if found:
            lines.setdefault(found[2], []).append(f"[{found[1].strip()}] {found[3]}")
    return result.returncode, lines


def teams(entra: tuple[EntraServer, Path], **env: str) -> dict[str, str]:
    """Return the settings that point Teams at the Entra stand-in, trusting its certificate."""
    server, certificate = entra
    return {
        "MICROSOFT_APP_ID": APP_ID,
        "MICROSOFT_APP_PASSWORD": APP_PASSWORD,
        "MEND_TEAMS_LOGIN_URL": server.url,
        "REQUESTS_CA_BUNDLE": str(certificate),
        **env,
    }


def test_doctor_names_the_workspace_and_bot_slack_accepts_the_token_for(tmp_path: Path) -> None:
    with slack_web_api() as api:
        _, lines = doctor(
            tmp_path,
            SLACK_BOT_TOKEN="xoxb-good",
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            MEND_SLACK_API_URL=api.url,
        )
        (call,) = api.of("auth.test")
    assert call.token == "xoxb-good"
    assert lines["slack"] == [
        f"[ok] Slack accepts the bot token: workspace Acme ({TEAM}), bot user {BOT_USER}"
    ]


def test_doctor_fails_a_token_slack_refuses_and_says_what_slack_said(tmp_path: Path) -> None:
    with slack_web_api() as api:
        api.fail["auth.test"] = "invalid_auth"
        code, lines = doctor(
            tmp_path,
            SLACK_BOT_TOKEN="xoxb-revoked-or-mistyped",
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            MEND_SLACK_API_URL=api.url,
        )
    assert code == 1
    assert lines["slack"] == [
        "[FAIL] Slack refused SLACK_BOT_TOKEN: invalid_auth; copy the Bot User OAuth Token (xoxb-)"
        " again from the app's OAuth & Permissions page"
    ]


def test_doctor_says_when_it_cannot_reach_slack(tmp_path: Path) -> None:
    nowhere = f"http://127.0.0.1:{_free_port()}/api/"
    code, lines = doctor(
        tmp_path, SLACK_BOT_TOKEN="xoxb-good", SLACK_SIGNING_SECRET=SIGNING_SECRET, MEND_SLACK_API_URL=nowhere
    )
    assert code == 1
    (line,) = lines["slack"]
    assert line.startswith(f"[FAIL] could not reach Slack at {nowhere}: [Errno 111] Connection refused.")


def test_doctor_fails_a_malformed_signing_secret_without_showing_it(tmp_path: Path) -> None:
    with slack_web_api() as api:
        _, lines = doctor(
            tmp_path,
            SLACK_BOT_TOKEN="xoxb-good",
            SLACK_SIGNING_SECRET="not-the-secret ",
            MEND_SLACK_API_URL=api.url,
        )
    assert lines["slack"][0] == (
        "[FAIL] SLACK_SIGNING_SECRET should be 32 hexadecimal characters (0-9, a-f); the one set has"
        " spaces or line breaks in it. Copy the Signing Secret again from the app's Basic Information"
        " page: until then Mend refuses every request Slack sends over HTTP (401)"
    )
    assert "not-the-secret" not in str(lines)


def test_doctor_reports_the_bot_framework_token_microsoft_issues(tmp_path: Path, entra) -> None:
    _, lines = doctor(tmp_path, **teams(entra))
    assert lines["teams"] == [
        f"[ok] Microsoft issued a Bot Framework token to app {APP_ID} (botframework.com)"
    ]
    (asked,) = entra[0].token_requests
    assert asked["tenant"] == "botframework.com" and asked["grant_type"] == "client_credentials"
    assert BOT_FRAMEWORK_SCOPE in asked["scope"].split()


def test_doctor_asks_a_single_tenant_bots_own_tenant(tmp_path: Path, entra) -> None:
    _, lines = doctor(tmp_path, **teams(entra, MICROSOFT_APP_TENANT_ID=TENANT))
    assert lines["teams"] == [f"[ok] Microsoft issued a Bot Framework token to app {APP_ID} ({TENANT})"]
    assert [r["tenant"] for r in entra[0].token_requests] == [TENANT]


def test_doctor_fails_a_wrong_app_password_with_microsofts_error(tmp_path: Path, entra) -> None:
    code, lines = doctor(tmp_path, **teams(entra, MICROSOFT_APP_PASSWORD="the-secret-id-instead"))
    assert code == 1
    assert lines["teams"] == [
        f"[FAIL] Microsoft refused app {APP_ID} (botframework.com): invalid_client: AADSTS7000215: Invalid"
        " client secret provided. Ensure the secret being sent in the request is the client secret value,"
        " not the client secret ID. Check MICROSOFT_APP_PASSWORD: a client secret's Value (not its Secret"
        " ID), not expired, of the app registration MICROSOFT_APP_ID names"
    ]
    assert "Trace ID" not in str(lines) and "the-secret-id-instead" not in str(lines)


def test_doctor_fails_a_tenant_microsoft_does_not_know(tmp_path: Path, entra) -> None:
    code, lines = doctor(tmp_path, **teams(entra, MICROSOFT_APP_TENANT_ID="no-such-tenant"))
    assert code == 1
    assert lines["teams"] == [
        f"[FAIL] {entra[0].url} does not know the tenant no-such-tenant (AADSTS90002: Tenant"
        " 'no-such-tenant' not found.): set MICROSOFT_APP_TENANT_ID to the app registration's Directory"
        " (tenant) ID, or leave it unset for a multi-tenant bot"
    ]
    assert entra[0].token_requests == []


def test_doctor_says_when_it_cannot_reach_microsoft(tmp_path: Path, entra) -> None:
    nowhere = f"https://127.0.0.1:{_free_port()}"
    code, lines = doctor(tmp_path, **teams(entra, MEND_TEAMS_LOGIN_URL=nowhere))
    assert code == 1
    (line,) = lines["teams"]
    assert line.startswith(
        f"[FAIL] could not reach {nowhere}/botframework.com: [Errno 111] Connection refused."
    )


def test_teams_without_a_lessons_channel_fails_when_its_lessons_would_be_dead_letters(
    tmp_path: Path, entra
) -> None:
    code, lines = doctor(tmp_path, **teams(entra))
    assert code == 1
    (line,) = lines["lessons"]
    assert line.startswith("[FAIL] Teams has no lessons channel: every lesson would fail to send")
    assert "broadcast.teams_channel" in line


def test_teams_without_a_lessons_channel_is_a_warning_when_slack_still_gets_the_lessons(
    tmp_path: Path, entra
) -> None:
    with slack_web_api() as api:
        _, lines = doctor(
            tmp_path,
            SLACK_BOT_TOKEN="xoxb-good",
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            MEND_SLACK_API_URL=api.url,
            **teams(entra),
        )
    (line,) = lines["lessons"]
    assert line.startswith(
        "[warn] Teams has no lessons channel: lessons reach Slack's #service-lessons only."
    )


def test_teams_with_a_lessons_channel_has_nothing_to_say_about_lessons(tmp_path: Path, entra) -> None:
    policy = tmp_path / "policy.yaml"
    default = (ROOT / "policies" / "default.yaml").read_text()
    policy.write_text(
        default.replace(
            "broadcast:\n  channel: service-lessons\n  teams_channel: null",
            'broadcast:\n  channel: service-lessons\n  teams_channel: "19:abc@thread.tacv2"',
        )
    )
    _, lines = doctor(tmp_path, MEND_POLICY_FILE=str(policy), **teams(entra))
    assert "lessons" not in lines
    assert lines["policy"][0].startswith("[ok]")


def test_the_slack_doc_gives_the_button_values_target_writes_and_reads() -> None:
    doc = (ROOT / "docs" / "slack.md").read_text()
    rows = re.findall(r"^\| `([0-9:]+)` \| (.*?) \|", doc, re.MULTILINE)
    documented = {}
    for value, on in rows:
        for name in re.findall(r"`(mend_\w+?)(\*?)`", on):
            actions = [a for a in ActionId if a.value.startswith(name[0])] if name[1] else [ActionId(name[0])]
            for action in actions:
                # every action the row names reads the value, and writes it back the same
                assert Target.decode(action, value).encode() == value, (value, action)
                documented[value] = action
    written = {
        Target(case_id=12).encode(),
        Target(case_id=12, rank=3, rendering="2").encode(),
        Target(case_id=12, rank=3).encode(),
        Target(case_id=12, attempt=1).encode(),
        Target(request_id=7).encode(),
    }
    assert set(documented) == written
    assert "`case:option`" not in doc


def test_doctor_in_a_fresh_directory_leaves_no_database_behind_and_fails_nothing(tmp_path: Path) -> None:
    code, lines = doctor(tmp_path)
    where = f"sqlite:///{tmp_path / 'mend.db'}"
    assert lines["database"] == [f"[ok] {where} does not exist yet; Mend creates it when it first starts"]
    assert "schema" not in lines and code == 0
    assert not (tmp_path / "mend.db").exists()


def test_doctor_calls_an_old_sqlite_schema_fine_as_mend_migrates_it_on_start(tmp_path: Path) -> None:
    run(["db", "upgrade"], tmp_path)
    with sqlite3.connect(tmp_path / "mend.db") as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0003'")
    _, lines = doctor(tmp_path)
    (schema,) = lines["schema"]
    assert schema.startswith("[ok] at 0003; Mend brings it to ") and schema.endswith("when it starts")
