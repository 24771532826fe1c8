"""Practice on real cases: a colleague's resolved case, without the customer's details, answered
before seeing what was actually done; counted in the team report; weekly in the lessons channel."""

from __future__ import annotations

import asyncio
import io
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from adapters.console.chat import ChatSession
from adapters.main import Runtime
from adapters.settings import Settings
from bot import notices, practice, staff
from bot.actions import handle
from bot.cases import suggestion_for
from bot.commands import Actor
from bot.deliveries import Kind
from bot.errors import InvalidInput, NotAllowed
from bot.measures import Period
from bot.replies import ActionId, Form, Reply
from bot.reports import report_reply
from bot.staff import get_headroom
from db import migrate
from db.learning import PracticeAttempt
from db.models import Case, Delivery, Offer, Staff
from db.session import make_engine, make_sessions
from policies.learning import Practice
from policies.loader import load_policy
from policies.schema import Policy
from tests.conftest import STAFF_CSV
from tests.fakes import MONDAY_MORNING, FakeClock
from tests.helpers import ALICE, BOB, CAROL, ERIN, open_late_delivery, resolve_and_post

# What the case knows of its customer: none of it may reach anyone practising.
PRIVATE = ("Jane", "Doe", "jane.doe@example.com", "ORD-10042", "10042", "010-2030", "(555)")
WHAT_HAPPENED = "Jane Doe (jane.doe@example.com) waited a week for ORD-10042"
NOTES = {
    "outcome": "We called Jane Doe on +1 (555) 010-2030 and sent the parcel by express",
    "root_cause": "Courier lost the parcel",
    "root_cause_key": "courier_delay",
    "lesson": "Tell Jane's courier about ORD-10042 sooner: check the scans daily",
}
APOLOGY = "I am so sorry your parcel was a week late; that is on us, and I am sending it by express now."


def deps(session: Session, policy: Policy, clock: Any) -> dict[str, Any]:
    return {"session": session, "policy": policy, "clock": clock}


def resolved_case(session: Session, policy: Policy, clock: Any, actor: Actor = BOB, **case: Any) -> int:
    """Open a late delivery as `actor`, give a $10 voucher, resolve it with its lesson; return its id."""
    case_id = open_late_delivery(
        session, policy, clock, actor=actor, description=WHAT_HAPPENED, **case
    ).case_id
    voucher = {"amount": "10", "type": "voucher", "label": "Voucher for Jane Doe"}
    handle(ActionId.GIVE_AMOUNT, str(case_id), actor, voucher, **deps(session, policy, clock))
    resolve_and_post(session, policy, clock, actor, case_id, **NOTES)
    return case_id


def serve(session: Session, policy: Policy, clock: Any, actor: Actor = ALICE) -> Form | Reply:
    return handle(ActionId.PRACTICE_NEXT, "", actor, **deps(session, policy, clock))


def answer(session, policy, clock, case_id: int, actor=ALICE, offer="apology", apology=APOLOGY) -> Any:
    inputs = {"your_offer": offer, "your_apology": apology}
    return handle(ActionId.PRACTICE_ANSWER, str(case_id), actor, inputs, **deps(session, policy, clock))


def served_case(form: Form | Reply) -> int:
    assert isinstance(form, Form) and form.action is ActionId.PRACTICE_ANSWER, form
    return int(form.value)


def assert_anonymous(shown: object) -> None:
    text = shown if isinstance(shown, str) else repr(shown)
    for private in PRIVATE:
        assert not re.search(rf"(?<!\w){re.escape(private)}(?!\w)", text), private


def attempts(session: Session) -> list[PracticeAttempt]:
    return list(session.scalars(select(PracticeAttempt).order_by(PracticeAttempt.id)))


def count(session: Session, model: Any) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


# The core's tests run on the `session` fixture's database (SQLite, and PostgreSQL when configured).
core = pytest.mark.usefixtures("people")


# --- which case -------------------------------------------------------------------------------


