"""Whose language a reply or a delivery is written in: the platform's, the directory's, the policy's."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import i18n, languages, messages, staff
from bot.commands import Actor
from bot.deliveries import Channel
from bot.errors import InvalidInput
from db.models import Offer, StaffIdentity
from policies.schema import OptionType, Policy, Severity
from tests.fakes import FakeClock

DIRECTORY = """platform,user_id,name,email,role,manager,location,locale
slack,UALICE,Alice Park,alice@example.com,frontline,bob@example.com,hq,
slack,UBOB,Bob Reyes,bob@example.com,supervisor,,hq,de
teams,aad-bob,Bob Reyes,bob@example.com,supervisor,,hq,de
"""


@pytest.fixture
def directory(session: Session, policy: Policy, clock: FakeClock) -> None:
    staff.import_staff(DIRECTORY, session=session, policy=policy, clock=clock)


def _bob(session: Session) -> int:
    return session.scalars(select(StaffIdentity.staff_id).where(StaffIdentity.user_id == "UBOB")).one()


@pytest.mark.usefixtures("directory")
def test_the_platforms_locale_wins_and_is_kept_for_what_is_sent_later(
    session: Session, policy: Policy
) -> None:
    alice = Actor("slack", "UALICE", locale="fr-FR")
    assert languages.of_actor(session, alice, policy=policy) == "fr"
    session.commit()
    account = session.scalars(select(StaffIdentity).where(StaffIdentity.user_id == "UALICE")).one()
    assert account.locale == "fr-FR"
    # later, a delivery to her (no actor) reads the language her platform reported
    assert languages.of_staff(session, account.staff_id, policy=policy) == "fr"


@pytest.mark.usefixtures("directory")
def test_the_directorys_locale_serves_until_a_platform_says_otherwise(
    session: Session, policy: Policy
) -> None:
    assert languages.of_actor(session, Actor("slack", "UBOB"), policy=policy) == "de"
    assert languages.of_staff(session, _bob(session), policy=policy) == "de"
    assert languages.of_actor(session, Actor("teams", "aad-bob", locale="es-MX"), policy=policy) == "es"
    session.commit()
    assert languages.of_staff(session, _bob(session), policy=policy) == "es"


@pytest.mark.usefixtures("directory")
def test_a_locale_mend_does_not_speak_falls_back_and_is_not_noted(session: Session, policy: Policy) -> None:
    assert languages.of_actor(session, Actor("slack", "UALICE", locale="pt-BR"), policy=policy) == "en"
    session.commit()
    account = session.scalars(select(StaffIdentity).where(StaffIdentity.user_id == "UALICE")).one()
    assert account.locale is None
    assert languages.of_actor(session, Actor("slack", "UNOBODY"), policy=policy) == policy.locale


def test_channels_read_the_policys_languages(policy: Policy) -> None:
    spanish_lessons = policy.model_copy(
        update={"locale": "de", "broadcast": policy.broadcast.model_copy(update={"locale": "es"})}
    )
    assert languages.of_channel(Channel.LESSONS.value, policy=spanish_lessons) == "es"
    assert languages.of_channel(Channel.APPROVALS.value, policy=spanish_lessons) == "de"
    assert languages.of_channel(Channel.LESSONS.value, policy=policy) == "en"


def test_the_directory_refuses_a_language_mend_does_not_speak(
    session: Session, policy: Policy, clock: FakeClock
) -> None:
    with pytest.raises(InvalidInput) as refused:
        staff.import_staff(
            DIRECTORY.replace(",hq,de\n", ",hq,pt\n", 1), session=session, policy=policy, clock=clock
        )
    assert "locale 'pt' is not a language Mend speaks (en, es, de, fr)" in refused.value.message


def test_an_offer_is_named_in_each_readers_language_whoever_gave_it(policy: Policy) -> None:
    option = policy.categories["late_delivery"].compensation[Severity.CRITICAL][0]
    with i18n.speaking("es"):  # given by a Spanish reader: stored in the policy's language
        stored = messages.stored_name(option, policy)
    assert stored == "Replacement sent by express courier"
    given = Offer(label=stored)
    with i18n.speaking("de"):
        assert messages.offer_name(given, policy) == "Ersatz per Expresskurier"
        assert messages.offer_name(Offer(label=messages.stored_name(OptionType.VOUCHER, policy)), policy) == (
            i18n._("Voucher")
        )
        assert messages.offer_name(Offer(label="Kaffee aufs Haus"), policy) == "Kaffee aufs Haus"  # as typed
    assert messages.offer_name(given, policy) == "Replacement sent by express courier"
