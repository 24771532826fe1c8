"""Recognition: anyone applauds a lesson once, the posted lesson shows the count, and the digest names
the recoveries the team applauded most and those confirmed fixed fastest."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from adapters.main import Runtime
from adapters.settings import Settings
from bot import digest, messages, notices, staff
from bot.actions import handle
from bot.audit import record
from bot.errors import NotFound
from bot.replies import ActionId, Reply
from db import migrate
from db.learning import Applause
from db.models import AuditEvent, Case, Delivery, Staff
from db.session import make_engine, make_sessions
from policies.loader import load_policy
from tests.fakes import MONDAY_MORNING, FakeClock
from tests.helpers import ALICE, BOB, CAROL, open_late_delivery, resolve_and_post
from tests.slack.conftest import SECRET, SlackUser, shown_inputs, slack_server, updated_view, wait_for
from tests.slack.conftest import STAFF_CSV as SLACK_STAFF
from tests.teams.conftest import BOT, LESSONS_CHANNEL, TENANT, TeamsUser, find_action, teams_server
from tests.teams.conftest import STAFF_CSV as TEAMS_STAFF
from tests.teams.conftest import shown_inputs as teams_inputs

NOTES = {
    "outcome": "Sent a replacement by express",
    "root_cause": "The courier missed the cut-off",
    "lesson": "Check the courier cut-off before promising a date.",
}
APPLAUD = "👏 Applaud"


def _applaud(session: Session, policy, clock, actor, case_id: int) -> Reply:
    reply = handle(ActionId.APPLAUD, str(case_id), actor, {}, session=session, policy=policy, clock=clock)
    assert isinstance(reply, Reply)
    return reply


def _lesson_posted(session: Session, policy, clock, *, sent: bool = True) -> int:
    """Alice opens and resolves a case; its lesson was posted to the channel (unless `sent` is False)."""
    case_id = open_late_delivery(session, policy, clock).case_id
    resolve_and_post(session, policy, clock, ALICE, case_id, **NOTES)
    if sent:
        session.execute(
            update(Delivery)
            .where(Delivery.kind == "lesson")
            .values(status="sent", sent_ref={"message": "in the lessons channel"})
        )
    return case_id


def _lesson(session: Session) -> Delivery:
    return session.scalars(select(Delivery).where(Delivery.kind == "lesson")).one()


def _card_updates(session: Session) -> list[Delivery]:
    return list(session.scalars(select(Delivery).where(Delivery.kind == "card_update").order_by(Delivery.id)))


# --- applauding ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("people")
def test_each_person_applauds_a_lesson_once_and_a_second_press_changes_nothing(
    session: Session, policy, clock
) -> None:
    case_id = _lesson_posted(session, policy, clock)
    first = _applaud(session, policy, clock, BOB, case_id)
    again = _applaud(session, policy, clock, BOB, case_id)  # no error: the same lesson, the same count
    other = _applaud(session, policy, clock, CAROL, case_id)

    assert first.note.startswith("👏 1 applauded") and again.note.startswith("👏 1 applauded")
    assert other.note.startswith("👏 2 applauded")
    assert session.scalar(select(func.count()).select_from(Applause)) == 2
    events = session.scalars(select(AuditEvent.action).where(AuditEvent.action == "lesson_applauded")).all()
    assert len(events) == 2
    # each new applause updates the posted lesson once; the repeat queues nothing
    lesson = _lesson(session)
    assert [(u.payload["target_id"], u.channel) for u in _card_updates(session)] == [
        (lesson.id, "lessons"),
        (lesson.id, "lessons"),
    ]


@pytest.mark.usefixtures("people")
def test_the_posted_lesson_is_updated_in_place_with_how_many_applauded(
    session: Session, policy, clock
) -> None:
    case_id = _lesson_posted(session, policy, clock)
    posted = notices.render(session, _lesson(session), policy=policy)
    assert posted is not None and "applauded" not in posted.note
    assert [(b.label, b.action, b.value) for b in posted.buttons] == [
        (APPLAUD, ActionId.APPLAUD, str(case_id))
    ]

    for actor in (BOB, CAROL, ALICE):
        _applaud(session, policy, clock, actor, case_id)
    updated = notices.render(session, _card_updates(session)[0], policy=policy)

    assert updated is not None
    assert updated.note.startswith("👏 3 applauded · Personal details removed")
    assert (updated.title, updated.text, updated.fields, updated.buttons) == (
        posted.title,
        posted.text,
        posted.fields,
        posted.buttons,
    )


@pytest.mark.usefixtures("people")
def test_the_update_and_the_answer_pass_the_lesson_redactor(session: Session, policy, clock) -> None:
    case_id = _lesson_posted(session, policy, clock)
    lesson = _lesson(session)
    # Personal data that reached the stored lesson anyway (written before a recogniser knew it)
    slipped = {**lesson.payload["lesson"], "lesson": "Call jane.doe@example.com back on +1 (555) 010-2030."}
    session.execute(update(Delivery).where(Delivery.id == lesson.id).values(payload={"lesson": slipped}))

    answer = _applaud(session, policy, clock, BOB, case_id)
    updated = notices.render(session, _card_updates(session)[0], policy=policy)

    for reply in (answer, updated):
        assert reply is not None
        assert reply.text == "Call [email] back on [phone]."
        assert "jane.doe" not in json.dumps([reply.text, reply.note, [f.value for f in reply.fields]])


@pytest.mark.usefixtures("people")
def test_a_lesson_not_yet_posted_shows_the_count_when_it_goes(session: Session, policy, clock) -> None:
    case_id = _lesson_posted(session, policy, clock, sent=False)
    _applaud(session, policy, clock, BOB, case_id)
    assert _card_updates(session) == []  # nothing to update yet
    posted = notices.render(session, _lesson(session), policy=policy)
    assert posted is not None and posted.note.startswith("👏 1 applauded")


@pytest.mark.usefixtures("people")
def test_a_case_without_a_lesson_cannot_be_applauded(session: Session, policy, clock) -> None:
    case_id = open_late_delivery(session, policy, clock).case_id
    with pytest.raises(NotFound) as error:
        _applaud(session, policy, clock, BOB, case_id)
    assert error.value.message == messages.no_lesson_to_applaud(f"R-{case_id + 1000}")
    assert session.scalar(select(func.count()).select_from(Applause)) == 0


# --- the digest -----------------------------------------------------------------------------------

UNTIL = datetime(2026, 11, 16, 5, tzinfo=UTC)  # Monday 00:00 in New York, the channel's zone
SINCE = UNTIL - timedelta(days=7)
DAY = timedelta(days=1)


class Built:
    """Cases written as the use cases leave them, with their applause and follow-up answers."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.staff = list(session.scalars(select(Staff).order_by(Staff.id)))

    def case(self, created: datetime, status: str, resolved: datetime | None = None) -> Case:
        case = Case(
            customer_name="Jordan Example",
            tier="standard",
            category="late_delivery",
            severity="major",
            description="Parcel late",
            lesson="Check the courier",
            currency="USD",
            status=status,
            opened_by_id=self.staff[0].id,
            platform="console",
            created_at=created,
            updated_at=created,
            resolved_at=resolved,
        )
        self.session.add(case)
        self.session.flush()
        return case

    def applaud(self, case: Case, people: int) -> None:
        for person in self.staff[:people]:
            self.session.add(Applause(case_id=case.id, staff_id=person.id, created_at=UNTIL - DAY))
        self.session.flush()

    def fixed(self, case: Case, at: datetime) -> None:
        record(
            self.session, action="follow_up_fixed", at=at, platform="console", actor_id=None, case_id=case.id
        )


