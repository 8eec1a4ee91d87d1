"""the facts trust is computed from

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "received_votes",
        sa.Column("target_type", sa.String(length=10), nullable=False),
        sa.Column("target_id", sa.String(length=32), nullable=False),
        sa.Column("voter_id", sa.String(length=32), nullable=False),
        sa.Column("author_id", sa.String(length=32), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("target_type", "target_id", "voter_id"),
    )
    op.create_index(op.f("ix_received_votes_author_id"), "received_votes", ["author_id"], unique=False)
    op.create_table(
        "trust_stats",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("edits_stood", sa.Integer(), nullable=False),
        sa.Column("edits_reverted", sa.Integer(), nullable=False),
        sa.Column("upheld_reports", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id"),
    )


def downgrade() -> None:
    op.drop_table("trust_stats")
    op.drop_index(op.f("ix_received_votes_author_id"), table_name="received_votes")
    op.drop_table("received_votes")
