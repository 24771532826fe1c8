"""Remove a customer's personal data from text that others will read."""

from __future__ import annotations

import re
from collections.abc import Iterable

# Any email address, and any run of 7+ digits with the usual phone punctuation:
# removed even when the customer's own were not recorded.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w-])\+?\d[\d\s().-]{5,}\d(?![\w-])")
REDACTED = "[removed]"


def redact(text: str, *, private_values: Iterable[str | None], patterns: Iterable[str] = ()) -> str:
    """Return `text` with the private values, emails, phone numbers and pattern matches removed."""
    words: set[str] = set()
    for value in private_values:
        if not value or not value.strip():
            continue
        words.add(value.strip())
        # A name is private in parts too: "Jane" and "Doe" as well as "Jane Doe".
        words.update(part for part in re.split(r"[\s,]+", value) if len(part) >= 2)
    for word in sorted(words, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", REDACTED, text, flags=re.IGNORECASE)
    for pattern in patterns:
        text = re.sub(pattern, REDACTED, text)
    text = _EMAIL.sub(REDACTED, text)
    return _PHONE.sub(_phone_or_keep, text)


def _phone_or_keep(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group())
    return REDACTED if len(digits) >= 7 else match.group()
