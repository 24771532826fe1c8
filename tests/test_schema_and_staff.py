"""The schema matches the models, the audit log is append-only, the staff directory loads."""

from __future__ import annotations

import threading
import time

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from adapters.slack.install import slack_metadata
from bot.commands import Actor
from bot.errors import InvalidInput
from bot.staff import import_staff, resolve_actor
from db import migrate
from db.models import AuditEvent, Base, Staff, StaffIdentity
from tests.conftest import STAFF_CSV, FakeClock
from tests.helpers import counts


def test_migrations_build_exactly_the_models(engine: Engine) -> None:
    assert migrate.current_revision(engine) == migrate.head_revision()
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        # Mend's tables and the Slack install flow's, as alembic/env.py compares them.
        assert compare_metadata(context, [Base.metadata, slack_metadata()]) == []


def test_the_audit_log_refuses_changes(session: Session, policy, clock) -> None:
    import_staff(STAFF_CSV, session=session, policy=policy, clock=clock)
    assert session.scalar(select(AuditEvent.id)) is not None
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(text("UPDATE audit_events SET action = 'forged'"))
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(text("DELETE FROM audit_events"))


def test_staff_import_links_managers_and_identities(session: Session, policy, clock) -> None:
    result = import_staff(STAFF_CSV, session=session, policy=policy, clock=clock)
    assert (result.added, result.updated) == (6, 0)
    alice = session.scalars(select(Staff).where(Staff.email == "alice@example.com")).one()
    bob = session.get(Staff, alice.manager_id)
    assert bob is not None and bob.name == "Bob Reyes" and bob.role == "supervisor"
    again = import_staff(
        STAFF_CSV.replace("Alice Park", "Alice Park-Lee"), session=session, policy=policy, clock=clock
    )
    assert (again.added, again.updated) == (0, 6)
    assert session.get(Staff, alice.id).name == "Alice Park-Lee"


def test_reimporting_with_an_empty_manager_clears_it_unless_another_row_names_one(
    session: Session, policy, clock
) -> None:
    import_staff(STAFF_CSV, session=session, policy=policy, clock=clock)
    header, *rows = STAFF_CSV.strip().splitlines()
    alice_left_alone = [
        r if not r.startswith("console,alice,") else r.replace("bob@example.com", "") for r in rows
    ]
    # Bob also appears on Slack without a manager on that row: his console row still names Carol
    bob_on_slack = "slack,UBOB,Bob Reyes,bob@example.com,supervisor,,hq"
    import_staff(
        "\n".join([header, *alice_left_alone, bob_on_slack]), session=session, policy=policy, clock=clock
    )
    alice = session.scalars(select(Staff).where(Staff.email == "alice@example.com")).one()
    bob = session.scalars(select(Staff).where(Staff.email == "bob@example.com")).one()
    carol = session.scalars(select(Staff).where(Staff.email == "carol@example.com")).one()
    assert alice.manager_id is None
    assert bob.manager_id == carol.id


def test_a_bad_staff_file_lists_every_problem_and_imports_nothing(session: Session, policy, clock) -> None:
    bad = STAFF_CSV + "console,zed,Zed,zed@example.com,astronaut,nobody@example.com,mars\nconsole,,,,,,\n"
    before = counts(session)
    with pytest.raises(InvalidInput) as error:
        import_staff(bad, session=session, policy=policy, clock=clock)
    message = error.value.message
    assert "line 8: role 'astronaut' is not in the policy" in message
    assert "line 8: location 'mars' is not in the policy" in message
    assert "line 9: user_id is empty" in message
    assert counts(session) == before


def test_a_manager_loop_is_refused(session: Session, policy, clock) -> None:
    loop = (
        "platform,user_id,name,email,role,manager,location\n"
        "console,a,A,a@x.org,manager,b@x.org,hq\nconsole,b,B,b@x.org,manager,a@x.org,hq\n"
    )
    with pytest.raises(InvalidInput, match="form a loop"):
        import_staff(loop, session=session, policy=policy, clock=clock)
    assert counts(session)["staff"] == 0


def test_unknown_people_get_the_default_role_and_one_person_has_one_row(
    session: Session, policy, clock
) -> None:
    import_staff(STAFF_CSV, session=session, policy=policy, clock=clock)
    newcomer = resolve_actor(session, Actor("slack", "U999", "Sam New", None), policy=policy, now=clock.now())
    assert newcomer.role == "frontline"
    # The same person arriving from another platform with a known email is the same staff row.
    alice = resolve_actor(
        session, Actor("teams", "29:abc", "Alice", "Alice@Example.com"), policy=policy, now=clock.now()
    )
    assert alice.email == "alice@example.com"
    platforms = session.scalars(
        select(StaffIdentity.platform).where(StaffIdentity.staff_id == alice.id)
    ).all()
    assert sorted(platforms) == ["console", "teams"]


