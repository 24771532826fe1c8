"""The neutral messages the core returns; each adapter renders them natively.

A `Reply` is a card: a title, text, fields, items (each with an optional
button) and buttons. A `Form` is what a Slack modal or a Teams card form shows.
Action ids are shared by every platform, so a click anywhere reaches the same
use case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ActionId(StrEnum):
    """Every button and form Mend shows; the value is stable across platforms."""

    OPEN_CASE = "mend_open_case"
    SHOW_CASE = "mend_show_case"
    GIVE_OPTION = "mend_give_option"
    REQUEST_APPROVAL = "mend_request_approval"
    CHOOSE_AMOUNT = "mend_choose_amount"
    GIVE_AMOUNT = "mend_give_amount"
    CUSTOMER_WAITING = "mend_customer_waiting"
    REVIEW_REQUEST = "mend_review_request"
    APPROVE = "mend_approve"
    DENY = "mend_deny"
    DENY_WITH_REASON = "mend_deny_with_reason"
    RESOLVE = "mend_resolve"
    RESOLVE_CASE = "mend_resolve_case"
    POST_LESSON = "mend_post_lesson"
    REOPEN = "mend_reopen"
    REOPEN_CASE = "mend_reopen_case"
    CANCEL = "mend_cancel"
    CANCEL_CASE = "mend_cancel_case"
    FOLLOW_UP_FIXED = "mend_follow_up_fixed"
    FOLLOW_UP_UNHAPPY = "mend_follow_up_unhappy"
    FOLLOW_UP_UNREACHABLE = "mend_follow_up_unreachable"
    # Fix-the-system tasks: the owner accepts, hands over, declines or reports it done.
    SHOW_TASK = "mend_show_task"
    TASK_ACCEPT = "mend_task_accept"
    TASK_REASSIGN = "mend_task_reassign"  # opens the form
    TASK_REASSIGN_TO = "mend_task_reassign_to"
    TASK_WONT_FIX = "mend_task_wont_fix"  # opens the form
    TASK_WONT_FIX_REASON = "mend_task_wont_fix_reason"
    TASK_DONE = "mend_task_done"  # opens the form
    TASK_DONE_CHANGE = "mend_task_done_change"
    # After-the-fact review: a manager marks a decision that stood out.
    REVIEW_FINE = "mend_review_fine"
    REVIEW_TALK = "mend_review_talk"  # opens the form
    REVIEW_TALK_NOTE = "mend_review_talk_note"
    APPLAUD = "mend_applaud"  # on a lesson: one applause per person
    # Practice on real cases: open a case's form, answer it, serve another, or ask for the channel's.
    PRACTICE_OPEN = "mend_practice_open"  # opens the form for that case
    PRACTICE_ANSWER = "mend_practice_answer"
    PRACTICE_NEXT = "mend_practice_next"  # opens the form for another case
    PRACTICE_TRY = "mend_practice_try"  # on the lessons channel's post: sends the case to the presser


class Tone(StrEnum):
    """How a reply should look: plain, good news, needs attention, or a problem."""

    INFO = "info"
    SUCCESS = "success"
    WARNING = "warning"
    ERROR = "error"


class Style(StrEnum):
    """How a button should look."""

    DEFAULT = "default"
    PRIMARY = "primary"
    DANGER = "danger"


@dataclass(frozen=True)
class Button:
    """A button that sends `action` with `value` (a case, option or request id) back."""

    label: str
    action: ActionId
    value: str
    style: Style = Style.DEFAULT


@dataclass(frozen=True)
class Field:
    """A labelled fact, shown as a short two-column row."""

    label: str
    value: str


@dataclass(frozen=True)
class Item:
    """One entry of a list, such as a compensation option, with its own button."""

    title: str
    detail: str = ""
    button: Button | None = None


@dataclass(frozen=True)
class Keep:
    """Where an edge shows this reply must be recorded: a later change updates it in place.

    The employee's "sent for approval" card is one: the approver's decision replaces it.
    A Home card shown in Teams is another: a change to what it shows updates it.
    """

    kind: str  # the delivery kind the shown message is recorded as
    case_id: int | None  # None: a card about no one case (a person's Home)
    recipient_id: int
    request_id: int | None = None


@dataclass(frozen=True)
class Image:
    """A picture shown with a reply, such as the weekly digest's chart (PNG bytes)."""

    png: bytes
    alt: str  # what it shows, in words, for a screen reader or a platform that cannot show it
    name: str  # a file name, for where it is uploaded or saved


@dataclass(frozen=True)
class Reply:
    """A card: what the core says to one person or channel."""

    title: str
    text: str = ""
    fields: tuple[Field, ...] = ()
    items: tuple[Item, ...] = ()
    buttons: tuple[Button, ...] = ()
    tone: Tone = Tone.INFO
    note: str = ""
    case_id: int | None = None  # the case this card is about, if it is about one
    error_field: str | None = None  # for an error: the form field it is about, if one
    keep: Keep | None = None  # for the edge that shows it: record where (see Keep)
    image: Image | None = None
    # A person's Home (their cases, approvals and budget): Slack publishes it as the App Home
    # tab; a sent Home replaces the last one shown, never arrives as a new message.
    home: bool = False


class InputKind(StrEnum):
    """What kind of input a form field is."""

    TEXT = "text"
    LONG_TEXT = "long_text"
    CHOICE = "choice"
    AMOUNT = "amount"


@dataclass(frozen=True)
class Choice:
    """One choice of a choice input."""

    value: str
    label: str


@dataclass(frozen=True)
class Input:
    """One field of a form."""

    name: str
    label: str
    kind: InputKind = InputKind.TEXT
    required: bool = True
    initial: str | None = None
    hint: str = ""
    placeholder: str = ""
    choices: tuple[Choice, ...] = ()
    max_length: int | None = None


@dataclass(frozen=True)
class Form:
    """A form to fill in; submitting it sends `action` with `value` and the inputs."""

    title: str
    action: ActionId
    submit_label: str
    inputs: tuple[Input, ...]
    value: str = ""
    intro: str = ""
    fields: tuple[Field, ...] = field(default_factory=tuple)
