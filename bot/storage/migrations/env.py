"""Alembic environment: runs on the connection `bot.storage.db.upgrade` hands it."""

from __future__ import annotations

from alembic import context

from bot.storage.models import Base

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - migrations run only through bot.storage.db.upgrade
    raise RuntimeError("run migrations with `komek db upgrade`")
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
