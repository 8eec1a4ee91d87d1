"""the home feed walks each of its sources by approval too (sort=top), as it does by rank and by date

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_feed_posts_subwiki_approval", "feed_posts", ["subwiki_id", "approval", "id"])
    op.create_index("ix_feed_posts_author_approval", "feed_posts", ["author_id", "approval", "id"])


def downgrade() -> None:
    op.drop_index("ix_feed_posts_author_approval", table_name="feed_posts")
    op.drop_index("ix_feed_posts_subwiki_approval", table_name="feed_posts")
