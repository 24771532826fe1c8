"""The mend command as an admin and a newcomer use it: real subprocesses, real files."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import select

from bot import deliveries
from bot.commands import Actor
from bot.ports import SystemClock
from db import migrate, queries
from db.models import ApprovalDecision, AuditEvent, Case, Delivery, Offer
from db.session import make_engine, make_sessions
from policies.loader import DEFAULT_POLICY, load_policy
from tests.deliveries.conftest import add_lessons
from tests.helpers import open_late_delivery

MEND = [sys.executable, "-m", "adapters.cli"]
ROOT = Path(__file__).resolve().parent.parent


def run(args: list[str], tmp_path: Path, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_", "MEND_"))}
    environment.update(
        {
            "MEND_DATABASE_URL": f"sqlite:///{tmp_path / 'mend.db'}",
            "MEND_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
            **env,
        }
    )
    return subprocess.run(
        MEND + args, input=stdin, capture_output=True, text=True, cwd=tmp_path, env=environment, timeout=120
    )


def test_chat_plays_a_whole_over_limit_case(tmp_path: Path) -> None:
    script = (
        "\n".join(
            [
                "/recover Jane's parcel is late again, order value $120",
                "Jane Doe",
                "",
                "critical",
                "",
                "",
                "ORD-20001",
                "jane@example.com",
                "",
                "",
                "",
                "/give 1",
                "/as bob",
                "/deny 1",
                "Too much for a first delivery problem",
                "/as alice",
                "/give 2",
                "/as carol",
                "/approve 2",
                "/as alice",
                "/resolve",
                "Sent a replacement by express and a voucher; called Jane Doe",
                "1",  # the kind of root cause: courier delay
                "Courier lost the parcel at the depot",
                "Confirm depot scans before promising a date",
                # the lesson as the team will read it: keep what happened, what was done and the
                # root cause as shown, and edit the lesson (which passes the redactor again)
                "",
                "",
                "",
                "Confirm depot scans before promising a date (ask Jane Doe on 555 0100)",
                "",
                "",
                "",
                "",
                "/quit",
            ]
        )
        + "\n"
    )
    result = run(["chat", "--demo", "--as", "alice"], tmp_path, stdin=script)
    out = result.stdout
    assert result.returncode == 0, result.stderr
    # Nobody is known on Slack or Teams: everything Mend sends is shown here, with no warning.
    assert "Messages Mend sends, to people and to channels, are shown here" in out
    assert "Warning" not in result.stderr
    assert "R-1001 · Late or missed delivery · critical" in out
    assert "Replacement sent by express courier: $30.00" in out and "over your limit of $25.00" in out
    assert "sent to Bob Reyes for approval" in out
    assert "── message for Bob Reyes ──\n! Approval needed: R-1001" in out
    assert "Denied by Bob Reyes" in out and "Too much for a first delivery problem" in out
    # Anyone whose authority covers the amount may decide, here Bob's own manager.
    assert out.count("sent to Bob Reyes for approval") == 2
    assert "── message for Alice Park ──\n✔ R-1001: Carol Diaz approved Voucher ($40.00)" in out
    assert "── message for Bob Reyes updated ──\n✔ R-1001 · Late or missed delivery: approved" in out
    lesson = out.split("── message for #service-lessons ──", 1)[1]  # the channel the policy names
    assert "Confirm depot scans" in lesson
    assert "Jane" not in lesson and "20001" not in lesson and "0100" not in lesson
    # the edit named the customer and a phone: Mend removed them and showed the lesson again
    assert "Mend removed more personal data from your edit" in out
    assert "(ask [customer] on [phone])" in lesson
    sessions = make_sessions(make_engine(f"sqlite:///{tmp_path / 'mend.db'}"))
    with sessions() as session:
        case = session.scalars(select(Case)).one()
        assert case.status == "resolved" and case.lesson == "Confirm depot scans before promising a date"
        assert case.root_cause_key == "courier_delay"
        assert [o.status for o in session.scalars(select(Offer).order_by(Offer.id))] == ["denied", "approved"]
        assert [
            d.outcome for d in session.scalars(select(ApprovalDecision).order_by(ApprovalDecision.id))
        ] == ["denied", "approved"]
        assert session.scalars(select(Delivery.status).where(Delivery.kind == "lesson")).one() == "sent"
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case.id)).all()
        assert actions == [
            "case_opened",
            "approval_requested",
            "approval_denied",
            "approval_requested",
            "approval_approved",
            "lesson_previewed",
            "case_resolved",
        ]


def test_chat_asks_again_for_a_field_that_was_wrong(tmp_path: Path) -> None:
    script = "/recover\nJane\n1\nmajor\nLate\n\n\nnot-an-email\n\nabc\n\njane@example.com\n80\n/quit\n"
    result = run(["chat", "--demo"], tmp_path, stdin=script)
    assert "✗ Customer email: not-an-email is not an email address" in result.stdout
    assert "✗ Order value: 'abc' is not a number" in result.stdout
    assert "R-1001 · Late or missed delivery · major" in result.stdout


def test_chat_on_the_database_of_mend_serve_warns_and_leaves_slack_messages_to_it(tmp_path: Path) -> None:
    staff_csv = tmp_path / "staff.csv"
    staff_csv.write_text(
        "platform,user_id,name,email,role,manager,location\n"
        "slack,U1,Ann Lee,ann@example.com,frontline,bo@example.com,hq\n"
        "slack,U2,Bo Stone,bo@example.com,manager,,hq\n"
        "console,alice,Alice Park,alice@example.com,frontline,carol@example.com,hq\n"
        "console,carol,Carol Diaz,carol@example.com,manager,,hq\n"
    )
    assert run(["db", "upgrade"], tmp_path).returncode == 0
    assert run(["staff", "import", str(staff_csv)], tmp_path).returncode == 0
    engine = make_engine(f"sqlite:///{tmp_path / 'mend.db'}")
    sessions, policy, clock = make_sessions(engine), load_policy(), SystemClock()
    with sessions() as session:  # what `mend serve` left due: two managers' alerts and a lesson
        for actor in (Actor("slack", "U1"), Actor("console", "alice")):
            case = queries.get_case(session, open_late_delivery(session, policy, clock, actor=actor).case_id)
            employee = queries.get_staff_by_identity(session, actor.platform, actor.user_id)
            assert case is not None and employee is not None
            deliveries.alert_manager(session, case, employee, policy=policy, now=clock.now())
        add_lessons(session, 1, now=clock.now())
        session.commit()

    result = run(["chat", "--as", "alice"], tmp_path, stdin="/quit\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "── message for Carol Diaz ──" in out
    assert "Bo Stone" not in out and "#service-lessons" not in out
    with sessions() as session:
        rows = session.scalars(select(Delivery).where(Delivery.kind != "reminder")).all()
        by_whom = {(row.kind, row.recipient_id or row.channel): (row.status, row.attempts) for row in rows}
        carol = queries.get_staff_by_identity(session, "console", "carol")
        bo = queries.get_staff_by_identity(session, "slack", "U2")
        ann = queries.get_staff_by_identity(session, "slack", "U1")
        assert carol is not None and bo is not None and ann is not None
    assert by_whom == {
        ("customer_unhappy", bo.id): ("pending", 0),
        ("customer_unhappy", carol.id): ("sent", 1),
        ("lesson", "lessons"): ("pending", 0),
        ("home", ann.id): ("pending", 0),  # her Slack Home, refreshed after her case opened
    }
    engine.dispose()
    assert result.stderr.startswith("Warning: sqlite:///")
    assert "the database of Mend on Slack" in result.stderr
    assert "only messages for people known only in the terminal are shown" in out


def test_policy_check_reports_every_problem_and_fails(tmp_path: Path) -> None:
    bad = tmp_path / "policy.yaml"
    text = (
        DEFAULT_POLICY.read_text()
        .replace("budget: 300 ", "budget: lots ")
        .replace("timeout_minutes: 240", "timeout_minutes: 1")
    )
    bad.write_text(text)
    line = next(n for n, content in enumerate(text.splitlines(), 1) if "budget: lots" in content)
    result = run(["policy", "check", str(bad)], tmp_path)
    assert result.returncode == 1
    assert f"{bad}:{line}: roles.frontline.budget: Input should be a valid decimal" in result.stderr
    assert "approvals.timeout_minutes: Input should be greater than or equal to 5" in result.stderr
    assert "2 problem(s)" in result.stderr
    good = run(["policy", "check", str(DEFAULT_POLICY)], tmp_path)
    assert good.returncode == 0 and "OK (4 roles, 9 categories" in good.stdout


def test_chat_refuses_to_start_on_a_broken_policy(tmp_path: Path) -> None:
    bad = tmp_path / "policy.yaml"
    bad.write_text("currency: dollars\n")
    result = run(["chat"], tmp_path, MEND_POLICY_FILE=str(bad))
    assert result.returncode == 1
    assert "The policy file is broken; Mend will not start" in result.stderr
    assert f"{bad}:1: currency: String should match pattern" in result.stderr


def test_staff_import_and_doctor(tmp_path: Path) -> None:
    staff = tmp_path / "staff.csv"
    staff.write_text(
        "platform,user_id,name,email,role,manager,location\n"
        "slack,U1,Ann,ann@x.org,frontline,boss@x.org,hq\nslack,U2,Boss,boss@x.org,manager,,hq\n"
    )
    assert run(["db", "upgrade"], tmp_path).returncode == 0
    result = run(["staff", "import", str(staff)], tmp_path)
    assert result.returncode == 0 and "2 added, 0 updated" in result.stdout
    staff.write_text("platform,user_id,name\nslack,U1,Ann\n")
    bad = run(["staff", "import", str(staff)], tmp_path)
    assert bad.returncode == 1 and "missing column(s) email, role, manager, location" in bad.stderr
    doctor = run(["doctor"], tmp_path, SLACK_BOT_TOKEN="xoxp-wrong")
    assert doctor.returncode == 1
    assert f"[ok  ] schema: at {migrate.head_revision()}" in doctor.stdout
    assert "SLACK_SIGNING_SECRET is missing" in doctor.stdout
    assert "SLACK_BOT_TOKEN should start with xoxb-" in doctor.stdout


@pytest.mark.parametrize("args", [["deliveries", "list"], ["db", "upgrade"], ["serve", "--port", "0"]])
def test_an_unreachable_database_is_one_clear_line_not_a_traceback(tmp_path: Path, args) -> None:
    unreachable = "postgresql+psycopg://mend:secret@127.0.0.1:1/mend"
    result = run(args, tmp_path, MEND_DATABASE_URL=unreachable)
    assert result.returncode == 1
    assert "Mend cannot use the database postgresql+psycopg://mend:***@127.0.0.1:1/mend" in result.stderr
    assert "Check MEND_DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout and "secret" not in result.stderr
    assert len(result.stderr.splitlines()) <= 3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve_until_healthy(tmp_path: Path, **env: str) -> str:
    """Start `mend serve`, wait until it answers /healthz, stop it; return what it logged."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MICROSOFT_", "MEND_"))}
    environment.update(
        MEND_DATABASE_URL=f"sqlite:///{tmp_path / 'mend.db'}",
        MEND_LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
        **env,
    )
    port = _free_port()
    process = subprocess.Popen(
        [*MEND, "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while process.poll() is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        _, logged = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "Mend is serving" in logged, logged
    return logged


def test_serve_warns_at_start_of_a_malformed_slack_token_and_signing_secret(tmp_path: Path) -> None:
    logged = _serve_until_healthy(
        tmp_path,
        SLACK_BOT_TOKEN="bot-token-pasted-wrong",
        SLACK_SIGNING_SECRET="Signing Secret: 0123456789abcdef",
        MEND_SLACK_API_URL=f"http://127.0.0.1:{_free_port()}/api/",
    )
    assert "WARNING adapters.main: SLACK_BOT_TOKEN should start with xoxb-" in logged
    assert (
        "WARNING adapters.main: SLACK_SIGNING_SECRET should be 32 hexadecimal characters (0-9, a-f);"
        " the one set has spaces or line breaks in it." in logged
    )
    assert "pasted-wrong" not in logged and "0123456789abcdef" not in logged


def test_serve_says_nothing_about_well_formed_slack_credentials(tmp_path: Path) -> None:
    logged = _serve_until_healthy(
        tmp_path,
        SLACK_BOT_TOKEN="xoxb-1-2-abc",
        SLACK_SIGNING_SECRET="0123456789abcdef0123456789abcdef",
        MEND_SLACK_API_URL=f"http://127.0.0.1:{_free_port()}/api/",
    )
    assert "SLACK_BOT_TOKEN" not in logged and "SLACK_SIGNING_SECRET" not in logged


# --- what an operator types wrong: one clear line, a failing exit status, nothing written ----

STAFF_HEADER = "platform,user_id,name,email,role,manager,location\n"
SUPPORTED = "Mend supports a SQLite file (sqlite:///mend.db) and PostgreSQL through psycopg"


def _directory(tmp_path: Path) -> dict[str, int]:
    """Count the staff, their accounts and the audit events in the test's database."""
    from sqlalchemy import func

    from db.models import Staff, StaffIdentity

    engine = make_engine(f"sqlite:///{tmp_path / 'mend.db'}")
    try:
        with engine.connect() as connection:
            return {
                table.__tablename__: connection.scalar(select(func.count()).select_from(table)) or 0
                for table in (Staff, StaffIdentity, AuditEvent)
            }
    finally:
        engine.dispose()


def _import(tmp_path: Path, content: str | bytes) -> subprocess.CompletedProcess[str]:
    assert run(["db", "upgrade"], tmp_path).returncode == 0
    staff = tmp_path / "staff.csv"
    if isinstance(content, bytes):
        staff.write_bytes(content)
    else:
        staff.write_text(content)
    return run(["staff", "import", str(staff)], tmp_path)


NOTHING = {"staff": 0, "staff_identities": 0, "audit_events": 0}


def test_staff_import_refuses_one_email_on_one_platform_twice_naming_both_lines(tmp_path: Path) -> None:
    result = _import(
        tmp_path,
        STAFF_HEADER + "slack,U1,Ann Lee,ann@x.org,frontline,,hq\nslack,U2,Ann Boss,ann@x.org,director,,hq\n",
    )
    assert result.returncode == 1
    assert f"{tmp_path / 'staff.csv'}: nothing was imported:" in result.stderr
    assert "line 3: ann@x.org is also slack user U1 on line 2" in result.stderr
    assert _directory(tmp_path) == NOTHING


def test_staff_import_refuses_a_row_with_fields_missing_naming_its_line(tmp_path: Path) -> None:
    result = _import(tmp_path, STAFF_HEADER + "slack,U1,Ann Lee,ann@x.org,frontline,,hq\nslack,U2,Bo\n")
    assert result.returncode == 1
    assert "line 3: 3 of 7 fields; every row has platform,user_id,name,email,role,manager,location" in (
        result.stderr
    )
    assert _directory(tmp_path) == NOTHING


def test_staff_import_of_a_latin1_file_is_one_line_that_says_how_to_convert_it(tmp_path: Path) -> None:
    content = STAFF_HEADER + "slack,U1,Ann Lee,ann@x.org,frontline,,hq\nslack,U2,José Núñez,jn@x.org,,,\n"
    result = _import(tmp_path, content.encode("latin-1"))
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    staff = tmp_path / "staff.csv"
    assert line.startswith(f"{staff} is not UTF-8 (byte 0xe9 on line 3); nothing was imported.")
    assert f"iconv -f latin1 -t utf-8 {staff} > utf8-staff.csv" in line
    assert "Traceback" not in result.stdout + result.stderr
    assert _directory(tmp_path) == NOTHING


def test_staff_import_links_one_person_on_slack_and_teams_and_says_which_rows(tmp_path: Path) -> None:
    result = _import(
        tmp_path,
        STAFF_HEADER
        + "slack,U1,Ann Lee,ann@x.org,frontline,,hq\nteams,aad-1,Ann Lee,ann@x.org,frontline,,hq\n",
    )
    assert result.returncode == 0, result.stderr
    assert "1 added, 0 updated." in result.stdout
    assert "linked: lines 2 and 3 are one person, ann@x.org (on slack and teams)" in result.stdout
    assert _directory(tmp_path) == {"staff": 1, "staff_identities": 2, "audit_events": 1}


def test_policy_check_refuses_a_hierarchy_that_cannot_approve_what_it_must(tmp_path: Path) -> None:
    bad = tmp_path / "policy.yaml"
    bad.write_text(
        DEFAULT_POLICY.read_text()
        .replace("limit: 75", "limit: 10")
        .replace("approve_up_to: 150", "approve_up_to: 5")
    )
    result = run(["policy", "check", str(bad)], tmp_path)
    assert result.returncode == 1
    assert (
        "roles.supervisor.limit: supervisor's limit of 10 is below the limit of frontline (25)"
        in result.stderr
    )
    assert (
        "roles.supervisor.approve_up_to: supervisor may approve up to 5, below the limit of frontline (25)"
        in result.stderr
    )
    assert "OK" not in result.stdout and "2 problem(s)" in result.stderr
    assert not (tmp_path / "mend.db").exists()


def test_policy_check_of_a_file_that_is_not_utf8_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "policy.yaml"
    text = DEFAULT_POLICY.read_text().replace("Frontline", "Équipe")
    bad.write_bytes(text.encode("latin-1"))
    at = next(n for n, content in enumerate(text.splitlines(), 1) if "Équipe" in content)
    result = run(["policy", "check", str(bad)], tmp_path)
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"{bad}:{at}: the file is not UTF-8 (byte 0xc9 is not UTF-8 text)")
    assert f"iconv -f latin1 -t utf-8 {bad} > utf8-policy.yaml" in line


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("this is not a url", "MEND_DATABASE_URL: not a database URL; "),
        ("mysql://mend:secret@db/mend", "MEND_DATABASE_URL: mysql://mend:***@db/mend asks for mysql, "),
    ],
    ids=["not-a-url", "mysql"],
)
@pytest.mark.parametrize(
    "args",
    [["deliveries", "list"], ["db", "upgrade"], ["serve", "--port", "0"], ["staff", "import", "staff.csv"]],
    ids=["deliveries", "db-upgrade", "serve", "staff-import"],
)
def test_a_database_url_mend_cannot_use_is_one_line_saying_what_it_supports(
    tmp_path: Path, url: str, problem: str, args: list[str]
) -> None:
    (tmp_path / "staff.csv").write_text(STAFF_HEADER + "slack,U1,Ann Lee,ann@x.org,frontline,,hq\n")
    result = run(args, tmp_path, MEND_DATABASE_URL=url)
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith(problem) and SUPPORTED in line
    assert "Traceback" not in result.stdout and "secret" not in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["staff.csv"]  # no database file made
