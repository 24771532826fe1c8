"""One redactor for everything Mend posts where more than the people on a case read it.

Layered: first the case's own customer (name, email, phone, references) in every
form a person types them; then personal data of anyone, by shape (emails, phone
numbers of many countries, card numbers, IBANs, national ids, full dates,
order / account / loyalty numbers, postal addresses) and people's names. Each
item becomes one placeholder that says what was there (`[customer]`,
`[phone]`, `[address]` ...), never one per fragment. What it cannot promise is
in docs/design.md; the person resolving a case sees the result before anyone else.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.redaction import lexicon
from bot.redaction.addresses import find_addresses
from bot.redaction.customer import CustomerData, find_customer
from bot.redaction.names import find_names
from bot.redaction.structured import (
    find_dates,
    find_emails,
    find_ibans,
    find_ids,
    find_numbers,
    find_phones,
    find_references,
)
from bot.redaction.text import Kind, Span

__all__ = ["CustomerData", "Kind", "Redaction", "Redactor", "Span"]

# Where found items overlap, the longest wins; between equals, the earlier kind here.
_PRIORITY = [
    Kind.CUSTOMER,
    Kind.EMAIL,
    Kind.BANK_ACCOUNT,
    Kind.CARD,
    Kind.NATIONAL_ID,
    Kind.DATE,
    Kind.PHONE,
    Kind.REFERENCE,
    Kind.PATTERN,
    Kind.ADDRESS,
    Kind.NUMBER,
    Kind.NAME,
]
_RANK = {kind: i for i, kind in enumerate(_PRIORITY)}
_PLACEHOLDER = re.compile(r"\[(?:" + "|".join(re.escape(kind.value) for kind in Kind) + r")\]")
_PERSON = {Kind.CUSTOMER, Kind.NAME}
# Countries whose national phone formats are recognised besides the reader's own.
REGIONS = ("US", "GB", "DE", "FR", "ES", "NL", "IE", "BE", "AT", "CH", "IT", "PT", "CA", "AU", "DK", "SE")


@dataclass(frozen=True)
class Redaction:
    """A text with its personal data replaced, and what was replaced."""

    text: str
    found: tuple[Span, ...]


class Redactor:
    """Removes personal data from text; build once per process (it loads word lists)."""

    def __init__(
        self, *, region: str = "US", patterns: Iterable[str] = (), vocabulary: Iterable[str] = ()
    ) -> None:
        """`vocabulary`: the company's own words, such as its kinds of lapse ("Long wait"), kept
        as they are wherever they stand as whole words, though a word of them may be a name."""
        self.region = region.upper()
        self.regions: Sequence[str] = (self.region, *(r for r in REGIONS if r != self.region))
        self.patterns = [re.compile(p) for p in patterns]
        phrases = sorted({v.strip() for v in vocabulary if v.strip()}, key=len, reverse=True)
        self.vocabulary = (
            re.compile("|".join(rf"(?<!\w){re.escape(p)}(?!\w)" for p in phrases)) if phrases else None
        )
        lexicon.first_names()
        lexicon.ordinary_words()

    def redact(self, text: str, customer: CustomerData | None = None) -> Redaction:
        """Return `text` with every item of personal data replaced by a placeholder."""
        if not text:
            return Redaction(text or "", ())
        spans: list[Span] = []
        if customer is not None:
            spans += find_customer(text, customer, self.region)
        spans += find_emails(text)
        spans += find_ibans(text)
        spans += find_ids(text)
        spans += find_dates(text)
        spans += find_references(text)
        spans += find_phones(text, self.region)
        spans += find_numbers(text, self.regions)
        spans += find_addresses(text)
        spans += find_names(text)
        for pattern in self.patterns:
            spans += (Span(m.start(), m.end(), Kind.PATTERN) for m in pattern.finditer(text) if m.group())
        # Placeholders already in the text (a lesson redacted before, then edited) are left alone,
        # and so are the company's own words.
        kept = [(m.start(), m.end()) for m in _PLACEHOLDER.finditer(text)]
        if self.vocabulary is not None:
            kept += [(m.start(), m.end()) for m in self.vocabulary.finditer(text)]
        spans = [s for s in spans if not any(s.start < end and start < s.end for start, end in kept)]
        found = _merge(text, spans)
        out, at = [], 0
        for span in found:
            out.append(text[at : span.start])
            out.append(span.kind.placeholder)
            at = span.end
        out.append(text[at:])
        return Redaction("".join(out), tuple(found))


def _merge(text: str, spans: list[Span]) -> list[Span]:
    """Return the spans joined where they overlap (or touch, for parts of one person's name)."""
    groups: list[list[Span]] = []
    for span in sorted(spans):
        if span.end <= span.start:
            continue
        if groups:
            group = groups[-1]
            end = max(s.end for s in group)
            gap = text[end : span.start]
            people = {s.kind for s in group} | {span.kind} <= _PERSON
            # Parts of one person's name join ("Brown, Jessica"); other items stay one each.
            touching = (people and not gap.strip(" -,")) or (
                group[-1].kind == span.kind and not gap.strip(" -")
            )
            if span.start < end or touching:
                group.append(span)
                continue
        groups.append([span])
    merged = []
    for group in groups:
        kinds = {s.kind for s in group}
        if kinds <= _PERSON and Kind.CUSTOMER in kinds:
            kind = Kind.CUSTOMER
        else:
            kind = max(group, key=lambda s: (s.length, -_RANK[s.kind])).kind
        merged.append(Span(min(s.start for s in group), max(s.end for s in group), kind))
    return merged
