"""`mend report` and `mend export cases`: the measures as a terminal table, CSV and PNG; cases as CSV.

Everything given on the command line is checked before the database is opened,
and a mistake is one line that names the option, what is wrong and what to do
(exit status 2); nothing is written then. Files are written next to where they
go and moved into place when complete, so a failure leaves no half a file.
Days are read in the lessons channel's time zone (`Policy.digest_timezone`),
as every report is.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any
from zoneinfo import ZoneInfo

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from bot.measures import Row
    from bot.reports import Report
    from policies.schema import Policy

REPORT_DAYS = 28
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_BREAKDOWNS = ("category", "severity", "location", "team", "employee")

export_app = typer.Typer(help="Write Mend's records to files, for a spreadsheet.", no_args_is_help=True)


class BadOption(ValueError):
    """A value on the command line Mend cannot use; the message names the option and what to do."""


def register(app: typer.Typer) -> None:
    """Add `mend report` and `mend export` to the mend command."""
    app.command("report")(report)
    app.add_typer(export_app, name="export")


FromDay = Annotated[
    str | None,
    typer.Option(
        "--from", metavar="YYYY-MM-DD", help="the first day, from 00:00 in the lessons channel's zone"
    ),
]
ToDay = Annotated[
    str | None, typer.Option("--to", metavar="YYYY-MM-DD", help="the last day, included whole (default: now)")
]


def report(
    from_day: FromDay = None,
    to_day: ToDay = None,
    by: Annotated[
        str | None,
        typer.Option(
            metavar="WHAT", help="one row per category, severity, location, team or employee, and a total"
        ),
    ] = None,
    csv_file: Annotated[
        Path | None,
        typer.Option(
            "--csv",
            metavar="FILE",
            help="also write every measure as raw numbers: seconds, minor units, shares as decimals",
        ),
    ] = None,
    chart: Annotated[
        Path | None,
        typer.Option("--chart", metavar="FILE.png", help="also draw the cases and recovery rate per week"),
    ] = None,
) -> None:
    """Show the measures of the cases opened in a period (default: the last 28 days), by group.

    Counts the cases opened from --from to --to, and whatever happened to them
    since (docs/reports.md defines each measure).
    """
    from adapters.cli import _fail, _runtime
    from bot.charts import weekly_cases_png
    from bot.measures import Dimension, Period
    from bot.messages.reports import CHART_TITLE
    from bot.reports import build_report, weekly

    try:
        first, last = _days(from_day, to_day)
        dimension = Dimension(_breakdown(by)) if by is not None else None
        csv_path = _writable("--csv", csv_file)
        chart_path = _writable("--chart", chart, suffix=".png")
        if csv_path and chart_path and csv_path.resolve() == chart_path.resolve():
            raise BadOption(f"--csv and --chart both name {csv_path}; give them a file each")
    except BadOption as exc:
        raise _fail(str(exc), 2) from exc
    runtime = _runtime()
    try:
        policy, console = runtime.policy, _console()
        zone = ZoneInfo(policy.digest_timezone)
        since, until = _period(first, last, zone, runtime.clock.now(), days=REPORT_DAYS)
        assert since is not None  # a report always has a first day
        period = Period(since, until)
        busy = console.status("Measuring the cases…") if console.is_terminal else nullcontext()
        with busy, runtime.sessions() as session:
            result = build_report(session, policy, period, by=dimension)
            weeks = weekly(session, policy, period)[0] if chart_path else None
        if csv_path:
            from bot import export

            with _replacing(csv_path) as out:
                export.write_report(result, out, currency=policy.currency)
        if chart_path and weeks is not None:
            png = weekly_cases_png(weeks, title=CHART_TITLE)
            with _replacing(chart_path, binary=True) as image:
                image.write(png)
    except BadOption as exc:
        raise _fail(str(exc), 2) from exc
    finally:
        runtime.close()
    _print_report(console, result, policy, zone)
    for path in (csv_path, chart_path):
        if path:
            console.print(f"Wrote {path}", highlight=False)


@export_app.command("cases")
def export_cases(
    csv_file: Annotated[
        Path | None,
        typer.Option("--csv", metavar="FILE", help="the file to write (UTF-8, for a spreadsheet)"),
    ] = None,
    from_day: FromDay = None,
    to_day: ToDay = None,
    with_customer_data: Annotated[
        bool,
        typer.Option(
            "--with-customer-data",
            help="add the customer's name, reference, email and phone; the export is recorded in"
            " the audit log and the file is readable by you only",
        ),
    ] = False,
) -> None:
    """Write one row per case to a CSV file (default: every case); no customer data unless asked.

    Root cause and lesson are those the team read, personal data removed. Text
    people typed that starts with =, +, -, @, a tab or a carriage return gets an
    apostrophe in front, so a spreadsheet shows it as text and never runs it as a
    formula (CSV injection).
    """
    from adapters.cli import _fail, _runtime
    from bot import export

    try:
        if csv_file is None:
            raise BadOption("--csv: missing; name the file to write, such as --csv cases.csv")
        path = _writable("--csv", csv_file)
        first, last = _days(from_day, to_day)
    except BadOption as exc:
        raise _fail(str(exc), 2) from exc
    assert path is not None
    runtime = _runtime()
    try:
        console = _console()
        zone = ZoneInfo(runtime.policy.digest_timezone)
        since, until = _period(first, last, zone, runtime.clock.now(), days=None)
        with runtime.sessions() as session, _replacing(path, private=with_customer_data) as out:
            total = export.count_cases(session, since=since, until=until)
            with _progress(console, total) as advance:
                rows = export.write_cases(
                    session, out, since=since, until=until, with_customer=with_customer_data, progress=advance
                )
            if with_customer_data:  # recorded before the file is in place: no unrecorded copy exists
                export.record_customer_export(
                    session,
                    file=str(path.resolve()),
                    rows=rows,
                    since=since,
                    until=until,
                    at=runtime.clock.now(),
                )
    except BadOption as exc:
        raise _fail(str(exc), 2) from exc
    except OSError as exc:
        raise _fail(f"--csv {path}: cannot write it ({exc.strerror}); nothing was written") from exc
    finally:
        runtime.close()
    what = "with the customers' names and contacts (recorded in the audit log)" if with_customer_data else ""
    console.print(f"{path}: {rows:,} case{'' if rows == 1 else 's'} {what}".rstrip(), highlight=False)


def _day(option: str, text: str | None) -> date | None:
    """Return the day written as YYYY-MM-DD, or say what is wrong with it."""
    if text is None:
        return None
    try:
        if not _DAY.fullmatch(text.strip()):
            raise ValueError(text)
        return date.fromisoformat(text.strip())
    except ValueError:
        raise BadOption(f"{option} {text}: not a date; write YYYY-MM-DD, such as 2026-11-02") from None


def _days(from_day: str | None, to_day: str | None) -> tuple[date | None, date | None]:
    """Return the first and last days asked for, or say what is wrong with them."""
    first, last = _day("--from", from_day), _day("--to", to_day)
    if first and last and first > last:
        raise BadOption(f"--from {first} is after --to {last}; give the first day, then the last")
    return first, last


def _breakdown(by: str) -> str:
    if by.strip().lower() not in _BREAKDOWNS:
        raise BadOption(f"--by {by}: not a breakdown; use one of {', '.join(_BREAKDOWNS)}")
    return by.strip().lower()


def _period(
    first: date | None, last: date | None, zone: ZoneInfo, now: datetime, *, days: int | None
) -> tuple[datetime | None, datetime]:
    """Return the UTC times the days asked for run between. Without --from: the `days` days up to
    --to, else up to now; with `days` None, from the first case on (None: no lower bound)."""
    from bot.quiet_hours import local_midnight

    until = local_midnight(last + timedelta(days=1), zone) if last else now
    if first:
        since: datetime | None = local_midnight(first, zone)
    elif days is None:
        since = None
    elif last:
        since = local_midnight(last - timedelta(days=days - 1), zone)
    else:
        since = now - timedelta(days=days)
    if since is not None and since >= until:
        raise BadOption(f"--from {first}: after today; give a day up to today, or a --to after it")
    return since, until


def _writable(option: str, path: Path | None, *, suffix: str | None = None) -> Path | None:
    """Return where to write, or say why Mend cannot write there (before anything is done)."""
    if path is None:
        return None
    if suffix and path.suffix.lower() != suffix:
        raise BadOption(f"{option} {path}: Mend draws PNG images; name the file ending in {suffix}")
    if path.is_dir():
        raise BadOption(f"{option} {path}: is a folder; name a file in it")
    folder = path.parent
    if not folder.is_dir():
        raise BadOption(f"{option} {path}: the folder {folder} does not exist; create it first")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise BadOption(f"{option} {path}: you may not write in {folder}; choose another folder")
    return path


@contextmanager
def _replacing(path: Path, *, binary: bool = False, private: bool = False) -> Iterator[IO[Any]]:
    """Write a file beside `path`, then move it into place; on any failure, remove it instead.

    A text file is UTF-8 with a byte-order mark, so spreadsheets read accented names right.
    The file is readable by its owner only when `private`, else as the umask says.
    """
    mode = "wb" if binary else "w"
    options: dict[str, Any] = {} if binary else {"encoding": "utf-8-sig", "newline": ""}
    partial = tempfile.NamedTemporaryFile(  # noqa: SIM115 -- kept open past this block, by design
        mode, dir=path.parent, prefix=f".{path.name}.", suffix=".part", delete=False, **options
    )
    try:
        yield partial
        partial.close()
        if not private:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(partial.name, 0o666 & ~umask)
        os.replace(partial.name, path)
    except BaseException:
        partial.close()
        Path(partial.name).unlink(missing_ok=True)
        raise


def _console() -> Console:
    from rich.console import Console

    console = Console(highlight=False)
    if not console.is_terminal:
        console.width = max(console.width, 200)  # a file or a pipe: one line per row, never wrapped
    return console


def _progress(console: Console, total: int) -> AbstractContextManager[Callable[[int], None] | None]:
    """Return a progress bar of rows written against `total` on a terminal, nothing elsewhere."""
    if not console.is_terminal:
        return nullcontext(None)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    @contextmanager
    def bar() -> Iterator[Callable[[int], None]]:
        columns = (TextColumn("Writing cases"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("cases", total=total)
            yield lambda rows: progress.advance(task, rows)

    return bar()


def _print_report(console: Console, report: Report, policy: Policy, zone: ZoneInfo) -> None:
    """Print one row per group and the total; on a terminal too narrow for that, one column each."""
    from rich.measure import Measurement
    from rich.table import Table

    from bot.messages.reports import repeats_line

    title = f"Cases opened {_span(report.period.since, report.period.until, zone)} ({zone.key})"
    title += f", by {report.by.value}" if report.by else ""
    groups = [(label, _cells(row, policy)) for label, row in [*report.rows, ("Total", report.total)]]
    table = Table(title=title, title_justify="left")
    table.add_column(report.by.value.capitalize() if report.by else "", no_wrap=True)
    for header in _HEADERS:
        table.add_column(header, justify="right")
    for i, (label, cells) in enumerate(groups):
        table.add_row(label, *cells, style="bold" if i == len(groups) - 1 else None)
    if report.rows:
        table.rows[-2].end_section = True
    unbounded = console.options.update(max_width=100_000)
    if Measurement.get(console, unbounded, table).maximum > console.width:
        turned = Table(title=title, title_justify="left")
        turned.add_column("", overflow="fold")
        for label, _ in groups:
            turned.add_column(label, justify="right", no_wrap=True)
        for k, header in enumerate(_HEADERS):
            turned.add_row(header.replace("\n", " "), *(cells[k] for _, cells in groups))
        table = turned if Measurement.get(console, unbounded, turned).minimum <= console.width else table
    console.print(table)
    if not report.total.opened:
        console.print("No case was opened in this period.")
    console.print(f"Repeat customers: {repeats_line(report) or 'none to count in this period'}")
    causes = " · ".join(f"{cause} ({n})" for cause, n in report.root_causes)
    console.print(f"Top root causes: {causes or 'none written yet'}")


_HEADERS = (
    "Opened",
    "Resolved",
    "Recovery rate\n(fixed/followed up)",
    "Unhappy",
    "Not\nreached",
    "Reopened",
    "Median to\nfirst offer",
    "Median to\nresolution",
    "Given",
    "Approvals\nasked",
    "Approved",
    "Denied",
    "Escalated",
)


def _cells(row: Row, policy: Policy) -> list[str]:
    from bot.messages import money
    from bot.messages.reports import duration

    def share(part: int, whole: int) -> str:
        return f"{part / whole:.0%}" if whole else "–"

    def median(seconds: float | None) -> str:
        return "–" if seconds is None else duration(seconds)

    return [
        str(row.opened),
        share(row.resolved, row.opened),
        share(row.fixed, row.followed_up),
        str(row.unhappy),
        str(row.unreachable),
        share(row.reopened, row.ever_resolved),
        median(row.to_first_offer.median),
        median(row.to_resolution.median),
        money(row.given, policy),
        str(row.requested),
        str(row.approved),
        str(row.denied),
        str(row.escalated),
    ]


def _span(since: datetime, until: datetime, zone: ZoneInfo) -> str:
    """Return a period as its days (the last one included), or its times when it starts mid-day."""
    start, end = since.astimezone(zone), until.astimezone(zone)
    if start.time() == end.time() == datetime.min.time():
        return f"{start:%Y-%m-%d} to {end - timedelta(days=1):%Y-%m-%d}"
    return f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M}"
