"""A person's action runs its use case once, even when another writer holds the database just then."""

from __future__ import annotations

import asyncio
import threading
import time

from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from db.models import AuditEvent
from tests.slack.conftest import SlackUser, load_staff, shown_inputs, slack_server, updated_view, wait_for

CASE = {
    "customer_name": "Jane Customer",
    "category": "late_delivery",
    "severity": "minor",
    "description": "Parcel late",
    "customer_ref": "",
    "customer_email": "",
    "customer_phone": "",
    "order_value": "",
    "tier": "standard",
}
NOTES = {"outcome": "Sent again", "root_cause": "Courier", "lesson": "Check the courier"}


def test_an_action_from_a_new_workspace_is_carried_out_once_while_another_writer_waits(make_runtime):
    asyncio.run(_once(make_runtime))


async def _once(make_runtime):
    async with slack_server(make_runtime) as (endpoint, api, runtime):
        load_staff(runtime)
        alice = SlackUser(endpoint, api, "UALICE", "alice")
        assert await alice.recover("") == (200, "")
        (opened,) = await wait_for(lambda: api.of("views.open"))
        assert await alice.submit(opened.answer["view"], **CASE) == (200, "")
        (card,) = await wait_for(lambda: api.of("chat.postMessage", channel="UALICE"))
        await alice.click(card, "Resolve")
        (resolve,) = await wait_for(
            lambda: [c for c in api.of("views.open") if "mend_resolve_case" in c.text]
        )
        _, answer = await alice.submit(resolve.answer["view"], **NOTES)
        preview = updated_view(answer)
        assert await alice.submit(preview, **shown_inputs(preview)) == (200, "")
        resolved = await wait_for(lambda: [c for c in api.of("chat.update") if "resolved" in c.text])
        await alice.click(resolved[-1], "Reopen")
        (reason,) = await wait_for(lambda: [c for c in api.of("views.open") if "mend_reopen_case" in c.text])

        # Alice submits the reason from another workspace of her organisation, and just as her
        # use case commits, another writer (a dispatcher pass, say) takes the database for a moment
        # (any Session: on PostgreSQL a linked person's use case runs in the loop's own sessions).
        elsewhere = SlackUser(endpoint, api, "UALICE", "alice", team="T0OTHER")
        started = threading.Event()

        def hold_the_writer(_session) -> None:
            if started.is_set():
                return

            def hold() -> None:
                with runtime.sessions() as other:
                    other.execute(text("UPDATE staff SET name = name WHERE id = -1"))
                    started.set()
                    time.sleep(0.3)
                    other.commit()

            threading.Thread(target=hold, daemon=True).start()
            started.wait(2)

        event.listen(Session, "after_commit", hold_the_writer)
        assert await elsewhere.submit(reason.answer["view"], reason="Customer called back") == (200, "")
        await asyncio.sleep(0.5)
        event.remove(Session, "after_commit", hold_the_writer)
        assert started.is_set()

        with runtime.sessions() as session:
            actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert actions.count("case_reopened") == 1
        told = [c.text for c in api.calls if "only a resolved case can be reopened" in c.text]
        assert told == [], told
