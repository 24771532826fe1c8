"""What the terminal shows of typed text: control characters are made visible and inert."""

from __future__ import annotations

from adapters.console.render import inert, render
from bot.replies import ActionId, Button, Field, Item, Reply


def test_an_ansi_sequence_in_a_customer_name_is_shown_inert():
    reply = Reply(title="R-1001", fields=(Field("Customer", "\x1b[2J\x1b[31mJo\x1b[0m"),))
    shown = render(reply)
    assert "\x1b" not in shown
    assert "Customer: \\x1b[2J\\x1b[31mJo\\x1b[0m" in shown


def test_a_carriage_return_cannot_overwrite_a_line():
    shown = render(Reply(title="Paid\rRefunded", text="ok\r\nnext line", note="a\x08b"))
    assert "\r" not in shown and "\x08" not in shown
    assert shown.splitlines() == ["• Paid\\x0dRefunded", "  ok", "  next line", "  a\\x08b"]


def test_every_part_of_a_reply_is_made_inert():
    evil = "\x1b]0;owned\x07\x9b31m\u202e"
    reply = Reply(
        title=evil,
        text=evil,
        fields=(Field(evil, evil),),
        items=(Item(evil, evil, Button(evil, ActionId.GIVE_OPTION, "1:1")),),
        buttons=(Button(evil, ActionId.CANCEL, "1"),),
        note=evil,
    )
    shown = render(reply)
    assert all(ord(c) >= 0x20 and not 0x7F <= ord(c) <= 0x9F for c in shown.replace("\n", ""))
    assert "\u202e" not in shown
    assert shown.count("\\x1b]0;owned\\x07\\x9b31m\\u202e") == 9


def test_newlines_and_tabs_are_kept_and_plain_text_is_untouched():
    assert inert("Jo Smith\tgold\nline two — café") == "Jo Smith\tgold\nline two — café"
