"""a pending donation keeps where it is paid; an erased donor's pledges lose their donor

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("donations", sa.Column("checkout_url", sa.String(length=2048), nullable=True))
    with op.batch_alter_table("pledges") as batch:
        batch.alter_column("donor_id", existing_type=sa.String(length=32), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("pledges") as batch:
        batch.alter_column("donor_id", existing_type=sa.String(length=32), nullable=False)
    op.drop_column("donations", "checkout_url")
