"""Text no database can store (a NUL, half of an emoji) is the person's to fix, named on its field."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from bot import cases, fields, forms
from bot.actions import handle
from bot.commands import Actor
from bot.errors import InvalidInput
from bot.replies import ActionId, Reply
from bot.staff import resolve_actor
from tests.helpers import ALICE, counts

pytestmark = pytest.mark.usefixtures("people")

CASE = {
    "customer_name": "Jane Doe",
    "category": "late_delivery",
    "severity": "major",
    "description": "Parcel promised Monday arrived Friday",
}


@pytest.mark.parametrize("bad", ["Jane \x00Doe", "Jane \ud83d Doe", "\udc00"])
@pytest.mark.parametrize("field", ["customer_name", "description", "customer_ref"])
def test_a_case_with_unstorable_text_is_refused_on_its_field_and_nothing_is_stored(
    session: Session, policy, clock, field, bad
) -> None:
    before = counts(session)
    with pytest.raises(InvalidInput) as error:
        handle(
            ActionId.OPEN_CASE, "", ALICE, {**CASE, field: bad}, session=session, policy=policy, clock=clock
        )
    assert error.value.field == field
    assert "cannot be saved" in error.value.message and "retype it" in error.value.message
    assert counts(session) == before


def test_the_same_case_with_a_whole_emoji_is_stored(session: Session, policy, clock) -> None:
    reply = handle(
        ActionId.OPEN_CASE,
        "",
        ALICE,
        {**CASE, "description": "Arrived broken 😞"},
        session=session,
        policy=policy,
        clock=clock,
    )
    assert isinstance(reply, Reply) and reply.case_id is not None


def test_a_history_search_with_unstorable_text_names_the_customer_field(
    session: Session, policy, clock
) -> None:
    with pytest.raises(InvalidInput) as error:
        cases.customer_history(ALICE, "ORD-\x001", session=session, policy=policy, clock=clock)
    assert error.value.field == "customer" and "cannot be saved" in error.value.message


def test_text_mend_did_not_ask_for_is_kept_with_what_cannot_be_stored_replaced(
    session: Session, policy, clock
) -> None:
    prefill = forms.prefill_from_text("late parcel \ud83d " + "x" * 50_000, policy)
    assert "\ufffd" in prefill["description"] and len(prefill["description"]) == fields.DESCRIPTION.max_length
    newcomer = Actor(platform="slack", user_id="UNEW", name="Zed \x00Zero\ud800")
    person = resolve_actor(session, newcomer, policy=policy, now=clock.now())
    session.commit()
    assert person.name == "Zed \ufffdZero\ufffd"
