"""Recognising the same customer across cases, however their details were typed."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Phone numbers match on their last digits, so "+1 (555) 010-2030" and
# "555 010 2030" are the same customer.
PHONE_MATCH_DIGITS = 9


@dataclass(frozen=True)
class CustomerKeys:
    """A customer's normalised reference, email and phone."""

    ref: str | None
    email: str | None
    phone: str | None


def customer_keys(ref: str | None, email: str | None, phone: str | None) -> CustomerKeys:
    """Return the normalised keys cases are matched on."""
    return CustomerKeys(ref=_ref_key(ref), email=_email_key(email), phone=_phone_key(phone))


def keys_from_query(text: str) -> CustomerKeys:
    """Return the keys a search text could be: an email, a phone number or a reference."""
    text = text.strip()
    if "@" in text:
        return CustomerKeys(ref=None, email=_email_key(text), phone=None)
    return CustomerKeys(ref=_ref_key(text), email=None, phone=_phone_key(text))


def _ref_key(value: str | None) -> str | None:
    key = re.sub(r"[^0-9A-Za-z]", "", value or "").upper()
    return key or None


def _email_key(value: str | None) -> str | None:
    key = (value or "").strip().lower()
    return key or None


def _phone_key(value: str | None) -> str | None:
    digits = re.sub(r"\D", "", value or "")
    return digits[-PHONE_MATCH_DIGITS:] if len(digits) >= 7 else None


def first_name(full_name: str) -> str:
    """Return how to address a customer: their first name, or their name if it is one word."""
    parts = full_name.strip().split()
    return parts[0] if parts else full_name
