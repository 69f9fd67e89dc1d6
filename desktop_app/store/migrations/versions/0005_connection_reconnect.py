"""R42: when Zoho stopped accepting the connection's sign-in (expired or revoked); NULL = it works.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (see 0002): no table copy.
    op.add_column("connection", sa.Column("reconnect_needed_at", sa.String(32)))


def downgrade() -> None:
    with op.batch_alter_table("connection") as batch:
        batch.drop_column("reconnect_needed_at")
