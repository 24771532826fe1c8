"""Practice on real cases: a resolved case without the customer's details, and how it was handled."""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import N_, _, ngettext
from bot.messages.cases import severity_word
from bot.messages.common import category_label
from bot.messages.suggestions import tier_word
from bot.replies import ActionId, Button, Field, Reply, Style, Tone
from bot.values import Target
from policies.schema import Policy

# Marked here, translated where they are read (bot.practice).
FORM_TITLE = N_("Practice case")
# Translators: the button that sends a practice answer and shows what was actually done.
FORM_SUBMIT = N_("See the answer")
# Translators: a choice in the practice form: no compensation, only an apology and the fix.
APOLOGY_ONLY = N_("Apology only (and the fix)")
_FOLLOW_UP = {
    "fixed": N_("The customer confirmed it is fixed."),
    "unhappy": N_("The customer was still unhappy when asked; the case was reopened and resolved again."),
    "unreachable": N_("The customer could not be reached to ask."),
    "not_asked": N_("Not asked yet: Mend asks the employee a few days after the case is resolved."),
}


@dataclass(frozen=True)
class PracticeFacts:
    """What a practice case shows before the answer: all of it already without personal data."""

    case_id: int
    what_happened: str
    category: str
    severity: str
    tier: str
    earlier_incidents: int


@dataclass(frozen=True)
class HowItWasHandled:
    """What was actually done on a practice case, every text already through the redactor."""

    given: str  # the offers given, in one line; empty when only an apology and the fix
    outcome: str
    lesson: str
    follow_up: str  # fixed, unhappy, unreachable or not_asked
    apology: str  # the policy's apology for the category, greeting nobody by name
    fix: str


def practice_facts(facts: PracticeFacts, policy: Policy) -> tuple[Field, ...]:
    """Return the facts of a practice case as a person reads them before answering."""
    earlier = (
        ngettext("{n} earlier incident", "{n} earlier incidents", facts.earlier_incidents)
        if facts.earlier_incidents
        # Translators: the customer had no earlier incidents.
        else _("None")
    )
    return (
        Field(_("What happened"), facts.what_happened),
        Field(_("What went wrong"), _kind(facts, policy)),
        Field(_("Customer tier"), _capitalised(tier_word(facts.tier))),
        Field(_("Earlier incidents"), earlier),
    )


def _kind(facts: PracticeFacts, policy: Policy) -> str:
    return f"{category_label(facts.category, policy)} · {severity_word(facts.severity)}"


def _capitalised(word: str) -> str:
    return word[:1].upper() + word[1:]


def practice_option(label: str, amount: str, *, within: bool) -> str:
    """Return how an option reads in the practice form: what, how much, and whether it is theirs to give."""
    # A choice's text is short in every language (Slack shows 75 characters): the form's intro says
    # what the mark means.
    if within:
        # Translators: an option in the practice form: {label} is the compensation, {amount} its value.
        return _("{label} ({amount})", label=label, amount=amount)
    # Translators: an option in the practice form that would need approval (the form says what ⚠ means).
    return _("{label} ({amount}) ⚠", label=label, amount=amount)


def practice_intro() -> str:
    """Say what the practice form asks of the person."""
    return _(
        "A real case a colleague resolved, with the customer's details removed. What would you offer"
        " (the options are those you would see on this case), and what would you say? Nothing is given"
        " and nothing counts against your budget. ⚠ marks what would need approval."
    )


def practice_case(facts: PracticeFacts, policy: Policy) -> Reply:
    """Show a person a practice case to answer in their chat with Mend."""
    value = Target(case_id=facts.case_id).encode()
    return Reply(
        # Translators: {kind} is the kind of lapse and its severity: "Late delivery · major".
        title=_("Practice: {kind}", kind=_kind(facts, policy)),
        text=_("How would you have handled it? Answer, then see what was actually done."),
        fields=practice_facts(facts, policy),
        buttons=(
            # Translators: a button that opens the form to answer a practice case.
            Button(_("Answer"), ActionId.PRACTICE_OPEN, value, Style.PRIMARY),
            # Translators: a button that shows another practice case.
            Button(_("Another case"), ActionId.PRACTICE_NEXT, ""),
        ),
        note=_("A real case, with the customer's details removed. Only you see your answer."),
    )


