"""The message catalog: one module per subject, every name re-exported, and cards that only word decisions."""

from __future__ import annotations

import inspect
import pkgutil
from datetime import UTC, datetime
from importlib import import_module

import pytest

from bot import messages
from bot.cases import giveable_ranks
from db.models import ApprovalRequest, Case
from policies.rules import CaseFacts, Suggestion, suggest
from policies.schema import Severity

SUBJECTS = [import_module(f"bot.messages.{m.name}") for m in pkgutil.iter_modules(messages.__path__)]
NOW = datetime(2026, 11, 10, 14, 0, tzinfo=UTC)


def public_functions(module) -> dict[str, object]:
    return {
        name: value
        for name, value in vars(module).items()
        if inspect.isfunction(value) and value.__module__ == module.__name__ and not name.startswith("_")
    }


def test_every_public_message_is_re_exported_by_name() -> None:
    defined = {name for module in SUBJECTS for name in public_functions(module)}
    assert defined <= set(messages.__all__)
    assert all(getattr(messages, name) is not None for name in messages.__all__)


def test_no_message_is_defined_twice() -> None:
    names = [name for module in SUBJECTS for name in public_functions(module)]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("module", SUBJECTS, ids=lambda m: m.__name__)
def test_every_public_message_says_in_its_docstring_what_it_is(module) -> None:
    assert module.__doc__
    for name, function in public_functions(module).items():
        assert inspect.getdoc(function), f"{module.__name__}.{name} has no docstring"


@pytest.mark.parametrize("module", SUBJECTS, ids=lambda m: m.__name__)
def test_every_message_module_stays_under_four_hundred_lines(module) -> None:
    assert len(inspect.getsource(module).splitlines()) < 400


def suggestion_for(policy, *, spent: int) -> Suggestion:
    facts = CaseFacts(
        category="late_delivery",
        severity=Severity.MAJOR,
        tier="standard",
        customer_first_name="Jane",
        employee_name="Alice",
        what_happened="Parcel late",
        order_value=None,
        earlier_incidents=0,
    )
    return suggest(policy, facts, role="frontline", spent=spent)


def a_case(status: str) -> Case:
    return Case(
        id=7,
        customer_name="Jane Doe",
        category="late_delivery",
        severity="major",
        description="Parcel late",
        tier="standard",
        earlier_incidents=0,
        status=status,
        created_at=NOW,
    )


def waiting() -> ApprovalRequest:
    return ApprovalRequest(id=11, case_id=7, offer_id=3, requested_by_id=1, approver_id=2, created_at=NOW)


def test_an_open_case_without_a_waiting_request_may_give_or_ask_for_every_option(policy) -> None:
    suggestion = suggestion_for(policy, spent=0)
    assert {o.within_authority for o in suggestion.options} == {True, False}
    assert giveable_ranks(a_case("open"), suggestion, None) == {o.rank for o in suggestion.options}


def test_while_a_request_waits_only_options_within_authority_may_be_given(policy) -> None:
    suggestion = suggestion_for(policy, spent=0)
    within = {o.rank for o in suggestion.options if o.within_authority}
    assert giveable_ranks(a_case("open"), suggestion, waiting()) == within


@pytest.mark.parametrize("status", ["resolved", "recovered", "cancelled"])
def test_nothing_may_be_given_on_a_case_that_is_not_open(policy, status: str) -> None:
    assert giveable_ranks(a_case(status), suggestion_for(policy, spent=0), None) == frozenset()


def test_the_case_card_shows_a_button_only_on_the_options_it_is_told_are_giveable(policy) -> None:
    suggestion = suggestion_for(policy, spent=0)
    first = suggestion.options[0].rank
    card = messages.case_card(a_case("open"), suggestion, [], None, {}, policy, giveable={first})
    assert [item.button is not None for item in card.items] == [o.rank == first for o in suggestion.options]
    assert [b.label for b in card.buttons] == ["Other amount", "Resolve", "Cancel case"]
