"""The reader's language: which one is chosen, and money, numbers and dates as each reader writes them."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bot import i18n
from bot.i18n import _, ngettext
from bot.messages.common import money, when
from policies.loader import DEFAULT_POLICY, load_policy
from policies.money import parse_amount

MOMENT = datetime(2026, 11, 30, 9, 5, tzinfo=UTC)
NBSP, NNBSP = "\xa0", "\u202f"


@pytest.mark.parametrize(
    ("tag", "language"),
    [
        ("es-ES", "es"),
        ("es-419", "es"),
        ("de_AT", "de"),
        ("fr-CA", "fr"),
        ("en-GB", "en"),
        ("pt-BR", None),
        ("", None),
        (None, None),
        ("not a locale", None),
        ("en-XA", i18n.PSEUDO),
    ],
)
def test_a_platform_locale_is_read_as_a_language_mend_speaks(tag: str | None, language: str | None) -> None:
    assert i18n.negotiate(tag) == language


def test_the_first_language_mend_speaks_wins_and_english_is_the_last_resort() -> None:
    assert i18n.first_spoken("pt-BR", None, "de-DE", "es") == "de"
    assert i18n.first_spoken("pt-BR", None) == "en"


@pytest.mark.parametrize(
    ("language", "gbp", "usd_large", "jpy"),
    [
        ("en", "£12.50", "$1,200.00", "¥500"),
        ("es", f"12,50{NBSP}GBP", f"1.200,00{NBSP}US$", f"500{NBSP}JPY"),
        ("de", f"12,50{NBSP}£", f"1.200,00{NBSP}$", f"500{NBSP}¥"),
        ("fr", f"12,50{NBSP}£GB", f"1{NNBSP}200,00{NBSP}$US", f"500{NBSP}JPY"),
    ],
)
def test_money_is_written_as_each_reader_writes_it(language: str, gbp: str, usd_large: str, jpy: str) -> None:
    gbp_policy = load_policy(DEFAULT_POLICY).model_copy(update={"currency": "GBP"})
    with i18n.speaking(language):
        assert money(1250, gbp_policy) == gbp  # minor units: 1250 pence
        assert i18n.money(Decimal(1200), "USD") == usd_large
        assert i18n.money(Decimal(500), "JPY") == jpy


@pytest.mark.parametrize(
    ("language", "zone", "text"),
    [
        ("en", None, f"Nov 30, 2026, 9:05{NNBSP}AM UTC"),
        ("en", "America/New_York", f"Nov 30, 2026, 4:05{NNBSP}AM EST"),
        ("es", "Europe/Madrid", "30 nov 2026, 10:05 CET"),
        ("de", "Europe/Berlin", "30.11.2026, 10:05 CET"),
        ("fr", "Europe/Paris", "30 nov. 2026, 10:05 CET"),
        ("es", "America/Sao_Paulo", "30 nov 2026, 6:05 UTC-3"),
    ],
)
def test_times_are_in_the_readers_zone_and_way_of_writing(language: str, zone: str | None, text: str) -> None:
    with i18n.speaking(language):
        assert when(MOMENT, zone) == text


@pytest.mark.parametrize(
    ("language", "one", "many"),
    [
        ("en", "1 open case", "1,200 open cases"),
        ("es", "1 caso abierto", "1.200 casos abiertos"),
        ("de", "1 offener Fall", "1.200 offene Fälle"),
        ("fr", "1 dossier ouvert", f"1{NNBSP}200 dossiers ouverts"),
    ],
)
def test_plurals_follow_the_language_and_numbers_its_separators(language: str, one: str, many: str) -> None:
    with i18n.speaking(language):
        assert ngettext("{n} open case", "{n} open cases", 1) == one
        assert ngettext("{n} open case", "{n} open cases", 1200) == many


def test_a_language_mend_does_not_speak_reads_english_and_the_reader_is_restored_after() -> None:
    with i18n.speaking("pt-BR") as language:
        assert language == "en"
        assert _("{ref} recovered", ref="R-1001") == "R-1001 recovered"
    with i18n.speaking("de"):
        with i18n.speaking("fr"):
            assert i18n.language() == "fr"
        assert i18n.language() == "de"
    assert i18n.language() == "en"


def test_the_pseudo_locale_stretches_every_message_and_keeps_its_placeholders() -> None:
    with i18n.speaking("en-XA"):
        text = _("{ref} recovered", ref="R-1001")
    assert text.startswith("⟦R-1001 ŕéçövéŕéđ") and text.endswith("⟧")
    assert len(text) > len("R-1001 recovered") * 1.3


@pytest.mark.parametrize(
    ("typed", "decimal_comma", "cents"),
    [
        ("12,50", True, 1250),
        ("12.50", True, 1250),  # a point before two digits is a decimal mark for anyone
        ("12.50", False, 1250),
        ("1.200", True, 120000),  # grouped, as a German or Spaniard writes twelve hundred
        ("1,200", False, 120000),
        ("1.234,56", True, 123456),
        ("1,234.56", False, 123456),
        ("1 200 €", True, 120000),
        (f"1{NNBSP}200,50", True, 120050),
    ],
)
def test_amounts_are_read_as_the_reader_writes_them(typed: str, decimal_comma: bool, cents: int) -> None:
    assert parse_amount(typed, "EUR", decimal_comma=decimal_comma) == cents


def test_the_reader_decides_whether_a_comma_is_the_decimal_mark() -> None:
    with i18n.speaking("de"):
        assert i18n.decimal_comma()
    with i18n.speaking("en"):
        assert not i18n.decimal_comma()
