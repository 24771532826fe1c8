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
    """Return the language to answer `actor` in, noting the one their platform reports (no commit)."""
    identity = queries.get_identity(session, actor.platform, actor.user_id)
    reported = i18n.negotiate(actor.locale)
    if identity is not None and reported is not None and identity.locale != actor.locale:
        identity.locale = actor.locale
    if reported is not None:
        return reported
    if identity is None:
        return i18n.first_spoken(policy.locale)
    return of_staff(session, identity.staff_id, policy=policy)


def of_staff(session: Session, staff_id: int, *, policy: Policy) -> str:
    """Return the language a staff member reads: a platform's, else the directory's, else the policy's."""
    reported = [identity.locale for identity in queries.list_identities(session, staff_id)]
    staff = queries.get_staff(session, staff_id)
    return i18n.first_spoken(*reported, staff.locale if staff else None, policy.locale)


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
