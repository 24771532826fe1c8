"""The terminal's Notifier: what Mend sends to people and channels, printed as it arrives."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from adapters.console.render import shown
from bot.i18n import _
from bot.ports import Recipient
from bot.replies import Reply

CHARTS_DIR_VARIABLE = "MEND_CHARTS_DIR"


def charts_dir() -> Path:
    """Return where the terminal saves charts: MEND_CHARTS_DIR, else mend-charts in the current directory."""
    # Read here, not in Settings: only the terminal saves files, and `mend chat` passes no settings down.
    return Path(os.environ.get(CHARTS_DIR_VARIABLE) or "mend-charts")


@dataclass
class ConsoleNotifier:
    """Prints what Mend sends to people and channels, as if it arrived in their chat."""

    out: TextIO
    sent: list[tuple[str, Reply]] = field(default_factory=list)
    charts: Path = field(default_factory=charts_dir)  # where a message's chart is saved
    # The channels' names as the policy configures them, by purpose (lessons, approvals).
    channels: dict[str, str] = field(default_factory=dict)

    def send(self, recipient: Recipient, reply: Reply) -> dict[str, Any] | None:
        """Print a message for its recipient (and save its chart, if it has one); a Home prints nothing.

        A Home refreshes a chat platform's view; in the terminal `/cases` shows it when asked.
        """
        if reply.home:
            return None
        channel = recipient.channel and self.channels.get(recipient.channel, recipient.channel)
        who = f"#{channel.lstrip('#')}" if channel else recipient.name
        self.sent.append((who, reply))
        # Translators: the heading above a message Mend sends; {who} is a person's name or a #channel.
        heading = _("message for {who}", who=who)
        print(f"\n── {heading} ──\n{shown(reply, self.charts)}", file=self.out)
        return {"console": len(self.sent)}

    def update(self, sent_ref: dict[str, Any], reply: Reply) -> None:
        """Print the new version of a message sent earlier."""
        who = self.sent[sent_ref["console"] - 1][0] if sent_ref.get("console") else "?"
        # Translators: the heading above a new version of a message Mend sent; {who} is a person's name
        # or a #channel.
        heading = _("message for {who} updated", who=who)
        print(f"\n── {heading} ──\n{shown(reply, self.charts)}", file=self.out)
