"""The pure half of the Slack adapter: payloads, in the shapes Slack documents, to what the core needs.

A slash command arrives form-encoded (Bolt hands it over as a dict of strings, the
user as `user_id`, the workspace as `team_id`); interactions arrive as a JSON
`payload` with `user` and `team` objects, and a `container` that says where the
click happened.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from adapters.slack import translate
from adapters.slack.translate import Command
from bot.commands import Actor
from bot.replies import ActionId


def slash_command(text: str = "", **fields: str) -> dict[str, Any]:
    """Return the body of `/recover TEXT` as Slack posts it."""
    return {
        "token": "gIkuvaNzQIHg97ATvDxqgjtO",
        "team_id": "T0001",
        "team_domain": "acme",
        "enterprise_id": "E0001",
        "enterprise_name": "Acme Group",
        "channel_id": "C2147483705",
        "channel_name": "front-desk",
        "user_id": "U2147483697",
        "user_name": "alice.park",
        "command": "/recover",
        "text": text,
        "api_app_id": "A123456",
        "response_url": "https://hooks.slack.com/commands/1234/5678",
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
        **fields,
    }


def button_click(
    *,
    action_id: str = ActionId.GIVE_OPTION.value,
    value: str = "1042:1",
    action_ts: str = "1548426417.840180",
    user_id: str = "U123456",
    channel: str = "C123456",
    message_ts: str = "1548261231.000200",
) -> dict[str, Any]:
    """Return a block_actions payload for a button on a message in a channel."""
    return {
        "type": "block_actions",
        "user": {"id": user_id, "username": "bob.reyes", "name": "bob.reyes", "team_id": "T123456"},
        "api_app_id": "A123456",
        "token": "9s8d9as89d8as9d8as989",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "trigger_id": "12466734323.1395872398.8d7b2b3bf4b4c8c5e1c1c7e1fd",
        "team": {"id": "T123456", "domain": "acme"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": "approvals"},
        "message": {"type": "message", "ts": message_ts, "text": "Approval needed", "blocks": []},
        "response_url": "https://hooks.slack.com/actions/AABA1ABCD/1232321423432/D09sSasdasdAS9091209",
        "actions": [
            {
                "action_id": action_id,
                "block_id": "b-offer",
                "text": {"type": "plain_text", "text": "Give", "emoji": True},
                "value": value,
                "type": "button",
                "action_ts": action_ts,
            }
        ],
    }


def home_tab_click(*, action_ts: str = "1548426417.840180", value: str = "1042") -> dict[str, Any]:
    """Return a block_actions payload for a button on the App Home tab: no channel, no message."""
    return {
        "type": "block_actions",
        "user": {"id": "U123456", "username": "bob.reyes", "name": "bob.reyes", "team_id": "T123456"},
        "api_app_id": "A123456",
        "token": "9s8d9as89d8as9d8as989",
        "container": {"type": "view", "view_id": "V0PKB1ZFV"},
        "trigger_id": "12466734323.1395872398.8d7b2b3bf4b4c8c5e1c1c7e1fd",
        "team": {"id": "T123456", "domain": "acme"},
        "view": {"id": "V0PKB1ZFV", "type": "home", "blocks": [], "hash": "1548426400.d5a1c2"},
        "actions": [
            {
                "action_id": ActionId.SHOW_CASE.value,
                "block_id": "b-cases",
                "value": value,
                "type": "button",
                "action_ts": action_ts,
            }
        ],
    }


def view_submission(*, view_id: str = "VNHU13V36", team: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return a view_submission payload for Mend's case modal."""
    return {
        "type": "view_submission",
        "team": team if team is not None else {"id": "T0MJRM1A7", "domain": "acme"},
        "user": {"id": "U0MJRG1AL", "username": "alice.park", "name": "alice.park", "team_id": "T0MJRM1A7"},
        "api_app_id": "A0MJRM1A9",
        "token": "Shh_its_a_seekrit",
        "trigger_id": "12466734323.1395872398.ac2c29b0bc3f1a6f4b4f44e6f9",
        "view": {
            "id": view_id,
            "type": "modal",
            "callback_id": ActionId.OPEN_CASE.value,
            "private_metadata": "",
            "blocks": [],
            "state": {"values": {"customer_name": {"value": {"type": "plain_text_input", "value": "Jane"}}}},
            "hash": "156663117.cd33ad1f",
            "previous_view_id": None,
            "root_view_id": view_id,
            "app_id": "A0MJRM1A9",
            "bot_id": "B0MJRM1AH",
        },
        "response_urls": [],
        "is_enterprise_install": False,
    }


