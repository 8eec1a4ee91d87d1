"""the version of each person's names held (person_names.version): identity's profile_version, so that a
rename applied first, or two renames in either order, leave the newest names

Names held before start at 0: the next event from identity, which carries its version, applies.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("person_names", sa.Column("version", sa.BigInteger(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("person_names") as batch:
        batch.drop_column("version")
