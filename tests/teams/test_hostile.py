"""What /api/messages does with activities no Teams client sends: refused or answered, never a 5xx.

A malformed body is refused with 400 and one warning line before the SDK or the core
sees it; an invoke is answered; nothing Mend sends is too big for Teams (the
recording connector refuses what the real one would). The property test at the end
posts generated bodies to one running endpoint.
"""

from __future__ import annotations

import asyncio
import json
import logging
import urllib.error
import urllib.request
from typing import Any

import pytest
from aiohttp import ClientSession
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from adapters.teams import translate
from bot import fields
from bot.replies import ActionId
from db.models import Case, StaffIdentity
from tests.teams.conftest import BOT, TeamsUser, find_action, shown_inputs, teams_server
from tests.teams.connector import MAX_ACTIVITY_BYTES


async def post_raw(endpoint: str, body: str) -> tuple[int, Any]:
    """Post a body as it is and return the status and the JSON answer, if any."""
    async with (
        ClientSession() as http,
        http.post(endpoint, data=body.encode("utf-8"), headers={"Content-Type": "application/json"}) as r,
    ):
        text = await r.text()
        return r.status, json.loads(text) if text and r.content_type == "application/json" else None


def stored(runtime) -> tuple[int, int]:
    """Return how many Teams identities and cases the database holds."""
    with runtime.sessions() as session:
        return (
            session.scalar(select(func.count()).select_from(StaffIdentity)) or 0,
            session.scalar(select(func.count()).select_from(Case)) or 0,
        )


def problems(records: list[logging.LogRecord]) -> list[str]:
    """Return the log records a refused or answered request must not leave: errors and tracebacks."""
    return [
        f"{r.levelname} {r.name}: {r.getMessage()[:200]}"
        for r in records
        if r.levelno >= logging.ERROR or r.exc_info
    ]


def without(activity: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in activity.items() if k != key}


# -- Finding 1: malformed activities are refused with 400 ---------------------------------------


def test_malformed_activities_are_refused_with_400_one_warning_and_nothing_stored(runtime, caplog):
    caplog.set_level(logging.WARNING)
    before = stored(runtime)
    outcomes = asyncio.run(_post_malformed(runtime, caplog))
    assert outcomes == {name: (400, 1, []) for name in outcomes}
    assert stored(runtime) == before


async def _post_malformed(runtime, caplog) -> dict[str, tuple[int, int, list[str]]]:
    outcomes: dict[str, tuple[int, int, list[str]]] = {}
    async with teams_server(runtime) as (endpoint, connector):
        zed = TeamsUser(endpoint, connector, "aad-zed", "Zed")
        recover = zed.activity(text="recover")
        bodies: dict[str, str] = {
            "a list": "[]",
            "a string": '"recover"',
            "null": "null",
            "a number": "42",
            "a numeric type": '{"type":5}',
            "not JSON": "{recover",
            "a numeric conversation id": json.dumps({**recover, "conversation": {"id": 5}}),
            "attachments that are a string": json.dumps({**recover, "attachments": "x"}),
            "a conversation id with a slash": json.dumps({**recover, "conversation": {"id": "a/../b"}}),
            "a service URL that is not one": json.dumps({**recover, "serviceUrl": "not a url"}),
            "a sender name of 100 kB": json.dumps({**recover, "from": {"id": "29:x", "name": "n" * 100_000}}),
            "a NUL in the sender id": json.dumps({**recover, "from": {"id": "29:\u0000x"}}),
            "a lone surrogate in the sender name": json.dumps(
                {**recover, "from": {"id": "29:x", "name": "\ud83d"}}
            ),
        }
        for key in ("from", "serviceUrl", "recipient", "channelId", "type", "conversation"):
            bodies[f"no {key}"] = json.dumps(without(recover, key))
        for name, body in bodies.items():
            caplog.clear()
            status, _ = await post_raw(endpoint, body)
            warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
            outcomes[name] = (status, len(warnings), problems(caplog.records))
        assert connector.calls == []
    return outcomes


def test_a_body_over_a_megabyte_is_refused_with_413(runtime, caplog):
    async def post() -> int:
        async with teams_server(runtime) as (endpoint, connector):
            zed = TeamsUser(endpoint, connector, "aad-zed", "Zed")
            status, _ = await post_raw(endpoint, json.dumps(zed.activity(text="x" * 1_100_000)))
            assert connector.calls == []
            return status

    assert asyncio.run(post()) == 413
    assert problems(caplog.records) == []