# --- /recover TEXT -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", Command("open", "")),
        ("   ", Command("open", "")),
        ("late parcel, refund $80", Command("open", "late parcel, refund $80")),
        ("  broken kettle  ", Command("open", "broken kettle")),
        ("help", Command("help")),
        ("  HELP  ", Command("help")),
        ("?", Command("help")),
        ("help with a refund", Command("help")),
        ("history ORD-10042", Command("history", "ORD-10042")),
        ("History   jane.doe@example.com ", Command("history", "jane.doe@example.com")),
        ("history Jane Doe", Command("history", "Jane Doe")),
        ("history", Command("history", "")),
        ("historic building flooded", Command("open", "historic building flooded")),
        ("helpdesk lost the ticket", Command("open", "helpdesk lost the ticket")),
    ],
)
def test_recover_text_picks_help_history_or_the_free_text_of_a_new_case(text: str, expected: Command) -> None:
    assert translate.parse_recover(slash_command(text)["text"]) == expected


def test_a_command_without_text_opens_a_blank_case() -> None:
    body = slash_command()
    del body["text"]
    assert translate.parse_recover(body.get("text")) == Command("open", "")
    assert translate.parse_recover(None) == Command("open", "")


# --- who acted -----------------------------------------------------------------------------


def test_a_slash_command_names_its_user_by_id_only() -> None:
    body = slash_command("late parcel")
    assert translate.actor_from(None, user_id=body["user_id"]) == Actor("slack", "U2147483697")


def test_an_interaction_names_its_user_from_the_user_object() -> None:
    actor = translate.actor_from(button_click()["user"])
    assert actor == Actor(platform="slack", user_id="U123456", name="bob.reyes", email=None)


def test_a_real_name_and_email_from_users_info_win_over_the_handle() -> None:
    user = {"id": "U123456", "name": "bob.reyes", "real_name": "Bob Reyes"}
    assert translate.actor_from(user, email="bob@example.com") == Actor(
        "slack", "U123456", "Bob Reyes", "bob@example.com"
    )
    assert translate.actor_from({"id": "U123456", "username": "bob"}).name == "bob"


def test_the_user_object_wins_over_a_bare_id_and_a_bare_id_fills_in_for_it() -> None:
    assert translate.actor_from({"id": "U1"}, user_id="U2").user_id == "U1"
    assert translate.actor_from({}, user_id="U2").user_id == "U2"


def test_a_payload_without_a_user_gives_an_actor_without_an_id() -> None:
    body = view_submission()
    del body["user"]
    assert translate.actor_from(body.get("user")) == Actor("slack", "", None, None)
    assert translate.actor_from(None, user_id=None) == Actor("slack", "")


# --- which workspace -----------------------------------------------------------------------


def test_the_workspace_comes_from_team_id_or_the_team_object() -> None:
    assert translate.team_of(slash_command()) == "T0001"
    assert translate.team_of(button_click()) == "T123456"
    assert translate.team_of(view_submission()) == "T0MJRM1A7"
    assert translate.team_of({"type": "event_callback", "team_id": "T9", "event": {}}) == "T9"


def test_a_payload_without_a_workspace_gives_an_empty_id() -> None:
    org_installed = view_submission()
    org_installed["team"] = None  # Slack sends null when the app is installed on the whole org
    assert translate.team_of(org_installed) == ""
    assert translate.team_of({}) == ""


# --- where a button was clicked -------------------------------------------------------------


def test_a_click_on_a_message_is_located_by_its_channel_and_ts() -> None:
    assert translate.message_location(button_click()) == ("C123456", "1548261231.000200")


def test_a_message_click_without_container_ids_falls_back_to_channel_and_message() -> None:
    body = button_click()
    body["container"] = {"type": "message"}
    assert translate.message_location(body) == ("C123456", "1548261231.000200")


