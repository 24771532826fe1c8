"""Word lists the redactor reads once per process: first names and ordinary English words.

First names come from gender-guesser's dictionary (about 48,000 given names of
Europe and beyond, with their spellings); ordinary words from english-words'
Webster's list, which writes proper nouns capitalised, so "will" and "park" are
words there and "john" is not; how common a word is, from wordfreq.
"""

from __future__ import annotations

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


def is_ordinary(word: str) -> bool:
    """Say whether a word is an ordinary English word rather than only a name."""
    folded = fold(word)
    return folded in ordinary_words() or folded in NOT_NAMES


def is_common(word: str) -> bool:
    """Say whether a word is an everyday English word ("will", "park", "may"), not a rare one ("jane")."""
    from wordfreq import zipf_frequency

    folded = fold(word)
    return folded in ordinary_words() and zipf_frequency(folded, "en", wordlist="small") >= COMMON_ZIPF


def is_first_name(word: str) -> bool:
    """Say whether a word is a known given name."""
    return fold(word) in first_names()
