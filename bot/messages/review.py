"""After-the-fact review: the week's decisions of a manager's team that stand out, and why."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from bot.messages.common import count, money, ref, when
from bot.replies import ActionId, Button, Field, Item, Reply, Style, Tone
from bot.values import Target
from db.models import ReviewItem, ReviewStatus
from policies.schema import Policy

OPEN_SHOWN = 10  # open items on one card; deciding one brings the next onto it
DECIDED_SHOWN = 10
CASES_NAMED = 5

# Why an item was picked, by `bot.review.Reason`.
REASONS = {
    "repeat_compensation": "Customer compensated again and again",
    "high_spend": "High compensation per case",
    "near_limit": "Often just under the limit",
}


def review_card(
    week: str,
    items: Sequence[ReviewItem],
    names: Mapping[int, str],
    policy: Policy,
    *,
    may_decide: bool,
) -> Reply:
    """Show a manager the week's decisions that stood out, each with its reason, figures and buttons."""
    zone = ZoneInfo(policy.digest_timezone)
    waiting = [i for i in items if i.status == ReviewStatus.OPEN]
    decided = [i for i in items if i.status != ReviewStatus.OPEN]
    entries: list[Item] = []
    for item in waiting[:OPEN_SHOWN]:
        value = Target(item_id=item.id).encode()
        fine = Button("Looks fine", ActionId.REVIEW_FINE, value, Style.PRIMARY) if may_decide else None
        entries.append(Item(_headline(item, names, policy), _figures(item, names, policy, zone), fine))
        if may_decide:
            talk = Button("Talk to them", ActionId.REVIEW_TALK, value)
            who = names.get(item.employee_id or 0, "them")
            entries.append(
                Item(f"Not sure? Talk to {who}", "Note what you agreed; it stays with this item.", talk)
            )
    for item in decided[:DECIDED_SHOWN]:
        detail = f"{_figures(item, names, policy, zone)}\n{_decision(item, names, zone)}"
        entries.append(Item(f"✔ {_headline(item, names, policy)}", detail))
    more = len(waiting) - OPEN_SHOWN
    title = (
        f"Review of week {week}: {count(len(waiting), 'decision')} to look at"
        if waiting
        else f"Review of week {week}: all {count(len(items), 'decision')} looked at"
    )
    return Reply(
        title=title,
        text=(
            "Your team decided these on the spot, and they stand out. Nothing is undone and nobody's"
            " authority changes: look at each, and talk to the person where it helps."
        ),
        fields=(
            Field("Week", _week_span(week)),
            Field("Still open", f"{len(waiting)} of {len(items)}"),
        ),
        items=tuple(entries),
        tone=Tone.WARNING if waiting else Tone.SUCCESS,
        note=f"{more} more open: deciding one brings the next onto this card." if more > 0 else "",
    )


def review_nothing(week: str) -> Reply:
    """Say nothing of a person's team stood out in a week."""
    return Reply(
        title=f"Nothing to review for week {week}",
        text="No decision of anyone who reports to you stood out that week.",
        tone=Tone.SUCCESS,
    )


def review_item_summary(item: ReviewItem, names: Mapping[int, str], policy: Policy) -> str:
    """Say in one line why an item stood out (for the form that asks what was talked about)."""
    return _headline(item, names, policy)


def review_item_not_found(item_id: int) -> str:
    """Say there is no such review item."""
    return f"There is no review item {item_id}."


def review_not_yours(manager: str) -> str:
    """Say only the manager an item went to, or their managers, decide it."""
    return f"This review item is {manager}'s: only they, or their managers, can decide it."


def _headline(item: ReviewItem, names: Mapping[int, str], policy: Policy) -> str:
    detail, who = item.detail, names.get(item.employee_id or 0, "someone")
    reason = REASONS.get(item.reason, item.reason)
    if item.reason == "repeat_compensation":
        return f"{reason}: {detail['times']} times in {detail['days']} days, the latest by {who}"
    if item.reason == "high_spend":
        per_case = money(int(detail["per_case"]), policy)
        return f"{reason}: {who}, {per_case} per case over {detail['days']} days"
    return f"{reason}: {who}, {detail['times']} times in {detail['days']} days"


def _figures(item: ReviewItem, names: Mapping[int, str], policy: Policy, zone: ZoneInfo) -> str:
    detail, who = item.detail, names.get(item.employee_id or 0, "someone")
    if item.reason == "repeat_compensation":
        cases = ", ".join(ref(i) for i in item.case_ids[-CASES_NAMED:])
        return (
            f"The same customer got {money(detail['total'], policy)} in all on {cases}, from"
            f" {_day(detail['first_at'], zone)}; the latest, {money(detail['latest_amount'], policy)},"
            f" given by {who} on {_day(detail['latest_at'], zone)}. Stands out at"
            f" {detail['times_allowed']} times within {detail['days']} days."
        )
    if item.reason == "high_spend":
        role = policy.roles[detail["role"]].label if detail["role"] in policy.roles else detail["role"]
        compared = (
            f"{detail['ratio']} times the median {role} employee's {money(detail['median'], policy)} per case"
            if detail["ratio"] is not None
            else f"while the median {role} employee gave nothing"
        )
        biggest = ", ".join(f"{ref(c)} ({money(a, policy)})" for c, a in detail["top"][:CASES_NAMED])
        return (
            f"{money(detail['spend'], policy)} over {count(detail['cases'], 'case')}: {compared}."
            f" Stands out above {detail['above']} times, from {detail['min_cases']} cases."
            + (f" Most given: {biggest}." if biggest else "")
        )
    given = ", ".join(f"{money(a, policy)} on {ref(c)}" for c, a in detail["cases"][-CASES_NAMED:])
    share = f"{Decimal(detail['share']):.0%}"
    return (
        f"{given}: each {share} or more of {who}'s {money(detail['limit'], policy)} limit per incident,"
        f" on their own authority. Stands out at {detail['times_allowed']} times."
    )


def _decision(item: ReviewItem, names: Mapping[int, str], zone: ZoneInfo) -> str:
    who = names.get(item.decided_by_id or 0, "someone")
    at = when(item.decided_at, str(zone))
    if item.status == ReviewStatus.LOOKS_FINE:
        return f"Looks fine: {who}, {at}."
    return f"Talked to them: {who}, {at}: {item.note or ''}"


def _day(stamp: Any, zone: ZoneInfo) -> str:
    return datetime.fromisoformat(str(stamp)).astimezone(zone).strftime("%-d %b")


def _week_span(week: str) -> str:
    year, number = week.split("-W")
    monday = date.fromisocalendar(int(year), int(number), 1)
    sunday = date.fromisocalendar(int(year), int(number), 7)
    return f"{monday:%-d %b} to {sunday:%-d %b %Y}"