@core
def test_the_case_served_is_resolved_never_their_own_and_from_their_location_first(session, policy, clock):
    resolved_case(session, policy, clock, actor=ALICE)  # her own
    in_london = resolved_case(session, policy, clock, actor=ERIN)
    at_hq = resolved_case(session, policy, clock, actor=BOB)
    open_late_delivery(session, policy, clock, actor=CAROL)  # at hq, but not resolved
    for _ in range(5):
        assert served_case(serve(session, policy, clock)) == at_hq  # Alice works at hq
    answer(session, policy, clock, at_hq)
    assert served_case(serve(session, policy, clock)) == in_london  # one she has not practised
    answer(session, policy, clock, in_london)
    again = {served_case(serve(session, policy, clock)) for _ in range(8)}
    assert again <= {at_hq, in_london}  # all practised: one of them again, never her own
    assert served_case(serve(session, policy, clock, ERIN)) != in_london


@core
def test_with_no_case_to_practise_on_mend_says_so_kindly(session, policy, clock):
    own = resolved_case(session, policy, clock, actor=ALICE)
    open_late_delivery(session, policy, clock, actor=BOB)
    for reply in (
        serve(session, policy, clock),
        practice.practice_case(ALICE, "", **deps(session, policy, clock)),
        practice.send_practice_case(ALICE, "", **deps(session, policy, clock)),
    ):
        assert isinstance(reply, Reply) and reply.title == "No case to practise on yet"
        assert "never your own" in reply.text
    assert session.scalars(select(Delivery).where(Delivery.kind == Kind.PRACTICE.value)).all() == []
    with pytest.raises(NotAllowed, match="You handled this case yourself"):
        handle(ActionId.PRACTICE_OPEN, str(own), ALICE, **deps(session, policy, clock))


@core
def test_nothing_shown_while_practising_names_the_customer(session, policy, clock):
    case_id = resolved_case(session, policy, clock)
    card = practice.practice_case(ALICE, "", **deps(session, policy, clock))
    form = handle(ActionId.PRACTICE_OPEN, str(case_id), ALICE, **deps(session, policy, clock))
    result = answer(session, policy, clock, case_id)
    assert [f.label for f in card.fields] == [
        "What happened",
        "What went wrong",
        "Customer tier",
        "Earlier incidents",
    ]
    assert card.fields[0].value == "[customer] ([email]) waited a week for [order ref]"
    assert isinstance(form, Form) and form.fields == card.fields
    for shown in (card, form, result):
        assert_anonymous(shown)


# --- the answer ---------------------------------------------------------------------------


@core
def test_the_choices_are_what_the_policy_suggests_for_the_persons_own_role(session, policy, clock):
    case_id = resolved_case(session, policy, clock, severity="critical")
    case = session.get(Case, case_id)
    for actor, email in ((ALICE, "alice"), (CAROL, "carol")):
        form = handle(ActionId.PRACTICE_OPEN, str(case_id), actor, **deps(session, policy, clock))
        person = session.scalars(select(Staff).where(Staff.email == f"{email}@example.com")).one()
        suggested = suggestion_for(session, case, person, policy=policy, now=clock.now(), fresh=True)
        offer = form.inputs[0]
        assert offer.name == "your_offer" and [c.value for c in offer.choices][-1] == "apology"
        assert [c.value for c in offer.choices][:-1] == [str(o.rank) for o in suggested.options]
    alice = handle(ActionId.PRACTICE_OPEN, str(case_id), ALICE, **deps(session, policy, clock))
    carol = handle(ActionId.PRACTICE_OPEN, str(case_id), CAROL, **deps(session, policy, clock))
    # The same amounts for both, judged against each one's own authority.
    assert all(c.label.endswith("⚠") for c in alice.inputs[0].choices[:-1])
    assert not carol.inputs[0].choices[0].label.endswith("⚠")
    assert (
        alice.inputs[0].choices[-1].label == carol.inputs[0].choices[-1].label == "Apology only (and the fix)"
    )
    assert alice.inputs[1].name == "your_apology" and alice.inputs[1].required


