"""What a person sees of Mend itself: how to use it, their own cases, and who they are to it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.i18n import N_, _, ngettext
from bot.messages.common import authority_line, category_label, money, ref, when
from bot.quiet_hours import zone_of
from bot.replies import ActionId, Button, Field, Item, Reply, Style
from bot.values import Target
from db.models import ApprovalRequest, Case, Offer, Staff
from policies.rules import Headroom
from policies.schema import Policy

# Where an open case stands on a person's Home, by the status of its latest offer.
_STANDING = {
    # Translators: on a list of open cases; {opened} is when the case was opened, {amount} what was given.
    "granted": N_("{opened} · {amount} given"),
    # Translators: on a list of open cases; {amount} was asked for and waits on an approver.
    "pending_approval": N_("{opened} · {amount} waiting for approval"),
    # Translators: on a list of open cases; {amount} was asked for and an approver approved it.
    "approved": N_("{opened} · {amount} approved"),
    # Translators: on a list of open cases; {amount} was asked for and an approver denied it.
    "denied": N_("{opened} · {amount} denied"),
    # Translators: on a list of open cases; {amount} was asked for, then the request was withdrawn.
    "withdrawn": N_("{opened} · {amount} withdrawn"),
}


def recover_help(command: str = "/recover", *, chat: bool = False, brief: bool = False) -> Reply:
    """Explain /recover; with `chat`, every word typed in a chat with Mend (`brief`: one line)."""
    if chat:
        return _chat_help_brief(command) if brief else _chat_help(command)
    return Reply(
        # Translators: {command} is the slash command as typed, such as /recover.
        title=_("How to use {command}", command=command),
        fields=(
            Field(
                # Translators: {command} is typed as is; "[what happened]" stands for the person's words.
                _("{command} [what happened]", command=command),
                _("Open a case; words like 'late' or '$80' fill in the form."),
            ),
            Field(
                # Translators: "history" is typed as is (do not translate it); CUSTOMER stands for a customer.
                _("{command} history CUSTOMER", command=command),
                _("A customer's earlier cases (by reference, email, phone or name)."),
            ),
            Field(
                # Translators: "report", "week" and "month" are typed as is (do not translate them).
                _("{command} report [week|month]", command=command),
                _("Your team's figures and chart, sent to you by Mend."),
            ),
            Field(
                # Translators: the command as typed; "tasks" is not translated.
                _("{command} tasks", command=command),
                _("Open fix-the-system tasks: yours and your team's."),
            ),
            Field(
                # Translators: the command as typed; "practice" is not translated.
                _("{command} practice", command=command),
                _("A colleague's resolved case to practise on, sent to you by Mend."),
            ),
            # Translators: the command as typed; "help" is not translated.
            Field(_("{command} help", command=command), _("This help.")),
        ),
        note=_("Your open cases, approvals waiting on you and your authority are on Mend's Home tab."),
    )


def _chat_help_brief(command: str) -> Reply:
    return Reply(
        title=_("Mend did not understand that"),
        fields=(
            Field(
                _("Type one of"),
                # Translators: the words are typed as is (do not translate them), but for CUSTOMER,
                # which stands for a customer's reference, email, phone or name.
                _(
                    "{command}, history CUSTOMER, cases, approvals, me, report, tasks, practice, help",
                    command=command,
                ),
            ),
        ),
    )


def _chat_help(command: str) -> Reply:
    # The command words are typed as is, so they are not translated; what they do is.
    return Reply(
        title=_("How to use Mend"),
        fields=(
            Field(
                # Translators: {command} is typed as is; "[what happened]" stands for the person's words.
                _("{command} [what happened]", command=command),
                _("Open a case; words like 'late' or '$80' fill in the form."),
            ),
            Field(
                # Translators: "history" is typed as is (do not translate it); CUSTOMER stands for a customer.
                _("history CUSTOMER"),
                _("A customer's earlier cases (by reference, email, phone or name)."),
            ),
            Field("cases", _("Your open cases, the approvals waiting on you, and your authority.")),
            Field("approvals", _("The approvals waiting on you (with your open cases).")),
            Field("me", _("Your role, your manager and your authority.")),
            Field(
                # Translators: "report", "week" and "month" are typed as is (do not translate them).
                _("report [week|month]"),
                _("Your team's figures and chart for the past 7 or 30 days."),
            ),
            Field("tasks", _("Open fix-the-system tasks: yours and your team's.")),
            Field(
                "practice", _("A colleague's resolved case to practise on, without the customer's details.")
            ),
            Field("help", _("This help.")),
        ),
        note=_(
            "In a channel, mention Mend and type {command}; the rest works in your chat with Mend.",
            command=command,
        ),
    )


def my_cases(
    staff: Staff,
    cases: Sequence[Case],
    waiting: Sequence[ApprovalRequest],
    room: Headroom,
    policy: Policy,
    offers: Mapping[int, Offer] | None = None,
) -> Reply:
    """Show a person their open cases (with their latest offers), what waits on them, and their authority."""
    zone = zone_of(policy, staff.location)
    latest = offers or {}
    items = [
        Item(
            title=f"{c.ref} · {c.customer_name} · {category_label(c.category, policy)}",
            detail=_standing(when(c.created_at, zone), latest.get(c.id), policy),
            # Translators: a button that opens one case from the person's list of open cases.
            button=Button(_("Open"), ActionId.SHOW_CASE, Target(case_id=c.id).encode()),
        )
        for c in cases
    ]
    items += [
        Item(
            # Translators: {number} is the approval request's number, {ref} the case's (R-1042).
            title=_("Approval {number} for {ref}", number=r.id, ref=ref(r.case_id)),
            detail=_("waiting since {when}", when=when(r.created_at, zone)),
            button=Button(
                # Translators: a button that opens an approval request to approve or deny it.
                _("Review"),
                ActionId.REVIEW_REQUEST,
                Target(request_id=r.id).encode(),
                Style.PRIMARY,
            ),
        )
        for r in waiting
    ]
    return Reply(
        # Translators: a person's Home; {open_cases} is "3 open cases", {waiting} "1 approval waiting on you".
        title=_(
            "{name}: {open_cases}, {waiting}",
            name=staff.name,
            open_cases=ngettext("{n} open case", "{n} open cases", len(cases)),
            waiting=ngettext("{n} approval waiting on you", "{n} approvals waiting on you", len(waiting)),
        ),
        fields=(Field(_("Your authority"), authority_line(room, policy)),),
        items=tuple(items),
    )


def _standing(opened: str, offer: Offer | None, policy: Policy) -> str:
    """Return when an open case was opened and, if anything was offered, its latest offer's status."""
    if offer is None or offer.status not in _STANDING:
        return opened
    return _(_STANDING[offer.status], opened=opened, amount=money(offer.amount, policy))


def who_am_i(staff: Staff, manager: Staff | None, room: Headroom, policy: Policy) -> Reply:
    """Describe a person to themselves."""
    role = policy.roles.get(staff.role)
    fields = [
        # Translators: the label of a person's role (Frontline, Supervisor ...), on their own profile.
        Field(_("Role"), role.label if role else staff.role),
        Field(_("Your authority"), authority_line(room, policy)),
        Field(
            _("You may approve up to"),
            # Translators: what a person may approve, when their role lets them approve no amount.
            money(policy.to_minor(role.approve_up_to), policy) if role else _("nothing"),
        ),
        Field(
            # Translators: the label of a person's manager, on their own profile.
            _("Manager"),
            manager.name if manager else _("none (the approver group decides your requests)"),
        ),
    ]
    return Reply(title=staff.name, fields=tuple(fields))
