"""A click or form submission as the use cases receive it, and the shape of a route."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypedDict

from sqlalchemy.orm import Session

from bot import messages
from bot.commands import Actor
from bot.errors import MendError
from bot.ports import Clock
from bot.replies import Form, Reply
from bot.values import Target
from policies.schema import Policy


@dataclass(frozen=True)
class Press:
    """A click or form submission: who pressed, what it is about, what they typed."""

    actor: Actor
    target: Target
    inputs: Mapping[str, str]
    request_key: str | None = None

    @property
    def case_id(self) -> int:
        """Return the case pressed on."""
        return given(self.target.case_id)

    @property
    def request_id(self) -> int:
        """Return the approval request pressed on."""
        return given(self.target.request_id)

    @property
    def task_id(self) -> int:
        """Return the task pressed on."""
        return given(self.target.task_id)

    @property
    def item_id(self) -> int:
        """Return the review item pressed on."""
        return given(self.target.item_id)

    def text(self, name: str) -> str:
        """Return what was typed into input `name`, or an empty string."""
        return self.inputs.get(name) or ""


class Deps(TypedDict):
    """What every use case is given: the unit of work, the policy and the clock."""

    session: Session
    policy: Policy
    clock: Clock


Route = Callable[[Press, Deps], Reply | Form]


def given(number: int | None) -> int:
    """Return a number the value must hold for this action (Target.decode has checked it does)."""
    if number is None:
        raise MendError(messages.bad_button())
    return number
