"""The mend command as an admin and a newcomer use it: real subprocesses, real files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from db import migrate
from db.models import ApprovalDecision, AuditEvent, Case, Delivery, Offer
from db.session import make_engine, make_sessions
from policies.loader import DEFAULT_POLICY

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
    assert "R-1001 · Late or missed delivery · critical" in out
    assert "Replacement sent by express courier: $30.00" in out and "over your limit of $25.00" in out
    assert "sent to Bob Reyes for approval" in out
    assert "── message for Bob Reyes ──\n! Approval needed: R-1001" in out
    assert "Denied by Bob Reyes" in out and "Too much for a first delivery problem" in out
    # Anyone whose authority covers the amount may decide, here Bob's own manager.
    assert out.count("sent to Bob Reyes for approval") == 2
    assert "── message for Alice Park ──\n✔ R-1001: Carol Diaz approved Voucher ($40.00)" in out
    assert "── message for Bob Reyes updated ──\n✔ R-1001 · Late or missed delivery: approved" in out
    lesson = out.split("── message for #lessons ──", 1)[1]
    assert "Confirm depot scans" in lesson
    assert "Jane" not in lesson and "20001" not in lesson and "0100" not in lesson
    # the edit named the customer and a phone: Mend removed them and showed the lesson again
    assert "Mend removed more personal data from your edit" in out
    assert "(ask [customer] on [phone])" in lesson
    sessions = make_sessions(make_engine(f"sqlite:///{tmp_path / 'mend.db'}"))
    with sessions() as session:
        case = session.scalars(select(Case)).one()
        assert case.status == "resolved" and case.lesson == "Confirm depot scans before promising a date"
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
    script = "/recover\nJane\n1\nmajor\nLate\n\nnot-an-email\n\nabc\n\njane@example.com\n80\n/quit\n"
    result = run(["chat", "--demo"], tmp_path, stdin=script)
    assert "✗ Customer email: not-an-email is not an email address" in result.stdout
    assert "✗ Order value: 'abc' is not a number" in result.stdout
    assert "R-1001 · Late or missed delivery · major" in result.stdout


def test_policy_check_reports_every_problem_and_fails(tmp_path: Path) -> None:
    bad = tmp_path / "policy.yaml"
    bad.write_text(
        DEFAULT_POLICY.read_text()
        .replace("budget: 300 ", "budget: lots ")
        .replace("timeout_minutes: 240", "timeout_minutes: 1")
    )
    result = run(["policy", "check", str(bad)], tmp_path)
    assert result.returncode == 1
    assert f"{bad}:14: roles.frontline.budget: Input should be a valid decimal" in result.stderr
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
