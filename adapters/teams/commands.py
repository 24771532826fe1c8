"""What each word a person types to Mend in a Teams personal chat runs: one core use case each.

`recover` is not here: it opens the case form, which is not a use case.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.orm import Session

from adapters.teams import translate
from bot import cases, messages, practice, reports, staff, tasks
from bot.commands import Actor
from bot.ports import Clock
from bot.replies import Reply
from policies.schema import Policy


class ChatUse(Protocol):
    """A use case a chat command runs: who asked, the text after the word, and what it is given."""

    def __call__(
        self, actor: Actor, text: str, /, *, session: Session, policy: Policy, clock: Clock
    ) -> Reply: ...


def _help(_actor: Actor, _text: str, *, session: Session, policy: Policy, clock: Clock) -> Reply:
    return messages.recover_help(translate.RECOVER, chat=True)


def _not_understood(_actor: Actor, _text: str, *, session: Session, policy: Policy, clock: Clock) -> Reply:
    return messages.recover_help(translate.RECOVER, chat=True, brief=True)


def _history(actor: Actor, text: str, *, session: Session, policy: Policy, clock: Clock) -> Reply:
    return cases.customer_history(actor, text, session=session, policy=policy, clock=clock)


def _my_cases(actor: Actor, _text: str, *, session: Session, policy: Policy, clock: Clock) -> Reply:
    # The approvals waiting on a person are listed with their open cases, as on Slack's Home tab.
    return cases.my_cases(actor, session=session, policy=policy, clock=clock)


def _me(actor: Actor, _text: str, *, session: Session, policy: Policy, clock: Clock) -> Reply:
    return staff.describe_me(actor, session=session, policy=policy, clock=clock)


def _report(actor: Actor, text: str, *, session: Session, policy: Policy, clock: Clock) -> Reply:
    return reports.request_report(actor, text, session=session, policy=policy, clock=clock)


# Every chat word but `recover` (which opens a form, not a use case); a test checks none is missing.
CHAT_USES: dict[translate.Word, ChatUse] = {
    translate.Word.HELP: _help,
    translate.Word.HISTORY: _history,
    translate.Word.CASES: _my_cases,
    translate.Word.APPROVALS: _my_cases,
    translate.Word.ME: _me,
    translate.Word.REPORT: _report,
    translate.Word.TASKS: tasks.list_tasks,
    translate.Word.PRACTICE: practice.practice_case,
    translate.Word.UNKNOWN: _not_understood,
}
