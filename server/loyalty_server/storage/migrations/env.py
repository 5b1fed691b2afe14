"""Alembic environment: always run by `loyalty_server.storage.migrate` with a live connection."""

from __future__ import annotations

from alembic import context

from loyalty_server.storage.all_tables import metadata

connection = context.config.attributes.get("connection")
assert connection is not None, "run migrations through `loyalty migrate`, not the alembic CLI"

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
