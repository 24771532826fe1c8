"""Every field people fill in, declared once: its label, its help and how long it may be.

The forms show these, the use cases validate against them, the error messages
name fields by them, and each adapter renders the limit the form carries.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

from bot.replies import InputKind


@dataclass(frozen=True)
class FieldSpec:
    """One field: its input name, how people see it named, and the most characters it takes."""

    name: str
    label: str
    max_length: int | None = None
    kind: InputKind = InputKind.TEXT
    required: bool = True
    hint: str = ""
    placeholder: str = ""


# The case form.
CUSTOMER_NAME = FieldSpec("customer_name", "Customer name", 200)
CATEGORY = FieldSpec("category", "What went wrong", kind=InputKind.CHOICE)
SEVERITY = FieldSpec("severity", "How bad", kind=InputKind.CHOICE)
DESCRIPTION = FieldSpec(
    "description", "What happened", 3000, InputKind.LONG_TEXT, placeholder="In a sentence or two"
)
ASKED_FOR = FieldSpec(
    "asked_for",
    "What did the customer ask for?",
    500,
    required=False,
    hint="In their words, if they said: a refund, a call back",
)
CUSTOMER_REF = FieldSpec(
    "customer_ref",
    "Customer or order reference",
    100,
    required=False,
    hint="Finds the customer's earlier cases",
)
CUSTOMER_EMAIL = FieldSpec("customer_email", "Customer email", 320, required=False)
CUSTOMER_PHONE = FieldSpec("customer_phone", "Customer phone", 40, required=False)
ORDER_VALUE = FieldSpec("order_value", "Order value", kind=InputKind.AMOUNT, required=False)
TIER = FieldSpec("tier", "Customer tier", kind=InputKind.CHOICE, required=False)

# The form for another amount.
AMOUNT = FieldSpec("amount", "Amount", kind=InputKind.AMOUNT)
TYPE = FieldSpec("type", "Kind of compensation", kind=InputKind.CHOICE)
LABEL = FieldSpec("label", "Description for the customer", 200, required=False)

# Why a case is reopened or cancelled.
REASON = FieldSpec("reason", "Reason", 2000, InputKind.LONG_TEXT)
# Why an offer is denied: the employee reads it, so it is kept shorter.
DENY_REASON = replace(
    REASON, max_length=1000, hint="The employee sees this; say what they could offer instead."
)

# The resolve form, and the lesson as the team reads it.
OUTCOME = FieldSpec("outcome", "What was done", 2000, InputKind.LONG_TEXT)
ROOT_CAUSE_KEY = FieldSpec("root_cause_key", "Kind of root cause", kind=InputKind.CHOICE)
ROOT_CAUSE = FieldSpec(
    "root_cause", "Root cause", 2000, InputKind.LONG_TEXT, hint="In your words: what made it happen"
)
LESSON = FieldSpec("lesson", "Lesson for the team", 2000, InputKind.LONG_TEXT)
WHAT_HAPPENED = replace(DESCRIPTION, name="what_happened", placeholder="")
# In the lesson the resolver's outcome is told as the team's.
LESSON_OUTCOME = replace(OUTCOME, label="What we did")

# Fix-the-system tasks: handing one over, declining it, or saying what was changed.
NEW_OWNER = FieldSpec("owner", "New owner's email", 320, hint="Someone in Mend's staff directory")
WONT_FIX = replace(REASON, name="why_not", label="Why it will not be fixed", max_length=1000)
CHANGE = FieldSpec(
    "change", "What was changed", 2000, InputKind.LONG_TEXT, hint="The team reads this with the cases"
)

# What an error can be about that is not typed into a form.
OPTION = FieldSpec("option", "Option")
CASE = FieldSpec("case", "Case")
CUSTOMER = FieldSpec("customer", "Customer")
FILE = FieldSpec("file", "Staff file")

# By input name, the spec an error about that input names it by. DENY_REASON and
# LESSON_OUTCOME are not here: they share their names with REASON and OUTCOME.
BY_NAME: Mapping[str, FieldSpec] = MappingProxyType(
    {
        spec.name: spec
        for spec in (
            CUSTOMER_NAME,
            CATEGORY,
            SEVERITY,
            DESCRIPTION,
            ASKED_FOR,
            CUSTOMER_REF,
            CUSTOMER_EMAIL,
            CUSTOMER_PHONE,
            ORDER_VALUE,
            TIER,
            AMOUNT,
            TYPE,
            LABEL,
            REASON,
            OUTCOME,
            ROOT_CAUSE_KEY,
            ROOT_CAUSE,
            LESSON,
            NEW_OWNER,
            WONT_FIX,
            CHANGE,
            WHAT_HAPPENED,
            OPTION,
            CASE,
            CUSTOMER,
            FILE,
        )
    }
)


def storable(text: str) -> bool:
    """Say whether a database can store this text: no NUL character and no lone surrogate.

    Both arrive only by pasting or by hand-made requests, and no retry can save them;
    they are the person's input to fix, not a failure on Mend's side.
    """
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def cleaned(text: str) -> str:
    """Return text Mend did not ask for (a display name, a prefill) with what cannot be stored replaced."""
    if storable(text):
        return text
    return _UNSTORABLE.sub("\ufffd", text)


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
