"""the names a listed post shows: its author's (person_names) and its subwiki's (subwiki_names)

Search answers what a listed post shows itself (its author's username and display name, its subwiki's
name, beside the counts and the quality its row holds), so that a page of results is one call: the names
are kept from identity's ``user_registered`` / ``user_updated`` and communities' ``subwiki_created`` /
``subwiki_edited``. Both tables start empty: a post whose names content does not hold yet is named by
the feed's ``post_cards`` as before (gateway.presenters.listed_posts).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "person_names",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(100), nullable=False),
        *_timestamps(),
    )
    op.create_table(
        "subwiki_names",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("slug", sa.String(40), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        *_timestamps(),
    )


def downgrade() -> None:
    op.drop_table("subwiki_names")
    op.drop_table("person_names")
