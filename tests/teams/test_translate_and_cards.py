"""The pure halves of the Teams adapter, on plain dicts."""

from __future__ import annotations

from adapters.teams import cards, translate
from bot.replies import ActionId, Button, Field, Form, Input, InputKind, Item, Reply, Style, Tone


def test_a_card_submission_becomes_the_action_its_value_and_the_typed_inputs():
    activity = {
        "type": "message",
        "value": {**translate.submit_data(ActionId.DENY_WITH_REASON, "7"), "reason": "Too much"},
    }
    assert translate.is_press(activity)
    assert translate.to_press(activity) == translate.Press(
        "mend_deny_with_reason", "7", {"reason": "Too much"}
    )


def test_a_message_from_another_app_card_is_not_a_press():
    assert not translate.is_press({"type": "message", "value": {"verb": "other"}})
    assert not translate.is_press({"type": "message", "text": "hello"})


def test_recover_is_found_with_or_without_a_mention_and_keeps_its_text():
    assert translate.recover_text({"text": "recover late parcel $80"}) == "late parcel $80"
    assert translate.recover_text({"text": "<at>Mend</at> recover"}) == ""
    assert translate.recover_text({"text": "/Recover broken kettle"}) == "broken kettle"
    assert translate.recover_text({"text": "recovery plan"}) is None


def test_chat_words_become_commands_with_or_without_a_mention_or_a_slash():
    command = translate.chat_command
    Word, ChatCommand = translate.Word, translate.ChatCommand
    assert command({"text": "help"}) == ChatCommand(Word.HELP)
    assert command({"text": "?"}) == ChatCommand(Word.HELP)
    assert command({"text": "<at>Mend</at> Cases"}) == ChatCommand(Word.CASES)
    assert command({"text": "/approvals "}) == ChatCommand(Word.APPROVALS)
    assert command({"text": "ME"}) == ChatCommand(Word.ME)
    assert command({"text": "recover late parcel"}) == ChatCommand(Word.RECOVER, "late parcel")


def test_history_takes_the_rest_of_the_message_as_the_customer():
    command = translate.chat_command
    Word, ChatCommand = translate.Word, translate.ChatCommand
    assert command({"text": "history  Jane Customer "}) == ChatCommand(Word.HISTORY, "Jane Customer")
    assert command({"text": "history\njane@example.org"}) == ChatCommand(Word.HISTORY, "jane@example.org")
    assert command({"text": "history"}) == ChatCommand(Word.HISTORY, "")
    assert len(command({"text": "history " + "x" * 5_000}).text) == 200


def test_any_other_text_is_unknown_even_when_it_starts_like_a_command():
    Word = translate.Word
    for text in ("hello", "", "casesX", "me too", "cases please", "/", "recovery plan", "<at>Mend</at>"):
        assert translate.chat_command({"text": text}).word is Word.UNKNOWN, text
    assert translate.chat_command({}).word is Word.UNKNOWN
    assert translate.chat_command({"text": "help me"}).word is Word.HELP


def test_the_actor_is_the_entra_object_id_with_the_email_when_the_activity_has_it():
    actor = translate.actor_from(
        {"from": {"id": "29:x", "name": "Ann", "aadObjectId": "aad-1", "email": "a@b.c"}}
    )
    assert (actor.platform, actor.user_id, actor.name, actor.email) == ("teams", "aad-1", "Ann", "a@b.c")
    assert translate.actor_from({"from": {"id": "29:x"}}).user_id == "29:x"
    assert translate.actor_from({"from": {"id": "29:x"}}).email is None


def test_install_is_told_apart_from_other_members_joining():
    bot = {"id": "28:bot"}
    assert translate.bot_was_added({"type": "conversationUpdate", "recipient": bot, "membersAdded": [bot]})
    assert not translate.bot_was_added(
        {"type": "conversationUpdate", "recipient": bot, "membersAdded": [{"id": "29:u"}]}
    )


def test_a_reply_renders_tone_facts_items_and_buttons_as_submit_actions():
    reply = Reply(
        title="R-1001 · Late",
        text="Say this",
        fields=(Field("Customer", "Jo"),),
        items=(Item("1. Voucher", "why", Button("Give", ActionId.GIVE_OPTION, "1:1", Style.PRIMARY)),),
        buttons=(Button("Cancel case", ActionId.CANCEL, "1", Style.DANGER),),
        tone=Tone.WARNING,
    )
    card = cards.render_reply(reply)
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert card["body"][0]["style"] == "warning"
    label, value = (column["items"][0]["inlines"][0] for column in card["body"][2]["columns"])
    assert (label["text"], label["weight"], value["text"]) == ("Customer", "Bolder", "Jo")
    give = card["body"][3]["items"][-1]["actions"][0]
    assert give["data"] == translate.submit_data(ActionId.GIVE_OPTION, "1:1") and give["style"] == "positive"
    assert card["actions"][0]["style"] == "destructive"


def test_a_form_error_is_shown_under_its_field_and_keeps_what_was_typed():
    form = Form(
        title="Deny",
        action=ActionId.DENY_WITH_REASON,
        value="3",
        submit_label="Deny",
        inputs=(Input("reason", "Reason", InputKind.LONG_TEXT),),
    )
    card = cards.render_form(form, values={"reason": "x"}, error="Say why", error_field="reason")
    reason = card["body"][1]
    assert reason["id"] == "reason" and reason["value"] == "x" and reason["isMultiline"]
    assert card["body"][2] == {
        "type": "RichTextBlock",
        "inlines": [{"type": "TextRun", "text": "Say why", "color": "Attention"}],
        "spacing": "None",
    }
    assert card["actions"][0]["data"] == translate.submit_data(ActionId.DENY_WITH_REASON, "3")


def test_an_error_not_about_a_field_is_shown_at_the_top():
    form = Form(title="T", action=ActionId.OPEN_CASE, submit_label="Go", inputs=(Input("a", "A"),))
    card = cards.render_form(form, error="Nope")
    assert card["body"][1]["inlines"][0]["text"] == "Nope"
