"""Reports on demand: a team's measures for a period, in words a manager reads at a glance."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from babel.numbers import format_decimal

from bot import i18n
from bot.charts import WeeklyCases, weekly_cases_image
from bot.i18n import N_, _, ngettext
from bot.messages.common import money
from bot.messages.practice import practised_line
from bot.replies import Field, Reply, Tone

if TYPE_CHECKING:
    from bot.measures import Row, Spread
    from bot.reports import Report
    from policies.schema import Policy

# Translated where the chart is drawn (bot.charts).
CHART_TITLE = N_("Cases opened per week, by kind, and the share confirmed fixed")
# What a report is being made of, by span and whose cases it counts.
_ON_ITS_WAY = {
    ("week", "all"): N_(
        "Mend is putting together the past 7 days of every team's cases, with a chart;"
        " it arrives in your messages from Mend in a moment."
    ),
    ("week", "team"): N_(
        "Mend is putting together the past 7 days of your cases and those of the people who report to"
        " you, with a chart; it arrives in your messages from Mend in a moment."
    ),
    ("week", "own"): N_(
        "Mend is putting together the past 7 days of your own cases, with a chart;"
        " it arrives in your messages from Mend in a moment."
    ),
    ("month", "all"): N_(
        "Mend is putting together the past 30 days of every team's cases, with a chart;"
        " it arrives in your messages from Mend in a moment."
    ),
    ("month", "team"): N_(
        "Mend is putting together the past 30 days of your cases and those of the people who report to"
        " you, with a chart; it arrives in your messages from Mend in a moment."
    ),
    ("month", "own"): N_(
        "Mend is putting together the past 30 days of your own cases, with a chart;"
        " it arrives in your messages from Mend in a moment."
    ),
}
# A report's title, by span and whose cases it counts; {day} is the period's last day and month
# (November 9), as the digest's title names its week.
_TITLES = {
    ("week", "all"): N_("Every team, the past 7 days to {day}"),
    ("week", "team"): N_("Your team, the past 7 days to {day}"),
    ("week", "own"): N_("Your cases, the past 7 days to {day}"),
    ("month", "all"): N_("Every team, the past 30 days to {day}"),
    ("month", "team"): N_("Your team, the past 30 days to {day}"),
    ("month", "own"): N_("Your cases, the past 30 days to {day}"),
}


def report_on_its_way(span: str, *, whose: str) -> Reply:
    """Say the report asked for is being made and where it will arrive."""
    return Reply(
        title=_("Your report is on its way"),
        text=_(_ON_ITS_WAY[span, whose]),
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
    until = report.period.until.astimezone(ZoneInfo(policy.digest_timezone))
    fields = [
        Field(_("Cases opened"), _opened(total)),
        Field(_("Recovery rate"), recovery_line(total)),
        # Translators: cases reopened after they were resolved.
        Field(_("Reopened"), _reopened(total.reopened, total.ever_resolved)),
        Field(_("Time to first offer"), duration_line(total.to_first_offer)),
        Field(_("Time to approval decision"), duration_line(total.to_decision)),
        Field(_("Time to resolution"), duration_line(total.to_resolution)),
        Field(_("Compensation"), compensation_line(total, policy)),
        Field(_("Approvals"), approvals_line(total)),
        Field(_("Repeat customers"), repeats_line(report)),
        Field(_("What customers asked for"), asked_line(report)),
        Field(
            _("Top root causes"), " · ".join(f"{cause} ({i18n.number(n)})" for cause, n in report.root_causes)
        ),
        Field(_("Practice"), practised_line(*practised) if practised is not None else ""),
    ]
    if report.rows:
        fields.append(
            # Translators: the cases opened, by the kind of lapse.
            Field(
                _("By kind"), " · ".join(f"{label} ({i18n.number(row.opened)})" for label, row in report.rows)
            )
        )
    title = _TITLES.get((span, whose)) or _TITLES["week", whose]
    return Reply(
        title=_(title, day=format_skeleton("MMMMd", until, locale=i18n.locale())),
        fields=tuple(f for f in fields if f.value),
        note=_("Counts cases opened in the period; see docs/reports.md for each measure."),
        image=weekly_cases_image(chart, title=CHART_TITLE, name=f"mend-report-{until:%Y-%m-%d}.png"),
    )


def _opened(row: Row) -> str:
    if not row.opened:
        # Translators: no cases were opened in the period.
        return _("None")
    return _("{opened}; {share} resolved", opened=i18n.number(row.opened), share=_percent(row.share_resolved))


def recovery_line(row: Row) -> str:
    """Return the recovery rate with its counts: fixed, still unhappy, not reached."""
    if not row.followed_up:
        return _("No follow-up answered yet.")
    return _(
        "{rate} confirmed fixed ({fixed} of {asked} followed up;"
        " {unhappy} still unhappy, {unreachable} not reached)",
        rate=_percent(row.recovery_rate),
        fixed=i18n.number(row.fixed),
        asked=i18n.number(row.followed_up),
        unhappy=i18n.number(row.unhappy),
        unreachable=i18n.number(row.unreachable),
    )


def compensation_line(row: Row, policy: Policy) -> str:
    """Return what was given: in all, on own authority, approved, and per case."""
    if not row.given:
        # Translators: no compensation was given in the period.
        return _("None given")
    return _(
        "{given} ({own} on their own authority, {approved} approved);"
        " median {median} where given; {per_case} per case",
        given=money(row.given, policy),
        own=money(row.within_authority, policy),
        approved=money(row.approved_amount, policy),
        median=money(round(row.given_median or 0), policy),
        per_case=money(round(row.given_per_case or 0), policy),
    )


def approvals_line(row: Row) -> str:
    """Return how the approvals asked for ended."""
    if not row.requested:
        # Translators: no approval was asked for in the period.
        return _("None asked")
    return _(
        "{asked} asked: {approved} approved, {denied} denied, {escalated} escalated,"
        " {fell_back} fell back to an offer within authority",
        asked=i18n.number(row.requested),
        approved=i18n.number(row.approved),
        denied=i18n.number(row.denied),
        escalated=i18n.number(row.escalated),
        fell_back=i18n.number(row.fell_back),
    )


def repeats_line(report: Report) -> str:
    """Return how many customers came back within 90 days, after a case confirmed fixed or not."""
    r = report.repeats
    if not r.first_cases:
        return ""
    return _(
        "{repeats} of {first} came back within 90 days: {after_fixed} after a case confirmed fixed,"
        " {after_not_fixed} after one not",
        repeats=i18n.number(r.repeats),
        first=i18n.number(r.first_cases),
        after_fixed=_percent(r.repeat_rate_after_fixed),
        after_not_fixed=_percent(r.repeat_rate_after_not_fixed),
    )


def asked_line(report: Report) -> str:
    """Return how often customers asked for something, and how often those were given compensation."""
    a = report.asked
    if not a.asked:
        return ""
    # Translators: {given} is "1 of those was given compensation" or "3 of those were given compensation".
    return ngettext(
        "Asked for something in {asked} of {n} case; {given}",
        "Asked for something in {asked} of {n} cases; {given}",
        a.cases,
        asked=i18n.number(a.asked),
        given=ngettext(
            "{n} of those was given compensation", "{n} of those were given compensation", a.given
        ),
    )


def duration_line(spread: Spread) -> str:
    """Return a median and a p90 as people read durations."""
    if spread.median is None or spread.p90 is None:
        return ""
    # Translators: {median} and {p90} are durations: "median 12 min, 90% within 3.5 h".
    return _("median {median}, 90% within {p90}", median=duration(spread.median), p90=duration(spread.p90))


def duration(seconds: float) -> str:
    """Return a duration in the largest unit that keeps it readable: 45 s, 12 min, 3.5 h, 2.0 days."""
    if seconds < 90:
        # Translators: a duration in seconds, abbreviated.
        return _("{n} s", n=i18n.number(round(seconds)))
    if seconds < 90 * 60:
        # Translators: a duration in minutes, abbreviated.
        return _("{n} min", n=i18n.number(round(seconds / 60)))
    if seconds < 36 * 3600:
        # Translators: a duration in hours, abbreviated; {n} has one decimal: 3.5 h.
        return _("{n} h", n=_tenths(seconds / 3600))
    # Translators: a duration in days; {n} has one decimal and is 1.5 or more: 2.0 days.
    return _("{n} days", n=_tenths(seconds / 86400))


def _tenths(value: float) -> str:
    """Return a number with one decimal (rounded as before: 2.0, 3.5) as the reader writes it."""
    return format_decimal(Decimal(f"{value:.1f}"), format="#,##0.0", locale=i18n.locale())


def _reopened(part: int, whole: int) -> str:
    if not whole:
        return ""
    return _(
        "{part} of {whole} resolved ({share})",
        part=i18n.number(part),
        whole=i18n.number(whole),
        share=_percent(part / whole),
    )


def _percent(share: float | None) -> str:
    return "–" if share is None else i18n.percent(share)