def test_a_malformed_body_is_read_only_after_authentication(make_runtime):
    runtime = make_runtime(
        MICROSOFT_APP_ID="11111111-2222-3333-4444-555555555555", MICROSOFT_APP_PASSWORD="s"
    )

    async def post() -> int:
        async with teams_server(runtime) as (endpoint, _connector):
            status, _ = await post_raw(endpoint, "[]")
            return status

    assert asyncio.run(post()) == 401


# -- Finding 2: invoke activities are answered --------------------------------------------------


def test_invokes_are_answered_with_200_and_change_nothing(runtime, caplog):
    before = stored(runtime)
    answers = asyncio.run(_invokes(runtime))
    card_action = answers["adaptiveCard/action"]
    assert card_action[0] == 200
    assert card_action[1]["statusCode"] == 200
    assert card_action[1]["type"] == "application/vnd.microsoft.activity.message"
    assert isinstance(card_action[1]["value"], str) and card_action[1]["value"]
    assert {name: status for name, (status, _) in answers.items()} == {name: 200 for name in answers}
    assert stored(runtime) == before
    assert problems(caplog.records) == []


async def _invokes(runtime) -> dict[str, tuple[int, Any]]:
    async with teams_server(runtime) as (endpoint, connector):
        zed = TeamsUser(endpoint, connector, "aad-zed", "Zed")
        execute = {
            "action": {"type": "Action.Execute", "verb": "mend", "data": {"mend_action": "mend_approve"}}
        }
        invokes = {
            "adaptiveCard/action": execute,
            "composeExtension/query": {"commandId": "search", "parameters": [{"name": "q", "value": "x"}]},
            "task/fetch": {"data": {}},
            "something/else": None,
        }
        answers = {}
        for name, value in invokes.items():
            activity = zed.activity(type="invoke", name=name, value=value)
            answers[name] = await post_raw(endpoint, json.dumps(activity))
        assert connector.calls == []
    return answers


# -- Finding 3: nothing Mend sends is too big -------------------------------------------------


def test_a_megabyte_recover_text_gives_a_form_within_teams_size(runtime):
    asyncio.run(_megabyte_recover(runtime))


async def _megabyte_recover(runtime):
    async with teams_server(runtime) as (endpoint, connector):
        alice = TeamsUser(endpoint, connector, "aad-alice", "Alice Park")
        assert await alice.say("recover late parcel " + "x" * 1_000_000) == 202
        assert connector.refused == []
        (form,) = connector.posts(alice.conversation)
        description = shown_inputs(form.card)["description"]
        assert description.startswith("late parcel xxx")
        assert len(description) <= fields.DESCRIPTION.max_length


def test_only_as_much_recover_text_as_the_description_takes_is_read():
    text = translate.recover_text({"text": "<at>Mend</at> recover late parcel $80 " + "x" * 1_000_000})
    assert text is not None and text.startswith("late parcel $80 xx")
    assert len(text) == fields.DESCRIPTION.max_length


def test_a_200k_description_comes_back_cut_to_the_fields_maximum(runtime):
    asyncio.run(_huge_description(runtime))


async def _huge_description(runtime):
    async with teams_server(runtime) as (endpoint, connector):
        alice = TeamsUser(endpoint, connector, "aad-alice", "Alice Park")
        assert await alice.say("recover") == 202
        submit = find_action(connector.posts(alice.conversation)[0].card, "Get suggestion")
        status = await alice.submit(
            submit,
            "activity-1",
            customer_name="Sam Buyer",
            category="late_delivery",
            severity="major",
            description="y" * 200_000,
        )
        assert status == 202
        assert connector.refused == []
        (shown,) = connector.puts(alice.conversation, "activity-1")
        description = shown_inputs(shown.card)["description"]
        assert description.startswith("yyy") and len(description) <= fields.DESCRIPTION.max_length
        assert len(json.dumps(shown.body)) <= MAX_ACTIVITY_BYTES


@pytest.mark.parametrize("junk", ["category", "severity"])
def test_a_huge_choice_value_is_not_shown_as_the_choice(runtime, junk):
    async def run():
        async with teams_server(runtime) as (endpoint, connector):
            alice = TeamsUser(endpoint, connector, "aad-alice", "Alice Park")
            await alice.say("recover")
            submit = find_action(connector.posts(alice.conversation)[0].card, "Get suggestion")
            inputs = {"customer_name": "Sam", "category": "late_delivery", "severity": "major"}
            inputs[junk] = "z" * 100_000
            assert await alice.submit(submit, "activity-1", description="d", **inputs) == 202
            assert connector.refused == []
            (shown,) = connector.puts(alice.conversation, "activity-1")
            assert shown_inputs(shown.card)[junk] == ""  # a choice shows one of its choices or none
            assert len(json.dumps(shown.body)) <= MAX_ACTIVITY_BYTES

    asyncio.run(run())


