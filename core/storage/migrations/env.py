"""Alembic environment: always given a live connection by ``core.storage.schema``."""

from __future__ import annotations

from alembic import context

from core.storage.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `jxc db upgrade` (core.storage.upgrade)")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
