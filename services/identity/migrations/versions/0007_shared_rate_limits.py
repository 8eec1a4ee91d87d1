"""attempt limits kept in the rate_limits table of svclib.ratelimit, as every service's limits

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from svclib.ratelimit import create_rate_limits_table

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_rate_limits_table(op.get_bind())
    op.drop_table("limit_counters")


def downgrade() -> None:
    op.create_table(
        "limit_counters",
        sa.Column("scope", sa.String(20), primary_key=True),
        sa.Column("key", sa.String(400), primary_key=True),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.drop_table("rate_limits")
