"""the version of each person's shown profile (username, display name), carried by user_registered and
user_updated and by list_trust: a consumer keeps a copy of the names only from a newer one

Existing accounts start at 1 (their registration's); the next change of a profile makes it 2.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("profile_version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("profile_version")
