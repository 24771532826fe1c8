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

from babel.lists import format_list
from sqlalchemy.orm import Session, sessionmaker

from adapters.console.answers import (
    _LEAVE_FORM,
    _QUIT,
    FORM_LEFT,
    FormLeft,
    _initial_number,
    checked_answer,
    later_hours,
)
from adapters.console.help import help_text
from adapters.console.notifier import ConsoleNotifier, charts_dir
from adapters.console.render import COMMANDS, command_target, inert, shown
from adapters.edge import Outcome, UseCases
from bot import cases, digest, dispatcher, forms, i18n, jobs, languages, reports, review, staff, tasks
from bot.commands import Actor
from bot.delivery_leases import other_platforms_in_use
from bot.errors import MendError
from bot.i18n import _
from bot.ports import Clock
from bot.replies import Form, Input, InputKind, Reply
from db import queries
from db.models import Platform
from policies.schema import Policy

log = logging.getLogger(__name__)

PLATFORM_NAMES = {Platform.SLACK.value: "Slack", Platform.TEAMS.value: "Teams"}


def _named(field_: Input) -> str:
    """Return how a form's prompt names an input: its label, marked when it may be left empty."""
    # Translators: a form input's label, in a prompt, when the input may be left empty.
    return field_.label if field_.required else _("{label} (optional)", label=field_.label)


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
        locale: str | None = None,
    ) -> None:
        self.clock = ShiftedClock(clock)
        self.locale = locale  # the language asked for with --locale; else the directory's or the policy's
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
        return Actor(
            platform=Platform.CONSOLE, user_id=self.user, name=self.user.capitalize(), locale=self.locale
        )

    def language(self) -> str:
        """Return the language the person acting reads (`bot.languages.of_actor`)."""
        with self.uses.sessions() as session:
            return languages.of_actor(session, self.actor, policy=self.uses.policy)

    def say(self, text: str) -> None:
        """Print a line."""
        print(text, file=self.out)

    def run(self) -> None:
        """Read and carry out commands until /quit or the end of input."""
        with i18n.speaking(self.language()):
            self.say(_("Mend: service recovery on the spot. Type /help for commands."))
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
        with i18n.speaking(self.language()):
            self._carry_out(name, args, line)
        self.dispatch()

    def _carry_out(self, name: str, args: list[str], line: str) -> None:
        try:
            self._command(name, args, line)
        except FormLeft as left:
            self.say(_(FORM_LEFT))
            self.finished = left.end_chat
        except MendError as exc:
            self.say(f"✗ {exc.message}")
        except Exception:
            correlation = uuid.uuid4().hex[:8]
            log.exception("console command failed [%s]", correlation)
            sorry = _(
                "Sorry, something went wrong on our side (code {code}). Nothing was changed.",
                code=correlation,
            )
            self.say(f"✗ {sorry}")

    def _command(self, name: str, args: list[str], line: str) -> None:
        policy = self.uses.policy
        deps: dict[str, Any] = {"policy": policy, "clock": self.clock}
        if name == "help":
            self.say(help_text())
        elif name == "as":
            if not args:
                # Translators: "/as bob" is typed as it is (bob is a person's name).
                raise MendError(_("Say who: /as bob"))
            self.user = self._someone_known(args[0].lower())
            self.say(_("You are now {user}.", user=self.user))
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
            # Translators: {hours} may be a fraction, such as 0.5; {when} is a date and time.
            moved = _(
                "The clock moved on {hours} hours, to {when}.",
                hours=i18n.number(hours),
                when=i18n.when(self.clock.now(), None),
            )
            self.say(moved)
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
            value, self.last_case = command_target(name, params, args, self.last_case)
            self.press(action, value)
        else:
            raise MendError(_("/{command} is not a command. Type /help for the list.", command=name))

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
        who, people = inert(name[:40]), ", ".join(known)
        if close:
            # Translators: {name} is the name typed after /as, {suggestion} a name close to it, {people}
            # the names known here; "mend staff import" is a command, typed as it is.
            raise MendError(
                _(
                    "Nobody called {name} uses Mend here. Did you mean {suggestion}? People here: {people}."
                    " To add someone, load them with mend staff import.",
                    name=who,
                    suggestion=close[0],
                    people=people,
                )
            )
        # Translators: {name} is the name typed after /as, {people} the names known here;
        # "mend staff import" is a command, typed as it is.
        raise MendError(
            _(
                "Nobody called {name} uses Mend here. People here: {people}."
                " To add someone, load them with mend staff import.",
                name=who,
                people=people,
            )
        )

    def press(self, action: str, value: str, inputs: dict[str, str] | None = None) -> None:
        """Press a button (or submit a form) and show what comes back."""
        work = self._work(action, value, inputs)
        outcome = self.uses.call(work, what=f"console {action}", actor=self.actor)
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
                self._work(form.action, form.value, values), what=f"console {form.action}", actor=self.actor
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
            # Translators: a prompt under a long text already written, which Enter keeps as it is.
            prompt = "  " + _("(Enter keeps it; or type a new text):") + " "
            initial: str | None = field_.initial
        elif field_.kind is InputKind.CHOICE:
            initial = field_.initial if _initial_number(field_) else None
            prompt = f"{field_.label} [{_initial_number(field_)}]: " if initial else f"{_named(field_)}: "
        else:
            initial = field_.initial
            prompt = f"{field_.label} [{initial}]: " if initial else f"{_named(field_)}: "
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
            refusal = _(
                "{command} is a command, and a form is open: type /cancel to leave it,"
                " or // to start an answer with /.",
                command=inert(word[:40]),
            )
            self.say(f"✗ {refusal}")

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
            return _("Messages Mend sends, to people and to channels, are shown here as they go out.")
        # Translators: {platforms} names chat platforms, such as "Slack and Teams"; `mend serve` is a command.
        return _(
            "People are also known on {platforms} here: only messages for people known only"
            " in the terminal are shown; the rest stay in the outbox for `mend serve` to send.",
            platforms=format_list(others, locale=i18n.locale()),
        )

    def tell(self, outcome: Outcome[Any]) -> None:
        """Print what a use case gave: its reply, or what went wrong in one line."""
        if outcome.error is not None:
            self.say(f"✗ {outcome.error.message}")
        elif outcome.code is not None:
            sorry = _(
                "Sorry, something went wrong on our side (code {code}). Nothing was changed.",
                code=outcome.code,
            )
            self.say(f"✗ {sorry}")
        else:
            self.show(outcome.result)

    def _with_session(self, call: Callable[[Session], Reply]) -> None:
        self.tell(self.uses.call(call, what="console command", actor=self.actor))
