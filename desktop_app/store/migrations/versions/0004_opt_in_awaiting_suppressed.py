"""Double opt-in and consent answers on the sync, the awaiting-confirmation count of a run, and
the addresses Campaigns refused for their state, and the Books plan of the connection.

Revision ID: 0004
Revises: 0003
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (see 0002): no table copy, so no cascade from a DROP.
    op.add_column("run", sa.Column("awaiting", sa.Integer, nullable=False, server_default="0"))
    op.add_column("sync", sa.Column("opt_in_mode", sa.String(16), nullable=False, server_default="unknown"))
    op.add_column("sync", sa.Column("gdpr", sa.Boolean))
    # The Books organization's plan_name (its daily API cap); NULL = not read yet.
    op.add_column("connection", sa.Column("books_plan", sa.String(64)))
    op.create_table(
        "suppressed_address",
        sa.Column("sync_id", sa.Integer, sa.ForeignKey("sync.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("email_key", sa.String(320), primary_key=True),
        sa.Column("campaigns_status", sa.String(16), nullable=False),
        sa.Column("learned_at", sa.String(32), nullable=False),
        sa.Column("run_id", sa.Integer),
    )
    # States the state table already remembers become address memories too.
    now = datetime.now(UTC).isoformat(timespec="microseconds")
    op.get_bind().execute(sa.text(
        "INSERT OR IGNORE INTO suppressed_address (sync_id, email_key, campaigns_status, learned_at, run_id) "
        "SELECT sync_id, email_key, campaigns_status, COALESCE(last_synced_at, :now), last_run_id "
        "FROM contact_link WHERE email_key IS NOT NULL "
        "AND campaigns_status IN ('unsub', 'bounce', 'spam', 'dnm') ORDER BY books_contact_id"), {"now": now})


def downgrade() -> None:
    op.drop_table("suppressed_address")
    with op.batch_alter_table("connection") as batch:
        batch.drop_column("books_plan")
    with op.batch_alter_table("sync") as batch:
        batch.drop_column("gdpr")
        batch.drop_column("opt_in_mode")
    with op.batch_alter_table("run") as batch:
        batch.drop_column("awaiting")
