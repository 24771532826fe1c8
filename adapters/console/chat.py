"""`mend chat`: the whole recovery loop in a terminal, on the same core as Slack and Teams."""

from __future__ import annotations

import difflib
import logging
import shlex
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy.orm import Session, sessionmaker

from adapters.console.answers import (
    _LEAVE_FORM,
    _NUMBER,
    _QUIT,
    FORM_LEFT,
    FormLeft,
    _initial_number,
    checked_answer,
    later_hours,
)
from adapters.console.notifier import ConsoleNotifier, charts_dir
from adapters.console.render import COMMANDS, TARGET_FIELDS, inert, shown, usage
from adapters.edge import Outcome, UseCases
from bot import cases, digest, dispatcher, forms, jobs, reports, review, staff, tasks
from bot.commands import Actor
from bot.delivery_leases import other_platforms_in_use
from bot.errors import MendError
from bot.ports import Clock
from bot.replies import Form, Input, InputKind, Reply
from bot.values import Target
from db import queries
from db.models import Platform
from policies.schema import Policy

log = logging.getLogger(__name__)

HELP = """\
Commands (R-1042 is a case reference, also typed 1042 or r1042; it may be left out
for the last case you saw):
  /recover [text]        open a case; text such as "late parcel $80" prefills the form
  /give [R-1042] N       give option N of the suggestion (or ask approval when over your limit)
  /amount [R-1042]       give another amount
  /waiting [R-1042]      the customer is waiting: speed up the approval
  /request ID            show approval request ID
  /approve ID, /deny ID  decide an approval request
  /resolve [R-1042]      record what was done and the lesson
  /applaud R-1042        applaud the lesson of a case (once)
  /reopen, /cancel [R-1042]
  /fixed, /unhappy, /unreachable [R-1042] N   answer follow-up N
  /case R-1042           show a case        /cases  my open cases and approvals
  /history CUSTOMER      the customer's earlier cases
  /me                    my role and authority
  /report [week|month]   my team's figures and chart for the past 7 or 30 days
  /digest                the lessons channel's weekly digest, for this week so far
  /tasks                 open fix-the-system tasks, mine and my team's; /task N shows one
  /accept, /handover, /wontfix, /done N   act on task N
  /practice              practise on a colleague's resolved case: your answer, then what was done
  /answer, /try R-1042   answer that practice case; /try sends it to you (the channel's Try it)
  /review                decisions of my team that stood out last week
  /fine N, /talk N       review item N looks fine, or I talked to them (with a note)
  /as NAME               act as someone else (for example your manager)
  /later [TIME]          move the clock on (24 hours, or 2, 0.5, 30m, 2h, 1d) and do what the
                         server would meanwhile: follow-ups, reminders, escalations, weekly posts
  /help, /quit
In a form: Enter keeps the answer in [brackets], /cancel leaves the form without saving,
and // starts an answer that begins with /."""

PLATFORM_NAMES = {Platform.SLACK.value: "Slack", Platform.TEAMS.value: "Teams"}


class ShiftedClock:
    """The system clock plus an offset that `/later` moves on."""

    def __init__(self, base: Clock) -> None:
        self.base = base
        self.offset = timedelta()

    def now(self) -> datetime:
        """Return the shifted time."""
        return self.base.now() + self.offset