@core
def test_answering_records_a_completed_attempt_and_never_an_offer(session, policy, clock):
    case_id = resolved_case(session, policy, clock)
    alice = session.scalars(select(Staff).where(Staff.email == "alice@example.com")).one()
    room = get_headroom(session, alice, policy=policy, now=clock.now())
    offers = count(session, Offer)
    form = handle(ActionId.PRACTICE_OPEN, str(case_id), ALICE, **deps(session, policy, clock))
    (served,) = attempts(session)
    assert served.completed_at is None
    clock.advance(minutes=3)
    result = answer(session, policy, clock, case_id, offer="1")
    assert answer(session, policy, clock, case_id, offer="1") == result  # pressed twice: one answer
    (done,) = attempts(session)
    assert done.completed_at == clock.now() and done.offer == form.inputs[0].choices[0].label
    assert done.apology == APOLOGY
    assert count(session, Offer) == offers
    assert get_headroom(session, alice, policy=policy, now=clock.now()) == room
    shown = {f.label: f.value for f in result.fields}
    assert shown["You would say"] == APOLOGY
    assert shown["What was given"] == "Voucher for [customer] ($10.00)"
    assert shown["What was done"].startswith("We called [customer] on [phone]")
    assert "check the scans daily" in shown["Lesson"]
    assert shown["Follow-up"].startswith("Not asked yet")
    assert shown["The policy's apology"].startswith("[customer], I'm truly sorry your order didn't arrive")
    assert shown["And the fix"].startswith("I'm tracking your order myself")
    assert [(b.label, b.action) for b in result.buttons] == [("Another case", ActionId.PRACTICE_NEXT)]


@core
def test_the_answer_shows_what_the_follow_up_found(session, policy, clock):
    case_id = resolved_case(session, policy, clock)

    def follow_up() -> str:
        result = answer(session, policy, clock, case_id, apology=f"{APOLOGY} {clock.now()}")
        return {f.label: f.value for f in result.fields}["Follow-up"]

    session.execute(
        update(Delivery).where(Delivery.kind == "follow_up").values(status="sent", sent_at=clock.now())
    )
    clock.advance(hours=1)
    handle(ActionId.FOLLOW_UP_UNREACHABLE, f"{case_id}:1", BOB, **deps(session, policy, clock))
    assert follow_up() == "The customer could not be reached to ask."
    session.execute(
        update(Delivery).where(Delivery.kind == "follow_up").values(status="sent", sent_at=clock.now())
    )
    clock.advance(hours=1)
    handle(ActionId.FOLLOW_UP_FIXED, f"{case_id}:2", BOB, **deps(session, policy, clock))
    assert follow_up() == "The customer confirmed it is fixed."


@core
def test_a_wrong_choice_or_an_empty_apology_is_refused_on_its_field(session, policy, clock):
    case_id = resolved_case(session, policy, clock)
    with pytest.raises(InvalidInput) as wrong:
        answer(session, policy, clock, case_id, offer="99")
    assert wrong.value.field == "your_offer" and "Apology only (and the fix)" in wrong.value.message
    with pytest.raises(InvalidInput) as empty:
        answer(session, policy, clock, case_id, apology="   ")
    assert (empty.value.field, empty.value.message) == (
        "your_apology",
        "Your apology is required: please fill it in.",
    )
    assert attempts(session) == []


# --- the team report ----------------------------------------------------------------------


@core
def test_the_team_report_counts_cases_practised_and_by_how_many_people(session, policy, clock):
    first = resolved_case(session, policy, clock, actor=CAROL)
    second = resolved_case(session, policy, clock, actor=BOB)
    since = clock.now()
    clock.advance(hours=1)
    answer(session, policy, clock, first)
    answer(session, policy, clock, second)
    answer(session, policy, clock, first, actor=ERIN)
    clock.advance(hours=1)

    def practice_field(email: str) -> str:
        viewer = session.scalars(select(Staff).where(Staff.email == f"{email}@example.com")).one()
        report = report_reply(session, policy, viewer, since, clock.now(), "week")
        return {f.label: f.value for f in report.fields}.get("Practice", "")

    assert practice_field("dana") == "3 cases practised by 2 people in the period"  # sees everyone
    assert practice_field("bob") == "2 cases practised by 1 person in the period"  # bob and alice
    assert practice_field("erin") == "1 case practised by 1 person in the period"
    assert practice_field("ops-lead") == "No cases practised in the period"
    assert practice.practised(session, Period(since, since + timedelta(minutes=1))) == (0, 0)


# --- the lessons channel ------------------------------------------------------------------


def with_weekly(policy: Policy) -> Policy:
    learning = policy.learning.model_copy(update={"practice": Practice(weekly_in_channel=True)})
    return policy.model_copy(update={"learning": learning})


