"""Reports on demand: the measures of a period for a person's own team, with a chart.

Who sees what: a role the policy names in `reports.all_teams` (the most senior
role by default) sees every case; anyone else sees the cases they opened and
those opened by everyone who reports to them, directly or further down.

In chat, a report is sent as a delivery to the person who asked: the figures and
the chart are made by the sender, off the request, and arrive in the person's
messages from Mend (Slack DM, Teams personal chat, or the terminal).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import deliveries, i18n, measures, messages
from bot.charts import WeeklyCases
from bot.commands import Actor
from bot.deliveries import Kind
from bot.errors import InvalidInput
from bot.i18n import _
from bot.measures import AskedAndGiven, Dimension, Period, Repeats, Row
from bot.ports import Clock
from bot.quiet_hours import local_midnight, monday_of
from bot.replies import Reply
from bot.staff import effective_role, resolve_actor
from db import queries
from db.models import Staff
from policies.schema import Policy

SPANS = {"week": timedelta(days=7), "month": timedelta(days=30)}
MAX_CHART_WEEKS = 26


def team_of(session: Session, viewer: Staff, policy: Policy) -> set[int] | None:
    """Return the staff ids whose cases `viewer` may see in reports, or None for everyone."""
    if policy.sees_all_teams(effective_role(viewer, policy)):
        return None
    reports: dict[int, list[int]] = {}
    for staff_id, manager_id in session.execute(select(Staff.id, Staff.manager_id)).all():
        if manager_id is not None:
            reports.setdefault(manager_id, []).append(staff_id)
    team, waiting = {viewer.id}, [viewer.id]
    while waiting:
        for member in reports.get(waiting.pop(), []):
            if member not in team:  # a cycle in the directory stops here
                team.add(member)
                waiting.append(member)
    return team


@dataclass(frozen=True)
class Report:
    """The measures of one period, by one dimension (or none), for one scope."""

    period: Period
    by: Dimension | None
    rows: list[tuple[str, Row]]  # (label, row), in key order
    total: Row
    repeats: Repeats
    root_causes: list[tuple[str, int]]
    asked: AskedAndGiven = field(default_factory=AskedAndGiven)


def cause_names(policy: Policy) -> dict[tuple[str, str], str]:
    """Return how each kind of root cause reads, by category and kind, from the policy."""
    return {
        (category, kind): label
        for category, causes in policy.learning.root_causes.items()
        for kind, label in causes.items()
    }


def build_report(
    session: Session,
    policy: Policy,
    period: Period,
    *,
    by: Dimension | None = None,
    scope: set[int] | None = None,
) -> Report:
    """Return the measures of the cases opened in `period` by `scope` (None: everyone)."""
    rows: list[Row] = []
    if by is None:
        overall = measures.measure(session, period, scope=scope)
        whole = overall[0] if overall else Row(key=())
    else:
        rows, whole = measures.measure_with_total(session, period, by=[by], scope=scope)
    labels = _labels(session, policy, by, [r.key[0] for r in rows])
    return Report(
        period=period,
        by=by,
        rows=[(labels[r.key[0]], r) for r in rows],
        total=whole,
        repeats=measures.repeat_customers(session, period, scope=scope),
        root_causes=measures.top_root_causes(
            session, period, scope=scope, limit=5, names=cause_names(policy)
        ),
        asked=measures.asked_and_given(session, period, scope=scope),
    )


def _labels(session: Session, policy: Policy, by: Dimension | None, keys: list[object]) -> dict[object, str]:
    if by in (Dimension.TEAM, Dimension.EMPLOYEE):
        ids = [k for k in keys if isinstance(k, int)]
        names = {s.id: s.name for s in queries.list_staff_by_ids(session, ids)}
        # Translators: a report's row of cases whose employee has no manager (or one Mend does not know).
        empty = _("(no manager)") if by is Dimension.TEAM else _("(unknown)")
        return {k: names.get(k, empty) if isinstance(k, int) else empty for k in keys}
    if by is Dimension.CATEGORY:
        return {k: messages.category_label(str(k), policy) for k in keys}
    if by is Dimension.LOCATION:
        # Translators: a report's row of cases whose employee has no location: the policy's default one.
        unset = _("{location} (not set)", location=policy.default_location)
        return {k: str(k) if k else unset for k in keys}
    return {k: str(k) for k in keys}


def weekly(
    session: Session, policy: Policy, period: Period, *, scope: set[int] | None = None
) -> tuple[WeeklyCases, list[Row]]:
    """Return cases per week by category and the recovery rate per week, with each week's counts
    and sums (no medians: a week is its categories added up).

    Weeks start on Monday 00:00 in the lessons channel's time zone. The last is the week
    `period.until` falls in (it may be partial); the first is the one `period.since` falls
    in (counting only cases from `since` on), or the one 26 weeks before the last.
    """
    zone = ZoneInfo(policy.digest_timezone)
    last = monday_of(period.until - timedelta(microseconds=1), zone)
    count = min(MAX_CHART_WEEKS, (last - monday_of(period.since, zone)).days // 7 + 1)
    mondays = [last - timedelta(days=7 * k) for k in reversed(range(count))]
    starts = [max(local_midnight(day, zone), period.since) for day in mondays]
    span = Period(starts[0], period.until)
    by_category = measures.measure(
        session, span, by=[Dimension.WEEK, Dimension.CATEGORY], weeks=starts, scope=scope
    )
    # Each week's counts and sums are its categories' added up: one reading of the cases.
    weeks: dict[int, list[Row]] = {}
    for r in by_category:
        weeks.setdefault(r.key[0], []).append(r)
    order = list(policy.categories)  # the policy's order, so a category keeps its colour
    categories = sorted(
        {r.key[1] for r in by_category},
        key=lambda c: (c not in order, order.index(c) if c in order else 0, c),
    )
    counts = {(r.key[0], r.key[1]): r.opened for r in by_category}
    rows = [replace(measures.total(weeks.get(k, [])), key=(k,)) for k in range(count)]
    chart = WeeklyCases(
        weeks=[week_label(day) for day in mondays],
        by_category={
            messages.category_label(c, policy): [counts.get((k, c), 0) for k in range(count)]
            for c in categories
        },
        recovery_rate=[r.recovery_rate for r in rows],
    )
    return chart, rows


def week_label(monday: date) -> str:
    """Return how a week is named on a chart: its Monday, short, as the reader writes it (Nov 9, 9. Nov.)."""
    return format_skeleton("MMMd", monday, locale=i18n.locale())


def request_report(actor: Actor, span: str, *, session: Session, policy: Policy, clock: Clock) -> Reply:
    """Queue the report of the past week or month for the asker's team; say it is on its way."""
    words = span.strip().lower() or "week"
    if words not in SPANS:
        # Translators: {span} is what the person typed, in quotes; "week" and "month" are the words
        # the command takes, in English.
        raise InvalidInput(
            "span", _("{span} is not a period I report on; say week or month.", span=repr(span.strip()))
        )
    now = clock.now()
    viewer = resolve_actor(session, actor, policy=policy, now=now)
    since = now - SPANS[words]
    deliveries.enqueue(
        session,
        Kind.REPORT,
        now=now,
        recipient_id=viewer.id,
        since=since.isoformat(),
        until=now.isoformat(),
        span=words,
    )
    session.commit()
    return messages.report_on_its_way(words, whose=whose(team_of(session, viewer, policy)))


def report_reply(
    session: Session, policy: Policy, viewer: Staff, since: datetime, until: datetime, span: str
) -> Reply:
    """Return the report a person asked for: their team's measures and the weekly chart."""
    scope = team_of(session, viewer, policy)
    period = Period(since, until)
    report = build_report(session, policy, period, by=Dimension.CATEGORY, scope=scope)
    chart = weekly(session, policy, period, scope=scope)[0]
    practice = measures.practised(session, period, scope=scope)
    return messages.team_report(report, chart, policy, span=span, whose=whose(scope), practised=practice)


def whose(scope: set[int] | None) -> str:
    """Return whose cases a scope holds: "all", "team" (a manager's) or "own"."""
    return "all" if scope is None else "team" if len(scope) > 1 else "own"
