"""Mend read in the pseudo-locale en-XA on Slack, Teams and the terminal, through their real protocols.

Every catalog message reads ⟦àççéñŧéđ àñđ ~~~~⟧ in en-XA (`bot.i18n.pseudo`). People whose
platform reports en-XA play the flows: help, the case form and an error on it, the suggestion,
asking approval, the approver's request, deny form and decision, the decision told, the resolve
form and the lesson preview, a fix-the-system task, the follow-up, history, cases (Slack's
Home), me, approvals, report, tasks, practice, and the terminal's and Teams' own words. Then
every text they read is checked (`tests/pseudo_reading.py`): nothing cut or over its platform's
limit; no English word outside ⟦…⟧ but what people and the policy wrote; nothing that Mend
logged as failing or that never arrived. Channel posts (lessons, the digest) are written in
the channel's language, English by the default policy: only the first check applies to them.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import re
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from adapters.console.chat import ChatSession
from adapters.console.help import HELP
from adapters.main import SENDER_KEY, Runtime, build_web_app
from adapters.teams import translate as teams_words
from bot import home_refresh, i18n, staff
from bot.actions import handle
from bot.commands import Actor
from bot.replies import ActionId, Form
from tests.conftest import STAFF_CSV as CONSOLE_STAFF
from tests.helpers import OVER_LIMIT_CASE, open_late_delivery
from tests.pseudo_reading import (
    SLACK_SENDS,
    Allowed,
    Text,
    allowed,
    body_of,
    problems,
    slack_texts,
    teams_texts,
)
from tests.slack.conftest import STAFF_CSV as SLACK_STAFF
from tests.slack.conftest import SlackUser, database_url, make_runtime, shown_inputs, wait_for  # noqa: F401
from tests.slack.webapi import Call, SlackWebApi
from tests.teams.conftest import LESSONS_CHANNEL, TeamsUser
from tests.teams.conftest import STAFF_CSV as TEAMS_STAFF
from tests.teams.conftest import shown_inputs as card_inputs
from tests.teams.connector import RecordingConnector

XA = "en-XA"
CASE = OVER_LIMIT_CASE
NOTES = {
    "outcome": "Sent it again by express",
    "root_cause": "The courier lost it",
    "lesson": "Check the scans",
}
CAUSE = {"root_cause_key": "courier_delay"}  # the third courier delay opens a fix-the-system task
APOLOGY = {"your_offer": "apology", "your_apology": "I am so sorry; it goes out by express today."}
NO_APOLOGY = {**APOLOGY, "your_apology": ""}
# What the test types, and the first name Mend greets the customer by in the policy's apology.
TYPED = (CASE, NOTES, APOLOGY, "late parcel $80", "Jane")
# Tuesday 10:00 in New York: the follow-up of Monday's critical case is due, in working hours.
NEXT_MORNING = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)


def readable(policy: Any, directory: str, typed_as_is: Any = ()) -> Allowed:
    """Return what may be read outside the catalog: what the test typed, the directory's people,
    the policy's own words, `typed_as_is` (commands), English dates and the product names."""
    return allowed(policy, (TYPED, [row.split(",") for row in directory.splitlines()[1:]], typed_as_is))


def assert_read_in_pseudo(
    shown: list[Text], may_read: Allowed, caplog: Any, arrived: dict[str, bool]
) -> None:
    """Fail naming what never arrived, each text cut, over its limit or not from the catalog, and
    each failure Mend logged."""
    found = [f"{what} never arrived" for what, came in arrived.items() if not came]
    found += problems(shown, may_read)
    for record in caplog.records:
        if record.levelno >= logging.ERROR:  # e.g. a delivery that could not be written in en-XA
            found.append(f"Mend failed: {record.getMessage()}: {record.exc_info and record.exc_info[1]!r}")
    assert not found, f"{len(found)} problems:\n" + "\n".join(found)


