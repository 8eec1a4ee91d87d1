"""a held first post stays once decided: approved or rejected, by whom and when

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("held_posts") as table:
        table.add_column(sa.Column("status", sa.String(10), nullable=False, server_default="waiting"))
        table.add_column(sa.Column("decided_by", sa.String(32), nullable=True))
        table.add_column(sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.execute("DELETE FROM held_posts WHERE status != 'waiting'")
    with op.batch_alter_table("held_posts") as table:
        table.drop_column("decided_at")
        table.drop_column("decided_by")
        table.drop_column("status")
