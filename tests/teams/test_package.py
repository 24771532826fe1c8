"""`mend teams package`: a zip Teams accepts as a custom app."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib

import pytest
from typer.testing import CliRunner

from adapters.cli import app
from adapters.teams.package import LIMITS, manifest, over_limit

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


def _package(tmp_path, *args: str):
    return CliRunner().invoke(
        app, ["teams", "package", "--out", str(tmp_path / "mend.zip"), "--app-id", APP_ID, *args]
    )


def test_a_developer_name_longer_than_teams_allows_is_refused_with_the_field_and_limit(tmp_path):
    result = _package(tmp_path, "--developer", "Northwind Traders Customer Care Ltd")  # 35
    assert result.exit_code == 1
    assert (
        "--developer: developer.name is 35 characters; the Teams manifest allows at most 32" in result.output
    )
    assert not (tmp_path / "mend.zip").exists()
    assert _package(tmp_path, "--developer", "N" * 32).exit_code == 0


@pytest.mark.parametrize("version", ["1.0", "v1.0.0", "1.0.0-beta", "01.0.0", "1.0.0.0", "", "1. 0.0"])
def test_a_version_that_is_not_major_minor_patch_is_refused(tmp_path, version):
    result = _package(tmp_path, "--version", version)
    assert result.exit_code == 1
    assert f"--version {version!r}: Teams wants three numbers, MAJOR.MINOR.PATCH" in result.output
    assert not (tmp_path / "mend.zip").exists()


@pytest.mark.parametrize("version", ["0.0.1", "1.0.0", "2.10.300"])
def test_a_major_minor_patch_version_is_packaged(tmp_path, version):
    assert _package(tmp_path, "--version", version).exit_code == 0
    with zipfile.ZipFile(tmp_path / "mend.zip") as archive:
        assert json.loads(archive.read("manifest.json"))["version"] == version


def test_every_refusal_is_told_at_once(tmp_path):
    result = _package(tmp_path, "--version", "1.0", "--developer", "D" * 40, "--website", "http://x.org")
    assert result.exit_code == 1
    assert "--website 'http://x.org': Teams needs an https:// address" in result.output
    assert "--version '1.0'" in result.output
    assert "--developer: developer.name is 40 characters" in result.output


def test_a_website_address_longer_than_teams_allows_is_refused(tmp_path):
    website = "https://example.com/" + "a" * 2029  # 2049 characters
    result = _package(tmp_path, "--website", website)
    assert result.exit_code == 1
    assert result.output.count("--website") == 1
    assert "--website: developer.websiteUrl is 2049 characters; the Teams manifest allows at most 2048" in (
        result.output
    )


def test_every_limit_names_a_string_of_mends_manifest_and_mends_own_strings_are_within_them():
    data = manifest(APP_ID, version="1.0.0", developer="Mend", website="https://example.com")
    for path in LIMITS:
        node = data
        for key in path.split("."):
            node = node[0][key] if isinstance(node, list) else node[key]
        assert isinstance(node, str), path
    assert over_limit(data) == []
    data["name"]["short"] = "Mend, the service recovery bot"  # 30: at the limit
    data["description"]["short"] = "x" * 81
    data["bots"][0]["commandLists"][0]["commands"][0]["title"] = "t" * 33
    assert over_limit(data) == [
        "description.short is 81 characters; the Teams manifest allows at most 80",
        "bots.commandLists.commands.title is 33 characters; the Teams manifest allows at most 32",
    ]
