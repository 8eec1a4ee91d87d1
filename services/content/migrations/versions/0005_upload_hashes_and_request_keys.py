"""the same picture from the same person is one upload; creating requests' Idempotency-Keys

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("uploads") as batch:
        batch.add_column(sa.Column("content_hash", sa.String(64), nullable=True))
        batch.create_unique_constraint("uq_uploads_owner_content", ["owner_id", "content_hash"])
    op.create_table(
        "request_keys",
        sa.Column("caller_id", sa.String(32), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("resource_id", sa.String(32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("request_keys")
    with op.batch_alter_table("uploads") as batch:
        batch.drop_constraint("uq_uploads_owner_content", type_="unique")
        batch.drop_column("content_hash")
