"""After-the-fact review: the week's decisions of a manager's team that stand out, and why."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_interval
from babel.numbers import format_decimal

from bot import i18n
from bot.i18n import _, ngettext
from bot.messages.common import money, ref, when
from bot.replies import ActionId, Button, Field, Item, Reply, Style, Tone
from bot.values import Target
from db.models import ReviewItem, ReviewStatus
from policies.schema import Policy

OPEN_SHOWN = 10  # open items on one card; deciding one brings the next onto it
DECIDED_SHOWN = 10
CASES_NAMED = 5


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
        # Translators: a button: the manager looked at the decision and it is fine.
        fine = Button(_("Looks fine"), ActionId.REVIEW_FINE, value, Style.PRIMARY) if may_decide else None
        entries.append(Item(_headline(item, names, policy), _figures(item, names, policy, zone), fine))
        if may_decide:
            # Translators: a button that opens the form to note what the manager and the employee agreed.
            talk = Button(_("Talk to them"), ActionId.REVIEW_TALK, value)
            who = names.get(item.employee_id or 0)
            entries.append(
                Item(
                    _("Not sure? Talk to {name}", name=who) if who else _("Not sure? Talk to them"),
                    _("Note what you agreed; it stays with this item."),
                    talk,
                )
            )
    for item in decided[:DECIDED_SHOWN]:
        detail = f"{_figures(item, names, policy, zone)}\n{_decision(item, names, zone)}"
        entries.append(Item(f"✔ {_headline(item, names, policy)}", detail))
    more = len(waiting) - OPEN_SHOWN
    title = (
        # Translators: {week} is an ISO week such as 2026-W48.
        ngettext(
            "Review of week {week}: {n} decision to look at",
            "Review of week {week}: {n} decisions to look at",
            len(waiting),
            week=week,
        )
        if waiting
        else ngettext(
            "Review of week {week}: all {n} decision looked at",
            "Review of week {week}: all {n} decisions looked at",
            len(items),
            week=week,
        )
    )
    return Reply(
        title=title,
        text=_(
            "Your team decided these on the spot, and they stand out. Nothing is undone and nobody's"
            " authority changes: look at each, and talk to the person where it helps."
        ),
        fields=(
            Field(_("Week"), _week_span(week)),
            Field(
                _("Still open"),
                # Translators: how many of the week's items are still open: "2 of 3".
                _("{open} of {all}", open=i18n.number(len(waiting)), all=i18n.number(len(items))),
            ),
        ),
        items=tuple(entries),
        tone=Tone.WARNING if waiting else Tone.SUCCESS,
        note=ngettext(
            "{n} more open: deciding one brings the next onto this card.",
            "{n} more open: deciding one brings the next onto this card.",
            more,
        )
        if more > 0
        else "",
    )


def review_nothing(week: str) -> Reply:
    """Say nothing of a person's team stood out in a week."""
    return Reply(
        # Translators: {week} is an ISO week such as 2026-W48.
        title=_("Nothing to review for week {week}", week=week),
        text=_("No decision of anyone who reports to you stood out that week."),
        tone=Tone.SUCCESS,
    )


def review_item_summary(item: ReviewItem, names: Mapping[int, str], policy: Policy) -> str:
    """Say in one line why an item stood out (for the form that asks what was talked about)."""
    return _headline(item, names, policy)


def review_item_not_found(item_id: int) -> str:
    """Say there is no such review item."""
    return _("There is no review item {id}.", id=item_id)


def review_not_yours(manager: str) -> str:
    """Say only the manager an item went to, or their managers, decide it."""
    return _("This review item is {manager}'s: only they, or their managers, can decide it.", manager=manager)


def _who(person_id: int | None, names: Mapping[int, str]) -> str:
    # Translators: stands for a person whose name Mend does not know.
    return names.get(person_id or 0) or _("someone")


def _headline(item: ReviewItem, names: Mapping[int, str], policy: Policy) -> str:
    detail, who = item.detail, _who(item.employee_id, names)
    if item.reason == "repeat_compensation":
        # Translators: {times} is 2 or more; {who} is the employee who gave the latest compensation.
        return ngettext(
            "Customer compensated again and again: {times} times in {n} day, the latest by {who}",
            "Customer compensated again and again: {times} times in {n} days, the latest by {who}",
            detail["days"],
            times=i18n.number(detail["times"]),
            who=who,
        )
    if item.reason == "high_spend":
        return ngettext(
            "High compensation per case: {who}, {per_case} per case over {n} day",
            "High compensation per case: {who}, {per_case} per case over {n} days",
            detail["days"],
            who=who,
            per_case=money(int(detail["per_case"]), policy),
        )
    if item.reason == "near_limit":
        # Translators: {times} is 2 or more.
        return ngettext(
            "Often just under the limit: {who}, {times} times in {n} day",
            "Often just under the limit: {who}, {times} times in {n} days",
            detail["days"],
            who=who,
            times=i18n.number(detail["times"]),
        )
    return f"{item.reason}: {who}"


