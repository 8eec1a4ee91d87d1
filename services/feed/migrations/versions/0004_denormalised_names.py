"""names and the new-creator flag kept on each post, so that a page is one table's index scan

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

NEW_CREATOR_POSTS = 10


def upgrade() -> None:
    op.add_column("feed_posts", sa.Column("author_username", sa.String(length=64), nullable=True))
    op.add_column("feed_posts", sa.Column("author_display_name", sa.String(length=80), nullable=True))
    op.add_column("feed_posts", sa.Column("subwiki_name", sa.String(length=100), nullable=True))
    op.add_column("feed_posts", sa.Column("small_author", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.create_index("ix_feed_subwikis_slug", "feed_subwikis", ["slug"])
    op.execute(
        "UPDATE feed_posts SET"
        " author_username = (SELECT username FROM feed_people WHERE feed_people.id = feed_posts.author_id),"
        " author_display_name = (SELECT display_name FROM feed_people WHERE feed_people.id = feed_posts.author_id)"
    )
    op.execute(
        "UPDATE feed_posts SET subwiki_name ="
        " (SELECT name FROM feed_subwikis WHERE feed_subwikis.id = feed_posts.subwiki_id)"
    )
    op.execute(
        "UPDATE feed_posts SET small_author = false WHERE author_id IN"
        f" (SELECT author_id FROM feed_authors WHERE posts >= {NEW_CREATOR_POSTS})"
    )


def downgrade() -> None:
    op.drop_index("ix_feed_subwikis_slug", table_name="feed_subwikis")
    op.drop_column("feed_posts", "small_author")
    op.drop_column("feed_posts", "subwiki_name")
    op.drop_column("feed_posts", "author_display_name")
    op.drop_column("feed_posts", "author_username")