def _ref(case: Case) -> str:
    return f"R-{case.id + 1000}"


@pytest.mark.usefixtures("people")
def test_the_digest_names_the_lessons_applauded_most_among_cases_resolved_in_the_last_four_weeks(
    session: Session, policy
) -> None:
    b = Built(session)
    resolved = {
        days: b.case(UNTIL - (days + 2) * DAY, "resolved", UNTIL - days * DAY) for days in (3, 20, 10, 2)
    }
    b.applaud(resolved[3], 3)
    b.applaud(resolved[20], 4)
    b.applaud(resolved[10], 1)
    b.applaud(resolved[2], 2)
    b.applaud(b.case(UNTIL - 40 * DAY, "recovered", UNTIL - 30 * DAY), 5)  # resolved too long ago
    b.applaud(b.case(UNTIL - 5 * DAY, "open"), 6)  # reopened: its lesson is being rewritten
    b.case(UNTIL - 3 * DAY, "resolved", UNTIL - DAY)  # nobody applauded

    figures = digest.weekly_figures(session, policy, SINCE, UNTIL)

    assert [(r.case_id, r.figure) for r in figures.most_applauded] == [
        (resolved[20].id, 4),
        (resolved[3].id, 3),
        (resolved[2].id, 2),
    ]
    shown = {f.label: f.value for f in digest.digest_reply(session, policy, SINCE, UNTIL).fields}
    assert shown["Most applauded"] == (
        f"{_ref(resolved[20])} · Late or missed delivery (4 applauded);"
        f" {_ref(resolved[3])} · Late or missed delivery (3 applauded);"
        f" {_ref(resolved[2])} · Late or missed delivery (2 applauded)"
    )


