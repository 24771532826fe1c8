"""The staff directory: who people are, what they may give, whom they answer to."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import fields, i18n, messages
from bot.audit import record
from bot.commands import Actor
from bot.errors import InvalidInput, NotFound
from bot.ports import Clock
from bot.replies import Reply
from db import queries
from db.models import Platform, Staff, StaffIdentity
from policies.rules import Headroom, headroom
from policies.schema import Policy

CSV_COLUMNS = ("platform", "user_id", "name", "email", "role", "manager", "location")
OPTIONAL_COLUMNS = ("locale",)  # the language a person reads when their platform does not say
MAX_CHAIN = 20


def period_start(now: datetime) -> datetime:
    """Return the start of the budget period (the calendar month, UTC) containing `now`."""
    return now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def normalise_email(email: str | None) -> str | None:
    """Return an email in the form it is stored and matched in."""
    email = (email or "").strip().lower()
    return email or None


def resolve_actor(session: Session, actor: Actor, *, policy: Policy, now: datetime) -> Staff:
    """Return the staff member acting, linking a new account by email or adding them with the default role.

    Two first contacts of one person can race (a double click, two replicas). The
    insert runs in a savepoint; the loser of the race rolls back only that and
    reads what the winner stored.
    """
    for attempt in range(2):
        staff = queries.get_staff_by_identity(session, actor.platform, actor.user_id)
        if staff is not None:
            return staff
        try:
            with session.begin_nested():
                return _add_actor(session, actor, policy=policy, now=now)
        except IntegrityError:
            # Someone else just added this account or this email; the second pass reads theirs.
            if attempt:
                raise
    raise AssertionError("unreachable")


def is_known(actor: Actor, *, session: Session) -> bool:
    """Say whether this platform account is linked to a staff member already."""
    return queries.get_identity(session, actor.platform, actor.user_id) is not None


def _add_actor(session: Session, actor: Actor, *, policy: Policy, now: datetime) -> Staff:
    email = normalise_email(actor.email)
    staff = queries.get_staff_by_email(session, email) if email else None
    if staff is None:
        staff = Staff(
            name=fields.cleaned(actor.name or actor.user_id).strip()[:200],
            email=email,
            role=policy.default_role,
            location=policy.default_location,
            created_at=now,
        )
        session.add(staff)
        session.flush()
        record(
            session,
            action="staff_added",
            at=now,
            platform=actor.platform,
            actor_id=staff.id,
            role=staff.role,
            reason="first contact",
        )
    session.add(
        StaffIdentity(staff_id=staff.id, platform=actor.platform, user_id=actor.user_id, locale=actor.locale)
    )
    session.flush()
    return staff


def get_headroom(
    session: Session, staff: Staff, *, policy: Policy, now: datetime, case_id: int | None = None
) -> Headroom:
    """Return what a person may still give on their own authority this period (and on this case)."""
    spent = queries.spent_since(session, staff.id, period_start(now))
    given = queries.granted_on_case(session, case_id) if case_id is not None else 0
    return headroom(policy, role=effective_role(staff, policy), spent=spent, given_on_case=given)


def effective_role(staff: Staff, policy: Policy) -> str:
    """Return the person's role, or the default one if the policy no longer has theirs."""
    return staff.role if staff.role in policy.roles else policy.default_role


def management_chain(session: Session, staff: Staff) -> list[Staff]:
    """Return the person's manager, their manager, and so on up (cycles cut)."""
    chain: list[Staff] = []
    seen = {staff.id}
    current = staff
    while current.manager_id is not None and len(chain) < MAX_CHAIN:
        manager = queries.get_staff(session, current.manager_id)
        if manager is None or manager.id in seen:
            break
        chain.append(manager)
        seen.add(manager.id)
        current = manager
    return chain


def describe_me(actor: Actor, *, session: Session, policy: Policy, clock: Clock) -> Reply:
    """Return who the acting person is to Mend: role, manager, authority left."""
    now = clock.now()
    staff = resolve_actor(session, actor, policy=policy, now=now)
    room = get_headroom(session, staff, policy=policy, now=now)
    manager = queries.get_staff(session, staff.manager_id) if staff.manager_id else None
    session.commit()
    return messages.who_am_i(staff, manager, room, policy)


@dataclass(frozen=True)
class ImportResult:
    """What a staff import changed: people added and updated, and rows linked as one person."""

    added: int
    updated: int
    linked: tuple[str, ...] = ()


