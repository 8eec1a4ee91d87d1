"""an erased person's id leaves the rows their contributions keep: these columns may be null

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

COLUMNS = [
    ("uploads", "owner_id"),
    ("posts", "author_id"),
    ("post_revisions", "editor_id"),
    ("pending_changes", "editor_id"),
    ("comments", "author_id"),
    ("reports", "target_author_id"),
    ("reports", "reporter_id"),
]


def upgrade() -> None:
    for table, column in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, existing_type=sa.String(length=32), nullable=True)


def downgrade() -> None:
    for table, column in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, existing_type=sa.String(length=32), nullable=False)
