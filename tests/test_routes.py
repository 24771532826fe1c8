"""Every button reaches a use case, and a button's value is read in one place."""

from __future__ import annotations

import pytest

from bot import actions, messages
from bot.actions import ROUTES, handle
from bot.errors import MendError
from bot.replies import ActionId
from bot.values import SUBJECTS, Target
from tests.helpers import ALICE


def press(action, value, session, policy, clock):
    return handle(action, value, ALICE, {}, session=session, policy=policy, clock=clock)


def test_every_action_has_a_route():
    assert set(ROUTES) == set(ActionId)


def test_every_action_says_what_its_value_names():
    assert set(SUBJECTS) == set(ActionId)


def test_an_unknown_action_id_is_an_out_of_date_button(session, policy, clock):
    with pytest.raises(MendError) as error:
        press("mend_no_such_thing", "12", session, policy, clock)
    assert error.value.message == messages.bad_button()


@pytest.mark.parametrize(
    ("action", "value"),
    [
        (ActionId.SHOW_CASE, "twelve"),
        (ActionId.SHOW_CASE, "12:3"),
        (ActionId.GIVE_OPTION, "12"),
        (ActionId.APPROVE, ""),
        (ActionId.FOLLOW_UP_FIXED, "12:1:2"),
        (ActionId.OPEN_CASE, "12"),
    ],
)
def test_a_malformed_value_is_an_out_of_date_button(action, value, session, policy, clock):
    with pytest.raises(MendError) as error:
        press(action, value, session, policy, clock)
    assert error.value.message == messages.bad_button()


def test_an_action_without_a_route_is_an_error_that_names_it(monkeypatch, session, policy, clock):
    monkeypatch.delitem(actions.ROUTES, ActionId.SHOW_CASE)
    with pytest.raises(LookupError, match="mend_show_case"):
        press(ActionId.SHOW_CASE, "12", session, policy, clock)


@pytest.mark.parametrize(
    ("action", "value", "target"),
    [
        (ActionId.SHOW_CASE, "12", Target(case_id=12)),
        (ActionId.GIVE_OPTION, "12:3", Target(case_id=12, rank=3)),
        (ActionId.REQUEST_APPROVAL, "12:3:2", Target(case_id=12, rank=3, rendering="2")),
        (ActionId.DENY, "7", Target(request_id=7)),
        (ActionId.FOLLOW_UP_UNHAPPY, "12:1", Target(case_id=12, attempt=1)),
        (ActionId.OPEN_CASE, "", Target()),
    ],
)
def test_values_already_shown_in_chats_still_read_and_write_the_same(action, value, target):
    assert Target.decode(action, value) == target
    assert target.encode() == value
