"""Recognisers for personal data with a shape: emails, phones, cards, IBANs, ids, dates, references.

Checksums come from kept libraries (python-stdnum's Luhn and IBAN checks) and
phone numbers from Google's libphonenumber (the `phonenumbers` port), which
knows every country's numbering plan and reads extensions ("x40", "ext. 40").
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

import phonenumbers
from stdnum import iban as stdnum_iban
from stdnum import luhn

from bot.redaction.text import Kind, Span

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])")

# A run of digits with the separators people put in phone, card and account numbers.
_DIGIT_RUN = re.compile(
    r"(?<![\w+])(?:\+|00)?\(?\d(?:[\d\s().\-/]*\d)?(?:\s?(?:x|ext\.?|extension)\s?\d{1,6})?"
)

_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){11,30}\b")

_MONTHS = (
    "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?"
    "|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|januar|februar|märz|mai|juni|juli|oktober|dezember"
    "|janvier|février|mars|avril|juin|juillet|août|septembre|octobre|novembre|décembre"
    "|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre"
    "|januari|februari|maart|mei|augustus"
)
_YEAR = r"(?:19|20)\d{2}"
DATES = re.compile(
    rf"""(?ix)(?<![\w/.-])(?:
        \d{{1,2}}[./-]\d{{1,2}}[./-](?:{_YEAR}|\d{{2}})
      | {_YEAR}[./-]\d{{1,2}}[./-]\d{{1,2}}
      | \d{{1,2}}(?:st|nd|rd|th|er|\.)?\s+(?:de\s+)?(?:{_MONTHS})\.?,?\s+(?:de\s+)?{_YEAR}
      | (?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+{_YEAR}
    )(?![\w/-])"""
)

# Words after which a number is somebody's: "order #79158", "loyalty no. LOY-49679068".
_REF_WORDS = (
    r"order|orders|account|acct|a/c|loyalty|member|membership|booking|ticket|invoice|reservation|ref"
    r"|reference|confirmation|tracking|customer|client|policy|claim|contract|subscription|card|voucher"
    r"|receipt|pedido|factura|reserva|commande|facture|bestellung|rechnung|kundennummer|bestelling"
)
REFERENCE = re.compile(
    rf"(?i)\b(?:{_REF_WORDS})\b(?:\s+(?:number|num|no\.?|nr\.?|id|code|n°|nº|ending(?:\s+in)?))?\s*(?:[:#]\s*|is\s+|was\s+)?"
    r"(?P<ref>#?(?=[\w-]*\d)[A-Za-z0-9](?:[A-Za-z0-9]|[-/.](?=[A-Za-z0-9])){2,39}|#?(?-i:[A-Z]{5,12})\b)"
)
_HASH_REF = re.compile(r"(?<![\w&])#\s?\d{3,}\b")
# Letters and digits mixed in one token, as references are written: LOY-49679068, A7K2Q9, ORD/12345.
_CODE = re.compile(
    r"\b(?:[A-Za-z]{1,6}[-/#.]?\d{4,}[A-Za-z0-9-]*|(?=[A-Z0-9]{5,12}\b)(?=(?:[A-Z]*\d){2})(?=(?:\d*[A-Z]){2})[A-Z0-9]+)\b"
)
# Mend's own case references (R-1042) are not the customer's: lessons keep them.
_CASE_REF = re.compile(r"R-\d+")
_NATIONAL_IDS = re.compile(
    r"""(?x)\b(?:
        \d{3}-\d{2}-\d{4}                                   # US social security number
      | [A-CEGHJ-PR-TW-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]  # UK national insurance number
      | [XYZ]\d{7}[A-Z] | \d{8}[A-Z]                         # Spanish NIE and DNI
    )\b"""
)
_ID_WORDS = re.compile(
    r"(?i)\b(?:ssn|social\s+security(?:\s+number)?|national\s+insurance(?:\s+number)?|ni\s+number"
    r"|passport(?:\s+number)?|driving\s+licen[cs]e(?:\s+number)?|id\s+number|tax\s+id|dni|nie|bsn|nir"
    r"|steuer-?id|sozialversicherungsnummer)\b[\s:#]*(?:no\.?\s*|number\s*)?"
    r"(?P<id>(?-i:[A-Z0-9](?:[A-Z0-9]|[\s./-](?=[A-Z0-9])){5,24}))"
)


def find_emails(text: str) -> Iterator[Span]:
    """Yield every email address."""
    for match in EMAIL.finditer(text):
        yield Span(match.start(), match.end(), Kind.EMAIL)


def find_numbers(text: str, regions: Sequence[str]) -> Iterator[Span]:
    """Yield card numbers (Luhn), phone numbers of the given regions, and other long numbers."""
    for match in _DIGIT_RUN.finditer(text):
        raw = match.group().rstrip(" .-/(")
        digits = re.sub(r"\D", "", raw.split("x")[0].split("ext")[0])
        if len(digits) < 7:
            continue
        start, end = match.start(), match.start() + len(raw)
        if raw.startswith("(") and ")" not in raw:
            start += 1
        if 13 <= len(digits) <= 19 and luhn.is_valid(digits):
            yield Span(start, end, Kind.CARD)
        elif _is_phone(raw, regions):
            yield Span(start, end, Kind.PHONE)
        else:
            yield Span(start, end, Kind.NUMBER)


def _is_phone(raw: str, regions: Sequence[str]) -> bool:
    for region in regions:
        try:
            number = phonenumbers.parse(raw, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(number):
            return True
    return False


def find_phones(text: str, region: str) -> Iterator[Span]:
    """Yield phone numbers libphonenumber finds for a region, with their extensions."""
    for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.POSSIBLE):
        yield Span(match.start, match.end, Kind.PHONE)


def find_ibans(text: str) -> Iterator[Span]:
    """Yield IBANs, trimmed to the longest part that passes the checksum when one does."""
    for match in _IBAN.finditer(text):
        candidate = match.group()
        end = match.end()
        for cut in range(len(candidate), 14, -1):
            if stdnum_iban.is_valid(candidate[:cut]):
                end = match.start() + cut
                break
        yield Span(match.start(), end, Kind.BANK_ACCOUNT)


def find_dates(text: str) -> Iterator[Span]:
    """Yield full calendar dates (day, month and year), the form a date of birth takes."""
    for match in DATES.finditer(text):
        yield Span(match.start(), match.end(), Kind.DATE)


def find_ids(text: str) -> Iterator[Span]:
    """Yield national id numbers, by their shape or after the words that name them."""
    for match in _NATIONAL_IDS.finditer(text):
        yield Span(match.start(), match.end(), Kind.NATIONAL_ID)
    for match in _ID_WORDS.finditer(text):
        if any(c.isdigit() for c in match.group("id")):
            yield Span(match.start("id"), match.end("id"), Kind.NATIONAL_ID)


def find_references(text: str) -> Iterator[Span]:
    """Yield order, account, loyalty and booking numbers: after such words, after #, or coded."""
    for match in REFERENCE.finditer(text):
        yield Span(match.start("ref"), match.end("ref"), Kind.REFERENCE)
    for match in _HASH_REF.finditer(text):
        yield Span(match.start(), match.end(), Kind.REFERENCE)
    for match in _CODE.finditer(text):
        if not _CASE_REF.fullmatch(match.group()):
            yield Span(match.start(), match.end(), Kind.REFERENCE)
