"""Issue 10 item 2: API usage in the database, shared by every process of the app.

``api_use``: one row per call (or per imported bucket of calls) recorded *before* it is sent;
``api_lock``: Zoho's locks ("blocked for 30 minutes") seen by any process. Rows older than the
longest window are pruned by the ledger (store/usage.py).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_use",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("family", sa.String(64), nullable=False),
        sa.Column("key", sa.String(64), nullable=False, server_default=""),
        sa.Column("scale", sa.Float, nullable=False, server_default="1"),
        sa.Column("at", sa.Float, nullable=False),  # wall clock, epoch seconds
        sa.Column("calls", sa.Integer, nullable=False, server_default="1"),
        sa.Column("owner", sa.String(40), nullable=False, server_default=""),
    )
    op.create_index("ix_api_use_at", "api_use", ["at"])
    op.create_table(
        "api_lock",
        sa.Column("family", sa.String(64), primary_key=True),
        sa.Column("scale", sa.Float, primary_key=True),
        sa.Column("until", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("api_lock")
    op.drop_index("ix_api_use_at", table_name="api_use")
    op.drop_table("api_use")
