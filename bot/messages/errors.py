"""What Mend says when a step fails: a problem to act on, a stale click, or its own fault."""

from __future__ import annotations

from bot.i18n import _
from bot.replies import Reply, Tone


def error(message: str, *, field: str | None = None) -> Reply:
    """Return an error reply for a person to act on."""
    return Reply(title=_("That did not work"), text=message, tone=Tone.ERROR, error_field=field)


def unexpected(correlation_id: str) -> Reply:
    """Apologise for a failure that is not the user's doing."""
    return Reply(
        title=_("Sorry, something went wrong on our side"),
        text=_(
            "Nothing was changed by this step. Try again in a moment; if it keeps happening, give "
            "your admin this code: {code}.",
            code=correlation_id,
        ),
        tone=Tone.ERROR,
    )


def unknown_person() -> str:
    """Say a person is not in the staff directory."""
    return _("That person is not in Mend's staff directory. Ask your admin to import them.")


def duplicate_click() -> str:
    """Say a second click was ignored."""
    return _("That was already done a moment ago; nothing more was changed.")


def bad_button() -> str:
    """Say a button's value could not be read."""
    return _("That button is out of date. Open the case again with /recover and try once more.")


def form_not_opened(detail: str, *, command: str | None = None) -> Reply:
    """Say that a form could not be opened, and what to do: press the button, or run `command`, again.

    `detail` is what went wrong, as a sentence without its full stop.
    """
    if command:
        # Translators: {problem} says what went wrong (e.g. "Slack said expired_trigger_id");
        # {command} is a slash command such as /recover.
        text = _("{problem}. Nothing was changed; run {command} again.", problem=detail, command=command)
    else:
        # Translators: {problem} says what went wrong (e.g. "Slack said expired_trigger_id").
        text = _("{problem}. Nothing was changed; press the button again.", problem=detail)
    return Reply(title=_("Mend could not open the form"), text=text, tone=Tone.WARNING)


def slack_not_reachable(detail: str) -> Reply:
    """Say that Mend could not show something in Slack, and what to do.

    `detail` is what went wrong, as a sentence without its full stop.
    """
    return Reply(
        title=_("Mend could not post there"),
        # Translators: {problem} says what went wrong (e.g. "Slack said channel_not_found");
        # keep /invite @Mend and /recover as they are.
        text=_(
            "{problem}. Invite Mend to the channel (/invite @Mend) or use /recover in your DM with Mend.",
            problem=detail,
        ),
        tone=Tone.WARNING,
    )


def form_too_slow() -> str:
    """Say that a next form could not be shown in time, and what to do."""
    return _("Mend took too long to show the next form; click the button again.")
