"""Alembic environment of the sselab store.

Run programmatically by :func:`sselab.store.engine.upgrade`, which passes an open connection in
``config.attributes["connection"]``; with no connection, the URL in the config (``sqlalchemy.url``) is used.
Imported outside an Alembic run (``pytest --doctest-modules`` collects it) it does nothing.
"""

from __future__ import annotations

from alembic import context
from alembic.config import Config
from sqlalchemy import create_engine

from sselab.store.models import Base

config: Config | None
try:
    config = context.config
except AttributeError:  # not run by Alembic: no migration context
    config = None
target_metadata = Base.metadata


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Migrate through the given connection, else through a new engine on ``sqlalchemy.url``."""
    assert config is not None
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()


def run_migrations_offline() -> None:
    """Emit SQL without a database (``alembic upgrade --sql``)."""
    assert config is not None
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


if config is None:
    pass
elif context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