def seed_two_courier_delays(runtime: Runtime, alice: Actor) -> None:
    """Two courier delays Alice resolved earlier: the third of the test opens a fix-the-system task."""
    deps = {"policy": runtime.policy, "clock": runtime.clock}
    same = {k: CASE[k] for k in ("customer_name", "customer_email", "customer_phone", "description")}
    with runtime.sessions() as session:
        for n in (1, 2):
            case_id = open_late_delivery(
                session, actor=alice, customer_ref=f"ORD-9000{n}", **same, **deps
            ).case_id
            notes = {**NOTES, **CAUSE}
            preview = handle(ActionId.RESOLVE_CASE, str(case_id), alice, notes, session=session, **deps)
            assert isinstance(preview, Form)
            shown = {i.name: i.initial or "" for i in preview.inputs}
            handle(ActionId.POST_LESSON, str(case_id), alice, shown, session=session, **deps)
        session.commit()


@contextlib.asynccontextmanager
async def serving(
    runtime_for: Callable[..., Runtime], prepare: Callable[[Runtime], None], **settings: Any
) -> AsyncIterator[tuple[str, SlackWebApi, RecordingConnector, Runtime, Any]]:
    """Serve what `mend serve` builds, against a recording Slack Web API (`users` feeds its
    users.info) and Teams connector, once `prepare` has loaded the runtime's data."""
    api = await SlackWebApi(settings.pop("users", None)).start()
    connector = await RecordingConnector().start()
    runtime = runtime_for(MEND_SLACK_API_URL=api.url, **settings)
    prepare(runtime)
    web_app = build_web_app(runtime)
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}", api, connector, runtime, web_app[SENDER_KEY]
    finally:
        await runner.cleanup()
        await connector.stop()
        await api.stop()


# --- Slack -------------------------------------------------------------------------------------

SLACK_PEOPLE = {"UALICE": "Alice Park", "UBOB": "Bob Reyes", "UCAROL": "Carol Diaz"}


def button(call: Call, action: ActionId) -> str:
    """Return the label of a message's button for `action` (labels are pseudo-text, ids are not)."""
    labels = [label for label, b in call.buttons().items() if b["action_id"].split("#")[0] == action]
    assert labels, f"no {action} button in {call.text}"
    return labels[0]


def test_slack_reads_whole_and_translated_in_the_pseudo_locale(make_runtime, caplog):  # noqa: F811
    users = {u: {"id": u, "locale": XA, "real_name": n, "profile": {}} for u, n in SLACK_PEOPLE.items()}

    def prepare(runtime: Runtime) -> None:
        with runtime.sessions() as session:
            staff.import_staff(SLACK_STAFF, session=session, policy=runtime.policy, clock=runtime.clock)
        seed_two_courier_delays(runtime, Actor("slack", "UALICE"))

    api, runtime, answers = asyncio.run(_slack(make_runtime, prepare, users))
    shown = [t for what, answer in answers for t in slack_texts(f"answer to {what}", body_of(answer))]
    shared = {
        f["id"]: c.args.get("channel_id")
        for c in api.of("files.completeUploadExternal")
        for f in c.args["files"]
    }
    for call in api.calls:
        if call.method in SLACK_SENDS:
            view = call.args.get("view") or {}
            to = call.args.get("channel") or call.args.get("channel_id") or call.args.get("user_id")
            to = to or shared.get(call.answer.get("file_id"))  # where a file's upload is shared
            where = f"{call.method} {view.get('callback_id') or view.get('type') or f'to {to}'}"
            shown += slack_texts(where, call.args, channel_post=to == runtime.policy.broadcast.channel)
    report = [c for c in api.of("files.completeUploadExternal") if "UBOB" in str(c.args.get("channels"))]
    assert_read_in_pseudo(
        shown, readable(runtime.policy, SLACK_STAFF), caplog, {"Bob's report": bool(report)}
    )


