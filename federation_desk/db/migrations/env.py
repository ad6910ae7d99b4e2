"""Alembic environment. The engine comes from ``config.attributes['engine']`` (set by ``db.migrate``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

import federation_desk.domain  # noqa: F401 - registers every model
from federation_desk.domain.base import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Federation Desk migrations run online only.")
run_migrations_online()
