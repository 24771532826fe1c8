"""Practice on real cases: a resolved case without the customer's details, and how it was handled."""

from __future__ import annotations

from dataclasses import dataclass

from bot.messages.common import category_label, count
from bot.replies import ActionId, Button, Field, Reply, Style, Tone
from bot.values import Target
from policies.schema import Policy

FORM_TITLE = "Practise a real case"
FORM_SUBMIT = "See what was done"
APOLOGY_ONLY = "Apology only (and the fix)"
_FOLLOW_UP = {
    "fixed": "The customer confirmed it is fixed.",
    "unhappy": "The customer was still unhappy when asked; the case was reopened and resolved again.",
    "unreachable": "The customer could not be reached to ask.",
    "not_asked": "Not asked yet: Mend asks the employee a few days after the case is resolved.",
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
    earlier = count(facts.earlier_incidents, "earlier incident") if facts.earlier_incidents else "None"
    return (
        Field("What happened", facts.what_happened),
        Field("What went wrong", f"{category_label(facts.category, policy)} · {facts.severity}"),
        Field("Customer tier", facts.tier.capitalize()),
        Field("Earlier incidents", earlier),
    )


def practice_option(label: str, amount: str, *, within: bool) -> str:
    """Return how an option reads in the practice form: what, how much, and whether it is theirs to give."""
    return f"{label}, {amount}: {'within your authority' if within else 'needs approval'}"


def practice_intro() -> str:
    """Say what the practice form asks of the person."""
    return (
        "A real case a colleague resolved, with the customer's details removed. What would you offer"
        " (the options are those you would see on this case), and what would you say? Nothing is given"
        " and nothing counts against your budget."
    )


def practice_case(facts: PracticeFacts, policy: Policy) -> Reply:
    """Show a person a practice case to answer in their chat with Mend."""
    value = Target(case_id=facts.case_id).encode()
    return Reply(
        title=f"Practice: {category_label(facts.category, policy)} · {facts.severity}",
        text="How would you have handled it? Answer, then see what was actually done.",
        fields=practice_facts(facts, policy),
        buttons=(
            Button("Answer", ActionId.PRACTICE_OPEN, value, Style.PRIMARY),
            Button("Another case", ActionId.PRACTICE_NEXT, ""),
        ),
        note="A real case, with the customer's details removed. Only you see your answer.",
    )


def practice_on_its_way() -> Reply:
    """Say a practice case is being sent to the person's chat with Mend."""
    return Reply(
        title="A practice case is on its way",
        text="It arrives in your messages from Mend in a moment; answer it there, only you see it.",
        tone=Tone.SUCCESS,
    )


def weekly_practice(facts: PracticeFacts, policy: Policy) -> Reply:
    """Return the week's practice case as the lessons channel reads it, with a Try it button."""
    return Reply(
        title=f"Practice case of the week · {category_label(facts.category, policy)} · {facts.severity}",
        text="How would you have handled it? Try it: Mend sends you the case to answer in private.",
        fields=practice_facts(facts, policy),
        buttons=(Button("Try it", ActionId.PRACTICE_TRY, Target(case_id=facts.case_id).encode()),),
        note="A real case, with the customer's details removed. Your answer is seen by nobody else.",
    )


def no_practice_case() -> Reply:
    """Say kindly that there is no case to practise on yet."""
    return Reply(
        title="No case to practise on yet",
        text=(
            "Practice uses cases your colleagues resolved, with their lessons, and never your own."
            " There is none for you yet: try again once a few more cases have been resolved."
        ),
    )


def practice_own_case() -> str:
    """Say a person cannot practise on a case they handled themselves."""
    return "You handled this case yourself, so it is no practice. Ask Mend for practice to get another."


def practice_case_gone() -> str:
    """Say the case is no longer one to practise on (it was reopened)."""
    return (
        "This case was reopened since, so it is not a practice case now."
        " Ask Mend for practice to get another."
    )


def practice_unknown_offer(choices: list[str]) -> str:
    """Say the offer chosen is not one of the choices."""
    return f"Choose what you would offer: one of {', '.join(choices)}."


def practice_result(chosen: str, apology: str, handled: HowItWasHandled) -> Reply:
    """Show what the person answered next to what was actually done, and the policy's guidance."""
    fields = (
        Field("You would offer", chosen),
        Field("You would say", apology),
        Field("What was given", handled.given or "No compensation: an apology and the fix."),
        Field("What was done", handled.outcome),
        Field("Lesson", handled.lesson),
        Field("Follow-up", _FOLLOW_UP[handled.follow_up]),
        Field("The policy's apology", handled.apology),
        Field("And the fix", handled.fix),
    )
    return Reply(
        title="How it was actually handled",
        text=(
            "Compare your answer: a sincere apology that does not blame the customer, the fix,"
            " and amends in proportion to the trouble."
        ),
        fields=tuple(f for f in fields if f.value),
        buttons=(Button("Another case", ActionId.PRACTICE_NEXT, "", Style.PRIMARY),),
        tone=Tone.SUCCESS,
        note="Practice only: nothing was given to anyone and nothing counts against your budget.",
    )


def practised_line(attempts: int, people: int) -> str:
    """Return how many practice cases were answered, and by how many people, in a period."""
    if not attempts:
        return "No cases practised in the period"
    return f"{count(attempts, 'case')} practised by {count(people, 'person', 'people')} in the period"
