"""The weekly digest the lessons channel reads: figures, lessons and a chart, no customer details."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.charts import weekly_cases_image
from bot.messages.common import category_label, money, ref
from bot.messages.reports import duration
from bot.replies import Field, Item, Reply

if TYPE_CHECKING:
    from bot.applause import Recognised
    from bot.digest import Digest
    from policies.schema import Policy

CHART_TITLE = "Cases opened per week, by kind, and the share confirmed fixed"


def weekly_digest(digest: Digest, policy: Policy) -> Reply:
    """Return the week's digest: this week against the four before, what went wrong, spend, lessons."""
    week, this = digest.week, digest.this_week
    start = digest.week.since.astimezone(_zone(policy))
    title = f"Service recovery, week of {start.day} {start:%B}" + (" (so far)" if digest.partial else "")
    fields = [
        Field("Recovery rate", _recovery(digest)),
        Field("Most frequent", _counted(digest.top_categories)),
        Field("Root causes", _counted(digest.root_causes)),
        Field(
            "Compensation",
            f"{money(this.given, policy)} this week; {money(digest.given_this_month, policy)} this month"
            f" of {money(digest.budgets, policy)} in everyone's budgets",
        ),
        Field("Most applauded", _recognised(digest.most_applauded, policy, lambda n: f"{n:.0f} applauded")),
        Field("Fixed fastest", _recognised(digest.fixed_fastest, policy, lambda s: f"in {duration(s)}")),
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
        note=("Lessons of the week above; figures" if digest.lessons else "Figures")
        + " count cases opened in the week. No customer details.",
        image=weekly_cases_image(
            digest.chart,
            title=CHART_TITLE,
            name=f"mend-digest-{week.since.astimezone(_zone(policy)):%Y-%m-%d}.png",
        ),
    )


def _zone(policy: Policy) -> ZoneInfo:
    return ZoneInfo(policy.digest_timezone)


def _opened(digest: Digest) -> str:
    opened = digest.this_week.opened
    before = [r.opened for r in digest.earlier]
    average = sum(before) / len(before) if before else 0
    cases = "1 case" if opened == 1 else f"{opened} cases"
    return f"{cases} opened; the four weeks before averaged {average:.0f} a week."


def _recovery(digest: Digest) -> str:
    this = digest.this_week
    if not this.followed_up:
        return "No follow-up answered yet for this week's cases."
    earlier_fixed = sum(r.fixed for r in digest.earlier)
    earlier_asked = sum(r.followed_up for r in digest.earlier)
    rate = this.fixed / this.followed_up
    line = (
        f"{rate:.0%} confirmed fixed ({this.fixed} of {this.followed_up} followed up;"
        f" {this.unhappy} still unhappy, {this.unreachable} not reached)"
    )
    if earlier_asked:
        before = earlier_fixed / earlier_asked
        # Compared as people read them: 75% and 75% are the same, whatever the decimals say.
        now_pct, before_pct = round(rate * 100), round(before * 100)
        trend = "up from" if now_pct > before_pct else "down from" if now_pct < before_pct else "as in"
        line += f", {trend} {before:.0%} over the four weeks before"
    return line + "."


def _recognised(cases: list[Recognised], policy: Policy, figure: Callable[[float], str]) -> str:
    """Return recoveries the team should hear of: each case, its kind and its figure."""
    return "; ".join(
        f"{ref(c.case_id)} · {category_label(c.category, policy)} ({figure(c.figure)})" for c in cases
    )


def _counted(pairs: list[tuple[str, int]]) -> str:
    return " · ".join(f"{name} ({n})" for name, n in pairs)