def test_a_click_on_the_home_tab_or_in_a_modal_has_no_message_to_update() -> None:
    assert translate.message_location(home_tab_click()) is None
    in_modal = button_click()
    in_modal["container"] = {"type": "view", "view_id": "V0PKB1ZFV"}
    assert translate.message_location(in_modal) is None
    without_container = button_click()
    del without_container["container"]
    assert translate.message_location(without_container) is None


def test_a_message_click_with_no_channel_anywhere_has_no_location() -> None:
    body = button_click()
    body["container"] = {"type": "message", "message_ts": "1548261231.000200"}
    del body["channel"]
    assert translate.message_location(body) is None


# --- request keys: one per intention, the same on retries -----------------------------------


def test_a_retried_submission_has_the_same_key() -> None:
    first = view_submission()
    retry = copy.deepcopy(first)
    retry["trigger_id"] = "99999999999.1395872398.another"  # Slack's retry carries the same view
    assert translate.view_request_key(first) == translate.view_request_key(retry)
    assert translate.view_request_key(first) == "slack:T0MJRM1A7:view:VNHU13V36"


def test_submissions_of_different_modals_or_workspaces_have_different_keys() -> None:
    keys = {
        translate.view_request_key(view_submission()),
        translate.view_request_key(view_submission(view_id="VOTHER001")),
        translate.view_request_key(view_submission(team={"id": "T0THER", "domain": "other"})),
    }
    assert len(keys) == 3


def test_a_retried_or_double_click_on_a_message_has_the_same_key() -> None:
    first = button_click()
    retried = copy.deepcopy(first)
    double = button_click(action_ts="1548426418.112233")  # a second click a moment later
    double["trigger_id"] = "another-trigger"
    keys = {translate.action_request_key(body, body["actions"][0]) for body in (first, retried, double)}
    assert keys == {"slack:T123456:click:C123456:1548261231.000200:mend_give_option:1042:1:U123456"}


@pytest.mark.parametrize(
    "other",
    [
        {"value": "1042:2"},  # another option on the same card
        {"action_id": ActionId.REQUEST_APPROVAL.value},  # another button
        {"message_ts": "1548261299.000300"},  # the same button on another message
        {"channel": "C999999"},  # ... in another channel
        {"user_id": "U999999"},  # another person on a shared card (the approvals channel)
    ],
)
def test_different_clicks_have_different_keys(other: dict[str, str]) -> None:
    first, second = button_click(), button_click(**other)
    assert translate.action_request_key(first, first["actions"][0]) != translate.action_request_key(
        second, second["actions"][0]
    )


def test_a_home_tab_click_is_keyed_by_its_action_ts() -> None:
    first = home_tab_click()
    retried = copy.deepcopy(first)
    again = home_tab_click(action_ts="1548426499.000001")
    key = translate.action_request_key(first, first["actions"][0])
    assert key == "slack:T123456:action:1548426417.840180:U123456"
    assert translate.action_request_key(retried, retried["actions"][0]) == key
    assert translate.action_request_key(again, again["actions"][0]) != key


@pytest.mark.parametrize(
    "other",
    [
        {"value": "1042:" + "1" * 500},  # a value no button of Mend's carries
        {"value": "1042:1\x00"},
        {"value": "1042:\ud83d"},  # half an emoji, from a hand-made payload
    ],
)
def test_a_key_the_database_cannot_keep_is_kept_as_its_digest(other: dict[str, str]) -> None:
    body = button_click(**other)
    key = translate.action_request_key(body, body["actions"][0])
    assert key.startswith("slack:sha256:") and len(key) == len("slack:sha256:") + 64
    assert key == translate.action_request_key(copy.deepcopy(body), body["actions"][0])  # a retry
    assert key != translate.action_request_key(button_click(value="1042:1"), button_click()["actions"][0])


def test_a_submission_of_a_long_view_id_is_keyed_by_its_digest() -> None:
    key = translate.view_request_key(view_submission(view_id="V" * 300))
    assert key.startswith("slack:sha256:") and len(key) <= translate.KEY_LIMIT
    assert key != translate.view_request_key(view_submission(view_id="V" * 301))
