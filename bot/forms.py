"""The forms Mend shows (Slack modals, Teams card forms, terminal prompts), platform-neutral."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot import messages
from bot.replies import ActionId, Choice, Field, Form, Input, InputKind
from bot.values import Target
from db.models import Case
from policies.money import format_money
from policies.schema import OptionType, Policy, Severity

_AMOUNT = re.compile(
    r"(?:[$€£¥]\s?\d[\d,]*(?:\.\d{1,2})?|\d[\d,]*(?:\.\d{1,2})?\s?(?:USD|EUR|GBP|dollars?|euros?|pounds?))",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class _Words:
    """A policy's words that prefill the case form, each compiled once."""

    categories: tuple[tuple[str, int, re.Pattern[str]], ...]
    severities: tuple[tuple[str, re.Pattern[str]], ...]
    tiers: tuple[tuple[str, re.Pattern[str]], ...]


_WORDS: dict[int, tuple[Policy, _Words]] = {}


def _words_of(policy: Policy) -> _Words:
    # /recover runs this on the event loop for every command: compiling a pattern per word
    # per call cost more than the rest of building the form.
    cached = _WORDS.get(id(policy))
    if cached is not None and cached[0] is policy:
        return cached[1]
    words = _Words(
        categories=tuple(
            (name, len(word), re.compile(rf"\b{re.escape(word.lower())}\b"))
            for name, category in policy.categories.items()
            for word in [name.replace("_", " "), *category.keywords]
        ),
        severities=tuple((s.value, re.compile(rf"\b{s.value}\b")) for s in Severity),
        tiers=tuple((tier, re.compile(rf"\b{re.escape(tier)}\b")) for tier in policy.adjustments.tiers),
    )
    if len(_WORDS) >= 8:
        _WORDS.clear()
    _WORDS[id(policy)] = (policy, words)
    return words


def prefill_from_text(text: str, policy: Policy) -> dict[str, str]:
    """Return the case form values that free text after /recover suggests."""
    text = (text or "").strip()
    if not text:
        return {}
    words = _words_of(policy)
    values: dict[str, str] = {"description": text}
    lowered = text.lower()
    best, best_len = None, 0
    for name, length, pattern in words.categories:
        if length > best_len and pattern.search(lowered):
            best, best_len = name, length
    if best:
        values["category"] = best
    for severity, pattern in words.severities:
        if pattern.search(lowered):
            values["severity"] = severity
    for tier, pattern in words.tiers:
        if pattern.search(lowered):
            values["tier"] = tier
    amount = _AMOUNT.search(text)
    if amount:
        values["order_value"] = re.sub(r"[^\d.]", "", amount.group())
    return values


def case_form(policy: Policy, prefill: dict[str, str] | None = None) -> Form:
    """Return the form that opens a case."""
    values = prefill or {}
    return Form(
        title="Make it right",
        action=ActionId.OPEN_CASE,
        submit_label="Get suggestion",
        intro="Tell Mend what happened; it suggests an apology and what you may offer.",
        inputs=(
            Input(
                "customer_name",
                "Customer name",
                initial=values.get("customer_name"),
                max_length=200,
            ),
            Input(
                "category",
                "What went wrong",
                InputKind.CHOICE,
                initial=values.get("category"),
                choices=tuple(Choice(k, c.label) for k, c in policy.categories.items()),
            ),
            Input(
                "severity",
                "How bad",
                InputKind.CHOICE,
                initial=values.get("severity", "major"),
                choices=(
                    Choice("minor", "Minor: an annoyance"),
                    Choice("major", "Major: real trouble"),
                    Choice("critical", "Critical: serious harm or loss"),
                ),
            ),
            Input(
                "description",
                "What happened",
                InputKind.LONG_TEXT,
                initial=values.get("description"),
                max_length=3000,
                placeholder="In a sentence or two",
            ),
            Input(
                "customer_ref",
                "Customer or order reference",
                required=False,
                initial=values.get("customer_ref"),
                max_length=100,
                hint="Finds the customer's earlier cases",
            ),
            Input("customer_email", "Customer email", required=False, max_length=320),
            Input("customer_phone", "Customer phone", required=False, max_length=40),
            Input(
                "order_value",
                "Order value",
                InputKind.AMOUNT,
                required=False,
                initial=values.get("order_value"),
                placeholder=f"in {policy.currency}",
            ),
            Input(
                "tier",
                "Customer tier",
                InputKind.CHOICE,
                required=False,
                initial=values.get("tier", policy.adjustments.default_tier),
                choices=tuple(Choice(t, t.capitalize()) for t in policy.adjustments.tiers),
            ),
        ),
    )


