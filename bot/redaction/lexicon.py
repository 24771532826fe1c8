"""Word lists the redactor reads once per process: first names and ordinary English words.

First names come from gender-guesser's dictionary (about 48,000 given names of
Europe and beyond, with their spellings); ordinary words from english-words'
Webster's list, which writes proper nouns capitalised, so "will" and "park" are
words there and "john" is not; how common a word is, from wordfreq.
"""

from __future__ import annotations

import re
from functools import cache

from bot.redaction.text import fold

# Capitalised words that are not names, seen in lessons often enough to matter.
NOT_NAMES = frozenset(
    [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "today",
        "yesterday",
        "tomorrow",
        "i",
        "mend",
        "ok",
        "okay",
        "customer",
        "customers",
        "client",
        "guest",
        "manager",
        "team",
        "store",
        "shop",
        "warehouse",
        "courier",
        "driver",
        "support",
        "service",
        "delivery",
        "order",
        "refund",
        "voucher",
        "parcel",
        "package",
        "apology",
        "credit",
        "email",
        "phone",
        "account",
        "the",
        "a",
        "an",
        "and",
        "or",
        "but",
        "our",
        "we",
        "you",
        "he",
        "she",
        "they",
        "it",
        "this",
        "that",
        "these",
        "those",
        "his",
        "her",
        "their",
        "my",
        "your",
        "its",
        "in",
        "on",
        "at",
        "to",
        "for",
        "of",
        "with",
        "by",
        "from",
        "as",
        "is",
        "was",
        "will",
        "can",
        "if",
        "so",
        "not",
        "no",
        "yes",
        "please",
        "thanks",
        "sorry",
    ]
)


# Words at least this frequent (about one in 100,000 words of English) are everyday words.
COMMON_ZIPF = 5.0


@cache
def first_names() -> frozenset[str]:
    """Return given names, folded (lowercase, no accents)."""
    from gender_guesser.detector import Detector

    names = Detector(case_sensitive=False).names
    return frozenset(fold(name) for name in names if len(name) >= 2) - NOT_NAMES


@cache
def ordinary_words() -> frozenset[str]:
    """Return English words written in lowercase (so not proper nouns), folded."""
    from english_words import get_english_words_set

    words = get_english_words_set(["web2"], lower=False, alpha=True)
    return frozenset(fold(w) for w in words if w[:1].islower())


@cache
def mends_words() -> frozenset[str]:
    """Return the words of Mend's own sentences in the other languages it speaks, folded.

    Mend writes them itself (a lesson's "Qué pasó", a digest's "Les chiffres"), so they
    name no one, though the English lists do not know them. A given name a translation
    kept from the English ("/as bob", "jane@example.com") is an example's name, not a word.
    """
    from babel.messages.mofile import read_mo

    from bot import i18n

    words: set[str] = set()
    for language in i18n.LANGUAGES[1:]:
        with (i18n.LOCALE_DIR / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.mo").open("rb") as file:
            messages = [m for m in read_mo(file) if m.id]
        english = {w.lower() for m in messages for t in _texts(m.id) for w in _words(t)}
        translated = {w.lower() for m in messages for t in _texts(m.string) for w in _words(t)}
        words.update(fold(w) for w in translated if not (w in english and is_first_name(w)))
    return frozenset(words)


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W\d_]+", re.sub(r"\{\w*\}", " ", text))


def _texts(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list | tuple) else ()


def is_ordinary(word: str) -> bool:
    """Say whether a word is an ordinary word (English, or one of Mend's own) rather than only a name."""
    folded = fold(word)
    return folded in ordinary_words() or folded in NOT_NAMES or folded in mends_words()


def is_common(word: str) -> bool:
    """Say whether a word is an everyday English word ("will", "park", "may"), not a rare one ("jane")."""
    from wordfreq import zipf_frequency

    folded = fold(word)
    return folded in ordinary_words() and zipf_frequency(folded, "en", wordlist="small") >= COMMON_ZIPF


def is_first_name(word: str) -> bool:
    """Say whether a word is a known given name."""
    return fold(word) in first_names()
