"""`mend report` as an operator runs it, on a database of its own with the week of tests/test_measures.py.

The cases are stored rows, as the use cases leave them, committed; the command
runs in this process through typer's runner, on SQLite and on PostgreSQL. The
policy's lessons channel is in New York, so the days 1 to 8 November 2026 there
hold the five cases of the week and not the one before it.
"""

from __future__ import annotations

import csv
import io
import struct
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import Result
from rich.console import Console
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from adapters.cli import app
from adapters.reports_cli import _print_report
from bot import staff
from bot.export import REPORT_MEASURES
from bot.measures import Dimension, Period
from bot.reports import build_report
from policies.schema import Policy
from tests.conftest import STAFF_CSV
from tests.fakes import FakeClock
from tests.test_measures import Cases, store_week

WEEK = ["--from", "2026-11-01", "--to", "2026-11-08"]


def mend(sessions: sessionmaker[Session], *args: str) -> Result:
    """Run the mend command on the test's database."""
    url = sessions.kw["bind"].url.render_as_string(hide_password=False)
    env = {"MEND_DATABASE_URL": url, "MEND_LOG_LEVEL": "WARNING"}
    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def week(fresh_sessions: sessionmaker[Session], policy: Policy) -> sessionmaker[Session]:
    """The five cases of the week in tests/test_measures.py, and the one before it, committed."""
    with fresh_sessions() as session:
        staff.import_staff(STAFF_CSV, session=session, policy=policy, clock=FakeClock())
        store_week(Cases(session))
        session.commit()
    return fresh_sessions


def table(output: str) -> dict[str, list[str]]:
    """Return the rows of the table printed, by their first cell."""
    rows = {}
    for line in output.splitlines():
        if line.startswith("│"):
            first, *cells = (cell.strip() for cell in line.strip().strip("│").split("│"))
            rows[first] = cells
    return rows


def test_report_by_location_shows_the_figures_worked_out_by_hand(week: sessionmaker[Session]) -> None:
    result = mend(week, "report", *WEEK, "--by", "location")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Cases opened 2026-11-01 to 2026-11-08 (America/New_York), by location" in out
    rows = table(out)
    # opened, resolved, recovery rate, unhappy, not reached, reopened, medians to first offer and
    # resolution, given, approvals asked / approved / denied / escalated
    assert rows["hq"] == ["3", "33%", "50%", "1", "0", "50%", "15 min", "3.0 h", "$37.00", "1", "1", "0", "0"]
    assert rows["london"] == [
        "2",
        "50%",
        "0%",
        "0",
        "1",
        "0%",
        "60 min",
        "3.0 h",
        "$0.00",
        "1",
        "0",
        "1",
        "1",
    ]
    assert rows["Total"] == [
        "5",
        "40%",
        "33%",
        "1",
        "1",
        "33%",
        "20 min",
        "3.0 h",
        "$37.00",
        "2",
        "1",
        "1",
        "1",
    ]
    assert list(rows) == ["hq", "london", "Total"]
    assert "Repeat customers: 1 of 3 came back within 90 days: 100% after a case confirmed fixed" in out
    assert "Top root causes: courier scan missed (2) · tax rate (1)" in out


def test_report_without_a_breakdown_is_the_total_alone(week: sessionmaker[Session]) -> None:
    result = mend(week, "report", *WEEK)
    assert result.exit_code == 0, result.output
    assert list(table(result.stdout)) == ["Total"]
    assert table(result.stdout)["Total"][:3] == ["5", "40%", "33%"]


def test_on_a_narrow_terminal_each_group_is_a_column(week: sessionmaker[Session], policy: Policy) -> None:
    period = Period(datetime(2026, 11, 1, 4, tzinfo=UTC), datetime(2026, 11, 9, 5, tzinfo=UTC))
    with week() as session:
        report = build_report(session, policy, period, by=Dimension.LOCATION)
    out = io.StringIO()
    _print_report(Console(file=out, width=80), report, policy, ZoneInfo("America/New_York"))
    lines = out.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 80
    [header] = [line for line in lines if line.startswith("┃")]
    assert [c.strip() for c in header.strip("┃").split("┃")] == ["", "hq", "london", "Total"]
    assert table(out.getvalue())["Given"] == ["$37.00", "$0.00", "$37.00"]


def test_report_csv_reads_back_with_every_measure_as_a_raw_number(
    week: sessionmaker[Session], tmp_path: Path
) -> None:
    out = tmp_path / "report.csv"
    result = mend(week, "report", *WEEK, "--by", "location", "--csv", str(out))
    assert result.exit_code == 0, result.output
    with out.open(newline="", encoding="utf-8-sig") as file:
        reader = csv.DictReader(file)
        assert reader.fieldnames == ["location", *REPORT_MEASURES]
        rows = {row["location"]: row for row in reader}
    assert list(rows) == ["hq", "london", "Total"]
    hq, london, total = rows["hq"], rows["london"], rows["Total"]
    assert (hq["opened"], hq["given_minor"], hq["within_authority_minor"], hq["approved_minor"]) == (
        "3",
        "3700",
        "700",
        "3000",
    )
    assert (hq["share_resolved"], hq["recovery_rate"], hq["to_first_offer_median_s"]) == (
        "0.333333",
        "0.5",
        "900.0",
    )
    assert (london["followed_up"], london["unreachable"], london["approvals_fell_back"]) == ("1", "1", "1")
    assert london["recovery_rate"] == "0.0"
    assert (total["opened"], total["share_resolved"], total["to_resolution_median_s"]) == (
        "5",
        "0.4",
        "10800.0",
    )
    assert (total["to_decision_median_s"], total["given_median_minor"], total["currency"]) == (
        "5100.0",
        "1850.0",
        "USD",
    )


def test_report_chart_is_an_800_by_400_png(week: sessionmaker[Session], tmp_path: Path) -> None:
    out = tmp_path / "weeks.png"
    result = mend(week, "report", *WEEK, "--chart", str(out))
    assert result.exit_code == 0, result.output
    png = out.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    assert struct.unpack(">II", png[16:24]) == (800, 400)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-13-01"], "--from 2026-13-01: not a date; write YYYY-MM-DD"),
        (["--to", "8/11/2026"], "--to 8/11/2026: not a date; write YYYY-MM-DD"),
        (["--from", "2026-11-09", "--to", "2026-11-01"], "--from 2026-11-09 is after --to 2026-11-01"),
        (["--from", "2999-01-01"], "--from 2999-01-01: after today"),
        (["--by", "region"], "--by region: not a breakdown; use one of category, severity, location"),
    ],
)
def test_bad_input_is_one_line_naming_the_option_exit_2_and_nothing_written(
    week: sessionmaker[Session], tmp_path: Path, args: list[str], message: str
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    result = mend(week, "report", *args, "--csv", str(out / "r.csv"), "--chart", str(out / "r.png"))
    assert result.exit_code == 2
    assert result.stderr.startswith(message) and len(result.stderr.strip().splitlines()) == 1
    assert list(out.iterdir()) == []


def test_a_chart_not_named_png_or_in_a_missing_folder_is_refused_before_any_work(
    week: sessionmaker[Session], tmp_path: Path
) -> None:
    result = mend(week, "report", "--chart", str(tmp_path / "weeks.jpg"))
    assert result.exit_code == 2 and "name the file ending in .png" in result.stderr
    result = mend(week, "report", "--csv", str(tmp_path / "nowhere" / "r.csv"))
    assert result.exit_code == 2 and "does not exist; create it first" in result.stderr
    assert not (tmp_path / "weeks.jpg").exists() and not (tmp_path / "nowhere").exists()