def amount_form(case: Case, policy: Policy, available: int) -> Form:
    """Return the form for an amount the employee chooses."""
    return Form(
        title=f"Other amount for {case.ref}",
        action=ActionId.GIVE_AMOUNT,
        value=Target(case_id=case.id).encode(),
        submit_label="Give or ask approval",
        intro=(
            f"Up to {format_money(available, policy.currency)} is within your authority; "
            "more goes for approval."
        ),
        inputs=(
            Input("amount", "Amount", InputKind.AMOUNT, placeholder=f"in {policy.currency}"),
            Input(
                "type",
                "Kind of compensation",
                InputKind.CHOICE,
                initial="voucher",
                choices=tuple(
                    Choice(t.value, t.value.replace("_", " ").capitalize())
                    for t in OptionType
                    if t is not OptionType.APOLOGY_ONLY
                ),
            ),
            Input("label", "Description for the customer", required=False, max_length=200),
        ),
    )


def deny_form(request_id: int, summary: str) -> Form:
    """Return the form that asks why an offer is denied."""
    return Form(
        title="Deny the request",
        action=ActionId.DENY_WITH_REASON,
        value=Target(request_id=request_id).encode(),
        submit_label="Deny",
        fields=(Field("Request", summary),),
        inputs=(
            Input(
                "reason",
                "Reason",
                InputKind.LONG_TEXT,
                max_length=1000,
                hint="The employee sees this; say what they could offer instead.",
            ),
        ),
    )


def resolve_form(case: Case) -> Form:
    """Return the form that resolves a case (prefilled with notes kept from an earlier try)."""
    return Form(
        title=f"Resolve {case.ref}",
        action=ActionId.RESOLVE_CASE,
        value=Target(case_id=case.id).encode(),
        submit_label="Check the lesson",
        intro="Next you see the lesson exactly as the team will read it, before it is posted.",
        inputs=(
            Input("outcome", "What was done", InputKind.LONG_TEXT, initial=case.outcome, max_length=2000),
            Input("root_cause", "Root cause", InputKind.LONG_TEXT, initial=case.root_cause, max_length=2000),
            Input("lesson", "Lesson for the team", InputKind.LONG_TEXT, initial=case.lesson, max_length=2000),
        ),
    )


def lesson_form(
    case: Case, texts: dict[str, str], compensation: str, policy: Policy, *, removed_more: bool = False
) -> Form:
    """Return the lesson exactly as the team will read it, to post as it is or after an edit."""
    category = policy.categories[case.category].label if case.category in policy.categories else case.category
    facts = [Field("Case", f"{case.ref} · {category} · {case.severity}")]
    if compensation:
        facts.append(Field("Compensation", compensation))
    return Form(
        title="Check the lesson",
        action=ActionId.POST_LESSON,
        value=Target(case_id=case.id).encode(),
        submit_label="Post lesson",
        intro=messages.lesson_check_intro(removed_more),
        fields=tuple(facts),
        inputs=tuple(
            Input(name, label, InputKind.LONG_TEXT, initial=texts.get(name), max_length=limit)
            for name, label, limit in (
                ("what_happened", "What happened", 3000),
                ("outcome", "What we did", 2000),
                ("root_cause", "Root cause", 2000),
                ("lesson", "Lesson for the team", 2000),
            )
        ),
    )


def reason_form(case: Case, *, reopen: bool) -> Form:
    """Return the form that asks why a case is reopened or cancelled."""
    return Form(
        title=f"{'Reopen' if reopen else 'Cancel'} {case.ref}",
        action=ActionId.REOPEN_CASE if reopen else ActionId.CANCEL_CASE,
        value=Target(case_id=case.id).encode(),
        submit_label="Reopen" if reopen else "Cancel case",
        inputs=(Input("reason", "Reason", InputKind.LONG_TEXT, max_length=2000),),
    )
