"""Text helpers for the redactor: spans, accent folding, and where sentences start."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """What a removed item was; its value is the placeholder's word."""

    CUSTOMER = "customer"
    NAME = "name"
    EMAIL = "email"
    PHONE = "phone"
    ADDRESS = "address"
    REFERENCE = "order ref"
    CARD = "card"
    BANK_ACCOUNT = "bank account"
    NATIONAL_ID = "id number"
    DATE = "date"
    NUMBER = "number"
    PATTERN = "reference"

    @property
    def placeholder(self) -> str:
        """Return what the item is replaced by, such as `[phone]`."""
        return f"[{self.value}]"


@dataclass(frozen=True, order=True)
class Span:
    """A stretch of the original text, `text[start:end]`, found to be personal data of a kind."""

    start: int
    end: int
    kind: Kind

    @property
    def length(self) -> int:
        """Return how many characters the span covers."""
        return self.end - self.start


# Letters that do not decompose under NFKD but that people drop when typing without them.
_SPECIAL = {"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ß": "ss", "ł": "l", "Ł": "L"}
_SPECIAL.update({"đ": "d", "Đ": "D", "þ": "th", "Þ": "Th", "ı": "i", "ð": "d"})


def fold(text: str) -> str:
    """Return `text` lowercased and without accents ("Søndergaard" -> "sondergaard").

    Only for comparing words; positions in the result do not match the original.
    """
    out = []
    for char in text:
        char = _SPECIAL.get(char, char)
        for part in unicodedata.normalize("NFKD", char):
            if not unicodedata.combining(part):
                out.append(part)
    return "".join(out).casefold()


WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['’-](?=[^\W\d_]))*")
_SENTENCE_END = re.compile(r"[.!?:;]\s*$|\n\s*$|^\s*$")
# A full stop after these does not end a sentence (nor an address).
ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "st",
        "str",
        "apt",
        "ave",
        "av",
        "avda",
        "rd",
        "blvd",
        "ln",
        "no",
        "c",
        "ctra",
        "pza",
        "bd",
        "ste",
        "nr",
        "sr",
        "sra",
        "srta",
        "mme",
        "mlle",
        "dhr",
        "mevr",
        "jr",
        "sen",
        "vs",
        "etc",
        "approx",
        "e.g",
        "i.e",
    ]
)


def starts_sentence(text: str, start: int) -> bool:
    """Say whether the word at `start` is the first of its sentence (or of a line)."""
    before = text[max(0, start - 40) : start]
    if not _SENTENCE_END.search(before):
        return False
    stripped = before.rstrip()
    if stripped.endswith("."):
        last = re.search(r"([\w.]+)\.$", stripped)
        if last and fold(last.group(1)) in ABBREVIATIONS:
            return False
    return True