async def _slack(runtime_for, prepare, users) -> tuple[SlackWebApi, Runtime, list[tuple[str, str]]]:
    async with serving(runtime_for, prepare, users=users) as (base, api, _teams, runtime, sender):
        alice, bob, carol = (SlackUser(f"{base}/slack/events", api, u, u[1:].lower()) for u in SLACK_PEOPLE)
        answers: list[tuple[str, str]] = []  # what Mend answered in the HTTP response itself

        async def act(what: str, done: Any) -> None:
            status, answer = await done
            assert status == 200, answer
            answers.append((what, answer))

        async def view(callback: ActionId) -> dict[str, Any]:
            calls = await wait_for(lambda: [c for c in api.of("views.open") if callback in c.text])
            return calls[-1].answer["view"]

        async def message_to(user: str, action: ActionId) -> Call:
            return (
                await wait_for(
                    lambda: [c for c in api.of("chat.postMessage", channel=user) if action in c.text]
                )
            )[-1]

        async def click(person: SlackUser, message: Call, action: ActionId) -> None:
            await act(action.value, person.click(message, button(message, action)))

        for person in (bob, carol):  # the approvers open Mend's Home first: Mend learns their language
            await act("Home", person.open_home())
        await act("/recover help", alice.recover("help"))
        await act("/recover", alice.recover("late parcel $80"))
        case_form = await view(ActionId.OPEN_CASE)
        await act("case form without a name", alice.submit(case_form, **{**CASE, "customer_name": ""}))
        await act("case form", alice.submit(case_form, **CASE))
        suggestion = await message_to("UALICE", ActionId.REQUEST_APPROVAL)
        await click(alice, suggestion, ActionId.REQUEST_APPROVAL)
        request = await message_to("UBOB", ActionId.APPROVE)
        runtime.clock.advance(seconds=home_refresh.DELAY.total_seconds())
        await sender.dispatch_pass()  # Bob's Home shows the approval waiting on him
        await click(bob, request, ActionId.DENY)
        await act("deny without a reason", bob.submit(await view(ActionId.DENY_WITH_REASON), reason=" "))
        await click(bob, request, ActionId.APPROVE)
        await click(
            alice,
            (await wait_for(lambda: api.of("chat.postMessage", channel="UALICE")[1:]))[-1],
            ActionId.RESOLVE,
        )
        await act("resolve form", alice.submit(await view(ActionId.RESOLVE_CASE), **NOTES, **CAUSE))
        preview = body_of(answers[-1][1])["view"]
        await act("post lesson", alice.submit(preview, **shown_inputs(preview)))
        await click(bob, await message_to("UBOB", ActionId.TASK_ACCEPT), ActionId.TASK_ACCEPT)
        for person, words in ((alice, "history jane@example.org"), (bob, "report week"), (bob, "tasks")):
            await act(f"/recover {words}", person.recover(words))
        await act("/recover practice", carol.recover("practice"))
        await click(carol, await message_to("UCAROL", ActionId.PRACTICE_OPEN), ActionId.PRACTICE_OPEN)
        practice_form = await view(ActionId.PRACTICE_ANSWER)
        await act("practice without an apology", carol.submit(practice_form, **NO_APOLOGY))
        await act("practice answer", carol.submit(practice_form, **APOLOGY))
        runtime.clock.set(NEXT_MORNING)  # the follow-up comes, in Alice's working hours
        await sender.dispatch_pass()
        await click(alice, await message_to("UALICE", ActionId.FOLLOW_UP_FIXED), ActionId.FOLLOW_UP_FIXED)
        await act("Home", alice.open_home())
        await wait_for(lambda: api.of("views.publish", user_id="UALICE"))
        await sender.dispatch_pass()
    return api, runtime, answers


# --- Teams -------------------------------------------------------------------------------------


class PseudoTeamsUser(TeamsUser):
    """A person whose Teams client is set to en-XA: every activity they send says so."""

    def activity(self, **fields: Any) -> dict[str, Any]:
        return super().activity(**{"locale": XA, **fields})


def press(card: dict[str, Any], action: ActionId) -> dict[str, Any] | None:
    """Return the data of a card's Action.Submit for `action` (titles are pseudo-text, ids are not)."""

    def walk(node: Any) -> Iterator[dict[str, Any]]:
        if isinstance(node, dict):
            if node.get("type") == "Action.Submit" and node["data"][teams_words.ACTION_KEY] == action:
                yield node["data"]
            yield from (found for value in node.values() for found in walk(value))
        elif isinstance(node, list):
            yield from (found for value in node for found in walk(value))

    return next(walk(card), None)


