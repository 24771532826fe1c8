"""One spec per form field: every form shows its label and limit, and validation enforces that limit."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import fields, forms, messages
from bot.actions import handle
from bot.commands import Actor
from bot.errors import InvalidInput
from bot.fields import FieldSpec
from bot.replies import ActionId, Form
from db.models import ApprovalRequest
from tests.helpers import ALICE, BOB, open_late_delivery, resolve_and_post

pytestmark = pytest.mark.usefixtures("people")

CASE_INPUTS = {
    "customer_name": "Jane Doe",
    "category": "late_delivery",
    "severity": "major",
    "description": "Parcel promised Monday arrived Friday",
    "customer_ref": "ORD-10042",
    "customer_email": "jane.doe@example.com",
    "customer_phone": "+1 (555) 010-2030",
    "order_value": "80",
    "tier": "standard",
}
NOTES = {"outcome": "Sent a voucher", "root_cause": "Courier delay", "lesson": "Check the courier"}

# Each form the core builds: the specs its inputs follow, in order, and valid answers to submit.
EXPECTED: dict[str, tuple[tuple[FieldSpec, ...], dict[str, str]]] = {
    "case form": (
        (
            fields.CUSTOMER_NAME,
            fields.CATEGORY,
            fields.SEVERITY,
            fields.DESCRIPTION,
            fields.ASKED_FOR,
            fields.CUSTOMER_REF,
            fields.CUSTOMER_EMAIL,
            fields.CUSTOMER_PHONE,
            fields.ORDER_VALUE,
            fields.TIER,
        ),
        CASE_INPUTS,
    ),
    "amount form": ((fields.AMOUNT, fields.TYPE, fields.LABEL), {"amount": "10", "type": "voucher"}),
    "deny form": ((fields.DENY_REASON,), {"reason": "Offer the voucher"}),
    "resolve form": ((fields.OUTCOME, fields.ROOT_CAUSE_KEY, fields.ROOT_CAUSE, fields.LESSON), NOTES),
    "reopen form": ((fields.REASON,), {"reason": "Customer called back"}),
    "cancel form": ((fields.REASON,), {"reason": "Opened twice"}),
}
LESSON_FORM = (fields.WHAT_HAPPENED, fields.LESSON_OUTCOME, fields.ROOT_CAUSE, fields.LESSON)


def reach(name: str, session: Session, policy: Any, clock: Any) -> tuple[Form, Actor]:
    """Return a form as a person reaches it, and who fills it in."""
    if name == "case form":
        return forms.case_form(policy), ALICE
    case_id = open_late_delivery(session, policy, clock).case_id
    deps = {"session": session, "policy": policy, "clock": clock}
    if name == "deny form":
        handle(ActionId.GIVE_AMOUNT, str(case_id), ALICE, {"amount": "40", "type": "voucher"}, **deps)
        request = session.scalars(select(ApprovalRequest)).one()
        form, actor = handle(ActionId.DENY, str(request.id), BOB, **deps), BOB
    else:
        if name == "reopen form":
            resolve_and_post(session, policy, clock, ALICE, case_id, **NOTES)
        press = {
            "amount form": ActionId.CHOOSE_AMOUNT,
            "resolve form": ActionId.RESOLVE,
            "reopen form": ActionId.REOPEN,
            "cancel form": ActionId.CANCEL,
        }[name]
        form, actor = handle(press, str(case_id), ALICE, **deps), ALICE
    assert isinstance(form, Form)
    return form, actor


def shown(form: Form) -> list[tuple[str, str, int | None]]:
    return [(i.name, i.label, i.max_length) for i in form.inputs]


def specified(specs: tuple[FieldSpec, ...]) -> list[tuple[str, str, int | None]]:
    return [(s.name, s.label, s.max_length) for s in specs]


@pytest.mark.parametrize("name", EXPECTED)
def test_every_input_of_a_form_takes_its_label_and_limit_from_its_field_spec(
    name: str, session: Session, policy, clock
) -> None:
    form, _ = reach(name, session, policy, clock)
    specs, _ = EXPECTED[name]
    assert shown(form) == specified(specs)
    for spec, given in zip(specs, form.inputs, strict=True):
        assert (given.kind, given.required, given.hint) == (spec.kind, spec.required, spec.hint)


def test_the_lesson_form_takes_its_labels_and_limits_from_the_field_specs(
    session: Session, policy, clock
) -> None:
    case_id = open_late_delivery(session, policy, clock).case_id
    form = handle(
        ActionId.RESOLVE_CASE, str(case_id), ALICE, NOTES, session=session, policy=policy, clock=clock
    )
    assert isinstance(form, Form) and form.action is ActionId.POST_LESSON
    assert shown(form) == specified(LESSON_FORM)


def over_the_limit(name: str) -> list[tuple[str, FieldSpec]]:
    return [(name, spec) for spec in EXPECTED[name][0] if spec.max_length is not None]


@pytest.mark.parametrize(
    ("name", "spec"),
    [case for name in EXPECTED for case in over_the_limit(name)],
    ids=lambda value: value.name if isinstance(value, FieldSpec) else value,
)
def test_a_value_one_character_over_the_specs_limit_is_refused_by_its_label(
    name: str, spec: FieldSpec, session: Session, policy, clock
) -> None:
    form, actor = reach(name, session, policy, clock)
    assert spec.max_length is not None
    too_long = "1" * (spec.max_length + 1)  # digits, so a phone number is wrong only by its length
    inputs = {**EXPECTED[name][1], spec.name: too_long}
    with pytest.raises(InvalidInput) as error:
        handle(form.action, form.value, actor, inputs, session=session, policy=policy, clock=clock)
    assert error.value.field == spec.name
    assert spec.label in error.value.message
    assert error.value.message == messages.too_long(spec.name, spec.max_length, len(too_long))


@pytest.mark.parametrize("name", EXPECTED)
def test_the_valid_answers_of_a_form_pass_its_validation(name: str, session: Session, policy, clock) -> None:
    form, actor = reach(name, session, policy, clock)
    inputs = EXPECTED[name][1]
    handle(form.action, form.value, actor, inputs, session=session, policy=policy, clock=clock)


def test_an_error_names_a_field_by_its_specs_label() -> None:
    for name, spec in fields.BY_NAME.items():
        assert spec.name == name
        assert messages.label(name) == spec.label
        assert messages.required(name).startswith(f"{spec.label} is required")
