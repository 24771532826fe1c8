"""Whose language Mend writes in: the person acting, a delivery's recipient, or a channel.

A person reads Mend in the language their platform reports (Slack's users.info
locale, a Teams activity's locale), kept on their account there when they act, else
the one the staff directory gives them, else the policy's. A channel reads the
language the policy gives it (`broadcast.locale` for lessons, the policy's own for
approvals). Only languages Mend has catalogs for count (`bot.i18n.LANGUAGES`).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot import i18n
from bot.commands import Actor
from bot.deliveries import Channel
from db import queries
from db.models import Delivery
from policies.schema import Policy


def of_actor(session: Session, actor: Actor, *, policy: Policy) -> str:
    """Return the language to answer `actor` in, noting the one their platform reports (no commit).

    One query on every request (and an update when the platform's locale changed).
    """
    found = queries.locales_of_account(session, actor.platform, actor.user_id)
    reported = i18n.negotiate(actor.locale)
    if reported is not None:
        if found is not None and found[1] != actor.locale and actor.locale is not None:
            queries.note_account_locale(session, found[0], actor.locale)
        return reported
    if found is None:
        return i18n.first_spoken(policy.locale)
    _, _, accounts, directory = found
    return i18n.first_spoken(*accounts, directory, policy.locale)


def of_staff(session: Session, staff_id: int, *, policy: Policy) -> str:
    """Return the language a staff member reads: a platform's, else the directory's, else the policy's."""
    found = queries.locales_of_staff(session, staff_id)
    accounts, directory = found if found is not None else ([], None)
    return i18n.first_spoken(*accounts, directory, policy.locale)


def of_channel(channel: str | None, *, policy: Policy) -> str:
    """Return the language a channel Mend posts to reads."""
    if channel == Channel.LESSONS:
        return i18n.first_spoken(policy.channel_locale)
    return i18n.first_spoken(policy.locale)


def of_delivery(session: Session, delivery: Delivery, *, policy: Policy) -> str:
    """Return the language a delivery is written in: its recipient's, or its channel's."""
    if delivery.recipient_id is not None:
        return of_staff(session, delivery.recipient_id, policy=policy)
    return of_channel(delivery.channel, policy=policy)
