"""The prepared INSERT of db.fast_insert: the table's own defaults, the new id, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import JSON, Integer, MetaData, String, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from bot import deliveries
from bot.deliveries import Kind
from db.fast_insert import PreparedInsert
from db.models import AuditEvent, Delivery, DeliveryStatus

NOW = datetime(2026, 11, 10, 14, 0, tzinfo=UTC)
_serials = itertools.count(1)


class _Scratch(DeclarativeBase):
    """Tables of these tests only, outside Mend's metadata; created inside the rolled-back transaction."""

    metadata = MetaData()


def _label_of(context: Any) -> str:
    return f"for {context.get_current_parameters()['label']}"


class Probe(_Scratch):
    """A table with every kind of Python-side default the helper meets."""

    __tablename__ = "fast_insert_probe"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(40), default="untitled")
    serial: Mapped[int] = mapped_column(Integer, default=lambda: next(_serials))
    caption: Mapped[str] = mapped_column(String(80), default=_label_of)  # reads the execution context
    note: Mapped[dict[str, Any] | None] = mapped_column(JSON)


@pytest.fixture
def probes(session: Session) -> PreparedInsert:
    """The probe table, in this test's transaction, and its prepared insert."""
    _Scratch.metadata.create_all(session.connection())
    return PreparedInsert(Probe)


def test_a_row_left_to_its_defaults_gets_the_scalar_and_the_callable_ones(session, probes) -> None:
    first, second = probes.returning_id(session), probes.returning_id(session)
    rows = session.execute(select(Probe.__table__).order_by(Probe.id)).all()
    assert [row.id for row in rows] == [first, second]
    assert [row.label for row in rows] == ["untitled", "untitled"]
    assert rows[1].serial == rows[0].serial + 1  # called once per row, not once for the statement


def test_values_given_win_over_the_defaults(session, probes) -> None:
    probe_id = probes.returning_id(session, label="kettle", serial=7)
    row = session.execute(select(Probe.__table__).where(Probe.id == probe_id)).one()
    assert (row.label, row.serial) == ("kettle", 7)


def test_a_default_that_reads_the_statement_context_is_left_to_sqlalchemy(session, probes) -> None:
    probe_id = probes.returning_id(session, label="kettle")
    assert session.scalar(select(Probe.caption).where(Probe.id == probe_id)) == "for kettle"


def test_a_column_left_out_without_a_default_is_sql_null_even_when_json(session, probes) -> None:
    probe_id = probes.returning_id(session)
    sql_null = text("SELECT note IS NULL FROM fast_insert_probe WHERE id = :id")
    assert session.scalar(sql_null, {"id": probe_id})


def test_a_misspelt_column_is_an_error_that_names_it(session, probes) -> None:
    with pytest.raises(TypeError, match="fast_insert_probe has no column lable"):
        probes(session, lable="kettle")
    with pytest.raises(TypeError, match="fast_insert_probe has no column lable"):
        probes.returning_id(session, lable="kettle")


def test_a_plain_insert_writes_the_same_row_without_reading_its_id(session, probes) -> None:
    assert probes(session, label="kettle") is None
    assert session.scalars(select(Probe.label)).all() == ["kettle"]


def test_a_delivery_starts_pending_with_no_attempts_from_its_table_defaults(session) -> None:
    deliveries.enqueue(session, Kind.LESSON, now=NOW, channel="lessons", lesson={"ref": "R-1001"})
    row = session.scalars(select(Delivery)).one()
    assert (row.status, row.attempts, row.due_at, row.created_at) == (DeliveryStatus.PENDING, 0, NOW, NOW)
    assert (row.lease_until, row.last_error, row.sent_ref, row.sent_at) == (None, None, None, None)
    assert row.payload == {"lesson": {"ref": "R-1001"}}


def test_the_id_returned_is_the_row_written(session) -> None:
    insert_event = PreparedInsert(AuditEvent)
    ids = [
        insert_event.returning_id(
            session, action=f"step_{n}", at=NOW, platform="console", actor_id=None, detail={"n": n}
        )
        for n in range(3)
    ]
    written = {event.id: event.action for event in session.scalars(select(AuditEvent))}
    assert written == {ids[n]: f"step_{n}" for n in range(3)}
