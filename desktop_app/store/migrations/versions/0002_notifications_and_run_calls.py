"""The notification bell's table; API calls and notes per run.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("run.id", ondelete="SET NULL")),
        sa.Column("sync_id", sa.Integer, sa.ForeignKey("sync.id", ondelete="SET NULL")),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("read", sa.Boolean, nullable=False),
    )
    # Plain ADD COLUMN (SQLite supports it): a batch copy would DROP "run", which cascades to
    # skipped_record while foreign keys are on.
    op.add_column("run", sa.Column("calls_books", sa.Integer, nullable=False, server_default="0"))
    op.add_column("run", sa.Column("calls_campaigns", sa.Integer, nullable=False, server_default="0"))
    op.add_column("run", sa.Column("notes", sa.JSON))


def downgrade() -> None:
    with op.batch_alter_table("run") as batch:
        batch.drop_column("notes")
        batch.drop_column("calls_campaigns")
        batch.drop_column("calls_books")
    op.drop_table("notification")
