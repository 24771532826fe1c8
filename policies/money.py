"""Money as integer minor units plus a currency: parsing and showing it."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

# ISO 4217 currencies whose minor unit is not the cent.
_MINOR_DIGITS = {"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "VND": 0, "BHD": 3, "KWD": 3, "OMR": 3}
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
# The largest single amount Mend accepts, in major units: far above any sane
# compensation, far below what an integer column holds.
MAX_MAJOR = Decimal(1_000_000)


class AmountError(ValueError):
    """The text is not an amount Mend can accept."""


def minor_digits(currency: str) -> int:
    """Return how many decimal places the currency has."""
    return _MINOR_DIGITS.get(currency, 2)


def parse_amount(text: str, currency: str) -> int:
    """Return the amount written in `text` (major units) as positive integer minor units."""
    cleaned = re.sub(r"[\s,]", "", text.strip())
    cleaned = cleaned.removeprefix(_SYMBOLS.get(currency, "\0")).removeprefix(currency)
    cleaned = cleaned.removesuffix(currency)
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise AmountError(f"{text.strip()!r} is not a number; write it like 25 or 12.50") from None
    if not value.is_finite():
        raise AmountError(f"{text.strip()!r} is not a number; write it like 25 or 12.50")
    if value <= 0:
        raise AmountError("the amount must be more than zero")
    if value > MAX_MAJOR:
        raise AmountError(f"{text.strip()} is more than Mend accepts ({format_major(MAX_MAJOR, currency)})")
    digits = minor_digits(currency)
    if value != value.quantize(Decimal(1).scaleb(-digits)):
        raise AmountError(f"{currency} amounts have at most {digits} decimal places")
    return int(value.scaleb(digits))


def format_money(minor: int, currency: str) -> str:
    """Return minor units as text a person reads, such as £12.50."""
    return format_major(Decimal(minor).scaleb(-minor_digits(currency)), currency)


def format_major(value: Decimal, currency: str) -> str:
    """Return an amount in major units as text, such as £12.50."""
    digits = minor_digits(currency)
    text = f"{value:,.{digits}f}"
    symbol = _SYMBOLS.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency}"
