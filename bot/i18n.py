"""The reader's language: message catalogs, and numbers, money and times as they read them.

Every sentence Mend says is written in English in `bot/messages/` and looked up in
the reader's catalog (gettext, compiled by Babel from `bot/locale/<lang>/LC_MESSAGES/
mend.po`; `./dev i18n` extracts, updates and compiles them). Who the reader is is
decided at the edge (the person acting) or when a delivery is rendered (its
recipient, or the channel's language), and held for that work by `speaking`:

    with i18n.speaking("es"):
        reply = messages.case_card(...)

A message names its values, so translators may reorder them:

    _("{ref} recovered", ref=case.ref)
    ngettext("{n} open case", "{n} open cases", n)

`N_` only marks a constant for extraction; translate it with `_` where it is read.
"""

from __future__ import annotations

import functools
import gettext
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_time, get_datetime_format
from babel.numbers import format_currency, format_decimal, format_percent, get_decimal_symbol
from babel.support import Translations

#: The languages Mend speaks, English (the catalogs' source) first.
LANGUAGES = ("en", "es", "de", "fr")
DEFAULT = "en"
#: The pseudo-locale (as Android and Chromium name it): English made longer and accented,
#: to see at once a sentence that is not translated, or a layout that breaks on longer text.
PSEUDO = "en_XA"
DOMAIN = "mend"
LOCALE_DIR = Path(__file__).parent / "locale"

_reader: ContextVar[str] = ContextVar("mend_reader_language", default=DEFAULT)


def negotiate(tag: str | None) -> str | None:
    """Return the language Mend speaks for a platform's locale tag (es-ES, de_AT, fr), or None."""
    if not tag:
        return None
    if tag.replace("-", "_").lower() == PSEUDO.lower():
        return PSEUDO
    try:
        parsed = Locale.parse(tag.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return None
    return parsed.language if parsed.language in LANGUAGES else None


def first_spoken(*tags: str | None) -> str:
    """Return the first of `tags` Mend speaks, else English."""
    for tag in tags:
        language = negotiate(tag)
        if language is not None:
            return language
    return DEFAULT


@contextmanager
def speaking(tag: str | None) -> Iterator[str]:
    """Speak the language of `tag` (English when Mend does not speak it) for the work inside."""
    language = first_spoken(tag)
    token = _reader.set(language)
    try:
        yield language
    finally:
        _reader.reset(token)


def language() -> str:
    """Return the language being spoken now."""
    return _reader.get()


@functools.cache
def catalog(lang: str) -> gettext.NullTranslations:
    """Return the compiled catalog of a language (English's is the source itself)."""
    if lang == DEFAULT:
        return gettext.NullTranslations()
    if lang == PSEUDO:
        return _Pseudo()
    return Translations.load(dirname=LOCALE_DIR, locales=[lang], domain=DOMAIN)


class _Pseudo(gettext.NullTranslations):
    """Every message accented, bracketed and 40% longer, its {placeholders} kept."""

    def gettext(self, message: str) -> str:
        return pseudo(message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return pseudo(msgid1 if n == 1 else msgid2)


_ACCENTED = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "àƀçđéƒĝĥíĵķĺɱñöþǫŕšŧüvŵxýžÀƁÇĐÉƑĜĤÍĴĶĹṀÑÖÞǪŔŠŦÜṼŴẊÝŽ",
)


def pseudo(message: str) -> str:
    """Return `message` as the pseudo-locale writes it: ⟦Ŧĥé çàšé ~~~~⟧, placeholders untouched."""
    parts = re.split(r"(\{\w*\}|<[^>]*>|`[^`]*`)", message)
    text = "".join(part if i % 2 else part.translate(_ACCENTED) for i, part in enumerate(parts))
    return f"⟦{text} {'~' * max(1, len(message) * 2 // 5)}⟧"


def _(message: str, /, **values: Any) -> str:
    """Return `message` in the reader's language, its `{names}` filled from `values`."""
    text = catalog(_reader.get()).gettext(message)
    return text.format(**values) if values else text


def ngettext(singular: str, plural: str, n: int, /, **values: Any) -> str:
    """Return the singular or plural form for `n` in the reader's language; `{n}` is the number."""
    text = catalog(_reader.get()).ngettext(singular, plural, n)
    return text.format(n=number(n), **values)


def N_(message: str) -> str:
    """Mark a constant for extraction; it is translated where it is read."""
    return message


def decimal_comma() -> bool:
    """Say whether the reader writes a comma before decimals (12,50)."""
    return get_decimal_symbol(locale()) == ","


def in_sentence(label: str) -> str:
    """Return a label as written inside a sentence: lower case, but German keeps its nouns capitalised."""
    return label if _reader.get() == "de" else label.lower()


def locale() -> Locale:
    """Return the reader's locale for Babel's formats (the pseudo-locale formats as English does)."""
    language = _reader.get()
    return Locale.parse(DEFAULT if language == PSEUDO else language)


def number(value: int | float | Decimal) -> str:
    """Return a number as the reader writes it (1,200 or 1.200)."""
    return format_decimal(value, locale=locale())


def percent(share: float | Decimal) -> str:
    """Return a share (0.25) as the reader writes a percentage (25%, 25 %)."""
    return format_percent(share, locale=locale())


def money(major: Decimal, currency: str) -> str:
    """Return an amount in major units, with its currency, as the reader writes it."""
    return _money(_reader.get(), major, currency)


@functools.lru_cache(maxsize=4096)
def _money(language: str, major: Decimal, currency: str) -> str:
    # Babel takes ~20 us an amount, and a case card shows six or seven; the same few (limits,
    # budgets, the policy's options) come back on every card.
    return format_currency(major, currency, locale=Locale.parse(DEFAULT if language == PSEUDO else language))


def when(moment: datetime, zone: str | None) -> str:
    """Return a date and time as the reader writes it, in `zone` (UTC when unknown), with the zone."""
    tz = ZoneInfo(zone or "UTC")
    local, loc = moment.astimezone(tz), locale()
    both = str(get_datetime_format("medium", locale=loc))
    text = both.replace("{1}", format_date(local, "medium", locale=loc)).replace(
        "{0}", format_time(local, "short", locale=loc)
    )
    return f"{text} {_zone_name(local)}"


def _zone_name(local: datetime) -> str:
    """Return a time's zone as its abbreviation (GMT, CET, EST), else its offset (UTC-3)."""
    name = local.tzname() or "UTC"
    if name[:1] not in "+-":
        return name
    offset = local.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{'-' if minutes < 0 else '+'}{hours}" + (f":{rest:02d}" if rest else "")


def day(moment: datetime, zone: str | None = None) -> str:
    """Return a date as the reader writes it (Nov 30, 2026; 30.11.2026)."""
    return format_date(moment.astimezone(ZoneInfo(zone or "UTC")), "medium", locale=locale())
