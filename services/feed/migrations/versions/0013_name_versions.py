"""the version of each name the feed shows: a person's (identity's profile_version) and a subwiki's (its
revision), so that a rename applied first, or two in either order, leave the newest

Names held before start at 0: the next event, which carries its version, applies.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("feed_people", sa.Column("version", sa.BigInteger(), nullable=False, server_default="0"))
    op.add_column("feed_subwikis", sa.Column("revision", sa.BigInteger(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("feed_subwikis") as batch:
        batch.drop_column("revision")
    with op.batch_alter_table("feed_people") as batch:
        batch.drop_column("version")
