"""Find people's names without a language model: capitalised words that a name is made of.

A run of capitalised words (joined by particles such as "van der" or "de la")
is a name when it holds a known given name, follows a title ("Mrs", "Herr",
"Sra.") or a word for a person ("her husband"), or is two or more words of which
one is not an ordinary English word. A sentence's first word counts only when
it is not an ordinary word, or is a given name followed by another capitalised
word ("Will Park said ...").
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.redaction.lexicon import NOT_NAMES, is_common, is_first_name, is_ordinary, mends_words
from bot.redaction.text import Kind, Span, fold, starts_sentence

# Capitalised words (not all-capitals ones such as IBAN), joined by spaces and name particles.
_WORD = r"[A-ZÀ-ÖØ-Þ](?:[a-zß-öø-ÿ][^\W\d_]*)?(?:['’-][^\W\d_]+)*\.?(?![\w])"
_RUN = re.compile(
    rf"(?<![\w@.])(?:(?:van|von|de|del|della|du|da|di|le|la|ten|ter|den|der)\s+)*{_WORD}"
    r"(?:\s+(?:(?:van|von|der|den|de|die|la|le|du|del|della|da|di|dos|das|do|ten|ter|y|bin|al|'t|st\.?)\s+)*"
    rf"{_WORD})*"
)
_TITLES = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "dr",
        "prof",
        "sir",
        "dame",
        "lady",
        "lord",
        "herr",
        "frau",
        "mme",
        "mlle",
        "m",
        "sr",
        "sra",
        "srta",
        "don",
        "dona",
        "doña",
        "dhr",
        "mevr",
        "madame",
        "monsieur",
        "mademoiselle",
        "senor",
        "señor",
        "senora",
        "señora",
        "signor",
        "signora",
        "univ.prof",
    ]
)
_TITLE_BEFORE = re.compile(r"(?i)\b(?:" + "|".join(map(re.escape, sorted(_TITLES))) + r")\.?\s+$")
_CUES = re.compile(
    r"(?i)\b(?:husband|wife|partner|son|daughter|mother|mom|mum|father|dad|brother|sister|friend"
    r"|neighbou?r|colleague|boss|named|called|nurse|doctor|carer|landlord|tenant|fiancée?|aunt|uncle"
    r"|cousin|grandson|granddaughter|grandmother|grandfather|spoke\s+to|asked\s+for|contact|driver"
    r"|courier|agent|technician|engineer|rep|representative|manager|supervisor|escalated\s+to"
    r"|handed\s+(?:it\s+)?to|passed\s+(?:it\s+)?to|assigned\s+to|signed\s+by|cc|belongs\s+to"
    r"|(?:note|message|call|email|complaint|letter|text|feedback|visit)\s+from)[\s,:]+$"
)
# What people do, said right after their name: "Nielsen from the outlet", "Jane said".
_AFTER = re.compile(
    r"^(?:['’]s\b|\s+(?:from\s+(?:the|our)|said|says|called|phoned|rang|asked|told|wrote|emailed"
    r"|handled|collected|signed|prefers|confirmed|agreed|complained|replied|answered|explained)\b)"
)
_SUFFIXES = re.compile(r"^(?:jr|sr|ii|iii|iv|vi|phd|md)\.?$", re.IGNORECASE)


def find_names(text: str) -> Iterator[Span]:
    """Yield each person's name found in the text."""
    for match in _RUN.finditer(text):
        words = [(m.start() + match.start(), m.group()) for m in re.finditer(r"\S+", match.group())]
        yield from _names_in_run(text, words)


def _names_in_run(text: str, words: list[tuple[int, str]]) -> Iterator[Span]:
    # Split at words that are never part of a name (days, months, "Customer").
    chunk: list[tuple[int, str]] = []
    for start, word in [*words, (-1, "")]:
        bare = word.rstrip(".")
        if chunk and fold(bare) in _TITLES:  # "Will Park Mrs Bakker" is two people
            yield from _judge(text, chunk)
            chunk = []
        if start < 0 or fold(bare) in NOT_NAMES:
            if chunk:
                yield from _judge(text, chunk)
            chunk = []
            continue
        chunk.append((start, word))
        # A full stop ends the name unless it ends an initial or a title ("J. Smith", "Dr. Ruiz").
        if word.endswith(".") and len(bare) > 1 and fold(bare) not in _TITLES:
            yield from _judge(text, chunk)
            chunk = []


def _mends(word: str) -> bool:
    return fold(_bare(word)) in mends_words()


def _named_beside(words: list[tuple[int, str]], at: int) -> bool:
    """Say whether another word of the run is a given name."""
    return any(_given(word) for i, (_, word) in enumerate(words) if i != at)


def _judge(text: str, words: list[tuple[int, str]]) -> Iterator[Span]:
    titled = fold(words[0][1].rstrip(".")) in _TITLES
    if titled:
        words = words[1:]
    before = text[max(0, words[0][0] - 30) : words[0][0]] if words else ""
    titled = titled or bool(_TITLE_BEFORE.search(before))
    cued = bool(_CUES.search(before))
    last_start, last = words[-1] if words else (0, "")
    acts = bool(_AFTER.match(text[last_start + len(last.rstrip(".")) :])) or bool(re.search(r"['’]s$", last))
    # A sentence's first word is an ordinary word ("Grace period", "Rose gold") unless it is
    # clearly part of a name: followed by another name word, or doing what people do.
    while words and starts_sentence(text, words[0][0]) and not titled:
        first = _bare(words[0][1])
        followed = len(words) > 1 and not _is_particle(words[1][1])
        if (is_first_name(first) and not is_common(first) and followed) or not is_ordinary(first):
            break
        if acts and is_first_name(first) and not is_common(first):
            break
        words = words[1:]
    while words and _SUFFIXES.match(words[-1][1]) and len(words) > 1:
        words = words[:-1]
    # Mend's own words at either end are its sentences' ("Eine Entschuldigung", "nach Art"):
    # German writes every noun capitalised, and these come from Mend's catalogs, not a person.
    # Beside a given name, or where the words around say a person is meant ("her daughter Lot
    # Smit", "Mr Art"), they stay part of the name.
    person = titled or cued or acts
    while words and not person and _mends(words[0][1]) and not _named_beside(words, 0):
        words = words[1:]
    while words and not person and _mends(words[-1][1]) and not _named_beside(words, len(words) - 1):
        words = words[:-1]
    while words and _is_particle(words[0][1]) and len(words) > 1 and not (titled or cued or acts):
        words = words[1:]
    capitalised = [w for _, w in words if w[:1].isupper()]
    if not capitalised:
        return
    # Two capitalised words without a given name are as often a product or a place ("Royal Mail").
    if not (titled or cued or acts or any(_given(w) for w in capitalised)):
        return
    start = words[0][0]
    last_start, last = words[-1]
    end = last_start + len(last.rstrip("."))
    yield Span(start, end, Kind.NAME)


def _given(word: str) -> bool:
    """Say whether a word is a given name, or a hyphenated pair of them ("Karl-Hans")."""
    bare = _bare(word)
    return is_first_name(bare) or ("-" in bare and all(is_first_name(p) for p in bare.split("-")))


def _bare(word: str) -> str:
    return re.sub(r"['’]s$", "", word.rstrip("."))


def _is_particle(word: str) -> bool:
    return word[:1].islower()
