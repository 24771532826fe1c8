"""Find the case's own customer in a text, in every form a person types them.

A name is found part by part, in any case, with or without its accents
("Sondergaard" for "Søndergaard", "Mueller" for "Müller"); a part that is also an
ordinary word ("Will", "Park") only when it is written as a name or stands next
to another part. The phone is found by its digits whatever the separators or the
country prefix, and a reference with or without its prefix or separators
("order #79158" for ORD-79158).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import phonenumbers

from bot.redaction.lexicon import is_common, is_ordinary
from bot.redaction.structured import EMAIL
from bot.redaction.text import WORD, Kind, Span, fold, starts_sentence

_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})
_DIGITS = re.compile(r"(?<![\w+])(?:\+|00)?\(?\d(?:[\d\s().\-/]*\d)?")
_SEP = r"[\s.#/_:-]?"


@dataclass(frozen=True)
class CustomerData:
    """What the case knows about its customer; each item is removed wherever it appears."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    refs: tuple[str, ...] = field(default=())


def _spellings(word: str) -> set[str]:
    """Return the folded spellings of a word: as written, and with German umlauts spelt out."""
    return {fold(word), fold(word.translate(_GERMAN))}


def name_parts(name: str | None) -> set[str]:
    """Return the folded spellings of each part of a name, and of each half of a hyphenated part."""
    parts: set[str] = set()
    for word in WORD.findall(name or ""):
        for piece in {word, *word.split("-")}:
            if len(fold(piece)) >= 2:
                parts |= _spellings(piece)
    return parts


def find_customer(text: str, customer: CustomerData, region: str) -> Iterator[Span]:
    """Yield every place the customer's name, email, phone or references appear."""
    yield from _find_name(text, name_parts(customer.name))
    if customer.email:
        for match in re.finditer(re.escape(customer.email.strip()), text, flags=re.IGNORECASE):
            yield Span(match.start(), match.end(), Kind.EMAIL)
        local = customer.email.split("@")[0]
        if len(local) >= 4 and not is_ordinary(local) and not EMAIL.fullmatch(local):
            for match in re.finditer(rf"(?<![\w@.]){re.escape(local)}(?![\w@])", text, flags=re.I):
                yield Span(match.start(), match.end(), Kind.EMAIL)
    if customer.phone:
        yield from _find_phone(text, customer.phone, region)
    for ref in customer.refs:
        yield from _find_ref(text, ref)


def _find_name(text: str, parts: set[str]) -> Iterator[Span]:
    if not parts:
        return
    found: list[tuple[Span, bool]] = []
    for match in WORD.finditer(text):
        word, start = match.group(), match.start()
        if re.search(r"['’]s$", word):
            word = word[:-2]
        pieces = [(word, start)] if _spellings(word) & parts else []
        if not pieces and "-" in word:
            offset = start
            for piece in word.split("-"):
                if _spellings(piece) & parts:
                    pieces.append((piece, offset))
                offset += len(piece) + 1
        for piece, at in pieces:
            # "will" and "Will you ...?" are ordinary words; "Will" mid-sentence is the customer, and
            # so is a sentence begun in lowercase ("price asked us") or a word spelt with the name's accents.
            first = starts_sentence(text, at)
            sure = (
                not is_common(piece)
                or (piece[:1].isupper() and not first)
                or (piece.islower() and first)
                or (not piece.isascii() and fold(piece) != piece.casefold())
            )
            found.append((Span(at, at + len(piece), Kind.CUSTOMER), sure))
    # An ordinary word counts only beside a part that surely is the name ("will park" after "Will").
    for i, (span, sure) in enumerate(found):
        if sure or any(
            other_sure and _adjacent(text, span, other)
            for j, (other, other_sure) in enumerate(found)
            if j != i
        ):
            yield span


def _adjacent(text: str, a: Span, b: Span) -> bool:
    first, second = (a, b) if a.start < b.start else (b, a)
    return not text[first.end : second.start].strip(" -,")


def _find_phone(text: str, phone: str, region: str) -> Iterator[Span]:
    digits = re.sub(r"\D", "", phone)
    try:
        national = str(phonenumbers.parse(phone, region).national_number)
    except phonenumbers.NumberParseException:
        national = digits
    core = national if len(national) >= 6 else digits
    if len(core) < 6:
        return
    for match in _DIGITS.finditer(text):
        found = re.sub(r"\D", "", match.group())
        if found.endswith(core) or (len(found) >= 7 and core.endswith(found)):
            yield Span(match.start(), match.end(), Kind.PHONE)


def _find_ref(text: str, ref: str) -> Iterator[Span]:
    chars = re.sub(r"[\W_]", "", ref)
    if len(chars) < 3:
        return
    whole = _SEP.join(re.escape(c) for c in chars)
    patterns = [whole]
    digits = max(re.findall(r"\d+", chars), key=len, default="")
    if len(digits) >= 4:
        patterns.append(_SEP.join(digits))
    parts = [p for p in re.split(r"[\W_]+", ref) if p]
    if len(parts) > 1 and len(parts[-1]) >= 4:
        patterns.append(_SEP.join(re.escape(c) for c in parts[-1]))
    pattern = re.compile(rf"(?i)(?<![^\W_])#?(?:{'|'.join(patterns)})(?![^\W_])")
    for match in pattern.finditer(text):
        yield Span(match.start(), match.end(), Kind.REFERENCE)