def _figures(item: ReviewItem, names: Mapping[int, str], policy: Policy, zone: ZoneInfo) -> str:
    detail, who = item.detail, _who(item.employee_id, names)
    if item.reason == "repeat_compensation":
        # Translators: {cases} lists case references (R-1042, R-1057); {first} and {latest_day} are dates;
        # {times} is 2 or more.
        return ngettext(
            "The same customer got {total} in all on {cases}, from {first}; the latest, {latest}, given by"
            " {who} on {latest_day}. Stands out at {times} times within {n} day.",
            "The same customer got {total} in all on {cases}, from {first}; the latest, {latest}, given by"
            " {who} on {latest_day}. Stands out at {times} times within {n} days.",
            detail["days"],
            total=money(detail["total"], policy),
            cases=", ".join(ref(i) for i in item.case_ids[-CASES_NAMED:]),
            first=_day(detail["first_at"], zone),
            latest=money(detail["latest_amount"], policy),
            who=who,
            latest_day=_day(detail["latest_at"], zone),
            times=i18n.number(detail["times_allowed"]),
        )
    if item.reason == "high_spend":
        return _high_spend(item, policy)
    given = ", ".join(
        # Translators: an amount given on a case: "$25.00 on R-1042".
        _("{amount} on {case}", amount=money(a, policy), case=ref(c))
        for c, a in detail["cases"][-CASES_NAMED:]
    )
    # Translators: {given} lists amounts given on cases; {share} is a percentage; {times} is 2 or more.
    return _(
        "{given}: each {share} or more of {who}'s {limit} limit per incident, on their own authority."
        " Stands out at {times} times.",
        given=given,
        share=i18n.percent(Decimal(detail["share"])),
        who=who,
        limit=money(detail["limit"], policy),
        times=i18n.number(detail["times_allowed"]),
    )


def _high_spend(item: ReviewItem, policy: Policy) -> str:
    detail = item.detail
    role = policy.roles[detail["role"]].label if detail["role"] in policy.roles else detail["role"]
    cases = ngettext("{n} case", "{n} cases", detail["cases"])
    spend = money(detail["spend"], policy)
    if detail["ratio"] is not None:
        # Translators: {cases} is "1 case" or "6 cases"; {ratio} a number such as 2.50; {role} a role's name.
        compared = _(
            "{spend} over {cases}: {ratio} times the median {role} employee's {median} per case.",
            spend=spend,
            cases=cases,
            ratio=format_decimal(Decimal(detail["ratio"]), format="#,##0.00", locale=i18n.locale()),
            role=role,
            median=money(detail["median"], policy),
        )
    else:
        # Translators: {cases} is "1 case" or "6 cases"; {role} is a role's name.
        compared = _(
            "{spend} over {cases}: while the median {role} employee gave nothing.",
            spend=spend,
            cases=cases,
            role=role,
        )
    # Translators: {above} is a number such as 2 or 1.5.
    threshold = ngettext(
        "Stands out above {above} times, from {n} case.",
        "Stands out above {above} times, from {n} cases.",
        detail["min_cases"],
        above=i18n.number(Decimal(detail["above"])),
    )
    biggest = ", ".join(f"{ref(c)} ({money(a, policy)})" for c, a in detail["top"][:CASES_NAMED])
    # Translators: {cases} lists the cases given most, each with its amount:
    # "R-1042 ($40.00), R-1057 ($25.00)".
    most = _("Most given: {cases}.", cases=biggest) if biggest else ""
    return " ".join(part for part in (compared, threshold, most) if part)


def _decision(item: ReviewItem, names: Mapping[int, str], zone: ZoneInfo) -> str:
    who = _who(item.decided_by_id, names)
    at = when(item.decided_at, str(zone))
    if item.status == ReviewStatus.LOOKS_FINE:
        # Translators: who marked the item "looks fine", and when.
        return _("Looks fine: {who}, {at}.", who=who, at=at)
    # Translators: who talked to the employee, when, and the note they wrote.
    return _("Talked to them: {who}, {at}: {note}", who=who, at=at, note=item.note or "")


def _day(stamp: Any, zone: ZoneInfo) -> str:
    return i18n.day(datetime.fromisoformat(str(stamp)), str(zone))


def _week_span(week: str) -> str:
    year, number = week.split("-W")
    monday = date.fromisocalendar(int(year), int(number), 1)
    sunday = date.fromisocalendar(int(year), int(number), 7)
    return format_interval(monday, sunday, "yMMMd", locale=i18n.locale())
