"""Find postal addresses in US, UK and continental European forms.

An address is found from what only addresses have (a postcode in its country's
shape, a house number beside a street word or a street name), then widened over
the words around it that an address is made of: capitalised words, numbers,
commas, particles such as "de la" or "van", and unit words such as "Apt." or
"Piso"; it stops at a sentence's end or an ordinary lowercase word.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.redaction.text import ABBREVIATIONS, Kind, Span

# A capitalised word, not an all-capitals one (IBAN, SSN).
_CAP = r"[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ][\w'’-]*"
_MONTH_WORDS = (
    "January|February|March|April|May|June|July|August|September|October|November|December"
    "|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|Monday|Tuesday|Wednesday|Thursday|Friday"
    "|Saturday|Sunday"
)
_FRENCH_STREETS = (
    r"rue|avenue|av\.|boulevard|bd|chemin|allée|impasse|place|quai|route|cours|square|passage|voie"
)
_STREET_END = (
    r"straße|strasse|str\.|weg|gasse|allee|platz|ring|damm|ufer|steig|pfad|chaussee|markt|straat|steeg"
    r"|dreef|laan|plein|gracht|kade|singel|dijk|pad|hof|baan|boulevard|park|lei|dreef"
)
_STREET_START = (
    r"Calle|C/|Avenida|Avda\.?|Av\.|Paseo|Plaza|Pza\.|Camino|Ronda|Cuesta|Vial|Via|Vía|Pasadizo|Acceso"
    r"|Callejón|Carrera|Carretera|Ctra\.|Glorieta|Rambla|Alameda|Urbanización|Travesía|Pasaje|Cañada"
    r"|Carrer|Passeig|Rúa|Praza|Piazza|Viale|Rua|Largo|Am|An der|Auf dem|Im"
)
_EN_STREETS = (
    r"Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Way|Court|Ct|Place|Pl|Close|Crescent|Terrace"
    r"|Gardens|Grove|Square|Sq|Hill|Park|Boulevard|Blvd|Walk|Row|Mews|Parade|Parkway|Highway|Hwy"
)
_ANCHORS = [
    # US state and ZIP code; APO/FPO/DPO military addresses end the same way.
    re.compile(r"\b[A-Z]{2},?\s+\d{5}(?:-\d{4})?\b"),
    # UK postcode.
    re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b"),
    # Dutch postcode.
    re.compile(r"\b\d{4}\s?[A-Z]{2}\b(?=,?\s+[A-Z])"),
    # Five-digit postcode beside its town (Germany, France, Spain, Italy).
    re.compile(rf"\b\d{{5}}\s+{_CAP}|{_CAP},\s*\d{{5}}\b"),
    # House number, then a French street word or capitalised street words.
    re.compile(
        rf"\b\d{{1,5}}[A-Za-z]?(?:[-/]\d{{1,4}})?,?\s+(?:(?:{_FRENCH_STREETS})\s+(?:(?:de\s+la|de|du|des|d'|l')\s*)?"
        rf"{_CAP}|(?!(?:{_MONTH_WORDS})\b){_CAP}(?:\s+{_CAP})*\s+(?:{_EN_STREETS})\b|(?!(?:{_MONTH_WORDS})\b)"
        rf"{_CAP}\s+(?!(?:{_MONTH_WORDS})\b){_CAP})"
    ),
    # Street name, then the house number (Germany, the Netherlands, Spain and their neighbours).
    re.compile(rf"(?i:\b[\w'’-]*(?:{_STREET_END}))\s*\d{{1,5}}[a-zA-Z]?(?:\s*[-/]\s*\d{{1,4}}[a-zA-Z]?)?\b"),
    re.compile(
        rf"\b(?:{_STREET_START})\s+(?:(?:de|del|de\s+la|de\s+los|de\s+las|da|do|dos|das|di|der|dem)\s+)?"
        rf"(?:{_CAP}\s+){{0,5}}\d{{1,5}}[a-zA-Z]?\b"
    ),
]
_TOKEN = re.compile(r"\d+[A-Za-z]{0,2}(?:[-/]\d+[A-Za-z]?)?|[^\W\d_][\w'’-]*|\S")
_JOINERS = frozenset(
    [
        "de",
        "del",
        "la",
        "las",
        "los",
        "le",
        "les",
        "du",
        "des",
        "d'",
        "l'",
        "van",
        "von",
        "der",
        "den",
        "ten",
        "ter",
        "am",
        "an",
        "im",
        "vorm",
        "sur",
        "sous",
        "y",
        "e",
        "op",
        "aan",
        "bij",
        "da",
        "do",
        "dos",
        "das",
        "di",
    ]
) | frozenset(_FRENCH_STREETS.replace("\\", "").split("|"))
_UNITS = frozenset(
    [
        "apt",
        "apartment",
        "suite",
        "ste",
        "unit",
        "flat",
        "studio",
        "piso",
        "puerta",
        "planta",
        "box",
        "bus",
        "etage",
        "floor",
    ]
)
_MILITARY = frozenset(["psc", "apo", "fpo", "dpo", "usns", "uss", "usnv", "uscgc"])
_WIDEN_TOKENS = 8
_WIDEN_COMMAS = 2


def find_addresses(text: str) -> Iterator[Span]:
    """Yield each postal address, widened to the whole of it."""
    tokens = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text)]
    starts = [t[0] for t in tokens]
    for pattern in _ANCHORS:
        for match in pattern.finditer(text):
            first = _token_at(starts, match.start())
            last = _token_at(starts, match.end() - 1)
            first = _widen(text, tokens, first, -1)
            last = _widen(text, tokens, last, +1)
            yield Span(tokens[first][0], tokens[last][1], Kind.ADDRESS)


def _token_at(starts: list[int], position: int) -> int:
    low, high = 0, len(starts) - 1
    while low < high:
        middle = (low + high + 1) // 2
        if starts[middle] <= position:
            low = middle
        else:
            high = middle - 1
    return low


def _widen(text: str, tokens: list[tuple[int, int, str]], index: int, step: int) -> int:
    """Return the farthest token, going `step`, that still belongs to the address at `index`."""
    best, commas, taken = index, 0, 0
    i = index + step
    while 0 <= i < len(tokens) and taken < _WIDEN_TOKENS:
        word = tokens[i][2]
        gap = text[tokens[i][1] : tokens[i - step][0]] if step < 0 else text[tokens[i - 1][1] : tokens[i][0]]
        if "\n" in gap:
            break
        if word == ",":
            commas += 1
            if commas > _WIDEN_COMMAS:
                break
        elif word == "." and step < 0 and i > 0 and tokens[i - 1][2].lower() in ABBREVIATIONS:
            pass
        elif (
            (word == "." and step > 0 and tokens[i - 1][2].lower() in ABBREVIATIONS)
            or word == "#"
            or _is_part(word)
        ):
            best = i
        else:
            break
        taken += 1
        i += step
    return best


def _is_part(word: str) -> bool:
    if word[0].isdigit():
        return True
    if not word[0].isalpha():
        return False
    lowered = word.lower()
    if word.isupper() and len(word) > 2:
        return lowered in _MILITARY
    return word[0].isupper() or lowered in _JOINERS or lowered in _UNITS
