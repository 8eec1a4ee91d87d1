"""a subwiki's moderators found without reading its members

A subwiki's page names its moderators; the read went through every membership of the subwiki (the primary
key) and kept the moderators, a few among thousands in a large subwiki. A partial index holds the
moderators alone, in the order they are listed.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

MODERATORS = sa.text("is_moderator IS true")


def upgrade() -> None:
    op.create_index(
        "ix_memberships_moderators",
        "memberships",
        ["subwiki_id", "created_at"],
        postgresql_where=MODERATORS,
        sqlite_where=MODERATORS,
    )


def downgrade() -> None:
    op.drop_index("ix_memberships_moderators", table_name="memberships")
