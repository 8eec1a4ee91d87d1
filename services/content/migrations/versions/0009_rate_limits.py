"""the rate_limits table of svclib.ratelimit (uploads and reports per account)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from alembic import op

from svclib.ratelimit import create_rate_limits_table

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_rate_limits_table(op.get_bind())


def downgrade() -> None:
    op.drop_table("rate_limits")
