"""What the terminal shows: typed text with its control characters inert, and charts as saved files."""

from __future__ import annotations

import io
import struct

from PIL import Image as PILImage

from adapters.console.chat import ChatSession
from adapters.console.notifier import ConsoleNotifier
from adapters.console.render import inert, render, shown
from bot.ports import Recipient
from bot.replies import ActionId, Button, Field, Image, Item, Reply


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


# --- charts: a terminal saves them as PNG files and says where ------------------------------


def test_a_message_with_a_chart_saves_the_png_and_says_where_in_one_line(tmp_path):
    out = io.StringIO()
    picture = io.BytesIO()
    PILImage.new("RGB", (80, 40), "white").save(picture, format="PNG")
    reply = Reply(title="Your week", image=Image(picture.getvalue(), "Three bars, rising", "week.png"))
    charts = tmp_path / "charts"  # made when the first chart comes

    ConsoleNotifier(out, charts=charts).send(Recipient(None, "lessons", channel="lessons"), reply)

    assert (charts / "week.png").read_bytes() == picture.getvalue()
    (line,) = [line for line in out.getvalue().splitlines() if "Chart" in line]
    assert line == f"  Chart: {charts / 'week.png'} (Three bars, rising)"


def test_an_image_name_cannot_write_outside_the_charts_directory(tmp_path):
    reply = Reply(title="x", image=Image(b"\x89PNG\r\n\x1a\n", "alt", "../../escaped.png"))
    assert shown(reply, tmp_path / "charts").endswith(f"Chart: {tmp_path / 'charts' / 'escaped.png'} (alt)")
    assert not (tmp_path / "escaped.png").exists()


def test_a_chart_that_cannot_be_saved_costs_the_chart_not_the_message(tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    text = shown(Reply(title="Digest", image=Image(b"png", "Two bars", "d.png")), blocked)
    assert text.startswith("• Digest") and "Chart not saved" in text and text.endswith("Two bars")


def test_digest_in_the_terminal_writes_its_chart_to_mend_charts_dir(
    fresh_sessions, policy, clock, tmp_path, monkeypatch
):
    monkeypatch.setenv("MEND_CHARTS_DIR", str(tmp_path / "elsewhere"))
    out = io.StringIO()
    ChatSession(fresh_sessions, policy, clock, "alice", read=input, out=out).command("/digest")

    (line,) = [line for line in out.getvalue().splitlines() if line.startswith("  Chart: ")]
    path = tmp_path / "elsewhere" / "mend-digest-2026-11-09.png"
    assert line.startswith(f"  Chart: {path} (Cases opened per week from ")
    png = path.read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and struct.unpack(">II", png[16:24]) == (800, 400)


def test_without_mend_charts_dir_charts_go_to_mend_charts_in_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.delenv("MEND_CHARTS_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    reply = Reply(title="Digest", image=Image(b"\x89PNG\r\n\x1a\n", "Two bars", "mend-digest-2026-11-09.png"))
    ConsoleNotifier(out).send(Recipient(None, "lessons", channel="lessons"), reply)
    assert "  Chart: mend-charts/mend-digest-2026-11-09.png (Two bars)" in out.getvalue().splitlines()
    assert (tmp_path / "mend-charts" / "mend-digest-2026-11-09.png").exists()
