"""The Teams app package: manifest.json and the two icons, zipped, ready to upload to Teams."""

from __future__ import annotations

import json
import re
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

MANIFEST_VERSION = "1.17"
ACCENT = (46, 125, 107)  # Mend's green
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# The schema's "semver": three numbers without leading zeros, nothing before or after.
_SEMVER = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")

# The longest each string of the manifest may be, from the Teams manifest schema (v1.17);
# a list on the way (bots, commands) means every item. Teams refuses the upload past these.
LIMITS: dict[str, int] = {
    "version": 256,
    "developer.name": 32,
    "developer.websiteUrl": 2048,
    "developer.privacyUrl": 2048,
    "developer.termsOfUseUrl": 2048,
    "name.short": 30,
    "name.full": 100,
    "description.short": 80,
    "description.full": 4000,
    "bots.commandLists.commands.title": 32,
    "bots.commandLists.commands.description": 128,
}
# The `mend teams package` option that sets a field, to name it when the field is refused.
OPTIONS = {
    "version": "--version",
    "developer.name": "--developer",
    "developer.websiteUrl": "--website",
    "developer.privacyUrl": "--website",
    "developer.termsOfUseUrl": "--website",
}


class PackageError(ValueError):
    """The package cannot be built as asked; the message says what to change."""


def png(size: int, pixel: Any) -> bytes:
    """Return an RGBA PNG of `size` x `size` whose colour at (x, y) is `pixel(x, y)`."""
    rows = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(size)) for y in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def _in_mark(x: float, y: float) -> bool:
    """Say whether a point of the unit square is on Mend's mark: a ring with a check inside."""
    dx, dy = x - 0.5, y - 0.5
    radius = (dx * dx + dy * dy) ** 0.5
    ring = 0.34 <= radius <= 0.42
    short = abs((y - 0.52) - (x - 0.30)) < 0.05 and 0.30 <= x <= 0.45
    long = abs((y - 0.67) + (x - 0.45)) < 0.05 and 0.45 <= x <= 0.72
    return ring or short or long


def color_icon(size: int = 192) -> bytes:
    """Return the full-colour icon: a white mark on Mend's green."""
    white, green = (255, 255, 255, 255), (*ACCENT, 255)
    return png(size, lambda x, y: white if _in_mark((x + 0.5) / size, (y + 0.5) / size) else green)


def outline_icon(size: int = 32) -> bytes:
    """Return the outline icon Teams wants: white on transparent."""
    white, clear = (255, 255, 255, 255), (0, 0, 0, 0)
    return png(size, lambda x, y: white if _in_mark((x + 0.5) / size, (y + 0.5) / size) else clear)


def manifest(app_id: str, *, version: str, developer: str, website: str) -> dict[str, Any]:
    """Return the manifest for the bot registered as `app_id`; raise PackageError if Teams would refuse it."""
    problems = []
    if not _GUID.match(app_id or ""):
        problems.append(
            f"{app_id!r} is not an app id; use the Microsoft App ID of the Azure Bot (a GUID), "
            "from MICROSOFT_APP_ID or --app-id"
        )
    if not website.startswith("https://"):
        problems.append(f"--website {website!r}: Teams needs an https:// address for the developer website")
    if not _SEMVER.fullmatch(version):
        problems.append(
            f"--version {version!r}: Teams wants three numbers, MAJOR.MINOR.PATCH, such as 1.0.1"
            " (no leading zeros, nothing before or after)"
        )
    data = _manifest(app_id, version=version, developer=developer, website=website)
    problems += over_limit(data)
    if problems:
        raise PackageError("\n".join(problems))
    return data


def over_limit(data: dict[str, Any]) -> list[str]:
    """Return a sentence for every string of the manifest that is longer than Teams allows."""
    problems = []
    told: set[str] = set()  # an option that fills several fields (--website) is told about once
    for path, limit in LIMITS.items():
        option = OPTIONS.get(path, "")
        for value in _strings_at(data, path.split(".")):
            if len(value) <= limit or option in told:
                continue
            if option:
                told.add(option)
            problems.append(
                f"{option + ': ' if option else ''}{path} is {len(value)} characters;"
                f" the Teams manifest allows at most {limit}"
            )
    return problems


def _strings_at(node: Any, keys: list[str]) -> list[str]:
    if isinstance(node, list):
        return [value for item in node for value in _strings_at(item, keys)]
    if not keys:
        return [node]
    return _strings_at(node[keys[0]], keys[1:])


def _manifest(app_id: str, *, version: str, developer: str, website: str) -> dict[str, Any]:
    scopes = ["personal", "team", "groupChat"]
    return {
        "$schema": (
            f"https://developer.microsoft.com/en-us/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
        ),
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": app_id,
        "developer": {
            "name": developer,
            "websiteUrl": website,
            "privacyUrl": website,
            "termsOfUseUrl": website,
        },
        "name": {"short": "Mend", "full": "Mend: service recovery on the front line"},
        "description": {
            "short": "Make it right for a customer on the spot.",
            "full": (
                "Open a recovery case when a customer has a bad experience, get a sincere apology and a "
                "compensation within your authority, ask your manager for more in chat, and share the "
                "lesson with your team without the customer's personal data."
            ),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#{:02X}{:02X}{:02X}".format(*ACCENT),
        "bots": [
            {
                "botId": app_id,
                "scopes": scopes,
                "supportsFiles": False,
                "isNotificationOnly": False,
                "commandLists": [
                    {
                        "scopes": scopes,
                        "commands": [
                            {
                                "title": "recover",
                                "description": "Open a recovery case, e.g. recover late parcel $80",
                            }
                        ],
                    }
                ],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [],
    }


def build_package(
    out: Path,
    app_id: str,
    *,
    version: str = "1.0.0",
    developer: str = "Mend",
    website: str = "https://example.com",
) -> Path:
    """Write the zip Teams accepts as a custom app (manifest.json, color.png, outline.png at its root)."""
    data = manifest(app_id, version=version, developer=developer, website=website)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(data, indent=2))
        archive.writestr("color.png", color_icon())
        archive.writestr("outline.png", outline_icon())
    return out
