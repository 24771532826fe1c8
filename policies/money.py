"""Money as integer minor units plus a currency: parsing and showing it."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from enum import StrEnum

# ISO 4217 currencies whose minor unit is not the cent.
_MINOR_DIGITS = {"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "VND": 0, "BHD": 3, "KWD": 3, "OMR": 3}
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
# The largest single amount Mend accepts, in major units: far above any sane
# compensation, far below what an integer column holds.
MAX_MAJOR = Decimal(1_000_000)


class AmountProblem(StrEnum):
    """Why a text is not an amount Mend can accept."""

    NOT_A_NUMBER = "not_a_number"
    NOT_POSITIVE = "not_positive"
    TOO_LARGE = "too_large"
    TOO_PRECISE = "too_precise"


class AmountError(ValueError):
    """The text is not an amount Mend can accept: `problem` says why, with the values it names.

    `str(error)` says it in English (for the policy checker and the CLI); what people read is
    phrased in their language from `problem` and the values (`bot.messages.bad_amount`).
    """

    def __init__(self, problem: AmountProblem, *, typed: str, currency: str) -> None:
        self.problem = problem
        self.typed = typed  # the text as typed, stripped
        self.currency = currency
        self.limit = MAX_MAJOR  # the largest amount accepted, in major units
        self.digits = minor_digits(currency)  # the most decimal places the currency has
        super().__init__(self._english())

    def _english(self) -> str:
        if self.problem is AmountProblem.NOT_A_NUMBER:
            return f"{self.typed!r} is not a number; write it like 25 or 12.50"
        if self.problem is AmountProblem.NOT_POSITIVE:
            return "the amount must be more than zero"
        if self.problem is AmountProblem.TOO_LARGE:
            return f"{self.typed} is more than Mend accepts ({format_major(self.limit, self.currency)})"
        return f"{self.currency} amounts have at most {self.digits} decimal places"


def minor_digits(currency: str) -> int:
    """Return how many decimal places the currency has."""
    return _MINOR_DIGITS.get(currency, 2)


def parse_amount(text: str, currency: str, *, decimal_comma: bool = False) -> int:
    """Return the amount written in `text` (major units) as positive integer minor units.

    `decimal_comma` is the reader's habit (12,50 in Spanish, German and French); either
    way a separator followed by one or two digits at the end is the decimal mark, so
    12.50 and 12,50 are both twelve and a half, and 1.200 or 1,200 is grouped digits
    for whoever groups with that sign.
    """
    typed = text.strip()
    cleaned = re.sub(r"[\s\u00a0\u202f']", "", typed)  # spaces (narrow, no-break) and ' group digits too
    cleaned = cleaned.removeprefix(_SYMBOLS.get(currency, "\0")).removeprefix(currency)
    cleaned = cleaned.removesuffix(_SYMBOLS.get(currency, "\0")).removesuffix(currency)
    cleaned = _plain(cleaned, decimal_comma)
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise AmountError(AmountProblem.NOT_A_NUMBER, typed=typed, currency=currency) from None
    if not value.is_finite():
        raise AmountError(AmountProblem.NOT_A_NUMBER, typed=typed, currency=currency)
    if value <= 0:
        raise AmountError(AmountProblem.NOT_POSITIVE, typed=typed, currency=currency)
    if value > MAX_MAJOR:
        raise AmountError(AmountProblem.TOO_LARGE, typed=typed, currency=currency)
    digits = minor_digits(currency)
    if value != value.quantize(Decimal(1).scaleb(-digits)):
        raise AmountError(AmountProblem.TOO_PRECISE, typed=typed, currency=currency)
    return int(value.scaleb(digits))


def _plain(number: str, decimal_comma: bool) -> str:
    """Return a number as Decimal reads it: no grouping, a point for the decimal mark."""
    fraction = re.fullmatch(r"(.*?)[.,](\d{1,2})", number)
    if fraction is not None:
        return re.sub(r"[.,]", "", fraction[1]) + "." + fraction[2]
    mark, grouping = (",", ".") if decimal_comma else (".", ",")
    return number.replace(grouping, "").replace(mark, ".")


def format_money(minor: int, currency: str) -> str:
    """Return minor units as text, such as £12.50, the English way (people read `bot.messages.money`)."""
    return format_major(Decimal(minor).scaleb(-minor_digits(currency)), currency)


def format_major(value: Decimal, currency: str) -> str:
    """Return an amount in major units as text, such as £12.50."""
    digits = minor_digits(currency)
    text = f"{value:,.{digits}f}"
    symbol = _SYMBOLS.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency}"
