"""Signatures, retries, the Home tab, history and help, people Mend has not met, and what goes wrong."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from typing import Any

from sqlalchemy import func, select

from db.models import Case, Staff, StaffIdentity
from tests.slack.conftest import SlackUser, load_staff, sign, slack_server, wait_for
from tests.slack.test_over_limit_case import CASE


def _count(runtime, model) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


async def _open_modal(api, alice) -> dict:
    await alice.recover("")
    (opened,) = await wait_for(lambda: api.of("views.open"))
    return opened.answer["view"]


async def _alice_opens_a_case(endpoint, api, runtime) -> tuple[SlackUser, Any]:
    """Load the staff; Alice opens the standard case; return her and the suggestion DM."""
    load_staff(runtime)
    alice = SlackUser(endpoint, api, "UALICE", "alice")
    view = await _open_modal(api, alice)
    await alice.submit(view, **CASE)
    (suggestion,) = await wait_for(lambda: api.of("chat.postMessage", channel="UALICE"))
    return alice, suggestion


def test_a_forged_or_stale_signature_is_refused_and_stores_nothing(make_runtime):
    async def run():
        async with slack_server(make_runtime) as (endpoint, api, runtime):
            load_staff(runtime)
            alice = SlackUser(endpoint, api, "UALICE", "alice")
            view = await _open_modal(api, alice)
            body = alice.submission_body(view, **CASE)
            assert (await alice.post(body, sign(body, secret="not-the-secret")))[0] == 401
            stale = sign(body, timestamp=int(time.time()) - 600)
            assert (await alice.post(body, stale))[0] == 401
            tampered = sign(body)
            assert (await alice.post(body.replace("Jane", "John"), tampered))[0] == 401
            unsigned = {"Content-Type": "application/x-www-form-urlencoded"}
            assert (await alice.post(alice.command_body("late"), unsigned))[0] == 401
            assert _count(runtime, Case) == 0
            assert len(api.of("views.open")) == 1

    asyncio.run(run())


def test_a_retried_submission_stores_one_case(make_runtime):
    async def run():
        async with slack_server(make_runtime) as (endpoint, api, runtime):
            load_staff(runtime)
            alice = SlackUser(endpoint, api, "UALICE", "alice")
            view = await _open_modal(api, alice)
            body = alice.submission_body(view, **CASE)
            assert (await alice.post(body))[0] == 200
            retry = {**sign(body), "X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
            assert (await alice.post(body, retry))[0] == 200
            await wait_for(lambda: len(api.of("chat.postMessage", channel="UALICE")) == 2)
            assert _count(runtime, Case) == 1
            first, second = api.of("chat.postMessage", channel="UALICE")
            assert "R-1001" in first.text and "R-1001" in second.text

    asyncio.run(run())


def test_a_double_click_on_give_makes_one_offer(make_runtime):
    async def run():
        async with slack_server(make_runtime) as (endpoint, api, runtime):
            load_staff(runtime)
            alice = SlackUser(endpoint, api, "UALICE", "alice")
            view = await _open_modal(api, alice)
            await alice.submit(view, **{**CASE, "severity": "minor", "order_value": "20"})
            (suggestion,) = await wait_for(lambda: api.of("chat.postMessage", channel="UALICE"))
            give = next(
                label for label, b in suggestion.buttons().items() if b["action_id"] == "mend_give_option"
            )
            body = alice.click_body(suggestion, give)
            await asyncio.gather(alice.post(body), alice.post(body))
            await alice.click(suggestion, give)
            await wait_for(lambda: len(api.of("chat.update")) + len(api.of("response_url")) >= 3)
            from db.models import Offer

            assert _count(runtime, Offer) == 1

    asyncio.run(run())


def test_the_home_tab_shows_open_cases_and_authority(make_runtime):
    async def run():
        async with slack_server(make_runtime) as (endpoint, api, runtime):
            alice, _ = await _alice_opens_a_case(endpoint, api, runtime)
            assert (await alice.open_home())[0] == 200
            (published,) = await wait_for(lambda: api.of("views.publish"))
            assert published.args["user_id"] == "UALICE"
            assert published.args["view"]["type"] == "home"
            assert "1 open case," in published.text and "Your authority" in published.text
            assert "Open" in published.buttons()

    asyncio.run(run())


def test_history_and_help_answer_only_the_asker(make_runtime):
    async def run():
        async with slack_server(make_runtime) as (endpoint, api, runtime):
            alice, _ = await _alice_opens_a_case(endpoint, api, runtime)
            status, body = await alice.recover("help")
            assert status == 200 and "history CUSTOMER" in body
            assert (await alice.recover("history ORD-123456"))[0] == 200
            (history,) = await wait_for(lambda: api.of("response_url"))
            assert history.args["response_type"] == "ephemeral"
            assert "1 case for ORD-123456" in history.text and "R-1001" in history.text
            await alice.recover("history")
            await wait_for(lambda: len(api.of("response_url")) == 2)
            assert "That did not work" in api.of("response_url")[-1].text
            assert len(api.of("views.open")) == 1

    asyncio.run(run())


def test_a_person_mend_has_not_met_is_linked_by_their_slack_email(make_runtime):
    users = {"UNEWBOB": {"id": "UNEWBOB", "real_name": "Bob R", "profile": {"email": "Bob@Example.com"}}}

    async def run():
        async with slack_server(make_runtime, users=users) as (endpoint, api, runtime):
            load_staff(runtime)
            newbob = SlackUser(endpoint, api, "UNEWBOB", "bob")
            assert (await newbob.open_home())[0] == 200
            (published,) = await wait_for(lambda: api.of("views.publish"))
            assert "Bob Reyes" in published.text
            assert api.of("users.info", user="UNEWBOB")
            with runtime.sessions() as session:
                identity = session.scalars(
                    select(StaffIdentity).where(StaffIdentity.user_id == "UNEWBOB")
                ).one()
                assert session.get(Staff, identity.staff_id).email == "bob@example.com"

    asyncio.run(run())


def test_a_modal_that_cannot_open_is_explained_to_the_person(make_runtime):
    async def run():
        async with slack_server(make_runtime) as (endpoint, api, runtime):
            load_staff(runtime)
            api.fail["views.open"] = "expired_trigger_id"
            alice = SlackUser(endpoint, api, "UALICE", "alice")
            assert (await alice.recover("late"))[0] == 200
            (told,) = await wait_for(lambda: api.of("response_url"))
            assert told.args["response_type"] == "ephemeral"
            assert "expired_trigger_id" in told.text

    asyncio.run(run())


def test_a_button_whose_form_cannot_open_tells_the_person(make_runtime):
    async def run():
        async with slack_server(make_runtime) as (endpoint, api, runtime):
            alice, suggestion = await _alice_opens_a_case(endpoint, api, runtime)
            api.fail["views.open"] = "expired_trigger_id"
            assert await alice.click(suggestion, "Resolve") == (200, "")
            (told,) = await wait_for(lambda: api.of("response_url"))
            assert told.args["response_type"] == "ephemeral"
            assert "could not open the form" in told.text and "expired_trigger_id" in told.text

    asyncio.run(run())


def test_a_rate_limited_modal_waits_as_slack_asks_and_then_opens(make_runtime):
    async def run():
        async with slack_server(make_runtime) as (endpoint, api, runtime):
            load_staff(runtime)
            api.rate_limited["views.open"] = 1
            alice = SlackUser(endpoint, api, "UALICE", "alice")
            assert (await alice.recover("late"))[0] == 200
            first, second = await wait_for(
                lambda: api.of("views.open") if len(api.of("views.open")) == 2 else None
            )
            assert first.answer == {"status": 429}
            assert second.answer["view"]["callback_id"] == "mend_open_case"
            assert api.of("response_url") == []  # nothing went wrong that the person must hear of

    asyncio.run(run())


def test_each_recover_opens_the_modal_its_own_text_prefills(make_runtime):
    """Prefilled modals are rendered once each, and each /recover still gets its own."""

    async def run():
        async with slack_server(make_runtime) as (endpoint, api, runtime):
            load_staff(runtime)
            alice = SlackUser(endpoint, api, "UALICE", "alice")
            for text in ("late parcel $80", "", "rude staff $35", "late parcel $80"):
                await alice.recover(text)
            opened = await wait_for(lambda: len(api.of("views.open")) == 4 and api.of("views.open"))

            def prefilled(call) -> dict[str, str]:
                return {
                    block["block_id"]: block["element"].get("initial_value")
                    or (block["element"].get("initial_option") or {}).get("value")
                    for block in call.args["view"]["blocks"]
                    if block["type"] == "input"
                }

            first, bare, other, again = (prefilled(call) for call in opened)
            assert first["order_value"] == "80" and first["description"] == "late parcel $80"
            assert first["category"] == "late_delivery"
            assert bare["order_value"] is None and bare["description"] is None
            assert other["order_value"] == "35" and other["category"] != "late_delivery"
            assert again == first
            assert len({call.args["trigger_id"] for call in opened}) == 4

    asyncio.run(run())


def test_health_and_metrics_answer(make_runtime):
    async def run():
        async with slack_server(make_runtime) as (endpoint, api, runtime):
            load_staff(runtime)
            base = endpoint.rsplit("/slack/events", 1)[0]
            alice = SlackUser(endpoint, api, "UALICE", "alice")
            view = await _open_modal(api, alice)
            await alice.submit(view, **CASE)
            await wait_for(lambda: api.of("chat.postMessage", channel="UALICE"))
            from aiohttp import ClientSession

            async with ClientSession() as http:
                async with http.get(f"{base}/healthz") as response:
                    assert response.status == 200 and (await response.json())["status"] == "ok"
                async with http.get(f"{base}/metrics") as response:
                    text = await response.text()
            assert 'mend_http_requests_total{route="/slack/events",method="POST",status="200"} 2' in text
            assert "mend_cases_opened_total 1" in text
            assert 'mend_http_request_seconds_count{route="/slack/events"} 2' in text

    asyncio.run(run())


def test_a_submission_slower_than_slacks_wait_closes_the_modal_and_arrives_as_a_dm(make_runtime, monkeypatch):
    import adapters.slack.app as slack_app

    monkeypatch.setattr(slack_app, "SUBMIT_WAIT_SECONDS", 0)

    async def run():
        async with slack_server(make_runtime) as (endpoint, api, runtime):
            load_staff(runtime)
            alice = SlackUser(endpoint, api, "UALICE", "alice")
            view = await _open_modal(api, alice)
            assert await alice.submit(view, **CASE) == (200, "")
            (suggestion,) = await wait_for(lambda: api.of("chat.postMessage", channel="UALICE"))
            assert "Say this" in suggestion.text
            assert _count(runtime, Case) == 1

    asyncio.run(run())


def test_a_writer_in_another_process_holds_up_only_the_submission(make_runtime):
    """A use case waiting on the database never stalls the loop: /recover is answered meanwhile.

    Use cases run on the event loop (see SlackBot._run): on SQLite only while its writer
    is free, else in a thread; on PostgreSQL in SQLAlchemy's asyncio mode, whose waits
    await on the loop.
    """

    async def run():
        async with slack_server(make_runtime) as (endpoint, api, runtime):
            alice, _ = await _alice_opens_a_case(endpoint, api, runtime)  # Alice is linked now
            acked, released = threading.Event(), []

            def other_process() -> None:
                # Another process (a `mend` command, say) writing for as long as it takes.
                if runtime.engine.dialect.name == "sqlite":
                    with sqlite3.connect(runtime.engine.url.database, isolation_level=None) as raw:
                        raw.execute("BEGIN IMMEDIATE")
                        holding.set()
                        acked.wait(timeout=5)
                        released.append(time.monotonic())
                        raw.execute("COMMIT")
                    return
                with runtime.engine.connect() as conn, conn.begin():
                    conn.exec_driver_sql("LOCK TABLE cases IN EXCLUSIVE MODE")  # reads pass, writes wait
                    holding.set()
                    acked.wait(timeout=5)
                    released.append(time.monotonic())

            holding = threading.Event()
            writer = threading.Thread(target=other_process)
            writer.start()
            assert await asyncio.to_thread(holding.wait, 5)
            view = await _open_modal_again(api, alice)
            submission = asyncio.ensure_future(alice.submit(view, **{**CASE, "customer_ref": "ORD-2"}))
            await asyncio.sleep(0.2)  # the submission is waiting for the writer by now
            status, _ = await asyncio.wait_for(alice.recover(""), 5)
            answered = time.monotonic()
            acked.set()
            await asyncio.to_thread(writer.join, 10)
            assert status == 200 and released and answered < released[0]
            assert (await asyncio.wait_for(submission, 10))[0] == 200
            await wait_for(lambda: _count(runtime, Case) == 2)

    asyncio.run(run())


async def _open_modal_again(api, alice) -> dict:
    before = len(api.of("views.open"))
    await alice.recover("")
    opened = await wait_for(lambda: api.of("views.open")[before:])
    return opened[0].answer["view"]