def import_staff(csv_text: str, *, session: Session, policy: Policy, clock: Clock) -> ImportResult:
    """Load a CSV staff directory; on any bad row nothing is stored and every problem is listed."""
    now = clock.now()
    rows, problems = _read_rows(csv_text, policy)
    if problems:
        raise InvalidInput("file", "\n".join(problems))
    added: set[int] = set()
    touched: set[int] = set()
    by_key: dict[str, Staff] = {}
    for line, row in rows:
        staff = _find(session, row)
        if staff is not None and row["email"] and row["email"] != staff.email:
            other = queries.get_staff_by_email(session, row["email"])
            if other is not None and other.id != staff.id:
                problems.append(
                    f"line {line}: {row['platform']} user {row['user_id']} is {staff.name} in the directory,"
                    f" but {row['email']} is {other.name}'s email; fix the user id or the email"
                )
                continue
        if staff is None:
            staff = Staff(
                name=row["name"],
                email=row["email"] or None,
                role=row["role"],
                location=row["location"],
                locale=row["locale"] or None,
                created_at=now,
            )
            session.add(staff)
            session.flush()
            added.add(staff.id)
        else:
            staff.name, staff.role, staff.location = row["name"], row["role"], row["location"]
            staff.locale = row["locale"] or None
            staff.email = row["email"] or staff.email
            touched.add(staff.id)
        if queries.get_identity(session, row["platform"], row["user_id"]) is None:
            session.add(StaffIdentity(staff_id=staff.id, platform=row["platform"], user_id=row["user_id"]))
        for key in (row["email"], f"{row['platform']}:{row['user_id']}", row["user_id"]):
            if key:
                by_key.setdefault(key.lower(), staff)
    if problems:
        session.rollback()
        raise InvalidInput("file", "\n".join(problems))

    def person(row: dict[str, str]) -> Staff:
        return by_key[f"{row['platform']}:{row['user_id']}".lower()]

    # A person whose every row leaves the manager empty reports to no one now.
    with_manager = {person(row).id for _, row in rows if row["manager"]}
    for line, row in rows:
        if not row["manager"]:
            if person(row).id not in with_manager:
                person(row).manager_id = None
            continue
        manager = by_key.get(row["manager"].lower()) or queries.get_staff_by_email(
            session, row["manager"].lower()
        )
        if manager is None:
            problems.append(
                f"line {line}: manager {row['manager']!r} is not in the directory; "
                "use the manager's email or user id from this file"
            )
            continue
        person(row).manager_id = manager.id
    session.flush()
    problems.extend(_cycles(session, [person(r) for _, r in rows]))
    if problems:
        session.rollback()
        raise InvalidInput("file", "\n".join(problems))
    updated = len(touched - added)
    record(
        session,
        action="staff_imported",
        at=now,
        platform=Platform.SYSTEM,
        actor_id=None,
        added=len(added),
        updated=updated,
    )
    session.commit()
    return ImportResult(added=len(added), updated=updated, linked=_linked(rows))


CsvRow = tuple[int, dict[str, str]]  # a CSV row by column, and the line it ends on


def _read_rows(csv_text: str, policy: Policy) -> tuple[list[CsvRow], list[str]]:
    reader = csv.reader(io.StringIO(csv_text))
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        return [], [
            f"line 1: missing column(s) {', '.join(missing)}; the header must be {','.join(CSV_COLUMNS)}"
        ]
    rows: list[CsvRow] = []
    problems: list[str] = []
    accounts: dict[tuple[str, str], int] = {}
    for values in reader:
        line = reader.line_num
        if not any(value.strip() for value in values):
            continue  # a blank line
        if len(values) != len(header):
            problems.append(
                f"line {line}: {len(values)} of {len(header)} fields; every row has {','.join(header)}"
                " (leave a field empty, keeping its comma)"
            )
            continue
        row = {column: value.strip() for column, value in zip(header, values, strict=True) if column}
        row.setdefault("locale", "")
        problems.extend(f"line {line}: {problem}" for problem in _row_problems(row, policy))
        key = (row["platform"], row["user_id"])
        if key in accounts:
            problems.append(
                f"line {line}: {row['platform']} user {row['user_id']} appears twice (line {accounts[key]})"
            )
        accounts.setdefault(key, line)
        rows.append((line, row))
    problems.extend(_same_email_problems(rows))
    return rows, problems


