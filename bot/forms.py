"""The forms Mend shows (Slack modals, Teams card forms, terminal prompts), platform-neutral."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot import fields, messages
from bot.fields import FieldSpec
from bot.i18n import N_, _
from bot.messages.suggestions import tier_word
from bot.replies import ActionId, Choice, Field, Form, Input
from bot.values import Target
from db.models import Case, Task
from policies.schema import OptionType, Policy, Severity

# An amount as people write it in any language Mend speaks: $80, 80 €, 120,50 EUR, €1.200, 1,200.50
# dollars. The number is kept as typed; `parse_amount` reads it the reader's way when submitted.
_NUMBER = r"\d{1,3}(?:[.,\s\u00a0\u202f]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_AMOUNT = re.compile(
    rf"[$€£¥]\s?(?P<before>{_NUMBER})"
    rf"|(?P<after>{_NUMBER})\s?(?:[$€£¥]|USD\b|EUR\b|GBP\b|dollars?\b|d[oó]lares\b|euros?\b|pounds?\b|libras\b)",
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
    text = fields.cleaned(text or "").strip()
    if not text:
        return {}
    words = _words_of(policy)
    values: dict[str, str] = {"description": text[: fields.DESCRIPTION.max_length]}
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
        values["order_value"] = re.sub(r"\s", "", amount["before"] or amount["after"])
    return values


def field_input(
    spec: FieldSpec,
    *,
    initial: str | None = None,
    choices: tuple[Choice, ...] = (),
    placeholder: str | None = None,
) -> Input:
    """Return the input a field spec describes: its label, kind, help and limit are the spec's.

    The spec's words are read in the reader's language; a `placeholder` given here already is.
    """
    return Input(
        spec.name,
        _(spec.label),
        spec.kind,
        required=spec.required,
        initial=initial,
        hint=_(spec.hint) if spec.hint else "",
        placeholder=(_(spec.placeholder) if spec.placeholder else "") if placeholder is None else placeholder,
        choices=choices,
        max_length=spec.max_length,
    )


def _capitalized(word: str) -> str:
    """Return a word with its first letter a capital (a choice's label)."""
    return word[:1].upper() + word[1:]


def case_form(policy: Policy, prefill: dict[str, str] | None = None) -> Form:
    """Return the form that opens a case."""
    values = prefill or {}
    return Form(
        # Translators: the title of the form that opens a service recovery case.
        title=_("Make it right"),
        action=ActionId.OPEN_CASE,
        # Translators: the button that submits the case form and shows what to say and offer.
        submit_label=_("Get suggestion"),
        intro=_("Tell Mend what happened; it suggests an apology and what you may offer."),
        inputs=(
            field_input(fields.CUSTOMER_NAME, initial=values.get("customer_name")),
            field_input(
                fields.CATEGORY,
                initial=values.get("category"),
                choices=tuple(Choice(k, messages.category_label(k, policy)) for k in policy.categories),
            ),
            field_input(
                fields.SEVERITY,
                initial=values.get("severity", "major"),
                choices=(
                    # Translators: a choice of how badly the customer was let down.
                    Choice("minor", _("Minor: an annoyance")),
                    # Translators: a choice of how badly the customer was let down.
                    Choice("major", _("Major: real trouble")),
                    # Translators: a choice of how badly the customer was let down.
                    Choice("critical", _("Critical: serious harm or loss")),
                ),
            ),
            field_input(fields.DESCRIPTION, initial=values.get("description")),
            field_input(fields.ASKED_FOR, initial=values.get("asked_for")),
            field_input(fields.CUSTOMER_REF, initial=values.get("customer_ref")),
            field_input(fields.CUSTOMER_EMAIL),
            field_input(fields.CUSTOMER_PHONE),
            field_input(
                fields.ORDER_VALUE,
                initial=values.get("order_value"),
                # Translators: a placeholder in an amount box; {currency} is a code such as USD.
                placeholder=_("in {currency}", currency=policy.currency),
            ),
            field_input(
                fields.TIER,
                initial=values.get("tier", policy.adjustments.default_tier),
                choices=tuple(Choice(t, _capitalized(tier_word(t))) for t in policy.adjustments.tiers),
            ),
        ),
    )


def amount_form(case: Case, policy: Policy, available: int) -> Form:
    """Return the form for an amount the employee chooses."""
    return Form(
        title=_("Other amount for {ref}", ref=case.ref),
        action=ActionId.GIVE_AMOUNT,
        value=Target(case_id=case.id).encode(),
        # Translators: the button that gives the amount, or asks approval when it is over the limit.
        submit_label=_("Give or ask approval"),
        intro=_(
            "Up to {amount} is within your authority; more goes for approval.",
            amount=messages.money(available, policy),
        ),
        inputs=(
            # Translators: a placeholder in an amount box; {currency} is a code such as USD.
            field_input(fields.AMOUNT, placeholder=_("in {currency}", currency=policy.currency)),
            field_input(
                fields.TYPE,
                initial="voucher",
                choices=tuple(
                    Choice(t.value, messages.type_label(t))
                    for t in OptionType
                    if t is not OptionType.APOLOGY_ONLY
                ),
            ),
            field_input(fields.LABEL),
        ),
    )


def deny_form(request_id: int, summary: str) -> Form:
    """Return the form that asks why an offer is denied."""
    return Form(
        title=_("Deny request"),
        action=ActionId.DENY_WITH_REASON,
        value=Target(request_id=request_id).encode(),
        # Translators: the button that denies the compensation request, with the reason given.
        submit_label=_("Deny"),
        # Translators: the label of the compensation request being denied.
        fields=(Field(_("Request"), summary),),
        inputs=(field_input(fields.DENY_REASON),),
    )


def resolve_form(case: Case, policy: Policy) -> Form:
    """Return the form that resolves a case (prefilled with notes kept from an earlier try)."""
    causes = messages.root_causes(case.category, policy)
    return Form(
        # Translators: the title of the form that resolves a case, e.g. "Resolve R-1042".
        title=_("Resolve {ref}", ref=case.ref),
        action=ActionId.RESOLVE_CASE,
        value=Target(case_id=case.id).encode(),
        # Translators: the button that shows the lesson for the team before it is posted.
        submit_label=_("Preview lesson"),
        intro=_("Next you see the lesson exactly as the team will read it, before it is posted."),
        inputs=(
            field_input(fields.OUTCOME, initial=case.outcome),
            field_input(
                fields.ROOT_CAUSE_KEY,
                initial=case.root_cause_key,
                choices=tuple(Choice(name, label) for name, label in causes.items()),
            ),
            field_input(fields.ROOT_CAUSE, initial=case.root_cause),
            field_input(fields.LESSON, initial=case.lesson),
        ),
    )


def lesson_form(
    case: Case,
    texts: dict[str, str],
    compensation: str,
    policy: Policy,
    *,
    removed_more: bool = False,
    asked_for: str = "",
) -> Form:
    """Return the lesson exactly as the team will read it, to post as it is or after an edit."""
    category = messages.category_label(case.category, policy)
    facts = [Field(_("Case"), f"{case.ref} · {category} · {messages.severity_word(case.severity)}")]
    facts += messages.asked_and_given(asked_for, compensation)
    return Form(
        # Translators: the title of the form that shows the lesson before it is posted to the team.
        title=_("Preview lesson"),
        action=ActionId.POST_LESSON,
        value=Target(case_id=case.id).encode(),
        # Translators: the button that posts the lesson to the team's channel.
        submit_label=_("Post lesson"),
        intro=messages.lesson_check_intro(removed_more),
        fields=tuple(facts),
        inputs=tuple(
            field_input(spec, initial=texts.get(spec.name))
            for spec in (fields.WHAT_HAPPENED, fields.LESSON_OUTCOME, fields.ROOT_CAUSE, fields.LESSON)
        ),
    )


def reason_form(case: Case, *, reopen: bool) -> Form:
    """Return the form that asks why a case is reopened or cancelled."""
    if reopen:
        # Translators: the title of the form that opens a resolved case again, e.g. "Reopen R-1042".
        title = _("Reopen {ref}", ref=case.ref)
        # Translators: the button that opens the resolved case again.
        submit = _("Reopen")
    else:
        # Translators: the title of the form that cancels a case opened by mistake, e.g. "Cancel R-1042".
        title = _("Cancel {ref}", ref=case.ref)
        # Translators: the button that cancels the case.
        submit = _("Cancel case")
    return Form(
        title=title,
        action=ActionId.REOPEN_CASE if reopen else ActionId.CANCEL_CASE,
        value=Target(case_id=case.id).encode(),
        submit_label=submit,
        inputs=(field_input(fields.REASON),),
    )


# Each task form: its title ({task} is a reference such as T-12), its submit label, and its input.
_TASK_FORMS = {
    ActionId.TASK_REASSIGN_TO: (
        # Translators: the title of the form that hands a fix-the-system task to someone else.
        N_("Hand over: task {task}"),
        # Translators: the button that hands the task to the new owner.
        N_("Hand over"),
        fields.NEW_OWNER,
    ),
    ActionId.TASK_WONT_FIX_REASON: (
        # Translators: the title of the form that closes a fix-the-system task as not to be fixed.
        N_("Won't fix: task {task}"),
        # Translators: the button that closes the task without a fix.
        N_("Close without a fix"),
        fields.WONT_FIX,
    ),
    ActionId.TASK_DONE_CHANGE: (
        # Translators: the title of the form that says what was changed to fix a task's cause.
        N_("Done: task {task}"),
        # Translators: the button that tells the team what was changed.
        N_("Tell the team"),
        fields.CHANGE,
    ),
}


def task_form(task: Task, action: ActionId) -> Form:
    """Return the form that hands a task over, declines it, or says what was changed."""
    title, submit, spec = _TASK_FORMS[action]
    ref = f"T-{task.id}"
    return Form(
        title=_(title, task=ref),
        action=action,
        value=Target(task_id=task.id).encode(),
        submit_label=_(submit),
        # Translators: the label of a fix-the-system task's title.
        fields=(Field(_("Task"), task.title),),
        inputs=(field_input(spec),),
    )
