"""What a person sees of Mend itself: how to use it, their own cases, and who they are to it."""

from __future__ import annotations

from collections.abc import Sequence

from bot.messages.common import authority_line, count, money, ref, when
from bot.quiet_hours import zone_of
from bot.replies import ActionId, Button, Field, Item, Reply, Style
from bot.values import Target
from db.models import ApprovalRequest, Case, Staff
from policies.rules import Headroom
from policies.schema import Policy


def recover_help(command: str = "/recover", *, chat: bool = False, brief: bool = False) -> Reply:
    """Explain /recover; with `chat`, every word typed in a chat with Mend (`brief`: one line)."""
    if chat:
        return _chat_help_brief(command) if brief else _chat_help(command)
    return Reply(
        title=f"How to use {command}",
        fields=(
            Field(f"{command} [what happened]", "Open a case; words like 'late' or '$80' fill in the form."),
            Field(
                f"{command} history CUSTOMER",
                "A customer's earlier cases (by reference, email, phone or name).",
            ),
            Field(f"{command} report [week|month]", "Your team's figures and chart, sent to you by Mend."),
            Field(f"{command} tasks", "Open fix-the-system tasks: yours and your team's."),
            Field(f"{command} practice", "A colleague's resolved case to practise on, sent to you by Mend."),
            Field(f"{command} help", "This help."),
        ),
        note="Your open cases, approvals waiting on you and your authority are on Mend's Home tab.",
    )


def _chat_help_brief(command: str) -> Reply:
    return Reply(
        title="Mend did not understand that",
        fields=(
            Field(
                "Type one of",
                f"{command}, history CUSTOMER, cases, approvals, me, report, tasks, practice, help",
            ),
        ),
    )


def _chat_help(command: str) -> Reply:
    return Reply(
        title="How to use Mend",
        fields=(
            Field(f"{command} [what happened]", "Open a case; words like 'late' or '$80' fill in the form."),
            Field("history CUSTOMER", "A customer's earlier cases (by reference, email, phone or name)."),
            Field("cases", "Your open cases, the approvals waiting on you, and your authority."),
            Field("approvals", "The approvals waiting on you (with your open cases)."),
            Field("me", "Your role, your manager and your authority."),
            Field("report [week|month]", "Your team's figures and chart for the past 7 or 30 days."),
            Field("tasks", "Open fix-the-system tasks: yours and your team's."),
            Field("practice", "A colleague's resolved case to practise on, without the customer's details."),
            Field("help", "This help."),
        ),
        note=f"In a channel, mention Mend and type {command}; the rest works in your chat with Mend.",
    )


def my_cases(
    staff: Staff,
    cases: Sequence[Case],
    waiting: Sequence[ApprovalRequest],
    room: Headroom,
    policy: Policy,
) -> Reply:
    """Show a person their open cases, the approvals waiting on them, and their authority."""
    zone = zone_of(policy, staff.location)
    items = [
        Item(
            title=f"{c.ref} · {c.customer_name} · {c.category}",
            detail=when(c.created_at, zone),
            button=Button("Open", ActionId.SHOW_CASE, Target(case_id=c.id).encode()),
        )
        for c in cases
    ]
    items += [
        Item(
            title=f"Approval {r.id} for {ref(r.case_id)}",
            detail=f"waiting since {when(r.created_at, zone)}",
            button=Button("Review", ActionId.REVIEW_REQUEST, Target(request_id=r.id).encode(), Style.PRIMARY),
        )
        for r in waiting
    ]
    return Reply(
        title=f"{staff.name}: {count(len(cases), 'open case')}, "
        + f"{count(len(waiting), 'approval')} waiting on you",
        fields=(Field("Your authority", authority_line(room, policy)),),
        items=tuple(items),
    )


def who_am_i(staff: Staff, manager: Staff | None, room: Headroom, policy: Policy) -> Reply:
    """Describe a person to themselves."""
    role = policy.roles.get(staff.role)
    fields = [
        Field("Role", role.label if role else staff.role),
        Field("Your authority", authority_line(room, policy)),
        Field(
            "You may approve up to",
            money(policy.to_minor(role.approve_up_to), policy) if role else "nothing",
        ),
        Field(
            "Manager",
            manager.name if manager else "none (the approver group decides your requests)",
        ),
    ]
    return Reply(title=staff.name, fields=tuple(fields))
