"""The message catalogs: the template holds every sentence, each language translates all of them.

`./dev i18n` extracts the template, updates each language's catalog and compiles it;
these tests fail when one of those steps was skipped, or a translation is missing,
marked fuzzy, or loses or invents a placeholder.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from bot import i18n
from bot.lessons import redactor_for
from policies.loader import load_policy

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = i18n.LOCALE_DIR / f"{i18n.DOMAIN}.pot"
TRANSLATED = [language for language in i18n.LANGUAGES if language != i18n.DEFAULT]
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def _po(language: str) -> Path:
    return i18n.LOCALE_DIR / language / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"


def _read(path: Path) -> Catalog:
    with path.open("rb") as file:
        return read_po(file)


def _ids(catalog: Catalog) -> set[str | tuple[str, ...]]:
    return {message.id for message in catalog if message.id}


def _strings(message: Message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple) else [message.string]


def _pairs(catalog: Catalog) -> dict[object, object]:
    """Return each message's id and translation; a plural's as tuples (read_mo gives lists)."""
    plain = lambda value: tuple(value) if isinstance(value, list | tuple) else value  # noqa: E731
    return {plain(m.id): plain(m.string) for m in catalog if m.id}


def _singular(message: Message) -> str:
    return message.id[0] if isinstance(message.id, tuple) else message.id


def _plural(message: Message) -> str:
    return message.id[1] if isinstance(message.id, tuple) else message.id


def test_the_template_holds_every_sentence_in_the_code() -> None:
    in_code: set[str | tuple[str, ...]] = set()
    for package in ("bot", "adapters"):
        for _name, _line, message, _comments, _context in extract_from_dir(
            ROOT / package, method_map=[("**.py", "python")], comment_tags=("Translators:",)
        ):
            in_code.add(message)
    in_template = _ids(_read(TEMPLATE))
    assert not in_code - in_template, "new sentences: run ./dev i18n"
    assert not in_template - in_code, "sentences no longer used: run ./dev i18n"
    assert len(in_code) > 300  # every part of Mend speaks through the catalogs


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_language_translates_every_sentence(language: str) -> None:
    catalog = _read(_po(language))
    assert _ids(catalog) == _ids(_read(TEMPLATE)), "run ./dev i18n"
    untranslated = [_singular(m) for m in catalog if m.id and not all(_strings(m))]
    fuzzy = [_singular(m) for m in catalog if m.id and m.fuzzy]
    assert not untranslated, f"{language}: {len(untranslated)} untranslated, e.g. {untranslated[:3]}"
    assert not fuzzy, f"{language}: {len(fuzzy)} fuzzy, e.g. {fuzzy[:3]}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_the_placeholders_of_their_sentence(language: str) -> None:
    wrong = []
    for message in _read(_po(language)):
        if not message.id:
            continue
        expected = set(PLACEHOLDER.findall(_singular(message))) | set(PLACEHOLDER.findall(_plural(message)))
        for form, string in enumerate(_strings(message)):
            found = set(PLACEHOLDER.findall(string))
            # Only a plural's first form ("one") may say "un caso" instead of "{n} caso".
            may_go = {"n"} if isinstance(message.id, tuple) and form == 0 else set()
            if found - expected or expected - found - may_go:
                wrong.append((_singular(message), string))
    assert not wrong, f"{language}: placeholders differ in {len(wrong)}, e.g. {wrong[:2]}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_compiled_catalog_is_the_one_written(language: str) -> None:
    written = _read(_po(language))
    with _po(language).with_suffix(".mo").open("rb") as file:
        compiled = read_mo(io.BytesIO(file.read()))
    assert _pairs(compiled) == _pairs(written), "run ./dev i18n to compile the catalogs"


@pytest.mark.parametrize("language", TRANSLATED)
def test_mends_own_sentences_pass_the_lessons_redactor_unchanged(language: str) -> None:
    """A lesson or digest in the channel's language keeps Mend's words: "Qué pasó" is no "[name] pasó"."""
    redactor = redactor_for(load_policy())
    # The sentences whose examples are personal data on purpose (an email, a case typed r1042).
    examples = re.compile(r"@example\.com|r1042")
    changed = []
    for message in _read(_po(language)):
        for string in _strings(message) if message.id else []:
            text = PLACEHOLDER.sub("", string)
            if not examples.search(text) and redactor.redact(text).text != text:
                changed.append((text, redactor.redact(text).text))
    assert not changed, f"{language}: {len(changed)} changed, e.g. {changed[:2]}"
