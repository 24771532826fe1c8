"""Reports on demand: a team's measures for a period, in words a manager reads at a glance."""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.charts import WeeklyCases, weekly_cases_image
from bot.messages.common import money
from bot.messages.practice import practised_line
from bot.replies import Field, Reply, Tone

if TYPE_CHECKING:
    from bot.measures import Row, Spread
    from bot.reports import Report
    from policies.schema import Policy

CHART_TITLE = "Cases opened per week, by kind, and the share confirmed fixed"
_SPAN_WORDS = {"week": "the past 7 days", "month": "the past 30 days"}
_WHOSE = {
    "all": ("every team's cases", "Every team"),
    "team": ("your cases and those of the people who report to you", "Your team"),
    "own": ("your own cases", "Your cases"),
}


def report_on_its_way(span: str, *, whose: str) -> Reply:
    """Say the report asked for is being made and where it will arrive."""
    return Reply(
        title="Your report is on its way",
        text=f"Mend is putting together {_SPAN_WORDS[span]} of {_WHOSE[whose][0]}, with a chart;"
        " it arrives in your messages from Mend in a moment.",
        tone=Tone.SUCCESS,
    )


def team_report(
    report: Report,
    chart: WeeklyCases,
    policy: Policy,
    *,
    span: str,
    whose: str,
    practised: tuple[int, int] | None = None,
) -> Reply:
    """Return a team's measures for the period, with the weekly chart (and practice cases answered)."""
    total = report.total
    zone = ZoneInfo(policy.digest_timezone)
    until = report.period.until.astimezone(zone)
    fields = [
        Field("Cases opened", _opened(total)),
        Field("Recovery rate", recovery_line(total)),
        Field("Reopened", _of(total.reopened, total.ever_resolved, "resolved")),
        Field("Time to first offer", duration_line(total.to_first_offer)),
        Field("Time to approval decision", duration_line(total.to_decision)),
        Field("Time to resolution", duration_line(total.to_resolution)),
        Field("Compensation", compensation_line(total, policy)),
        Field("Approvals", approvals_line(total)),
        Field("Repeat customers", repeats_line(report)),
        Field("What customers asked for", asked_line(report)),
        Field("Top root causes", " · ".join(f"{cause} ({n})" for cause, n in report.root_causes)),
        Field("Practice", practised_line(*practised) if practised is not None else ""),
    ]
    if report.rows:
        fields.append(Field("By kind", " · ".join(f"{label} ({row.opened})" for label, row in report.rows)))
    return Reply(
        title=f"{_WHOSE[whose][1]}, {_SPAN_WORDS.get(span, span)} to {until.day} {until:%B}",
        fields=tuple(f for f in fields if f.value),
        note="Counts cases opened in the period; see docs/reports.md for each measure.",
        image=weekly_cases_image(chart, title=CHART_TITLE, name=f"mend-report-{until:%Y-%m-%d}.png"),
    )


def _opened(row: Row) -> str:
    if not row.opened:
        return "None"
    return f"{row.opened}; {_percent(row.share_resolved)} resolved"


def recovery_line(row: Row) -> str:
    """Return the recovery rate with its counts: fixed, still unhappy, not reached."""
    if not row.followed_up:
        return "No follow-up answered yet."
    return (
        f"{_percent(row.recovery_rate)} confirmed fixed ({row.fixed} of {row.followed_up} followed up;"
        f" {row.unhappy} still unhappy, {row.unreachable} not reached)"
    )


def compensation_line(row: Row, policy: Policy) -> str:
    """Return what was given: in all, on own authority, approved, and per case."""
    if not row.given:
        return "None given"
    median = money(round(row.given_median or 0), policy)
    per_case = money(round(row.given_per_case or 0), policy)
    return (
        f"{money(row.given, policy)} ({money(row.within_authority, policy)} on their own authority,"
        f" {money(row.approved_amount, policy)} approved); median {median} where given; {per_case} per case"
    )


def approvals_line(row: Row) -> str:
    """Return how the approvals asked for ended."""
    if not row.requested:
        return "None asked"
    return (
        f"{row.requested} asked: {row.approved} approved, {row.denied} denied, {row.escalated} escalated,"
        f" {row.fell_back} fell back to an offer within authority"
    )


def repeats_line(report: Report) -> str:
    """Return how many customers came back within 90 days, after a case confirmed fixed or not."""
    r = report.repeats
    if not r.first_cases:
        return ""
    return (
        f"{r.repeats} of {r.first_cases} came back within 90 days: {_percent(r.repeat_rate_after_fixed)}"
        f" after a case confirmed fixed, {_percent(r.repeat_rate_after_not_fixed)} after one not"
    )


def asked_line(report: Report) -> str:
    """Return how often customers asked for something, and how often those were given compensation."""
    a = report.asked
    if not a.asked:
        return ""
    cases = "case" if a.cases == 1 else "cases"
    were = "was" if a.given == 1 else "were"
    return (
        f"Asked for something in {a.asked} of {a.cases} {cases}; {a.given} of those {were} given compensation"
    )


def duration_line(spread: Spread) -> str:
    """Return a median and a p90 as people read durations."""
    if spread.median is None or spread.p90 is None:
        return ""
    return f"median {duration(spread.median)}, 90% within {duration(spread.p90)}"


def duration(seconds: float) -> str:
    """Return a duration in the largest unit that keeps it readable: 45 s, 12 min, 3.5 h, 2.0 days."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _of(part: int, whole: int, what: str) -> str:
    return f"{part} of {whole} {what} ({_percent(part / whole)})" if whole else ""


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{share:.0%}"
