"""The weekly digest the lessons channel reads: figures, lessons and a chart, no customer details."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton

from bot import i18n
from bot.charts import weekly_cases_image
from bot.i18n import N_, _, ngettext
from bot.messages.common import category_label, money, ref
from bot.messages.reports import duration
from bot.replies import Field, Item, Reply

if TYPE_CHECKING:
    from bot.applause import Recognised
    from bot.digest import Digest
    from policies.schema import Policy

# Translated where the chart is drawn (bot.charts).
CHART_TITLE = N_("Cases opened per week, by kind, and the share confirmed fixed")


def weekly_digest(digest: Digest, policy: Policy) -> Reply:
    """Return the week's digest: this week against the four before, what went wrong, spend, lessons."""
    week, this = digest.week, digest.this_week
    start = _day_of_month(week.since, policy)
    title = (
        _("Service recovery, week of {day} (so far)", day=start)
        if digest.partial
        else _("Service recovery, week of {day}", day=start)
    )
    fields = [
        Field(_("Recovery rate"), _recovery(digest)),
        # Translators: the kinds of lapse that happened most often this week.
        Field(_("Most frequent"), _counted(digest.top_categories)),
        Field(_("Root causes"), _counted(digest.root_causes)),
        Field(
            _("Compensation"),
            _(
                "{week} this week; {month} this month of {budgets} in everyone's budgets",
                week=money(this.given, policy),
                month=money(digest.given_this_month, policy),
                budgets=money(digest.budgets, policy),
            ),
        ),
        # Translators: the lessons the team applauded most.
        Field(_("Most applauded"), _recognised(digest.most_applauded, policy, _applauded)),
        # Translators: the cases whose customer confirmed the fix soonest after the case was opened.
        Field(_("Fixed fastest"), _recognised(digest.fixed_fastest, policy, _fixed_in)),
    ]
    return Reply(
        title=title,
        text=_opened(digest),
        fields=tuple(f for f in fields if f.value),
        items=tuple(
            Item(
                title=f"{ref(lesson.case_id)} · {category_label(lesson.category, policy)}", detail=lesson.text
            )
            for lesson in digest.lessons
        ),
        note=(
            _("Lessons of the week above; figures count cases opened in the week. No customer details.")
            if digest.lessons
            else _("Figures count cases opened in the week. No customer details.")
        ),
        image=weekly_cases_image(
            digest.chart,
            title=CHART_TITLE,
            name=f"mend-digest-{week.since.astimezone(_zone(policy)):%Y-%m-%d}.png",
        ),
    )


def _zone(policy: Policy) -> ZoneInfo:
    return ZoneInfo(policy.digest_timezone)


def _day_of_month(moment: datetime, policy: Policy) -> str:
    """Return the day and month there (November 9, 9. November), without the year: the lessons
    channel's redactor removes whole dates, as a date of birth would be."""
    return format_skeleton("MMMMd", moment.astimezone(_zone(policy)), locale=i18n.locale())


def _opened(digest: Digest) -> str:
    opened = digest.this_week.opened
    before = [r.opened for r in digest.earlier]
    average = sum(before) / len(before) if before else 0
    return ngettext(
        "{n} case opened; the four weeks before averaged {average} a week.",
        "{n} cases opened; the four weeks before averaged {average} a week.",
        opened,
        average=i18n.number(round(average)),
    )


def _recovery(digest: Digest) -> str:
    this = digest.this_week
    if not this.followed_up:
        return _("No follow-up answered yet for this week's cases.")
    earlier_fixed = sum(r.fixed for r in digest.earlier)
    earlier_asked = sum(r.followed_up for r in digest.earlier)
    rate = this.fixed / this.followed_up
    values = {
        "rate": i18n.percent(rate),
        "fixed": i18n.number(this.fixed),
        "asked": i18n.number(this.followed_up),
        "unhappy": i18n.number(this.unhappy),
        "unreachable": i18n.number(this.unreachable),
    }
    if not earlier_asked:
        return _(
            "{rate} confirmed fixed ({fixed} of {asked} followed up;"
            " {unhappy} still unhappy, {unreachable} not reached).",
            **values,
        )
    before = earlier_fixed / earlier_asked
    values["before"] = i18n.percent(before)
    # Compared as people read them: 75% and 75% are the same, whatever the decimals say.
    now_pct, before_pct = round(rate * 100), round(before * 100)
    if now_pct > before_pct:
        return _(
            "{rate} confirmed fixed ({fixed} of {asked} followed up;"
            " {unhappy} still unhappy, {unreachable} not reached), up from {before} over the four weeks"
            " before.",
            **values,
        )
    if now_pct < before_pct:
        return _(
            "{rate} confirmed fixed ({fixed} of {asked} followed up;"
            " {unhappy} still unhappy, {unreachable} not reached), down from {before} over the four weeks"
            " before.",
            **values,
        )
    return _(
        "{rate} confirmed fixed ({fixed} of {asked} followed up;"
        " {unhappy} still unhappy, {unreachable} not reached), as in {before} over the four weeks before.",
        **values,
    )


def _applauded(case: str, category: str, figure: float) -> str:
    # Translators: a lesson in the digest: its case, its kind of lapse, and how many people applauded it.
    return ngettext(
        "{case} · {category} ({n} applauded)",
        "{case} · {category} ({n} applauded)",
        round(figure),
        case=case,
        category=category,
    )


def _fixed_in(case: str, category: str, figure: float) -> str:
    # Translators: a case in the digest: its kind of lapse, and how soon the customer confirmed the fix.
    return _("{case} · {category} (in {duration})", case=case, category=category, duration=duration(figure))


def _recognised(cases: list[Recognised], policy: Policy, line: Callable[[str, str, float], str]) -> str:
    """Return recoveries the team should hear of: each case, its kind and its figure."""
    return "; ".join(line(ref(c.case_id), category_label(c.category, policy), c.figure) for c in cases)


def _counted(pairs: list[tuple[str, int]]) -> str:
    return " · ".join(f"{name} ({i18n.number(n)})" for name, n in pairs)
