"""`mend teams package`: a zip Teams accepts as a custom app."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib

from typer.testing import CliRunner

from adapters.cli import app

APP_ID = "11111111-2222-3333-4444-555555555555"


def _png_size_and_pixels(data: bytes) -> tuple[int, int, bytes]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", data[16:24])
    idat_length = struct.unpack(">I", data[33:37])[0]
    return width, height, zlib.decompress(data[41 : 41 + idat_length])


def test_the_package_holds_a_manifest_with_the_bot_id_and_both_icons(tmp_path):
    out = tmp_path / "mend.zip"
    result = CliRunner().invoke(app, ["teams", "package", "--out", str(out), "--app-id", APP_ID])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(archive.read("manifest.json"))
        color = _png_size_and_pixels(archive.read("color.png"))
        outline = _png_size_and_pixels(archive.read("outline.png"))
    assert manifest["id"] == APP_ID and manifest["bots"][0]["botId"] == APP_ID
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert color[:2] == (192, 192) and len(color[2]) == 192 * (1 + 192 * 4)
    assert outline[:2] == (32, 32)
    pixels = [
        outline[2][row * 129 + 1 + i * 4 : row * 129 + 5 + i * 4] for row in range(32) for i in range(32)
    ]
    assert all(p in (b"\xff\xff\xff\xff", b"\x00\x00\x00\x00") for p in pixels)  # white on transparent


def test_the_package_needs_a_real_app_id(tmp_path, monkeypatch):
    monkeypatch.delenv("MICROSOFT_APP_ID", raising=False)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["teams", "package", "--app-id", "not-a-guid"])
    assert result.exit_code == 1
    assert "not an app id" in result.output
    result = CliRunner().invoke(app, ["teams", "package"])
    assert result.exit_code == 1 and "MICROSOFT_APP_ID" in result.output