# -- Generated bodies against one running endpoint ---------------------------------------------

ODD = [
    "\x00",
    "\ud83d",
    "\udc00 tail",
    "\u202e",
    "\x1b[2J",
    "\r\n",
    "😀",
    "<at>Mend</at>",
    "**b**",
    "recover",
]
TEXTS = st.lists(
    st.one_of(
        st.text(max_size=20),
        st.sampled_from(ODD),
        st.sampled_from([3_000, 40_000, 300_000]).map(lambda n: "h" * n),
    ),
    max_size=4,
).map("".join)
WRONG = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)
ANY = st.one_of(TEXTS, TEXTS, WRONG)  # mostly text of the wrong kind, sometimes the wrong type
ACTIONS = st.one_of(st.sampled_from([a.value for a in ActionId]), ANY)
INPUTS = st.dictionaries(
    st.sampled_from([*fields.BY_NAME, "verb", "x"]) | st.text(max_size=8), ANY, max_size=6
)


def mostly(usual: st.SearchStrategy[Any], odd: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Return the usual value three times in four, so most bodies get past the first check."""
    return st.one_of(usual, usual, usual, odd)


@st.composite
def activities(draw: st.DrawFn, user: TeamsUser) -> Any:
    """Return a body: mostly an activity from `user` with a few hostile fields, sometimes not an object."""
    if draw(st.integers(0, 9)) == 0:
        return draw(ANY)
    kind = draw(st.sampled_from(["message", "submit", "submit", "conversationUpdate", "invoke", "typing"]))
    activity = user.activity(text="recover " + draw(TEXTS))
    if kind == "submit":
        activity = user.activity(
            value={"verb": "mend", "mend_action": draw(ACTIONS), "mend_value": draw(ANY), **draw(INPUTS)},
            replyToId=draw(mostly(st.sampled_from(["activity-1", "in-1"]), TEXTS)),
        )
    elif kind == "conversationUpdate":
        activity = user.activity(type=kind, membersAdded=draw(mostly(st.just([BOT, user.account]), ANY)))
    elif kind != "message":
        names = st.sampled_from(["adaptiveCard/action", "composeExtension/query", "task/fetch"])
        activity = user.activity(type=kind, name=draw(mostly(names, ANY)), value=draw(ANY))
    nested = {
        "from": {**user.account, draw(st.sampled_from(["id", "name", "aadObjectId", "email"])): draw(ANY)},
        "conversation": {"id": draw(ANY), "conversationType": draw(ANY), "tenantId": draw(ANY)},
        "recipient": {"id": draw(ANY), "name": draw(ANY)},
        "channelData": {"tenant": draw(ANY)},
    }
    hostile = st.sampled_from(
        [
            *nested,
            *("type", "id", "serviceUrl", "channelId", "text", "value", "attachments", "entities"),
            *("locale", "replyToId", "deliveryMode", "timestamp", "name"),
        ]
    )
    for key in draw(st.lists(hostile, max_size=2, unique=True)):
        if draw(st.integers(0, 3)) == 0:
            activity.pop(key, None)
        else:
            activity[key] = nested.get(key) if key in nested and draw(st.booleans()) else draw(ANY)
    return activity


def test_generated_bodies_never_get_a_5xx_a_traceback_or_a_stored_row_when_refused(runtime, caplog):
    caplog.set_level(logging.INFO)
    asyncio.run(_generated_bodies(runtime, caplog))


async def _generated_bodies(runtime, caplog):
    async with teams_server(runtime) as (endpoint, connector):
        alice = TeamsUser(endpoint, connector, "aad-alice", "Alice Park")
        http = urllib.request.build_opener(urllib.request.ProxyHandler({}))

        def post(body: Any) -> int:
            request = urllib.request.Request(
                endpoint, json.dumps(body).encode(), {"Content-Type": "application/json"}, method="POST"
            )
            try:
                with http.open(request, timeout=30) as response:
                    return response.status
            except urllib.error.HTTPError as error:
                return error.code

        @settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
        @given(activities(alice))
        def answered(body: Any) -> None:
            logged, before, sent = len(caplog.records), stored(runtime), len(connector.calls)
            status = post(body)
            event(f"answered {status}")  # see them with --hypothesis-show-statistics
            assert status < 500
            assert problems(caplog.records[logged:]) == []
            assert connector.refused == []
            if status >= 400:
                assert (stored(runtime), len(connector.calls)) == (before, sent)

        await asyncio.get_running_loop().run_in_executor(None, answered)
