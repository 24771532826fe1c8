"""`mend chat` line by line: forms check each answer and can be left; commands read what is typed."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from adapters.console.chat import ChatSession
from adapters.console.help import HELP
from adapters.console.render import COMMANDS
from bot import staff
from db.models import Case, Staff
from policies.schema import Policy
from tests.conftest import STAFF_CSV
from tests.fakes import FakeClock

# The case form after the name: category 1 (late delivery), severity 3 (critical), what
# happened, then what the customer asked for, reference, email, phone, order value and tier left empty.
REST_OF_CASE_FORM = ["1", "3", "Parcel late again", "", "", "", "", "", ""]


@pytest.fixture
def sessions(
    fresh_sessions: sessionmaker[Session], policy: Policy, clock: FakeClock
) -> sessionmaker[Session]:
    """A database of the test's own with the staff directory: the chat's dispatcher sends from threads."""
    with fresh_sessions() as session:
        staff.import_staff(STAFF_CSV, session=session, policy=policy, clock=clock)
    return fresh_sessions


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A session on the chat's database, to see what it stored."""
    with sessions() as session:
        yield session


@pytest.fixture
def chat(sessions: sessionmaker[Session], policy: Policy, clock: FakeClock) -> Callable[..., str]:
    """Run a chat as alice on the lines given, to the end of input; return what the terminal showed."""

    def play(*lines: str, keep: list[ChatSession] | None = None) -> str:
        out = io.StringIO()
        script = iter(lines)

        def read(prompt: str) -> str:
            out.write(prompt)
            try:
                line = next(script)
            except StopIteration:
                raise EOFError from None
            out.write(line + "\n")
            return line

        chat_session = ChatSession(sessions, policy, clock, "alice", read=read, out=out)
        if keep is not None:
            keep.append(chat_session)
        chat_session.run()
        return out.getvalue()

    return play


def _cases(session: Session) -> list[Case]:
    return list(session.scalars(select(Case).order_by(Case.id)))


def test_a_required_field_left_empty_is_asked_again_at_once(chat, session):
    shown = chat("/recover", "", "Jane Doe", *REST_OF_CASE_FORM)
    asked_again = shown.split("Customer name: \n", 1)[1]
    assert asked_again.startswith("✗ Customer name is required: please fill it in.\nCustomer name: Jane Doe")
    assert [c.customer_name for c in _cases(session)] == ["Jane Doe"]


def test_a_name_over_its_limit_is_asked_again_before_the_next_question(chat, session):
    shown = chat("/recover", "J" * 201, "Jane", *REST_OF_CASE_FORM)
    too_long = shown.index("✗ Customer name is too long (it has 201): keep it under 200 characters.")
    assert too_long < shown.index("1. Late or missed delivery")
    assert [c.customer_name for c in _cases(session)] == ["Jane"]


def test_a_wrong_choice_is_asked_again_naming_the_choices_by_number_and_label(chat, session):
    shown = chat("/recover", "Jane", "late", "12", "1", "3", "Parcel late again", "", "", "", "", "", "")
    assert (
        "✗ What went wrong: late is not one of the choices; type its number: 1. Late or missed delivery"
        in shown
    )
    assert "✗ What went wrong: 12 is not one of the choices" in shown
    assert "late_delivery" not in shown
    # the default is offered by its number too, never by its key
    assert "How bad [2]: " in shown and "[major]" not in shown and "[standard]" not in shown
    assert [(c.category, c.severity) for c in _cases(session)] == [("late_delivery", "critical")]


def test_a_choice_may_be_typed_as_its_label(chat, session):
    chat("/recover", "Jane", "wrong or missing item", "Critical", "Wrong size", "", "", "", "", "", "gold")
    assert [(c.category, c.severity, c.tier) for c in _cases(session)] == [
        ("wrong_or_missing_item", "critical", "gold")
    ]


def test_cancel_at_any_form_prompt_leaves_the_form_and_saves_nothing(chat, session):
    shown = chat("/recover", "Jane", "1", "/cancel", "/cases")
    assert "Form left; nothing was saved." in shown
    assert _cases(session) == []
    assert shown.rstrip().endswith("alice>")  # back at the command prompt, and on to /cases


def test_a_command_typed_into_a_form_is_never_taken_as_data(chat, session):
    shown = chat("/recover", "/case", "//slashed Jane", *REST_OF_CASE_FORM)
    assert (
        "✗ /case is a command, and a form is open: type /cancel to leave it, or // to start an answer with /."
        in shown
    )
    assert [c.customer_name for c in _cases(session)] == ["/slashed Jane"]


