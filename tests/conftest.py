"""Shared fixtures: a real database (SQLite file, and PostgreSQL when configured), a movable clock.

Each test gets a session inside a transaction that is rolled back afterwards;
the use cases' commits become savepoints. Tests that need real commits (two
sessions racing) use `fresh_sessions`, a database of their own.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bot import staff
from db import migrate
from db.session import make_engine, make_sessions
from policies.loader import load_policy
from policies.schema import Policy
from tests.fakes import FakeClock

POSTGRES_URL = os.environ.get("MEND_TEST_POSTGRES_URL")
SKIP_POSTGRES = (
    "PostgreSQL tests skipped: set MEND_TEST_POSTGRES_URL="
    "postgresql+psycopg://postgres@127.0.0.1:5432/test to run them"
)

STAFF_CSV = """platform,user_id,name,email,role,manager,location
console,alice,Alice Park,alice@example.com,frontline,bob@example.com,hq
console,bob,Bob Reyes,bob@example.com,supervisor,carol@example.com,hq
console,carol,Carol Diaz,carol@example.com,manager,dana@example.com,hq
console,dana,Dana Okafor,dana@example.com,director,,hq
console,erin,Erin Wu,erin@example.com,frontline,,london
console,ops,Olu Santos,ops-lead@example.com,manager,,hq
"""


class PostgresDatabases:
    """Creates uniquely named databases on the test server and drops them at the end."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self.admin = create_engine(self.url, isolation_level="AUTOCOMMIT")
        self.created: list[str] = []

    def create(self, template: str | None = None) -> str:
        """Create a database (optionally copied from a template) and return its URL."""
        name = f"mend_test_{uuid.uuid4().hex[:10]}"
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
        self.created.append(name)
        return self.url.set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        """Drop every database this run created."""
        with self.admin.connect() as conn:
            for name in reversed(self.created):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresDatabases]:
    """The PostgreSQL server, or a skip that says how to enable it."""
    if not POSTGRES_URL:
        pytest.skip(SKIP_POSTGRES)
    databases = PostgresDatabases(POSTGRES_URL)
    try:
        yield databases
    finally:
        databases.drop_all()


@pytest.fixture(scope="session")
def postgres_template(postgres: PostgresDatabases) -> str:
    """The name of a migrated PostgreSQL database nobody connects to, to copy from."""
    url = postgres.create()
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return make_url(url).database or ""


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def migrated_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The URL of a database built with the migrations, on each dialect."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'mend.db'}"
    else:
        url = request.getfixturevalue("postgres").create()
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def engine(migrated_url: str) -> Iterator[Engine]:
    """An engine on the migrated test database."""
    engine = make_engine(migrated_url)
    yield engine
    engine.dispose()


@pytest.fixture
def dialect(engine: Engine) -> str:
    """The name of the database the test runs on."""
    return engine.dialect.name


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose every commit is undone when the test ends."""
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()


@pytest.fixture
def fresh_sessions(
    migrated_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[sessionmaker[Session]]:
    """Sessions on a database of this test's own, with real commits."""
    if migrated_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
        engine = make_engine(url)
        migrate.upgrade(engine)
    else:
        template = request.getfixturevalue("postgres_template")
        url = request.getfixturevalue("postgres").create(template=template)
        engine = make_engine(url)
    yield make_sessions(engine)
    engine.dispose()


@pytest.fixture(scope="session")
def policy() -> Policy:
    """The default policy table."""
    return load_policy()


@pytest.fixture
def clock() -> FakeClock:
    """A clock set to a working afternoon."""
    return FakeClock()


@pytest.fixture
def people(session: Session, policy: Policy, clock: FakeClock) -> None:
    """The staff directory: alice (frontline) -> bob (supervisor) -> carol (manager) -> dana (director)."""
    staff.import_staff(STAFF_CSV, session=session, policy=policy, clock=clock)


@pytest.fixture(autouse=True)
def charts_elsewhere(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Charts the terminal saves go to a temporary directory, never into the working tree."""
    monkeypatch.setenv("MEND_CHARTS_DIR", str(tmp_path_factory.mktemp("charts")))