@pytest.mark.usefixtures("people")
def test_the_digest_names_the_recoveries_confirmed_fixed_fastest_this_week(session: Session, policy) -> None:
    b = Built(session)
    week_long = b.case(UNTIL - 9 * DAY, "recovered")
    b.fixed(week_long, UNTIL - 2 * DAY)  # 7 days
    two_days = b.case(UNTIL - 3 * DAY, "recovered")
    b.fixed(two_days, UNTIL - DAY)
    half_day = b.case(UNTIL - 6 * DAY, "recovered")
    b.fixed(half_day, UNTIL - 5.5 * DAY)
    one_day = b.case(UNTIL - 4 * DAY, "recovered")
    b.fixed(one_day, UNTIL - 3 * DAY)
    last_week = b.case(UNTIL - 10 * DAY, "recovered")
    b.fixed(last_week, UNTIL - 9.9 * DAY)  # fast, but confirmed before this week
    reopened = b.case(UNTIL - 2 * DAY, "open")
    b.fixed(reopened, UNTIL - 1.9 * DAY)  # confirmed, then the customer came back unhappy

    figures = digest.weekly_figures(session, policy, SINCE, UNTIL)

    assert [(r.case_id, round(r.figure)) for r in figures.fixed_fastest] == [
        (half_day.id, 12 * 3600),
        (one_day.id, 24 * 3600),
        (two_days.id, 48 * 3600),
    ]
    shown = {f.label: f.value for f in digest.digest_reply(session, policy, SINCE, UNTIL).fields}
    assert shown["Fixed fastest"] == (
        f"{_ref(half_day)} · Late or missed delivery (in 12.0 h);"
        f" {_ref(one_day)} · Late or missed delivery (in 24.0 h);"
        f" {_ref(two_days)} · Late or missed delivery (in 2.0 days)"
    )


@pytest.mark.usefixtures("people")
def test_a_digest_with_nothing_applauded_or_fixed_leaves_both_out(session: Session, policy) -> None:
    shown = {f.label for f in digest.digest_reply(session, policy, SINCE, UNTIL).fields}
    assert "Most applauded" not in shown and "Fixed fastest" not in shown


# --- Slack and Teams, end to end -------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """A migrated database of this test's own: a SQLite file, or a copy of the PostgreSQL template."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'mend.db'}"
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        return url
    template = request.getfixturevalue("postgres_template")
    return request.getfixturevalue("postgres").create(template=template)


@pytest.fixture
def make_runtime(database_url: str) -> Iterator[Callable[..., Runtime]]:
    """Return a factory of runtimes on the test database, with Slack, or Teams and its lessons channel."""
    engine = make_engine(database_url)

    def make(**settings: Any) -> Runtime:
        values: dict[str, Any] = {
            "MICROSOFT_APP_ID": None,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_BOT_TOKEN": "xoxb-mend-test",
            "SLACK_APP_TOKEN": None,
            "SLACK_CLIENT_ID": None,
            "SLACK_CLIENT_SECRET": None,
        }
        values.update(settings)
        chosen = Settings(_env_file=None, **values)  # type: ignore[call-arg]
        policy = load_policy(chosen.policy_file)
        if chosen.teams_unauthenticated:
            broadcast = policy.broadcast.model_copy(update={"teams_channel": LESSONS_CHANNEL})
            policy = policy.model_copy(update={"broadcast": broadcast})
        runtime = Runtime(chosen, policy, engine, make_sessions(engine), FakeClock(MONDAY_MORNING))
        with runtime.sessions() as session:
            people = SLACK_STAFF if chosen.slack_signing_secret else TEAMS_STAFF
            staff.import_staff(people, session=session, policy=policy, clock=runtime.clock)
        return runtime

    yield make
    engine.dispose()


SLACK_CASE = {
    "customer_name": "Jane Doe",
    "category": "late_delivery",
    "severity": "minor",
    "description": "Parcel promised Monday arrived Friday",
    "asked_for": "A refund, Jane said",
    "tier": "standard",
}