def _wait_until_blocked_on_a_lock(sessions, timeout: float = 10.0) -> None:
    """Return once another connection waits on a row lock (PostgreSQL only)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with sessions() as probe:
            waiting = probe.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE wait_event_type = 'Lock' AND datname = current_database()"
                )
            )
        if waiting:
            return
        time.sleep(0.01)
    raise AssertionError("the second first contact never waited on the first")


@pytest.mark.postgres
@pytest.mark.parametrize(
    "second",
    [
        Actor("slack", "U-NEW", "New Person", "new@example.com"),  # the same account twice
        Actor("teams", "aad-new", "New Person", "NEW@example.com"),  # the same person, another platform
    ],
    ids=["same-account", "same-email"],
)
def test_two_first_contacts_at_once_make_one_staff_member(dialect, request, policy, second) -> None:
    if dialect == "sqlite":
        pytest.skip("SQLite serialises writers; the race is a PostgreSQL matter")
    sessions = request.getfixturevalue("fresh_sessions")
    clock = FakeClock()
    first = Actor("slack", "U-NEW", "New Person", "new@example.com")
    outcome: dict[str, object] = {}

    def contact_second() -> None:
        with sessions() as other:
            try:
                outcome["staff_id"] = resolve_actor(other, second, policy=policy, now=clock.now()).id
                other.commit()
            except Exception as exc:  # the test reports it below
                outcome["error"] = exc

    with sessions() as winner:
        staff_id = resolve_actor(winner, first, policy=policy, now=clock.now()).id
        thread = threading.Thread(target=contact_second)
        thread.start()
        _wait_until_blocked_on_a_lock(sessions)
        winner.commit()
    thread.join()
    assert "error" not in outcome, outcome.get("error")
    assert outcome["staff_id"] == staff_id
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Staff)) == 1
        platforms = session.scalars(select(StaffIdentity.platform)).all()
        assert sorted(platforms) == sorted({"slack", second.platform})


HEADER = "platform,user_id,name,email,role,manager,location\n"


def test_one_email_twice_on_one_platform_is_refused_with_both_lines(session: Session, policy, clock) -> None:
    csv = HEADER + "slack,U1,Ann Lee,ann@x.org,frontline,,hq\nslack,U2,Ann Boss,ANN@x.org,director,,hq\n"
    before = counts(session)
    with pytest.raises(InvalidInput) as error:
        import_staff(csv, session=session, policy=policy, clock=clock)
    assert "line 3: ann@x.org is also slack user U1 on line 2" in error.value.message
    assert counts(session) == before


def test_the_same_person_on_slack_and_teams_is_one_staff_member_and_the_link_is_told(
    session: Session, policy, clock
) -> None:
    csv = HEADER + "slack,U1,Ann Lee,ann@x.org,frontline,,hq\nteams,aad-1,Ann Lee,ann@x.org,frontline,,hq\n"
    result = import_staff(csv, session=session, policy=policy, clock=clock)
    assert (result.added, result.updated) == (1, 0)
    assert result.linked == ("lines 2 and 3 are one person, ann@x.org (on slack and teams)",)
    ann = session.scalars(select(Staff).where(Staff.email == "ann@x.org")).one()
    platforms = session.scalars(select(StaffIdentity.platform).where(StaffIdentity.staff_id == ann.id))
    assert sorted(platforms) == ["slack", "teams"]


def test_one_person_with_two_roles_on_two_platforms_is_refused(session: Session, policy, clock) -> None:
    csv = HEADER + "slack,U1,Ann Lee,ann@x.org,frontline,,hq\nteams,aad-1,Ann Lee,ann@x.org,director,,hq\n"
    with pytest.raises(InvalidInput) as error:
        import_staff(csv, session=session, policy=policy, clock=clock)
    assert "line 3: ann@x.org is role frontline on line 2 and director here" in error.value.message
    assert counts(session)["staff"] == 0


def test_a_row_with_fields_missing_is_refused_with_its_line(session: Session, policy, clock) -> None:
    csv = HEADER + "slack,U1,Ann Lee,ann@x.org,frontline,,hq\n\nslack,U2,Bo\n"
    with pytest.raises(InvalidInput) as error:
        import_staff(csv, session=session, policy=policy, clock=clock)
    assert error.value.message.startswith("line 4: 3 of 7 fields; every row has platform,user_id,name,")
    assert counts(session)["staff"] == 0


def test_people_without_an_email_are_each_their_own_staff_member(session: Session, policy, clock) -> None:
    csv = HEADER + "slack,U1,Ann Lee,,frontline,,hq\nslack,U2,Bo Chen,,frontline,,hq\n"
    result = import_staff(csv, session=session, policy=policy, clock=clock)
    assert (result.added, result.updated, result.linked) == (2, 0, ())
    assert session.scalars(select(Staff.email)).all() == [None, None]


def test_a_known_account_given_another_persons_email_is_refused(session: Session, policy, clock) -> None:
    import_staff(STAFF_CSV, session=session, policy=policy, clock=clock)
    before = counts(session)
    csv = HEADER + "console,alice,Alice Park,bob@example.com,frontline,,hq\n"
    with pytest.raises(InvalidInput) as error:
        import_staff(csv, session=session, policy=policy, clock=clock)
    assert (
        "line 2: console user alice is Alice Park in the directory, but bob@example.com is Bob Reyes's email"
        in error.value.message
    )
    assert counts(session) == before