@core
def test_the_weekly_case_reaches_the_lessons_channel_only_when_the_policy_says_so(session, policy, clock):
    case_id = resolved_case(session, policy, clock)
    zone = ZoneInfo(policy.digest_timezone)
    clock.set(datetime(2026, 11, 16, 10, 0, tzinfo=zone).astimezone(UTC))
    assert not practice.enqueue_weekly_practice(session, policy, clock.now())  # off by default
    weekly = with_weekly(policy)
    clock.set(datetime(2026, 11, 16, 8, 59, tzinfo=zone).astimezone(UTC))
    assert not practice.enqueue_weekly_practice(session, weekly, clock.now())  # not before Monday 09:00
    clock.set(datetime(2026, 11, 16, 9, 0, tzinfo=zone).astimezone(UTC))
    assert practice.enqueue_weekly_practice(session, weekly, clock.now())
    clock.advance(days=2)
    assert not practice.enqueue_weekly_practice(session, weekly, clock.now())  # once a week
    (post,) = session.scalars(select(Delivery).where(Delivery.kind == Kind.PRACTICE.value)).all()
    assert (post.channel, post.case_id, post.dedupe_key) == ("lessons", case_id, "practice:2026-W47")
    card = notices.render(session, post, policy=weekly)
    assert card is not None and card.title.startswith("Practice case of the week · Late or missed delivery")
    assert [(b.label, b.action, b.value) for b in card.buttons] == [
        ("Try it", ActionId.PRACTICE_TRY, str(case_id))
    ]
    assert_anonymous(card)

    # Try it leaves the channel's post as it is and sends that case to the presser alone, once.
    for _ in range(2):
        pressed = handle(
            ActionId.PRACTICE_TRY, str(case_id), ALICE, request_key="click-1", **deps(session, weekly, clock)
        )
        assert pressed == card
    (mine,) = session.scalars(
        select(Delivery).where(Delivery.kind == "practice", Delivery.channel.is_(None))
    ).all()
    sent = notices.render(session, mine, policy=weekly)
    assert sent is not None and sent.title.startswith("Practice: Late or missed delivery")
    assert [b.label for b in sent.buttons] == ["Answer", "Another case"]
    with pytest.raises(NotAllowed, match="yourself"):
        handle(ActionId.PRACTICE_TRY, str(case_id), BOB, **deps(session, weekly, clock))


# --- the terminal, Teams and Slack --------------------------------------------------------


@pytest.fixture
def console(fresh_sessions: sessionmaker[Session], policy: Policy, clock: FakeClock) -> Callable[..., str]:
    """Run `mend chat` as alice on the lines given, after bob resolved a case; return what it showed."""
    with fresh_sessions() as session:
        staff.import_staff(STAFF_CSV, session=session, policy=policy, clock=clock)
        resolved_case(session, policy, clock)

    def play(*lines: str) -> str:
        out, script = io.StringIO(), iter(lines)

        def read(prompt: str) -> str:
            out.write(prompt)
            line = next(script, None)
            if line is None:
                raise EOFError
            out.write(line + "\n")
            return line

        ChatSession(fresh_sessions, policy, clock, "alice", read=read, out=out).run()
        return out.getvalue()

    return play


def test_practice_in_the_terminal_asks_for_the_offer_and_the_apology_then_shows_what_was_done(
    console, fresh_sessions
):
    shown = console("/practice", "", "1", "", APOLOGY)
    form_at = shown.index("── Practice case ──")
    assert "What happened: [customer] ([email]) waited a week for [order ref]" in shown[form_at:]
    assert "  1. Refund of the delivery charge ($7.00)" in shown
    assert "  4. Apology only (and the fix)" in shown
    assert "Your offer: \n✗ Your offer is required: please fill it in.\nYour offer: 1\n" in shown
    assert "Your apology: \n✗ Your apology is required: please fill it in.\nYour apology: " + APOLOGY in shown
    result = shown[shown.index("How it was actually handled") :]
    assert "You would offer: Refund of the delivery charge ($7.00)" in result
    assert "[Another case: /practice]" in result
    assert_anonymous(shown)
    with fresh_sessions() as session:
        (done,) = [a for a in attempts(session) if a.completed_at is not None]
        assert done.apology == APOLOGY and count(session, Offer) == 1  # bob's voucher only


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """A migrated database of the test's own: a SQLite file, or a copy of the PostgreSQL template."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'mend.db'}"
        engine = make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        return url
    return request.getfixturevalue("postgres").create(template=request.getfixturevalue("postgres_template"))


@pytest.fixture
def make_runtime(database_url: str) -> Iterator[Callable[..., Runtime]]:
    """Return a factory of runtimes on the test's database, settings given as keyword arguments."""
    engine = make_engine(database_url)
    base = {"MICROSOFT_APP_ID": None, "SLACK_SIGNING_SECRET": None, "SLACK_APP_TOKEN": None}

    def make(**settings: Any) -> Runtime:
        values = Settings(_env_file=None, **{**base, **settings})  # type: ignore[call-arg]
        return Runtime(
            settings=values,
            policy=load_policy(values.policy_file),
            engine=engine,
            sessions=make_sessions(engine),
            clock=FakeClock(MONDAY_MORNING),
        )

    yield make
    engine.dispose()


