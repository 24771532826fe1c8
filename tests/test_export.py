"""`mend export cases`: one row per case for a spreadsheet, customer data only when asked, and recorded.

Cases are made through the real use cases (opened, given an offer, resolved with a
lesson that names the customer) or stored as rows (tests/test_measures.py), on a
database of the test's own, committed; the command runs through typer's runner.
"""

from __future__ import annotations

import csv
import stat
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from adapters.cli import app
from bot import export, staff
from bot.actions import handle
from bot.export import CASE_COLUMNS, CUSTOMER_COLUMNS, CUSTOMER_EXPORT
from bot.replies import ActionId
from db.models import AuditEvent, Delivery
from policies.schema import Policy
from tests.conftest import STAFF_CSV
from tests.fakes import FakeClock
from tests.helpers import ALICE, open_late_delivery, resolve_and_post
from tests.test_measures import T0, Cases, H, M

LESSON = dict(
    outcome="Called Jane Doe on +1 (555) 010-2030 and sent ORD-10042 again by express",
    root_cause="Courier scanned the parcel for Jane Doe but left it at the depot",
    lesson="Check depot scans before promising a date",
)
SECRETS = ("Jane", "Doe", "555", "010-2030", "10042", "jane.doe")


def mend(sessions: sessionmaker[Session], *args: str) -> Result:
    """Run the mend command on the test's database."""
    url = sessions.kw["bind"].url.render_as_string(hide_password=False)
    env = {"MEND_DATABASE_URL": url, "MEND_LOG_LEVEL": "WARNING"}
    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as file:
        return list(csv.DictReader(file))


@pytest.fixture
def resolved(fresh_sessions: sessionmaker[Session], policy: Policy) -> sessionmaker[Session]:
    """Jane Doe's late parcel: a $15 voucher given, resolved by Alice with notes that name Jane."""
    clock = FakeClock()
    with fresh_sessions() as session:
        staff.import_staff(STAFF_CSV, session=session, policy=policy, clock=clock)
        case = open_late_delivery(session, policy, clock)
        deps = {"session": session, "policy": policy, "clock": clock}
        handle(ActionId.GIVE_OPTION, f"{case.case_id}:2", ALICE, **deps)
        clock.advance(hours=2)
        resolve_and_post(session, policy, clock, ALICE, case.case_id, **LESSON)
    return fresh_sessions


def test_export_without_customer_data_has_no_customer_columns_and_names_nobody(
    resolved: sessionmaker[Session], tmp_path: Path
) -> None:
    out = tmp_path / "cases.csv"
    result = mend(resolved, "export", "cases", "--csv", str(out))
    assert result.exit_code == 0, result.output
    assert f"{out}: 1 case" in result.stdout
    text = out.read_text(encoding="utf-8-sig")
    for secret in SECRETS:
        assert secret not in text
    [row] = read(out)
    assert list(row) == list(CASE_COLUMNS)
    assert row == {
        "ref": "R-1001",
        "opened_at_utc": "2026-11-10 14:00:00",
        "category": "late_delivery",
        "severity": "major",
        "tier": "standard",
        "status": "resolved",
        "location": "hq",
        "opened_by": "Alice Park",
        "manager": "Bob Reyes",
        "order_value": "",
        "currency": "USD",
        "compensation_given": "15.00",
        "approvals_asked": "0",
        "follow_up": "none",
        "resolved_at_utc": "2026-11-10 16:00:00",
        # as the team read it in the lessons channel, not the resolver's note that names Jane
        "root_cause": "Courier scanned the parcel for [customer] but left it at the depot",
        "lesson": "Check depot scans before promising a date",
    }
    with resolved() as session:
        assert session.scalars(select(AuditEvent).where(AuditEvent.action == CUSTOMER_EXPORT)).all() == []


def test_export_with_customer_data_adds_them_and_records_who_got_what(
    resolved: sessionmaker[Session], tmp_path: Path
) -> None:
    out = tmp_path / "cases.csv"
    result = mend(resolved, "export", "cases", "--csv", str(out), "--with-customer-data")
    assert result.exit_code == 0, result.output
    [row] = read(out)
    assert list(row) == [*CASE_COLUMNS, *CUSTOMER_COLUMNS]
    assert [row[c] for c in CUSTOMER_COLUMNS] == [
        "Jane Doe",
        "ORD-10042",
        "jane.doe@example.com",
        "'+1 (555) 010-2030",  # a leading + would be read as a formula
    ]
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with resolved() as session:
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == CUSTOMER_EXPORT)).all()
    assert (event.actor_id, event.platform, event.case_id) == (None, "console", None)
    assert event.detail["file"] == str(out.resolve()) and event.detail["rows"] == 1
    assert event.detail["since"] is None and event.detail["until"]


