"""What a button or form is about, as the value it carries through Slack, Teams or the terminal.

A value is numbers joined by ":", read by what the action names: "12" a case,
"7" an approval request, "12:3" a case and an option's rank (or a follow-up's
attempt). A third part of an option ("12:3:2") only tells renderings of one
card apart, so a click on a later rendering is a new request; it is kept as
text. Buttons already shown in people's chats use this format: keep it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Self

from bot.errors import MendError
from bot.replies import ActionId


class Subject(StrEnum):
    """What an action's value names."""

    NEW_CASE = "new_case"  # the form carries everything; the value is empty
    CASE = "case"
    OPTION = "option"  # a case and an option's rank
    FOLLOW_UP = "follow_up"  # a case and the follow-up's attempt
    REQUEST = "request"  # an approval request
    TASK = "task"  # a fix-the-system task
    REVIEW_ITEM = "review_item"  # a decision that stood out, in a manager's review


SUBJECTS: dict[ActionId, Subject] = {
    ActionId.OPEN_CASE: Subject.NEW_CASE,
    ActionId.SHOW_CASE: Subject.CASE,
    ActionId.GIVE_OPTION: Subject.OPTION,
    ActionId.REQUEST_APPROVAL: Subject.OPTION,
    ActionId.CHOOSE_AMOUNT: Subject.CASE,
    ActionId.GIVE_AMOUNT: Subject.CASE,
    ActionId.CUSTOMER_WAITING: Subject.CASE,
    ActionId.REVIEW_REQUEST: Subject.REQUEST,
    ActionId.APPROVE: Subject.REQUEST,
    ActionId.DENY: Subject.REQUEST,
    ActionId.DENY_WITH_REASON: Subject.REQUEST,
    ActionId.RESOLVE: Subject.CASE,
    ActionId.RESOLVE_CASE: Subject.CASE,
    ActionId.POST_LESSON: Subject.CASE,
    ActionId.REOPEN: Subject.CASE,
    ActionId.REOPEN_CASE: Subject.CASE,
    ActionId.CANCEL: Subject.CASE,
    ActionId.CANCEL_CASE: Subject.CASE,
    ActionId.FOLLOW_UP_FIXED: Subject.FOLLOW_UP,
    ActionId.FOLLOW_UP_UNHAPPY: Subject.FOLLOW_UP,
    ActionId.FOLLOW_UP_UNREACHABLE: Subject.FOLLOW_UP,
    ActionId.SHOW_TASK: Subject.TASK,
    ActionId.TASK_ACCEPT: Subject.TASK,
    ActionId.TASK_REASSIGN: Subject.TASK,
    ActionId.TASK_REASSIGN_TO: Subject.TASK,
    ActionId.TASK_WONT_FIX: Subject.TASK,
    ActionId.TASK_WONT_FIX_REASON: Subject.TASK,
    ActionId.TASK_DONE: Subject.TASK,
    ActionId.TASK_DONE_CHANGE: Subject.TASK,
    ActionId.REVIEW_FINE: Subject.REVIEW_ITEM,
    ActionId.REVIEW_TALK: Subject.REVIEW_ITEM,
    ActionId.REVIEW_TALK_NOTE: Subject.REVIEW_ITEM,
    ActionId.APPLAUD: Subject.CASE,
    ActionId.PRACTICE_OPEN: Subject.CASE,
    ActionId.PRACTICE_ANSWER: Subject.CASE,
    ActionId.PRACTICE_NEXT: Subject.NEW_CASE,
    ActionId.PRACTICE_TRY: Subject.CASE,
}


@dataclass(frozen=True)
class Target:
    """What a button or form is about: a case, an approval request, a task or a review item,
    and which option or follow-up of a case."""

    case_id: int | None = None
    request_id: int | None = None
    rank: int | None = None
    attempt: int | None = None
    rendering: str | None = None
    task_id: int | None = None
    item_id: int | None = None

    def __post_init__(self) -> None:
        named = [i for i in (self.case_id, self.request_id, self.task_id, self.item_id) if i is not None]
        if len(named) > 1:
            raise ValueError("a target is one case, approval request, task or review item")
        if self.rank is not None and self.attempt is not None:
            raise ValueError("a target is an option or a follow-up, not both")
        if self.rendering is not None and (self.rank is None or ":" in self.rendering):
            raise ValueError("only an option's value tells renderings apart, without a ':'")

    def encode(self) -> str:
        """Return the value to put on a button or form."""
        first = next(
            (i for i in (self.case_id, self.request_id, self.task_id, self.item_id) if i is not None), None
        )
        second = self.rank if self.rank is not None else self.attempt
        parts = [str(part) for part in (first, second, self.rendering) if part is not None]
        return ":".join(parts)

    @classmethod
    def decode(cls, action: ActionId | str, text: str) -> Self:
        """Read the value a button or form of `action` sent back; raise MendError if it cannot be read."""
        try:
            subject = SUBJECTS[ActionId(action)]
            parts = text.split(":") if text else []
            if subject is Subject.NEW_CASE and not parts:
                return cls()
            if subject is Subject.CASE and len(parts) == 1:
                return cls(case_id=_number(parts[0]))
            if subject is Subject.REQUEST and len(parts) == 1:
                return cls(request_id=_number(parts[0]))
            if subject is Subject.TASK and len(parts) == 1:
                return cls(task_id=_number(parts[0]))
            if subject is Subject.REVIEW_ITEM and len(parts) == 1:
                return cls(item_id=_number(parts[0]))
            if subject is Subject.FOLLOW_UP and len(parts) == 2:
                return cls(case_id=_number(parts[0]), attempt=_number(parts[1]))
            if subject is Subject.OPTION and len(parts) in (2, 3):
                rendering = parts[2] if len(parts) == 3 else None
                return cls(case_id=_number(parts[0]), rank=_number(parts[1]), rendering=rendering)
            raise ValueError(text)
        except (KeyError, TypeError, ValueError):
            # Imported here because the catalog builds its buttons with Target.
            from bot.messages import bad_button

            raise MendError(bad_button()) from None


def _number(text: str) -> int:
    if not text.isdigit():
        raise ValueError(text)
    return int(text)