def test_an_applause_in_slack_updates_the_lesson_in_the_channel(make_runtime) -> None:
    asyncio.run(_slack(make_runtime))


async def _slack(make_runtime) -> None:
    async with slack_server(make_runtime) as (endpoint, api, runtime):
        alice = SlackUser(endpoint, api, "UALICE", "alice")
        bob = SlackUser(endpoint, api, "UBOB", "bob")
        await alice.recover("")
        (opened,) = await wait_for(lambda: api.of("views.open"))
        assert await alice.submit(opened.answer["view"], **SLACK_CASE) == (200, "")
        (card,) = await wait_for(lambda: api.of("chat.postMessage", channel="UALICE"))
        await alice.click(card, "Resolve")
        (resolve,) = await wait_for(
            lambda: [c for c in api.of("views.open") if "mend_resolve_case" in c.text]
        )
        _, answer = await alice.submit(resolve.answer["view"], **NOTES)
        preview = updated_view(answer)
        assert await alice.submit(preview, **shown_inputs(preview)) == (200, "")
        (posted,) = await wait_for(lambda: api.of("chat.postMessage", channel="service-lessons"))
        assert "Asked for" in posted.text and "[customer]" in posted.text and "Jane" not in posted.text

        assert (await bob.click(posted, APPLAUD))[0] == 200
        channel, ts = posted.where

        def updates() -> list[Any]:
            return [c for c in api.of("chat.update", channel=channel, ts=ts) if "1 applauded" in c.text]

        # the clicked message at once, then every copy through the outbox: both show one applause
        shown = await wait_for(lambda: len(updates()) >= 2 and updates())
        for update_ in shown:
            assert APPLAUD in update_.buttons() and "Jane" not in update_.text
        await bob.click(posted, APPLAUD)  # again: still one
        await asyncio.sleep(0.3)
        assert not [c for c in api.of("chat.update", channel=channel, ts=ts) if "2 applauded" in c.text]
        with runtime.sessions() as session:
            assert session.scalar(select(func.count()).select_from(Applause)) == 1
            assert session.scalars(select(Delivery.status).where(Delivery.kind == "card_update")).all() == [
                "sent"
            ]


def test_an_applause_in_teams_updates_the_lesson_in_the_channel(make_runtime) -> None:
    asyncio.run(_teams(make_runtime))


async def _teams(make_runtime) -> None:
    runtime = make_runtime(SLACK_SIGNING_SECRET=None, MEND_TEAMS_UNAUTHENTICATED=True)
    async with teams_server(runtime) as (endpoint, connector):
        alice = TeamsUser(endpoint, connector, "aad-alice", "Alice Park")
        bob = TeamsUser(endpoint, connector, "aad-bob", "Bob Reyes")
        assert await alice.say("recover") == 202

        def latest() -> dict[str, Any]:
            calls = [c for c in connector.calls if c.conversation == alice.conversation]
            return calls[-1].card

        def last_id() -> str:
            return connector.posts(alice.conversation)[-1].answered_id or ""

        await alice.submit(find_action(latest(), "Get suggestion"), last_id(), **SLACK_CASE)
        await alice.submit(find_action(latest(), "Resolve"), last_id())
        await alice.submit(find_action(latest(), "Preview lesson"), last_id(), **NOTES)
        preview = latest()
        await alice.submit(find_action(preview, "Post lesson"), last_id(), **teams_inputs(preview))
        (lesson,) = connector.posts(LESSONS_CHANNEL)
        assert lesson.answered_id

        in_channel = {"id": LESSONS_CHANNEL, "conversationType": "channel", "tenantId": TENANT}
        click = bob.activity(
            value=find_action(lesson.card, APPLAUD), replyToId=lesson.answered_id, conversation=in_channel
        )
        assert click["recipient"] == BOT
        assert await bob.post(click) == 202

        puts = connector.puts(LESSONS_CHANNEL, lesson.answered_id)
        assert puts and all("1 applauded" in json.dumps(p.body, ensure_ascii=False) for p in puts)
        assert len(puts) == 2  # the clicked card at once, and the outbox's update of every copy
        assert "Jane" not in json.dumps(puts[-1].body, ensure_ascii=False)
        assert await bob.post({**click, "id": "again"}) == 202  # a second press: still one
        assert all(
            "1 applauded" in json.dumps(p.body, ensure_ascii=False)
            for p in connector.puts(LESSONS_CHANNEL, lesson.answered_id)
        )
        with runtime.sessions() as session:
            assert session.scalar(select(func.count()).select_from(Applause)) == 1