def test_quit_in_a_form_leaves_the_form_and_the_chat(chat, session):
    shown = chat("/recover", "Jane", "/quit", "/recover")
    assert "Form left; nothing was saved." in shown
    assert shown.count("── Make it right ──") == 1
    assert _cases(session) == []


def test_the_end_of_input_in_a_form_ends_the_chat_without_a_traceback(chat, session, caplog):
    with caplog.at_level(logging.ERROR):
        shown = chat("/recover", "Jane", "1")
    assert "Form left; nothing was saved." in shown
    assert "Sorry" not in shown and "Traceback" not in shown
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert _cases(session) == []


@pytest.mark.parametrize("typed", ["soon", "-5", "0", "2x", "1e9", "99999999"])
def test_later_refuses_what_is_not_a_positive_time_in_one_line(chat, typed, caplog):
    kept: list[ChatSession] = []
    with caplog.at_level(logging.ERROR):
        shown = chat(f"/later {typed}", keep=kept)
    refusal = [line for line in shown.splitlines() if "✗" in line]
    assert len(refusal) == 1 and "is not a time to move on" in refusal[0]
    assert kept[0].clock.offset == timedelta()
    assert not caplog.records


@pytest.mark.parametrize(
    ("typed", "moved"),
    [
        ("", timedelta(hours=24)),
        ("0.5", timedelta(minutes=30)),
        ("2h", timedelta(hours=2)),
        ("30m", timedelta(minutes=30)),
        ("1d", timedelta(days=1)),
        ("1.5 hours", timedelta(minutes=90)),
    ],
)
def test_later_moves_the_clock_on_by_hours_minutes_or_days(chat, typed, moved):
    kept: list[ChatSession] = []
    shown = chat(f"/later {typed}", keep=kept)
    assert kept[0].clock.offset == moved
    assert "The clock moved on" in shown


@pytest.mark.parametrize("ref", ["1001", "R-1001", "r1001", "R1001"])
def test_a_case_is_found_by_its_number_with_or_without_the_r(chat, ref):
    # A new chat has seen no case: the reference typed is the only way to find it.
    chat("/recover", "Jane", *REST_OF_CASE_FORM)
    shown = chat(f"/case {ref}")
    assert "• R-1001 · Late or missed delivery · critical" in shown


def test_a_bare_number_is_a_case_when_the_command_has_a_word_to_spare(chat, session):
    chat("/recover", "Jane", *REST_OF_CASE_FORM)
    shown = chat("/give 1001 2")
    assert "R-1001: Voucher ($40.00) sent to Bob Reyes for approval" in shown


def test_a_number_that_is_no_case_is_refused_not_ignored(chat):
    chat("/recover", "Jane", *REST_OF_CASE_FORM)
    shown = chat("/case 5")
    assert "✗ 5 is not a case reference; they look like R-1042." in shown
    assert "• R-1001" not in shown


def test_words_a_command_does_not_take_are_refused(chat):
    shown = chat("/recover", "Jane", *REST_OF_CASE_FORM, "/give R-1001 1 0")
    assert "✗ /give takes [R-1042] N: 0 is one word too many." in shown
    assert "sent to Bob Reyes for approval" not in shown


def test_help_lists_every_command_a_card_can_show():
    assert [name for name in COMMANDS if f"/{name}" not in HELP] == []


def test_moving_the_clock_runs_what_the_servers_scheduler_would(chat, session):
    # Alice asks approval for a critical case while the customer waits; Bob, her approver, is silent.
    shown = chat("/recover", "Jane Doe", *REST_OF_CASE_FORM, "/give 1", "/waiting", "/later 0.5")
    before, after = shown.split("The clock moved on 0.5 hours", 1)
    assert "── message for Bob Reyes ──" in before and "── message for Carol Diaz ──" not in before
    # Ten minutes without an answer while the customer waits: the request goes up to Carol.
    assert "── message for Carol Diaz ──" in after and "Approval needed: R-1001" in after
    assert "── message for Alice Park ──" in after


def test_a_typo_in_as_names_who_is_here_instead_of_adding_someone(chat, session):
    shown = chat("/as bbo", "/as bob")
    refused = "✗ Nobody called bbo uses Mend here. Did you mean bob? People here: alice, bob, carol, dana"
    assert refused in shown
    assert "You are now bob." in shown
    assert session.scalar(select(Staff).where(Staff.name == "bbo")) is None
