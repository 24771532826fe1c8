"""Every field people fill in, declared once: its label, its help and how long it may be.

The forms show these, the use cases validate against them, the error messages
name fields by them, and each adapter renders the limit the form carries.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

from bot.i18n import N_
from bot.replies import InputKind


@dataclass(frozen=True)
class FieldSpec:
    """One field: its input name, how people see it named, and the most characters it takes.

    `label`, `hint` and `placeholder` are English, marked with `N_`: translate them with `_`
    where they are shown (`bot.forms.field_input`, `bot.messages.label`).
    """

    name: str
    label: str
    max_length: int | None = None
    kind: InputKind = InputKind.TEXT
    required: bool = True
    hint: str = ""
    placeholder: str = ""


# The case form.
CUSTOMER_NAME = FieldSpec("customer_name", N_("Customer name"), 200)
# Translators: the label of the choice of what kind of service lapse it was.
CATEGORY = FieldSpec("category", N_("What went wrong"), kind=InputKind.CHOICE)
# Translators: the label of the choice of how badly the customer was let down (minor, major, critical).
SEVERITY = FieldSpec("severity", N_("How bad"), kind=InputKind.CHOICE)
DESCRIPTION = FieldSpec(
    "description", N_("What happened"), 3000, InputKind.LONG_TEXT, placeholder=N_("In a sentence or two")
)
ASKED_FOR = FieldSpec(
    "asked_for",
    N_("What did the customer ask for?"),
    500,
    required=False,
    hint=N_("In their words, if they said: a refund, a call back"),
)
CUSTOMER_REF = FieldSpec(
    "customer_ref",
    N_("Customer or order reference"),
    100,
    required=False,
    hint=N_("Finds the customer's earlier cases"),
)
CUSTOMER_EMAIL = FieldSpec("customer_email", N_("Customer email"), 320, required=False)
CUSTOMER_PHONE = FieldSpec("customer_phone", N_("Customer phone"), 40, required=False)
ORDER_VALUE = FieldSpec("order_value", N_("Order value"), kind=InputKind.AMOUNT, required=False)
# Translators: the customer's loyalty level (standard, silver, gold ...).
TIER = FieldSpec("tier", N_("Customer tier"), kind=InputKind.CHOICE, required=False)

# The form for another amount.
# Translators: the label of an amount of money to give the customer.
AMOUNT = FieldSpec("amount", N_("Amount"), kind=InputKind.AMOUNT)
TYPE = FieldSpec("type", N_("Kind of compensation"), kind=InputKind.CHOICE)
# Translators: the name of the compensation as the customer will read it.
LABEL = FieldSpec("label", N_("Description for the customer"), 200, required=False)

# Why a case is reopened or cancelled.
# Translators: the label of why a case is reopened or cancelled, or why an offer is denied.
REASON = FieldSpec("reason", N_("Reason"), 2000, InputKind.LONG_TEXT)
# Why an offer is denied: the employee reads it, so it is kept shorter.
DENY_REASON = replace(
    REASON, max_length=1000, hint=N_("The employee sees this; say what they could offer instead.")
)

# The resolve form, and the lesson as the team reads it.
OUTCOME = FieldSpec("outcome", N_("What was done"), 2000, InputKind.LONG_TEXT)
ROOT_CAUSE_KEY = FieldSpec("root_cause_key", N_("Kind of root cause"), kind=InputKind.CHOICE)
ROOT_CAUSE = FieldSpec(
    "root_cause", N_("Root cause"), 2000, InputKind.LONG_TEXT, hint=N_("In your words: what made it happen")
)
LESSON = FieldSpec("lesson", N_("Lesson for the team"), 2000, InputKind.LONG_TEXT)
WHAT_HAPPENED = replace(DESCRIPTION, name="what_happened", placeholder="")
# In the lesson the resolver's outcome is told as the team's.
LESSON_OUTCOME = replace(OUTCOME, label=N_("What we did"))

# Fix-the-system tasks: handing one over, declining it, or saying what was changed.
NEW_OWNER = FieldSpec("owner", N_("New owner's email"), 320, hint=N_("Someone in Mend's staff directory"))
WONT_FIX = replace(REASON, name="why_not", label=N_("Why it will not be fixed"), max_length=1000)
CHANGE = FieldSpec(
    "change", N_("What was changed"), 2000, InputKind.LONG_TEXT, hint=N_("The team reads this with the cases")
)

# What an error can be about that is not typed into a form.
# Translators: one of the suggested compensation options on a case.
OPTION = FieldSpec("option", N_("Option"))
# Translators: a service recovery case (as in R-1042).
CASE = FieldSpec("case", N_("Case"))
CUSTOMER = FieldSpec("customer", N_("Customer"))
FILE = FieldSpec("file", N_("Staff file"))

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