def _row_problems(row: dict[str, str], policy: Policy) -> list[str]:
    """Normalise one row in place and return what is wrong with it."""
    row["role"] = row["role"].lower() or policy.default_role
    row["location"] = row["location"].lower() or policy.default_location
    row["email"] = normalise_email(row["email"]) or ""
    row["platform"] = row["platform"].lower()
    problems = [f"{column} is empty" for column in ("platform", "user_id", "name") if not row[column]]
    if row["platform"] and row["platform"] not in {p.value for p in Platform} - {"system"}:
        problems.append(f"platform {row['platform']!r} is not slack, teams or console")
    if row["role"] not in policy.roles:
        problems.append(f"role {row['role']!r} is not in the policy ({', '.join(policy.roles)})")
    if row["location"] not in policy.locations:
        problems.append(f"location {row['location']!r} is not in the policy ({', '.join(policy.locations)})")
    if row["email"] and "@" not in row["email"]:
        problems.append(f"email {row['email']!r} is not an email address")
    if row["locale"] and i18n.negotiate(row["locale"]) is None:
        spoken = ", ".join(i18n.LANGUAGES)
        problems.append(f"locale {row['locale']!r} is not a language Mend speaks ({spoken})")
    return problems


def _same_email_problems(rows: list[CsvRow]) -> list[str]:
    """Refuse rows that would merge different people: one email is one person.

    The same person on several platforms (one Slack row, one Teams row) is one staff
    member with one role and one location; the same email twice on one platform is two
    people sharing an address, or a typo, and Mend cannot tell which.
    """
    problems = []
    first: dict[str, tuple[int, dict[str, str]]] = {}
    on_platform: dict[tuple[str, str], tuple[int, dict[str, str]]] = {}
    for line, row in rows:
        email = row["email"]
        if not email:
            continue
        earlier = on_platform.get((email, row["platform"]))
        if earlier is not None and earlier[1]["user_id"] == row["user_id"]:
            continue  # the same account twice, told as such
        if earlier is not None:
            problems.append(
                f"line {line}: {email} is also {row['platform']} user {earlier[1]['user_id']} on line"
                f" {earlier[0]}; one email is one person, with one account per platform:"
                " fix one of the emails or remove a row"
            )
            continue
        on_platform[(email, row["platform"])] = (line, row)
        seen = first.setdefault(email, (line, row))
        for column in ("role", "location"):
            if seen[1][column] != row[column]:
                problems.append(
                    f"line {line}: {email} is {column} {seen[1][column]} on line {seen[0]} and"
                    f" {row[column]} here; one person has one {column}: make the rows agree"
                )
    return problems


def _linked(rows: list[CsvRow]) -> tuple[str, ...]:
    """Say which rows were taken as one person on several platforms, by their shared email."""
    by_email: dict[str, list[CsvRow]] = {}
    for line, row in rows:
        if row["email"]:
            by_email.setdefault(row["email"], []).append((line, row))
    return tuple(
        f"lines {_and([str(line) for line, _ in same])} are one person, {email}"
        f" (on {_and([row['platform'] for _, row in same])})"
        for email, same in by_email.items()
        if len(same) > 1
    )


def _and(words: list[str]) -> str:
    return ", ".join(words[:-1]) + f" and {words[-1]}" if len(words) > 1 else words[0]


def _find(session: Session, row: dict[str, str]) -> Staff | None:
    staff = queries.get_staff_by_identity(session, row["platform"], row["user_id"])
    if staff is None and row["email"]:
        staff = queries.get_staff_by_email(session, row["email"])
    return staff


def _cycles(session: Session, people: list[Staff]) -> list[str]:
    problems = []
    for person in people:
        seen = {person.id}
        current = person
        while current.manager_id is not None:
            if current.manager_id in seen:
                problems.append(f"{person.name}'s managers form a loop; fix the manager column")
                break
            seen.add(current.manager_id)
            manager = queries.get_staff(session, current.manager_id)
            if manager is None:
                break
            current = manager
    return problems


def get_staff_or_fail(session: Session, staff_id: int) -> Staff:
    """Return the staff member with this id, or raise NotFound."""
    staff = queries.get_staff(session, staff_id)
    if staff is None:
        raise NotFound(messages.unknown_person())
    return staff


def remember_address(
    actor: Actor, address: dict[str, Any], *, session: Session, policy: Policy, clock: Clock
) -> None:
    """Store how to reach a person later on their platform (for Teams, a conversation reference)."""
    note_address(actor, address, session=session, policy=policy, clock=clock)
    session.commit()


def note_address(
    actor: Actor, address: dict[str, Any], *, session: Session, policy: Policy, clock: Clock
) -> None:
    """Note how to reach a person later, in the transaction of what they are doing (no commit)."""
    staff = resolve_actor(session, actor, policy=policy, now=clock.now())
    identity = queries.get_identity(session, actor.platform, actor.user_id)
    assert identity is not None and identity.staff_id == staff.id
    if identity.address != address:
        identity.address = address