class ChatSession:
    """One terminal session: reads commands, calls the core, prints replies."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        policy: Policy,
        clock: Clock,
        user: str,
        *,
        read: Callable[[str], str],
        out: TextIO,
        charts: Path | None = None,
    ) -> None:
        self.clock = ShiftedClock(clock)
        # The console sends what is due itself after every command (see `dispatch`).
        self.uses = UseCases(sessions, policy, self.clock)
        self.read = read
        self.out = out
        self.charts = charts if charts is not None else charts_dir()
        names = {"lessons": policy.broadcast.channel, "approvals": policy.approvals.channel or "approvals"}
        self.notifier = ConsoleNotifier(out, charts=self.charts, channels=names)
        self.user = user
        self.last_case: int | None = None
        self.finished = False  # /quit or the end of input came while a form was open

    @property
    def actor(self) -> Actor:
        """Return who is acting now."""
        return Actor(platform=Platform.CONSOLE, user_id=self.user, name=self.user.capitalize())

    def say(self, text: str) -> None:
        """Print a line."""
        print(text, file=self.out)

    def run(self) -> None:
        """Read and carry out commands until /quit or the end of input."""
        self.say("Mend: service recovery on the spot. Type /help for commands.")
        self.say(self._what_is_shown())
        self.command("/me")
        while not self.finished:
            try:
                line = self.read(f"{self.user}> ")
            except EOFError:
                self.say("")
                return
            if line.strip().lower() in _QUIT:
                return
            self.command(line)

    def command(self, line: str) -> None:
        """Carry out one command line, printing the outcome."""
        try:
            words = shlex.split(line.strip())
        except ValueError:
            words = line.strip().split()
        if not words:
            return
        name, args = words[0].lstrip("/").lower(), words[1:]
        try:
            self._command(name, args, line)
        except FormLeft as left:
            self.say(FORM_LEFT)
            self.finished = left.end_chat
        except MendError as exc:
            self.say(f"✗ {exc.message}")
        except Exception:
            correlation = uuid.uuid4().hex[:8]
            log.exception("console command failed [%s]", correlation)
            self.say(f"✗ Sorry, something went wrong on our side (code {correlation}). Nothing was changed.")
        self.dispatch()

    def _command(self, name: str, args: list[str], line: str) -> None:
        policy = self.uses.policy
        deps: dict[str, Any] = {"policy": policy, "clock": self.clock}
        if name == "help":
            self.say(HELP)
        elif name == "as":
            if not args:
                raise MendError("Say who: /as bob")
            self.user = self._someone_known(args[0].lower())
            self.say(f"You are now {self.user}.")
            self._with_session(lambda s: cases.my_cases(self.actor, session=s, **deps))
        elif name == "me":
            self._with_session(lambda s: staff.describe_me(self.actor, session=s, **deps))
        elif name == "cases":
            self._with_session(lambda s: cases.my_cases(self.actor, session=s, **deps))
        elif name == "history":
            query = line.strip().split(maxsplit=1)[1] if len(args) else ""
            self._with_session(lambda s: cases.customer_history(self.actor, query, session=s, **deps))
        elif name == "report":
            span = " ".join(args)
            self._with_session(lambda s: reports.request_report(self.actor, span, session=s, **deps))
        elif name == "tasks":
            self._with_session(lambda s: tasks.list_tasks(self.actor, session=s, **deps))
        elif name == "review":
            # No scheduler runs in the terminal: the week's review is made here once it is due.
            self._with_session(lambda s: review.show_review(self.actor, session=s, run_due=True, **deps))
        elif name == "digest":
            self._with_session(lambda s: digest.digest_so_far(s, policy, self.clock.now()))
        elif name == "later":
            hours = later_hours(" ".join(args))
            self.clock.offset += timedelta(hours=hours)
            self.say(f"The clock moved on {hours:g} hours, to {self.clock.now():%Y-%m-%d %H:%M} UTC.")
            # What the server's scheduler would have done meanwhile: escalations, reminders, weekly posts.
            self.uses.call(lambda s: jobs.run_scheduled(s, policy, self.clock.now()), what="console jobs")
        elif name == "recover":
            text = line.strip().split(maxsplit=1)[1] if args else ""
            if text.lower().startswith("history "):
                self._command("history", args[1:], "/history " + text[8:])
                return
            self.fill(forms.case_form(policy, forms.prefill_from_text(text, policy)))
        elif name in COMMANDS:
            action, params = COMMANDS[name]
            value = self._value(name, params, args)
            self.press(action, value)
        else:
            raise MendError(f"/{name} is not a command. Type /help for the list.")

    def _someone_known(self, name: str) -> str:
        """Return `name` if someone of that name uses the terminal here; else say who does.

        A typo would otherwise become a new member of staff, with the default role and no
        manager, and the next step would fail in a way that names neither.
        """
        with self.uses.sessions() as session:
            known = sorted(queries.list_user_ids(session, Platform.CONSOLE.value))
        if name in known or not known:
            return name
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"Did you mean {close[0]}? " if close else ""
        raise MendError(
            f"Nobody called {inert(name[:40])} uses Mend here. {hint}People here: {', '.join(known)}."
            " To add someone, load them with mend staff import."
        )

    def _value(self, name: str, params: tuple[str, ...], args: list[str]) -> str:
        args = list(args)
        numbers: dict[str, Any] = {}
        for i, param in enumerate(params):
            if param == "case":
                # A bare number is the case when the words after it are all there: /give 1042 1.
                spare = len(args) > len(params) - i - 1
                if args and (args[0][:1] in ("R", "r") or spare):
                    case_id = cases.parse_case_ref(args.pop(0))
                elif self.last_case is not None:
                    case_id = self.last_case
                else:
                    raise MendError("Say which case, for example R-1001.")
                self.last_case = case_id
                numbers[TARGET_FIELDS[param]] = case_id
            else:
                if not args or not _NUMBER.fullmatch(args[0]):
                    raise MendError(f"Say which {param}: a number.")
                numbers[TARGET_FIELDS[param]] = int(args.pop(0))
        if args:
            raise MendError(f"/{name} takes {usage(name)}: {inert(args[0][:40])} is one word too many.")
        return Target(**numbers).encode()

    def press(self, action: str, value: str, inputs: dict[str, str] | None = None) -> None:
        """Press a button (or submit a form) and show what comes back."""
        outcome = self.uses.call(self._work(action, value, inputs), what=f"console {action}")
        if isinstance(outcome.result, Form):
            self.fill(outcome.result)
        else:
            self.tell(outcome)

    def _work(
        self, action: str, value: str, inputs: dict[str, str] | None
    ) -> Callable[[Session], Reply | Form]:
        return self.uses.press(action, value, self.actor, inputs, request_key=f"console:{uuid.uuid4().hex}")

    def fill(self, form: Form) -> None:
        """Ask for each input of a form, submit it, and ask again for any field that was wrong."""
        self.say(f"── {form.title} ──")
        if form.intro:
            self.say(form.intro)
        for f in form.fields:
            self.say(f"{f.label}: {f.value}")
        values: dict[str, str] = {}
        for field_ in form.inputs:
            values[field_.name] = self.ask(field_)
        while True:
            outcome = self.uses.call(
                self._work(form.action, form.value, values), what=f"console {form.action}"
            )
            if outcome.error is not None:
                self.say(f"✗ {outcome.error.message}")
                wrong = next((i for i in form.inputs if i.name == outcome.error.field), None)
                if wrong is None:
                    return
                values[wrong.name] = self.ask(wrong)
                continue
            if isinstance(outcome.result, Form):
                self.fill(outcome.result)
            else:
                self.show(outcome.result)
            return

    def ask(self, field_: Input) -> str:
        """Ask for one input until the form's own checks take the answer; choices are offered by number."""
        if field_.kind is InputKind.CHOICE:
            for n, choice in enumerate(field_.choices, start=1):
                self.say(f"  {n}. {choice.label}")
        if field_.kind is InputKind.LONG_TEXT and field_.initial:
            # A long prefilled text (the lesson as the team will read it) is shown whole, then kept.
            self.say(f"{field_.label}:\n  {field_.initial}")
            prompt = "  (Enter keeps it; or type a new text): "
            initial: str | None = field_.initial
        elif field_.kind is InputKind.CHOICE:
            initial = field_.initial if _initial_number(field_) else None
            shown = f" [{_initial_number(field_)}]" if initial else ""
            prompt = f"{field_.label}{shown or ('' if field_.required else ' (optional)')}: "
        else:
            initial = field_.initial
            shown = f" [{initial}]" if initial else ("" if field_.required else " (optional)")
            prompt = f"{field_.label}{shown}: "
        while True:
            answer = self._answer(prompt) or initial or ""
            try:
                return checked_answer(field_, answer)
            except MendError as exc:
                self.say(f"✗ {exc.message}")

    def _answer(self, prompt: str) -> str:
        """Read one answer in a form: /cancel and /quit leave it, and no other command is taken as data."""
        while True:
            try:
                answer = self.read(prompt).strip()
            except EOFError:
                self.say("")
                raise FormLeft(end_chat=True) from None
            if answer.startswith("//"):
                return answer[1:]
            if not answer.startswith("/"):
                return answer
            word = answer.split()[0].lower()
            if word in _LEAVE_FORM:
                raise FormLeft(end_chat=word in _QUIT)
            self.say(
                f"✗ {inert(word[:40])} is a command, and a form is open: type /cancel to leave it,"
                " or // to start an answer with /."
            )

    def show(self, reply: Reply) -> None:
        """Print a reply (saving its chart, if it has one), remembering the case it is about."""
        self.say(shown(reply, self.charts))
        if reply.case_id is not None:
            self.last_case = reply.case_id

    def dispatch(self) -> None:
        """Show what the outbox holds for the terminal that is due now, as the server's dispatcher would.

        Only the terminal's own: messages for people known here and on no chat
        platform, and channel posts while nobody is known on Slack or Teams. The
        rest stays in the outbox for `mend serve`, even on a database it shares.
        """
        uses = self.uses
        dispatcher.dispatch_due(
            sessions=uses.sessions,
            notifier=self.notifier,
            policy=uses.policy,
            clock=self.clock,
            only_for=Platform.CONSOLE,
        )

    def _what_is_shown(self) -> str:
        with self.uses.sessions() as session:
            others = [PLATFORM_NAMES.get(p, p) for p in other_platforms_in_use(session, Platform.CONSOLE)]
        if not others:
            return "Messages Mend sends, to people and to channels, are shown here as they go out."
        return (
            f"People are also known on {' and '.join(others)} here: only messages for people known only"
            " in the terminal are shown; the rest stay in the outbox for `mend serve` to send."
        )

    def tell(self, outcome: Outcome[Any]) -> None:
        """Print what a use case gave: its reply, or what went wrong in one line."""
        if outcome.error is not None:
            self.say(f"✗ {outcome.error.message}")
        elif outcome.code is not None:
            self.say(f"✗ Sorry, something went wrong on our side (code {outcome.code}). Nothing was changed.")
        else:
            self.show(outcome.result)

    def _with_session(self, call: Callable[[Session], Reply]) -> None:
        self.tell(self.uses.call(call, what="console command"))
