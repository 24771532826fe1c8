"""One vocabulary for what went wrong, each with a message for the person who caused it."""

from __future__ import annotations


class MendError(Exception):
    """A problem the user can act on; `message` says what happened and what to do."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(MendError):
    """A form value that cannot be used; `field` names the input."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, field=field)


class NotFound(MendError):
    """The case, request or person does not exist (or is not visible to this user)."""


class NotAllowed(MendError):
    """This person may not do this."""


class Conflict(MendError):
    """The thing has moved on: already decided, closed or cancelled."""