def practice_on_its_way() -> Reply:
    """Say a practice case is being sent to the person's chat with Mend."""
    return Reply(
        title=_("A practice case is on its way"),
        text=_("It arrives in your messages from Mend in a moment; answer it there, only you see it."),
        tone=Tone.SUCCESS,
    )


def weekly_practice(facts: PracticeFacts, policy: Policy) -> Reply:
    """Return the week's practice case as the lessons channel reads it, with a Try it button."""
    return Reply(
        # Translators: {kind} is the kind of lapse and its severity: "Late delivery · major".
        title=_("Practice case of the week · {kind}", kind=_kind(facts, policy)),
        text=_("How would you have handled it? Try it: Mend sends you the case to answer in private."),
        fields=practice_facts(facts, policy),
        # Translators: a button that sends the practice case to the person, to answer in private.
        buttons=(Button(_("Try it"), ActionId.PRACTICE_TRY, Target(case_id=facts.case_id).encode()),),
        note=_("A real case, with the customer's details removed. Your answer is seen by nobody else."),
    )


def no_practice_case() -> Reply:
    """Say kindly that there is no case to practise on yet."""
    return Reply(
        title=_("No case to practise on yet"),
        text=_(
            "Practice uses cases your colleagues resolved, with their lessons, and never your own."
            " There is none for you yet: try again once a few more cases have been resolved."
        ),
    )


def practice_own_case() -> str:
    """Say a person cannot practise on a case they handled themselves."""
    return _("You handled this case yourself, so it is no practice. Ask Mend for practice to get another.")


def practice_case_gone() -> str:
    """Say the case is no longer one to practise on (it was reopened)."""
    return _(
        "This case was reopened since, so it is not a practice case now."
        " Ask Mend for practice to get another."
    )


def practice_unknown_offer(choices: list[str]) -> str:
    """Say the offer chosen is not one of the choices."""
    return _("Choose what you would offer: one of {choices}.", choices=", ".join(choices))


def practice_result(chosen: str, apology: str, handled: HowItWasHandled) -> Reply:
    """Show what the person answered next to what was actually done, and the policy's guidance."""
    fields = (
        Field(_("You would offer"), chosen),
        Field(_("You would say"), apology),
        Field(_("What was given"), handled.given or _("No compensation: an apology and the fix.")),
        Field(_("What was done"), handled.outcome),
        Field(_("Lesson"), handled.lesson),
        Field(_("Follow-up"), _(_FOLLOW_UP[handled.follow_up])),
        Field(_("The policy's apology"), handled.apology),
        # Translators: the fix the policy promises for this kind of lapse (after "The policy's apology").
        Field(_("And the fix"), handled.fix),
    )
    return Reply(
        title=_("How it was actually handled"),
        text=_(
            "Compare your answer: a sincere apology that does not blame the customer, the fix,"
            " and amends in proportion to the trouble."
        ),
        fields=tuple(f for f in fields if f.value),
        buttons=(Button(_("Another case"), ActionId.PRACTICE_NEXT, "", Style.PRIMARY),),
        tone=Tone.SUCCESS,
        note=_("Practice only: nothing was given to anyone and nothing counts against your budget."),
    )


def practised_line(attempts: int, people: int) -> str:
    """Return how many practice cases were answered, and by how many people, in a period."""
    if not attempts:
        return _("No cases practised in the period")
    # Translators: {people} is "1 person" or "3 people".
    return ngettext(
        "{n} case practised by {people} in the period",
        "{n} cases practised by {people} in the period",
        attempts,
        people=ngettext("{n} person", "{n} people", people),
    )
