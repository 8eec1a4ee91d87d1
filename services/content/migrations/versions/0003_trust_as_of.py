"""when each person's trust was computed, so that a late, older change is not applied

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
    op.add_column("trust", sa.Column("as_of", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("trust", "as_of")
