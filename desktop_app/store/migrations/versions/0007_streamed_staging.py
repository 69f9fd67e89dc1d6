"""Issue 12: a run writes Books pages as they arrive, and a full run's list members live in SQLite.

``staged_customer.seq``: the order customers were staged in (per run). Writing follows it, so a
run writes each page right after reading it; the checkpoint says how far (``written``) instead of
the last contact id written (``after``). Rows staged by an older version get their seq in
contact-id order, which is the order they were going to be written in, and an unfinished run's
``after`` becomes the matching ``written`` count.

``list_member``: the addresses a run read from the list with their status (unsubscribed and
bounced for every run, active for a full run; dropped with the run's staging), instead of a Python
set and dict that grew with the list (+116 MB at 1M members).

Revision ID: 0007
Revises: 0006
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Customers a full run is expected to go through (the disclaimer's count, then each full run's
    # total): the ETA of a run that writes while it reads (NULL: not known yet).
    op.add_column("sync", sa.Column("customers_estimate", sa.Integer))
    op.execute("UPDATE sync SET customers_estimate = (SELECT total FROM run WHERE run.sync_id = sync.id "
               "AND run.kind = 'full' AND run.status = 'completed' ORDER BY run.id DESC LIMIT 1)")
    op.add_column("staged_customer", sa.Column("seq", sa.Integer))
    bind = op.get_bind()
    bind.execute(sa.text(
        "UPDATE staged_customer SET seq = ordered.n FROM (SELECT run_id, contact_id, ROW_NUMBER() OVER "
        "(PARTITION BY run_id ORDER BY sort_key) AS n FROM staged_customer) AS ordered "
        "WHERE staged_customer.run_id = ordered.run_id AND staged_customer.contact_id = ordered.contact_id"))
    op.create_index("ix_staged_seq", "staged_customer", ["run_id", "seq"])
    for run_id, raw in bind.execute(sa.text("SELECT id, checkpoint FROM run WHERE checkpoint IS NOT NULL")).all():
        checkpoint = json.loads(raw) if isinstance(raw, str) else raw
        if not isinstance(checkpoint, dict) or checkpoint.get("stage") != "write" or "written" in checkpoint:
            continue
        after = str(checkpoint.pop("after", "") or "")
        written = bind.execute(sa.text("SELECT COUNT(*) FROM staged_customer WHERE run_id = :r AND sort_key <= :a"),
                               {"r": run_id, "a": after}).scalar() if after else 0
        checkpoint["written"] = int(written or 0)
        bind.execute(sa.text("UPDATE run SET checkpoint = :c WHERE id = :r"),
                     {"c": json.dumps(checkpoint), "r": run_id})
    op.create_table(
        "list_member",
        sa.Column("run_id", sa.Integer, sa.ForeignKey("run.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("email_key", sa.String(320), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),  # active | unsub | bounce
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    with op.batch_alter_table("sync") as batch:
        batch.drop_column("customers_estimate")
    op.drop_table("list_member")
    op.drop_index("ix_staged_seq", table_name="staged_customer")
    with op.batch_alter_table("staged_customer") as batch:
        batch.drop_column("seq")