def test_teams_reads_whole_and_translated_in_the_pseudo_locale(make_runtime, caplog):  # noqa: F811
    def prepare(runtime: Runtime) -> None:
        broadcast = runtime.policy.broadcast.model_copy(update={"teams_channel": LESSONS_CHANNEL})
        runtime.policy = runtime.policy.model_copy(update={"broadcast": broadcast})
        with runtime.sessions() as session:
            staff.import_staff(TEAMS_STAFF, session=session, policy=runtime.policy, clock=runtime.clock)
        seed_two_courier_delays(runtime, Actor("teams", "aad-alice"))

    settings = {"SLACK_SIGNING_SECRET": None, "SLACK_BOT_TOKEN": None, "MEND_TEAMS_UNAUTHENTICATED": True}
    connector, runtime = asyncio.run(_teams(make_runtime, prepare, settings))
    cards = [c for c in connector.calls if c.body and c.body.get("attachments")]
    shown = [
        text
        for c in cards
        for text in teams_texts(
            f"{c.method} {c.path}", c.card, channel_post=c.conversation == LESSONS_CHANNEL
        )
    ]
    report = [c for c in connector.posts("a:chat-aad-bob") if '"type": "Image"' in json.dumps(c.card)]
    words = [w.value for w in teams_words.Word if w is not teams_words.Word.UNKNOWN]  # typed as they are
    came = {"Bob's report": bool(report), "every message (none refused as too big)": not connector.refused}
    assert_read_in_pseudo(shown, readable(runtime.policy, TEAMS_STAFF, words), caplog, came)


async def _teams(runtime_for, prepare, settings) -> tuple[RecordingConnector, Runtime]:
    async with serving(runtime_for, prepare, **settings) as (base, _slack, connector, runtime, sender):
        alice, bob, carol = (
            PseudoTeamsUser(f"{base}/api/messages", connector, f"aad-{name}", name.title())
            for name in ("alice", "bob", "carol")
        )

        async def card_for(person: TeamsUser, action: ActionId) -> Any:
            """Return the last card sent to a person with a button for `action`, once it came."""
            posts = connector.posts(person.conversation)
            for _ in range(500):
                if found := [c for c in posts if press(c.card, action)]:
                    return found[-1]
                await asyncio.sleep(0.02)
            raise AssertionError(f"no card with {action} reached {person.account['name']}")

        async def submit(
            person: TeamsUser, action: ActionId, card: Any = None, at: str = "", **inputs: str
        ) -> None:
            """Press `action` on `card` (shown `at` an activity id), else on the last card sent with it."""
            card = card or await card_for(person, action)
            data = press(card.card, action)
            assert data, f"no {action} on {card.card}"
            assert await person.submit(data, at or card.answered_id, **inputs) == 202

        for person in (bob, carol):
            assert await person.install() == 202  # Mend keeps where they are, and their language
        for words in ("help", "hello there", "recover late parcel $80"):
            assert await alice.say(words) == 202
        form = await card_for(alice, ActionId.OPEN_CASE)
        await submit(alice, ActionId.OPEN_CASE, form, **{**CASE, "customer_name": ""})
        await submit(alice, ActionId.OPEN_CASE, form, **CASE)
        suggestion = connector.puts(alice.conversation, form.answered_id)[-1]  # it replaced the form
        await submit(alice, ActionId.REQUEST_APPROVAL, suggestion, form.answered_id)
        request = await card_for(bob, ActionId.APPROVE)
        assert await bob.say("approvals") == 202
        await submit(bob, ActionId.DENY, request)
        await submit(bob, ActionId.DENY_WITH_REASON, reason=" ")
        await submit(bob, ActionId.APPROVE, request)
        await submit(alice, ActionId.RESOLVE)
        await submit(alice, ActionId.RESOLVE_CASE, **NOTES, **CAUSE)
        preview = await card_for(alice, ActionId.POST_LESSON)
        await submit(alice, ActionId.POST_LESSON, preview, **card_inputs(preview.card))
        await submit(bob, ActionId.TASK_ACCEPT)
        for words in ("history jane@example.org", "history", "cases", "me"):
            assert await alice.say(words) == 202
        for words in ("report week", "tasks"):
            assert await bob.say(words) == 202
        assert await carol.say("practice") == 202
        await submit(carol, ActionId.PRACTICE_OPEN)
        practice_form = await card_for(carol, ActionId.PRACTICE_ANSWER)
        await submit(carol, ActionId.PRACTICE_ANSWER, practice_form, **NO_APOLOGY)
        await submit(carol, ActionId.PRACTICE_ANSWER, practice_form, **APOLOGY)
        runtime.clock.set(NEXT_MORNING)  # the follow-up comes, in Alice's working hours
        await sender.dispatch_pass()
        await submit(alice, ActionId.FOLLOW_UP_FIXED)
        await sender.dispatch_pass()
    return connector, runtime


