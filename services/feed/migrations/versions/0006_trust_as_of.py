"""when each person's trust was computed, so that a late, older change is not applied

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("feed_trust", sa.Column("as_of", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("feed_trust", "as_of")
