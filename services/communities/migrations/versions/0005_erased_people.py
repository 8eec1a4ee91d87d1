"""an erased person's id leaves the rows their contributions keep: these columns may be null

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

COLUMNS = [("subwikis", "created_by"), ("subwiki_revisions", "editor_id"), ("modlog", "actor_id")]


def upgrade() -> None:
    for table, column in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, existing_type=sa.String(length=32), nullable=True)
    with op.batch_alter_table("modlog") as batch:
        batch.alter_column("target_id", existing_type=sa.String(length=64), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("modlog") as batch:
        batch.alter_column("target_id", existing_type=sa.String(length=64), nullable=False)
    for table, column in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(column, existing_type=sa.String(length=32), nullable=False)
