"""Alembic environment: the URL from MEND_DATABASE_URL, the metadata from db."""

from __future__ import annotations

from adapters.settings import Settings
from adapters.slack.install import slack_metadata
from alembic import context
from db.models import Base
from db.session import make_engine

config = context.config
# Mend's tables and the Slack install flow's (slack_sdk's SQLAlchemy stores).
TARGET_METADATA = [Base.metadata, slack_metadata()]
if config.config_file_name and config.attributes.get("configure_logging", True):
    from logging.config import fileConfig

    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _url() -> str:
    return config.attributes.get("url") or Settings().database_url


def run_offline() -> None:
    context.configure(url=_url(), target_metadata=TARGET_METADATA, literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=TARGET_METADATA,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