# --- the terminal ------------------------------------------------------------------------------


def typed(*lines: str) -> list[str]:
    """Return the lines a person types: `|` parts the lines written on one."""
    return [part.strip() for line in lines for part in line.split("|")]


# As alice, bob and carol in turn, each reading en-XA (`mend chat --locale en-XA`); Bob and Carol
# act first, so that what Mend sends them is written in their language.
TERMINAL = typed(
    "/as bob | /as carol | /as alice | /help | /frobnicate | /give | /case 5",
    # the case form, whose name is left empty once; then option 1, over Alice's limit, goes to Bob
    "/recover late parcel $80 | | Jane Customer | | 3 | The parcel arrived a week late.",
    " | ORD-123456 | jane@example.org | | 120 | | /give 1 | /waiting",
    "/as bob | /request 1 | /deny 1 | | /cancel | /approve 1 | /review | /as alice",
    # resolving: the notes, then the lesson as the team will read it, kept as shown
    "/resolve | Sent it again by express | 1 | The courier lost it | Check the scans | | | |",
    "/later 29 | /fixed 1 | /history jane@example.org | /history | /cases | /me",
    "/report week | /tasks | /digest | /as carol | /practice | 1",
    APOLOGY["your_apology"],
)


def test_the_terminal_reads_whole_and_translated_in_the_pseudo_locale(make_runtime, caplog):  # noqa: F811
    runtime = make_runtime(SLACK_SIGNING_SECRET=None, SLACK_BOT_TOKEN=None)
    with runtime.sessions() as session:
        staff.import_staff(CONSOLE_STAFF, session=session, policy=runtime.policy, clock=runtime.clock)
    out, script = io.StringIO(), iter(TERMINAL)

    def read(prompt: str) -> str:
        out.write(prompt + "\n")  # what is typed is not echoed: only what Mend printed is checked
        line = next(script, None)
        if line is None:
            raise EOFError
        return line

    ChatSession(runtime.sessions, runtime.policy, runtime.clock, "alice", read=read, out=out, locale=XA).run()
    printed, channel = out.getvalue(), f"{runtime.policy.broadcast.channel} ──"
    shown = [  # each message Mend sent, and what each command printed
        Text(f"terminal, part {n}", part, channel_post=part.split("\n")[0].endswith(channel))
        for n, part in enumerate(re.split(r"\n(?=── |\w+> \n)", printed))
    ]
    # The terminal's commands, and the choices their usage shows ([week|month]), are typed in English.
    commands = re.findall(r"/\w+|\[\w+(?:\|\w+)+\]", HELP)
    came = {
        what: i18n.pseudo(title) in printed
        for what, title in (
            ("the follow-up", "Yes, fixed"),
            ("the report", "Cases opened"),
            ("the practice answer", "How it was actually handled"),
        )
    }
    assert_read_in_pseudo(shown, readable(runtime.policy, CONSOLE_STAFF, commands), caplog, came)
