"""A fix-the-system task through Slack: the third lapse of a kind opens it, its owner accepts
it and says what was changed, and the lessons channel hears of it."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.actions import handle
from bot.commands import Actor
from bot.replies import ActionId, Form
from db.models import Task
from tests.helpers import open_late_delivery
from tests.slack.conftest import (
    LESSONS,
    SlackUser,
    load_staff,
    shown_inputs,
    slack_server,
    updated_view,
    wait_for,
)

ALICE = Actor("slack", "UALICE")
NOTES = {
    "outcome": "Sent it again by express",
    "root_cause": "The courier lost it",
    "lesson": "Check the scans",
}
CASE = {
    "customer_name": "Jane Customer",
    "customer_ref": "ORD-900003",
    "category": "late_delivery",
    "severity": "major",
    "description": "The parcel arrived a week late.",
    "tier": "standard",
}


def _resolve_two_earlier_cases(runtime) -> None:
    deps = {"policy": runtime.policy, "clock": runtime.clock}
    with runtime.sessions() as session:
        for n in (1, 2):
            case_id = open_late_delivery(session, actor=ALICE, customer_ref=f"ORD-90000{n}", **deps).case_id
            inputs = {**NOTES, "root_cause_key": "courier_delay"}
            preview = handle(ActionId.RESOLVE_CASE, str(case_id), ALICE, inputs, session=session, **deps)
            assert isinstance(preview, Form)
            shown = {i.name: i.initial or "" for i in preview.inputs}
            handle(ActionId.POST_LESSON, str(case_id), ALICE, shown, session=session, **deps)
        session.commit()


def test_the_third_courier_delay_gives_bob_a_task_he_carries_to_done(make_runtime):
    asyncio.run(_task_flow(make_runtime))


async def _task_flow(make_runtime):
    async with slack_server(make_runtime) as (endpoint, api, runtime):
        load_staff(runtime)
        _resolve_two_earlier_cases(runtime)
        alice = SlackUser(endpoint, api, "UALICE", "alice")
        bob = SlackUser(endpoint, api, "UBOB", "bob")

        # the third case of the same kind and cause, resolved in Slack
        await alice.recover()
        (opened,) = await wait_for(lambda: api.of("views.open"))
        assert await alice.submit(opened.answer["view"], **CASE) == (200, "")
        (suggestion,) = await wait_for(lambda: api.of("chat.postMessage", channel="UALICE"))
        await alice.click(suggestion, "Resolve")
        (modal,) = await wait_for(lambda: [c for c in api.of("views.open") if "mend_resolve_case" in c.text])
        assert "Courier delay" in modal.text  # the kind of cause is chosen from the policy's list
        _, answer = await alice.submit(modal.answer["view"], **NOTES, root_cause_key="courier_delay")
        preview = updated_view(answer)
        assert await alice.submit(preview, **shown_inputs(preview)) == (200, "")

        # Bob, Alice's manager, owns fixing it
        (task_dm,) = await wait_for(
            lambda: [c for c in api.of("chat.postMessage", channel="UBOB") if "Fix the system" in c.text]
        )
        assert "Late or missed delivery, courier delay (3 cases in 30 days)" in task_dm.text
        assert {"Accept", "Hand over", "Won't fix"} <= set(task_dm.buttons())
        assert "Jane Customer" not in task_dm.text and "ORD-90000" not in task_dm.text

        assert await bob.click(task_dm, "Accept") == (200, "")
        accepted = await wait_for(
            lambda: [c for c in api.of("chat.update", ts=task_dm.where[1]) if "in progress" in c.text]
        )
        assert "Done" in accepted[-1].buttons()
        await bob.click(accepted[-1], "Done")
        (done_modal,) = await wait_for(
            lambda: [c for c in api.of("views.open") if "mend_task_done_change" in c.text]
        )
        change = "Depot scans are now checked twice a day"
        assert await bob.submit(done_modal.answer["view"], change=change) == (200, "")

        # the team hears what was changed, with the cases that led to it
        (announced,) = await wait_for(
            lambda: [c for c in api.of("chat.postMessage", channel=LESSONS) if "Fixed at the cause" in c.text]
        )
        assert change in announced.text and announced.text.count("R-100") >= 3
        assert "Jane Customer" not in announced.text
        with runtime.sessions() as session:
            task = session.scalars(select(Task)).one()
            assert (task.status, task.resolution, task.open_key) == ("done", change, None)
