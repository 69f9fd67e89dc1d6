"""Topic names kept with the sync, so views show names without asking Campaigns.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sync", sa.Column("topic_names", sa.JSON))


def downgrade() -> None:
    op.drop_column("sync", "topic_names")
