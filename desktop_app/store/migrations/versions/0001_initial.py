"""The first schema: connection, sync, field mapping, state table, runs, skipped records, staging.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.String(32)  # UTCDateTime: aware ISO text


def upgrade() -> None:
    op.create_table(
        "connection",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("data_center", sa.String(8)),
        sa.Column("accounts_url", sa.String(255), nullable=False),
        sa.Column("books_url", sa.String(255), nullable=False),
        sa.Column("campaigns_url", sa.String(255), nullable=False),
        sa.Column("client_id", sa.String(255), nullable=False),
        sa.Column("org_id", sa.String(64), nullable=False),
        sa.Column("org_name", sa.String(255), nullable=False),
        sa.Column("org_time_zone", sa.String(64)),
        sa.Column("books_owner_email", sa.String(320), nullable=False),
        sa.Column("campaigns_owner_email", sa.String(320), nullable=False),
        sa.Column("user_email", sa.String(320)),
        sa.Column("gdpr_enabled", sa.Boolean, nullable=False),
        sa.Column("secret_key", sa.String(255), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "sync",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("connection_id", sa.Integer, sa.ForeignKey("connection.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("list_key", sa.String(255), nullable=False),
        sa.Column("list_name", sa.String(255), nullable=False),
        sa.Column("subscription_type", sa.String(32), nullable=False),
        sa.Column("topic_ids", sa.JSON, nullable=False),
        sa.Column("lawful_basis", sa.String(64)),
        sa.Column("update_empty", sa.Boolean, nullable=False),
        sa.Column("schedule_spec", sa.String(64), nullable=False),
        sa.Column("paused", sa.Boolean, nullable=False),
        sa.Column("mapping_version", sa.Integer, nullable=False),
        sa.Column("mapping_fingerprint", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("next_run_at", TS),
        sa.Column("last_full_at", TS),
        sa.Column("watermark", TS),
        sa.Column("needs_full", sa.Boolean, nullable=False),
    )
    op.create_table(
        "field_mapping",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sync_id", sa.Integer, sa.ForeignKey("sync.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("books_field", sa.String(255), nullable=False),
        sa.Column("campaigns_field", sa.String(255), nullable=False),
        sa.Column("new_field", sa.Boolean, nullable=False),
        sa.Column("locked", sa.Boolean, nullable=False),
        sa.Column("field_created", sa.Boolean, nullable=False),
    )
    op.create_table(
        "contact_link",
        sa.Column("sync_id", sa.Integer, sa.ForeignKey("sync.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("books_contact_id", sa.String(64), primary_key=True),
        sa.Column("email_key", sa.String(320)),
        sa.Column("email", sa.String(320)),
        sa.Column("values_hash", sa.String(64)),
        sa.Column("campaigns_status", sa.String(16)),
        sa.Column("in_list", sa.Boolean, nullable=False),
        sa.Column("last_modified", TS),
        sa.Column("last_synced_at", TS),
        sa.Column("last_run_id", sa.Integer),
    )
    op.create_index("ix_contact_link_email", "contact_link", ["sync_id", "email_key"])
    op.create_table(
        "run",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sync_id", sa.Integer, sa.ForeignKey("sync.id", ondelete="SET NULL")),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("finished_at", TS),
        sa.Column("total", sa.Integer, nullable=False),
        sa.Column("added", sa.Integer, nullable=False),
        sa.Column("updated", sa.Integer, nullable=False),
        sa.Column("unchanged", sa.Integer, nullable=False),
        sa.Column("skipped", sa.Integer, nullable=False),
        sa.Column("estimated_total", sa.Integer),
        sa.Column("phase", sa.String(32)),
        sa.Column("error_code", sa.String(64)),
        sa.Column("error_message", sa.Text),
        sa.Column("watermark_start", TS),
        sa.Column("watermark_end", TS),
        sa.Column("checkpoint", sa.JSON),
        sa.Column("resume_at", TS),
        sa.Column("list_name", sa.String(255)),
    )
    op.create_index("ix_run_sync_status", "run", ["sync_id", "status"])
    op.create_table(
        "skipped_record",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("run.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("books_contact_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(255)),
        sa.Column("email", sa.String(320)),
        sa.Column("reason_code", sa.String(32), nullable=False),
        sa.Column("reason_message", sa.Text, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "staged_customer",
        sa.Column("run_id", sa.Integer, sa.ForeignKey("run.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("contact_id", sa.String(64), primary_key=True),
        sa.Column("sort_key", sa.String(80), nullable=False),
        sa.Column("email_key", sa.String(320)),
        sa.Column("last_modified", TS),
        sa.Column("record", sa.JSON, nullable=False),
    )
    op.create_index("ix_staged_order", "staged_customer", ["run_id", "sort_key"])
    op.create_index("ix_staged_email", "staged_customer", ["run_id", "email_key"])


def downgrade() -> None:
    for table in ("staged_customer", "skipped_record", "run", "contact_link", "field_mapping", "sync",
                  "connection"):
        op.drop_table(table)
