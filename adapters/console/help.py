"""The terminal's /help: each command as typed (in English) and what it does, in the reader's language."""

from __future__ import annotations

import textwrap

from bot.i18n import N_, _

# /help, line by line: what is typed (commands are typed in English) and what it does.
# A line may hold two commands; one without a description shares the meaning of the line above.
_HELP_LINES: tuple[tuple[tuple[str, str], ...], ...] = (
    # Translators: a line of the terminal's /help; "late parcel $80" is an example of what a person types.
    (("/recover [{text}]", N_('open a case; text such as "late parcel $80" prefills the form')),),
    (("/give [R-1042] N", N_("give option N of the suggestion (or ask approval when over your limit)")),),
    (("/amount [R-1042]", N_("give another amount")),),
    (("/waiting [R-1042]", N_("the customer is waiting: speed up the approval")),),
    (("/request ID", N_("show approval request ID")),),
    (("/approve ID, /deny ID", N_("decide an approval request")),),
    (("/resolve [R-1042]", N_("record what was done and the lesson")),),
    (("/applaud R-1042", N_("applaud the lesson of a case (once)")),),
    (("/reopen, /cancel [R-1042]", ""),),
    (("/fixed, /unhappy, /unreachable [R-1042] N", N_("answer follow-up N")),),
    (("/case R-1042", N_("show a case")), ("/cases", N_("my open cases and approvals"))),
    (("/history {customer}", N_("the customer's earlier cases")),),
    (("/me", N_("my role and authority")),),
    (("/report [week|month]", N_("my team's figures and chart for the past 7 or 30 days")),),
    (("/digest", N_("the lessons channel's weekly digest, for this week so far")),),
    (("/tasks", N_("open fix-the-system tasks, mine and my team's; /task N shows one")),),
    (("/accept, /handover, /wontfix, /done N", N_("act on task N")),),
    (("/practice", N_("practise on a colleague's resolved case: your answer, then what was done")),),
    # Translators: a line of the terminal's /help; "Try it" is the name of a button in the lessons channel.
    (("/answer, /try R-1042", N_("answer that practice case; /try sends it to you (the channel's Try it)")),),
    (("/review", N_("decisions of my team that stood out last week")),),
    (("/fine N, /talk N", N_("review item N looks fine, or I talked to them (with a note)")),),
    (("/as {name}", N_("act as someone else (for example your manager)")),),
    (
        (
            "/later [{time}]",
            # Translators: a line of the terminal's /help; 2, 0.5, 30m, 2h and 1d are typed as they are.
            N_(
                "move the clock on (24 hours, or 2, 0.5, 30m, 2h, 1d) and do what the server would"
                " meanwhile: follow-ups, reminders, escalations, weekly posts"
            ),
        ),
    ),
    (("/help, /quit", ""),),
)
_HELP_WIDTH = 97
_HELP_INDENT = 25  # where a description starts


def _words() -> dict[str, str]:
    """Return the names of what a person types after a command, in their language."""
    return {
        # Translators: in the terminal's /help, what is typed after /recover (any words).
        "text": _("text"),
        # Translators: in the terminal's /help, what is typed after /history (a customer's name, email...).
        "customer": _("CUSTOMER"),
        # Translators: in the terminal's /help, what is typed after /as (a person's user name).
        "name": _("NAME"),
        # Translators: in the terminal's /help, what is typed after /later (a length of time).
        "time": _("TIME"),
    }


def _help_line(commands: tuple[tuple[str, str], ...]) -> list[str]:
    """Return one line of /help, wrapped under its description: each command and what it does."""
    words = _words()
    (typed, meaning), *more = ((typed.format(**words), meaning) for typed, meaning in commands)
    said = _(meaning) if meaning else ""
    line = f"  {typed:<22} {said}" if len(typed) <= 21 else f"  {typed}   {said}"
    for typed, meaning in more:
        line = f"{line:<43} {typed}  {_(meaning)}"
    return textwrap.wrap(
        line.rstrip(), _HELP_WIDTH, subsequent_indent=" " * _HELP_INDENT, break_on_hyphens=False
    )


def help_text() -> str:
    """Return the terminal's /help in the reader's language."""
    lines = [
        # Translators: the first lines of the terminal's /help (keep a line break where the line grows
        # too long); R-1042, 1042 and r1042 are typed as they are.
        _(
            "Commands (R-1042 is a case reference, also typed 1042 or r1042; it may be left out\n"
            "for the last case you saw):"
        )
    ]
    for commands in _HELP_LINES:
        lines += _help_line(commands)
    lines.append(
        # Translators: the last lines of the terminal's /help (keep a line break where the line grows
        # too long).
        _(
            "In a form: Enter keeps the answer in [brackets], /cancel leaves the form without saving,\n"
            "and // starts an answer that begins with /."
        )
    )
    return "\n".join(lines)


# The help as written, in English (the catalogs' source); `help_text()` says it in the reader's language.
HELP = help_text()
