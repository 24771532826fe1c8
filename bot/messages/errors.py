"""What Mend says when a step fails: a problem to act on, a stale click, or its own fault."""

from __future__ import annotations

from bot.replies import Reply, Tone


def error(message: str, *, field: str | None = None) -> Reply:
    """Return an error reply for a person to act on."""
    return Reply(title="That did not work", text=message, tone=Tone.ERROR, error_field=field)


def unexpected(correlation_id: str) -> Reply:
    """Apologise for a failure that is not the user's doing."""
    return Reply(
        title="Sorry, something went wrong on our side",
        text=f"Nothing was changed by this step. Try again in a moment; if it keeps happening, give "
        f"your admin this code: {correlation_id}.",
        tone=Tone.ERROR,
    )


def unknown_person() -> str:
    """Say a person is not in the staff directory."""
    return "That person is not in Mend's staff directory. Ask your admin to import them."


def duplicate_click() -> str:
    """Say a second click was ignored."""
    return "That was already done a moment ago; nothing more was changed."


def bad_button() -> str:
    """Say a button's value could not be read."""
    return "That button is out of date. Open the case again with /recover and try once more."


def form_not_opened(detail: str, *, command: str | None = None) -> Reply:
    """Say that a form could not be opened, and what to do: press the button, or run `command`, again."""
    again = f"run {command} again" if command else "press the button again"
    return Reply(
        title="Mend could not open the form",
        text=f"{detail}. Nothing was changed; {again}.",
        tone=Tone.WARNING,
    )


def slack_not_reachable(detail: str) -> Reply:
    """Say that Mend could not show something in Slack, and what to do."""
    return Reply(
        title="Mend could not post there",
        text=f"{detail}. Invite Mend to the channel (/invite @Mend) or use /recover in your DM with Mend.",
        tone=Tone.WARNING,
    )


def form_too_slow() -> str:
    """Say that a next form could not be shown in time, and what to do."""
    return "Mend took too long to show the next form; click the button again."
