"""/recover report through Slack: the manager is told at once, and the figures with their chart
arrive as a message from Mend, uploaded with the chart."""

from __future__ import annotations

import asyncio
import struct

from bot.commands import Actor
from tests.helpers import open_late_delivery
from tests.slack.conftest import SlackUser, load_staff, slack_server, wait_for


def test_a_manager_asks_for_the_weeks_report_and_gets_it_with_its_chart(make_runtime):
    asyncio.run(_report(make_runtime))


async def _report(make_runtime):
    async with slack_server(make_runtime) as (endpoint, api, runtime):
        load_staff(runtime)
        with runtime.sessions() as session:
            deps = {"policy": runtime.policy, "clock": runtime.clock}
            open_late_delivery(session, actor=Actor("slack", "UALICE"), customer_name="Jane Customer", **deps)
            session.commit()
        bob = SlackUser(endpoint, api, "UBOB", "bob")

        assert await bob.recover("report week") == (200, "")
        (told,) = await wait_for(lambda: api.of("response_url"))
        assert "Your report is on its way" in told.text
        assert "your cases and those of the people who report to you" in told.text

        (shared,) = await wait_for(lambda: api.of("files.completeUploadExternal"))
        assert shared.args.get("channels") == "UBOB" or "UBOB" in str(shared.args.get("channels"))
        assert "Your team, the past 7 days" in shared.text and "Cases opened" in shared.text
        assert "Jane Customer" not in shared.text
        (uploaded,) = api.of("upload")
        png = api.uploads[uploaded.args["file_id"]]
        assert struct.unpack(">II", png[16:24]) == (800, 400)

        # a period Mend does not report on is refused on its word, and nothing is queued
        assert await bob.recover("report fortnight") == (200, "")
        refused = await wait_for(lambda: [c for c in api.of("response_url") if "fortnight" in c.text])
        assert "say week or month" in refused[0].text