def seed(rt: Runtime, directory: str, platform: str, bob: str) -> None:
    """Load the platform's staff directory and have bob resolve a case with a lesson."""
    with rt.sessions() as session:
        staff.import_staff(directory, session=session, policy=rt.policy, clock=rt.clock)
        resolved_case(session, rt.policy, rt.clock, actor=Actor(platform, bob))


def test_practice_in_teams_shows_the_case_then_the_form_then_what_was_done(make_runtime):
    from tests.teams.conftest import STAFF_CSV as TEAMS_STAFF
    from tests.teams.conftest import TeamsUser, find_action, teams_server

    rt = make_runtime(MEND_TEAMS_UNAUTHENTICATED=True)
    seed(rt, TEAMS_STAFF, "teams", "aad-bob")

    async def scenario() -> None:
        async with teams_server(rt) as (endpoint, connector):
            alice = TeamsUser(endpoint, connector, "aad-alice", "Alice Park")
            assert await alice.say("practice") == 202
            card = connector.posts(alice.conversation)[-1].card
            shown = json.dumps(card)
            assert "Practice: Late or missed delivery" in shown and "[order ref]" in shown
            assert await alice.submit(find_action(card, "Answer"), "activity-1") == 202
            form = connector.posts(alice.conversation)[-1].card
            assert "Your apology" in json.dumps(form)
            press = find_action(form, "See the answer")
            inputs = {"your_offer": "apology", "your_apology": APOLOGY}
            assert await alice.submit(press, "activity-2", **inputs) == 202
            result = json.dumps(connector.puts(alice.conversation, "activity-2")[-1].card)
            assert "How it was actually handled" in result and "Voucher for [customer]" in result
            for seen in (shown, json.dumps(form), result):
                assert_anonymous(seen)

    asyncio.run(scenario())
    with rt.sessions() as session:
        assert [a.apology for a in attempts(session) if a.completed_at] == [APOLOGY]


def test_recover_practice_in_slack_sends_the_case_to_the_persons_messages(make_runtime):
    from tests.slack.conftest import SECRET, SlackUser, slack_server, wait_for
    from tests.slack.conftest import STAFF_CSV as SLACK_STAFF

    def slack_runtime(**settings: Any) -> Runtime:
        rt = make_runtime(SLACK_SIGNING_SECRET=SECRET, SLACK_BOT_TOKEN="xoxb-mend-test", **settings)
        seed(rt, SLACK_STAFF, "slack", "UBOB")
        return rt

    async def scenario() -> None:
        async with slack_server(slack_runtime) as (endpoint, api, _rt):
            alice = SlackUser(endpoint, api, "UALICE", "alice")
            assert (await alice.recover("practice"))[0] == 200
            (told,) = await wait_for(lambda: api.of("response_url"))
            assert told.args["response_type"] == "ephemeral"
            assert "A practice case is on its way" in told.text
            (case,) = await wait_for(lambda: api.of("chat.postMessage", channel="UALICE"))
            assert "Practice: Late or missed delivery" in case.text and "[order ref]" in case.text
            await alice.click(case, "Answer")
            (opened,) = await wait_for(lambda: api.of("views.open"))
            view = opened.args["view"]
            assert view["callback_id"] == "mend_practice_answer"
            inputs = {"your_offer": "apology", "your_apology": APOLOGY}
            assert (await alice.submit(view, **inputs))[0] == 200
            (result,) = await wait_for(lambda: api.of("chat.update"))
            assert result.where == case.where  # the case in her messages becomes what was done
            assert "How it was actually handled" in result.text and APOLOGY in result.text
            for seen in (told, case, opened, result):
                assert_anonymous(seen.text)
            assert api.of("views.open") == [opened]

    asyncio.run(scenario())
