"""a post's discussion in pages: partial indexes of its top-level comments in each sort's order, and
a thread's replies ranked from an index alone

A page of the discussion is a keyset range of top-level comments (newest first, or by score), read
from the partial indexes without looking at the replies; under each, its first replies level by level
are ranked from ``ix_comments_thread`` (which replaces ``ix_comments_root``, its first column).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

TOP_LEVEL = sa.text("parent_id IS NULL")


def upgrade() -> None:
    where = {"postgresql_where": TOP_LEVEL, "sqlite_where": TOP_LEVEL}
    op.create_index("ix_comments_top_new", "comments", ["post_id", "created_at", "id"], **where)
    op.create_index(
        "ix_comments_top_quality",
        "comments",
        ["post_id", sa.text("(up_count - down_count)"), "created_at", "id"],
        **where,
    )
    op.create_index(
        "ix_comments_thread", "comments", ["root_id", "depth", "created_at", "id", "up_count", "down_count"]
    )
    op.drop_index("ix_comments_root", "comments")


def downgrade() -> None:
    op.create_index("ix_comments_root", "comments", ["root_id"])
    op.drop_index("ix_comments_thread", "comments")
    op.drop_index("ix_comments_top_quality", "comments")
    op.drop_index("ix_comments_top_new", "comments")
