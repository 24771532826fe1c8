"""Through Teams: a manager's report with its chart, and a fix-the-system task carried to done."""

from __future__ import annotations

import asyncio
import base64
import struct
from typing import Any

from sqlalchemy import select

from bot.actions import handle
from bot.commands import Actor
from bot.replies import ActionId, Form
from db.models import Task
from tests.helpers import open_late_delivery
from tests.teams.conftest import LESSONS_CHANNEL, TeamsUser, find_action, teams_server
from tests.teams.test_commands import read, runtime  # noqa: F401 - the fixture, on both databases

ALICE = Actor("teams", "aad-alice")
NOTES = {
    "outcome": "Sent it again by express",
    "root_cause": "The courier lost it",
    "lesson": "Check the scans",
}


async def wait_for(check: Any, seconds: float = 10.0) -> Any:
    deadline = asyncio.get_running_loop().time() + seconds
    while not (found := check()):
        assert asyncio.get_running_loop().time() < deadline, "Teams never got the expected message"
        await asyncio.sleep(0.02)
    return found


def images(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        own = [node] if node.get("type") == "Image" else []
        return own + [i for value in node.values() for i in images(value)]
    if isinstance(node, list):
        return [i for value in node for i in images(value)]
    return []


def test_report_is_on_its_way_then_arrives_with_its_chart(runtime):  # noqa: F811
    async def scenario():
        async with teams_server(runtime) as (endpoint, connector):
            bob = TeamsUser(endpoint, connector, "aad-bob", "Bob Reyes")
            assert await bob.install() == 202
            assert await bob.say("report month") == 202
            posts = await wait_for(lambda: [p for p in connector.posts(bob.conversation) if images(p.card)])
            assert "Your report is on its way" in str(connector.posts(bob.conversation)[0].card)
            (image,) = images(posts[-1].card)
            png = base64.b64decode(image["url"].removeprefix("data:image/png;base64,"))
            assert struct.unpack(">II", png[16:24]) == (800, 400) and image["altText"]
            assert "Your team, the past 30 days" in str(posts[-1].card)

    asyncio.run(scenario())


def _resolve_three_courier_delays(runtime) -> None:  # noqa: F811
    deps = {"policy": runtime.policy, "clock": runtime.clock}
    with runtime.sessions() as session:
        for n in range(3):
            case_id = open_late_delivery(session, actor=ALICE, customer_ref=f"ORD-7000{n}", **deps).case_id
            inputs = {**NOTES, "root_cause_key": "courier_delay"}
            preview = handle(ActionId.RESOLVE_CASE, str(case_id), ALICE, inputs, session=session, **deps)
            assert isinstance(preview, Form)
            shown = {i.name: i.initial or "" for i in preview.inputs}
            handle(ActionId.POST_LESSON, str(case_id), ALICE, shown, session=session, **deps)
        session.commit()


def test_the_owner_accepts_a_task_and_says_what_changed_and_the_channel_hears(runtime):  # noqa: F811
    async def scenario():
        async with teams_server(runtime) as (endpoint, connector):
            bob = TeamsUser(endpoint, connector, "aad-bob", "Bob Reyes")
            assert await bob.install() == 202
            _resolve_three_courier_delays(runtime)
            assert await bob.say("tasks") == 202
            assert "1 open task" in read(connector, bob)
            listed = connector.posts(bob.conversation)[-1]
            assert await bob.submit(find_action(listed.card, "Open"), listed.answered_id) == 202
            card_call = await wait_for(lambda: connector.puts(bob.conversation, listed.answered_id))
            task_card = card_call[-1].card
            assert "Fix the system" in str(task_card) and "ORD-7000" not in str(task_card)

            assert await bob.submit(find_action(task_card, "Accept"), listed.answered_id) == 202
            accepted = connector.puts(bob.conversation, listed.answered_id)[-1].card
            assert "in progress" in str(accepted)
            assert await bob.submit(find_action(accepted, "Done"), listed.answered_id) == 202
            # the form may replace the task card or come as a card of its own: the last card sent
            form = [c for c in connector.calls if c.body and c.body.get("attachments")][-1]
            change = "Depot scans are checked twice a day"
            form_id = form.answered_id or form.path.rsplit("/", 1)[-1]
            done = find_action(form.card, "Tell the team")
            assert await bob.submit(done, form_id, change=change) == 202

            announced = await wait_for(
                lambda: [p for p in connector.posts(LESSONS_CHANNEL) if "Fixed at the cause" in str(p.card)]
            )
            assert change in str(announced[-1].card)
            with runtime.sessions() as session:
                task = session.scalars(select(Task)).one()
                assert (task.status, task.resolution) == ("done", change)

    asyncio.run(scenario())
