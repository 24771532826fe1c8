"""The routing notifier: a person is reached where they can be, channels on every platform."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.routing import RoutingNotifier
from bot.ports import Recipient, SendError
from bot.replies import Reply


class Platform:
    """A platform's notifier as the dispatcher sees it: it records, or fails as told."""

    def __init__(self, name: str, *, fail: SendError | None = None, channels: tuple[str, ...] = ()):
        self.name = name
        self.fail = fail
        self.channels = channels
        self.sent: list[tuple[Recipient, Reply]] = []
        self.updated: list[tuple[dict[str, Any], Reply]] = []

    def send(self, recipient: Recipient, reply: Reply) -> dict[str, Any]:
        if recipient.channel is not None and recipient.channel not in self.channels:
            raise SendError(f"no {self.name} channel for {recipient.channel}", permanent=True)
        if self.fail is not None:
            raise self.fail
        self.sent.append((recipient, reply))
        return {"platform": self.name, "n": len(self.sent)}

    def update(self, sent_ref: dict[str, Any], reply: Reply) -> None:
        self.updated.append((sent_ref, reply))


REPLY = Reply(title="Approval needed")


def person(*platforms: str) -> Recipient:
    return Recipient(staff_id=7, name="Bob Reyes", accounts={p: {"user_id": f"{p}-bob"} for p in platforms})


def test_a_person_is_sent_on_their_platform_only() -> None:
    slack, teams = Platform("slack"), Platform("teams")
    ref = RoutingNotifier({"slack": slack, "teams": teams}).send(person("teams"), REPLY)
    assert ref == {"platform": "teams", "n": 1}
    assert (len(slack.sent), len(teams.sent)) == (0, 1)


def test_a_platform_that_cannot_reach_the_person_passes_them_on() -> None:
    slack = Platform("slack", fail=SendError("no Slack DM with Mend", permanent=True))
    teams = Platform("teams")
    ref = RoutingNotifier({"slack": slack, "teams": teams}).send(person("slack", "teams"), REPLY)
    assert ref is not None and ref["platform"] == "teams"


def test_a_transient_failure_is_not_sent_elsewhere_but_retried() -> None:
    slack = Platform("slack", fail=SendError("rate limited", retry_after=3))
    teams = Platform("teams")
    with pytest.raises(SendError) as raised:
        RoutingNotifier({"slack": slack, "teams": teams}).send(person("slack", "teams"), REPLY)
    assert raised.value.retry_after == 3 and not raised.value.permanent
    assert teams.sent == []


def test_a_person_on_no_served_platform_is_a_permanent_failure_that_says_why() -> None:
    with pytest.raises(SendError, match=r"Bob Reyes has no account.*slack") as raised:
        RoutingNotifier({"slack": Platform("slack")}).send(person("teams"), REPLY)
    assert raised.value.permanent


def test_a_lesson_goes_to_every_platform_with_a_lessons_channel() -> None:
    slack, teams = Platform("slack", channels=("lessons",)), Platform("teams", channels=("lessons",))
    router = RoutingNotifier({"slack": slack, "teams": teams})
    ref = router.send(Recipient(staff_id=None, name="lessons", channel="lessons"), REPLY)
    assert (len(slack.sent), len(teams.sent)) == (1, 1)
    assert ref == {"platform": "many", "sent": [{"platform": "slack", "n": 1}, {"platform": "teams", "n": 1}]}
    router.update(ref, REPLY)
    assert (len(slack.updated), len(teams.updated)) == (1, 1)


def test_a_channel_configured_nowhere_fails_and_names_it() -> None:
    router = RoutingNotifier({"slack": Platform("slack"), "teams": Platform("teams")})
    with pytest.raises(SendError, match="no platform has a 'approvals' channel") as raised:
        router.send(Recipient(staff_id=None, name="approvals", channel="approvals"), REPLY)
    assert raised.value.permanent


def test_an_update_goes_back_to_the_platform_that_sent() -> None:
    slack, teams = Platform("slack"), Platform("teams")
    router = RoutingNotifier({"slack": slack, "teams": teams})
    router.update({"platform": "teams", "activity_id": "1"}, REPLY)
    assert (len(slack.updated), len(teams.updated)) == (0, 1)
    with pytest.raises(SendError, match="does not serve 'console'"):
        router.update({"platform": "console"}, REPLY)
