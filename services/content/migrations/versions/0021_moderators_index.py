"""a subwiki's moderators found without reading its members

Who may moderate a post's subwiki was read through every member of the subwiki (the primary key), keeping
the moderators. A partial index holds the moderators alone.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

MODERATORS = sa.text("is_moderator IS true")


def upgrade() -> None:
    op.create_index(
        "ix_members_moderators",
        "members",
        ["subwiki_id", "user_id"],
        postgresql_where=MODERATORS,
        sqlite_where=MODERATORS,
    )


def downgrade() -> None:
    op.drop_index("ix_members_moderators", table_name="members")
