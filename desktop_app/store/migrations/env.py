"""Alembic environment: always run programmatically with a connection from ``store.db``."""

from alembic import context

from desktop_app.store.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
    # Migrations run with foreign keys off (see store.db.migrate): refuse to commit a result
    # that breaks them, so a bad migration rolls back instead of damaging the file.
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"the migration left {len(broken)} rows with broken foreign keys "
                           f"(first: table {broken[0][0]})")