@pytest.fixture
def week(fresh_sessions: sessionmaker[Session], policy: Policy) -> sessionmaker[Session]:
    """Cases stored as rows: what happened to each is in its name (see tests/test_measures.py)."""
    with fresh_sessions() as session:
        staff.import_staff(STAFF_CSV, session=session, policy=policy, clock=FakeClock())
        w = Cases(session)
        fixed = w.case("alice", "late_delivery", "minor", T0 + H, "recovered", ref="A-1")
        w.offer(fixed, 700, "granted", T0 + H + 10 * M)
        w.event(fixed, "follow_up_fixed", T0 + 30 * H)
        unhappy = w.case("alice", "late_delivery", "major", T0 + 24 * H, "open", email="x@example.com")
        offer = w.offer(unhappy, 3000, "approved", T0 + 24 * H + 20 * M)
        w.decide(w.request(unhappy, offer, "approved", T0 + 24 * H + 20 * M), "approved", T0 + 25 * H)
        w.event(unhappy, "follow_up_unhappy", T0 + 72 * H)
        w.event(unhappy, "case_reopened", T0 + 73 * H)
        unreachable = w.case("erin", "billing_error", "minor", T0 + 48 * H, "resolved")
        w.event(unreachable, "follow_up_unreachable", T0 + 80 * H)
        denied = w.case("erin", "billing_error", "critical", T0 + 72 * H, "open")
        w.request(denied, w.offer(denied, 5000, "denied", T0 + 73 * H), "denied", T0 + 73 * H)
        hostile = w.case("erin", "long_wait", "minor", T0 + 96 * H, "resolved", ref="+44 20")
        hostile.customer_name = '=HYPERLINK("http://evil.example", "Click")'
        session.add(
            Delivery(
                kind="lesson",
                channel="lessons",
                case_id=hostile.id,
                payload={"lesson": {"root_cause": "@SUM(A1:A9)", "lesson": "-2+3 is not a lesson"}},
                status="sent",
                due_at=T0 + 97 * H,
                created_at=T0 + 97 * H,
            )
        )
        w.case("alice", "late_delivery", "minor", T0 - 24 * H, "recovered")  # the week before
        session.commit()
    return fresh_sessions


def test_each_row_says_what_was_given_asked_and_answered(week: sessionmaker[Session], tmp_path: Path) -> None:
    out = tmp_path / "week.csv"
    result = mend(week, "export", "cases", "--csv", str(out), "--from", "2026-11-01", "--to", "2026-11-08")
    assert result.exit_code == 0, result.output
    rows = read(out)
    assert [r["ref"] for r in rows] == ["R-1001", "R-1002", "R-1003", "R-1004", "R-1005"]
    assert [r["compensation_given"] for r in rows] == ["7.00", "30.00", "0.00", "0.00", "0.00"]
    assert [r["approvals_asked"] for r in rows] == [
        "1" if r["ref"] in ("R-1002", "R-1004") else "0" for r in rows
    ]
    assert [r["follow_up"] for r in rows] == ["fixed", "unhappy", "unreachable", "none", "none"]
    assert [(r["location"], r["manager"]) for r in rows][1:3] == [("hq", "Bob Reyes"), ("london", "")]


def test_values_a_spreadsheet_would_run_are_written_as_text(
    week: sessionmaker[Session], tmp_path: Path
) -> None:
    out = tmp_path / "week.csv"
    result = mend(week, "export", "cases", "--csv", str(out), "--with-customer-data", "--from", "2026-11-01")
    assert result.exit_code == 0, result.output
    row = read(out)[-1]
    assert row["root_cause"] == "'@SUM(A1:A9)"
    assert row["lesson"] == "'-2+3 is not a lesson"
    assert row["customer_name"] == '\'=HYPERLINK("http://evil.example", "Click")'
    assert row["customer_ref"] == "'+44 20"


@pytest.mark.parametrize("text", ["=1+1", "+1 555", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_a_leading_formula_character_gets_an_apostrophe(text: str) -> None:
    assert export.spreadsheet_safe(text) == "'" + text


@pytest.mark.parametrize("text", ["Courier", "1-2", "a=b", " =1", "'quoted", ""])
def test_other_text_is_written_as_it_is(text: str) -> None:
    assert export.spreadsheet_safe(text) == text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "--csv: missing; name the file to write"),
        (["--csv", "{dir}/c.csv", "--from", "2026-02-30"], "--from 2026-02-30: not a date; write YYYY-MM-DD"),
        (
            ["--csv", "{dir}/c.csv", "--from", "2026-11-08", "--to", "2026-11-01"],
            "--from 2026-11-08 is after",
        ),
        (["--csv", "{dir}/none/c.csv"], "--csv {dir}/none/c.csv: the folder {dir}/none does not exist"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_nothing_written(
    resolved: sessionmaker[Session], tmp_path: Path, args: list[str], message: str
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    result = mend(resolved, "export", "cases", *(a.format(dir=folder) for a in args), "--with-customer-data")
    assert result.exit_code == 2
    assert result.stderr.startswith(message.format(dir=folder))
    assert len(result.stderr.strip().splitlines()) == 1
    assert list(folder.iterdir()) == []
    with resolved() as session:
        assert session.scalars(select(AuditEvent).where(AuditEvent.action == CUSTOMER_EXPORT)).all() == []


def test_the_rows_stream_in_batches_and_come_out_the_same(week: sessionmaker[Session]) -> None:
    with week() as session:
        whole = list(export.case_rows(session, since=None, until=None, with_customer=True))
        one_by_one = list(export.case_rows(session, since=None, until=None, with_customer=True, batch=1))
        assert export.count_cases(session, since=None, until=None) == len(whole) == 6
    assert one_by_one == whole
