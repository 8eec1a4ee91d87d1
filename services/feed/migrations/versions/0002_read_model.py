"""the feed's read model

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feed_authors",
        sa.Column("author_id", sa.String(length=32), nullable=False),
        sa.Column("posts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("author_id"),
    )
    op.create_index("ix_feed_authors_posts", "feed_authors", ["posts"], unique=False)
    op.create_table(
        "feed_comments",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("post_id", sa.String(length=32), nullable=False),
        sa.Column("author_id", sa.String(length=32), nullable=False),
        sa.Column("substantive", sa.Boolean(), nullable=False),
        sa.Column("visible", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_feed_comments_post", "feed_comments", ["post_id"], unique=False)
    op.create_table(
        "feed_edits",
        sa.Column("post_id", sa.String(length=32), nullable=False),
        sa.Column("editor_id", sa.String(length=32), nullable=False),
        sa.Column("standing", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("post_id", "editor_id"),
    )
    op.create_table(
        "feed_follows",
        sa.Column("follower_id", sa.String(length=32), nullable=False),
        sa.Column("followee_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("follower_id", "followee_id"),
    )
    op.create_table(
        "feed_memberships",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("subwiki_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "subwiki_id"),
    )
    op.create_table(
        "feed_posts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("subwiki_id", sa.String(length=32), nullable=False),
        sa.Column("subwiki_slug", sa.String(length=40), nullable=False),
        sa.Column("author_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("visible", sa.Boolean(), nullable=False),
        sa.Column("up_weight", sa.Float(), nullable=False),
        sa.Column("down_weight", sa.Float(), nullable=False),
        sa.Column("commenters", sa.Integer(), nullable=False),
        sa.Column("editors", sa.Integer(), nullable=False),
        sa.Column("penalty", sa.Float(), nullable=False),
        sa.Column("approval", sa.Float(), nullable=False),
        sa.Column("quality", sa.Float(), nullable=False),
        sa.Column("rank", sa.Float(), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_feed_posts_author_created", "feed_posts", ["author_id", "posted_at", "id"], unique=False)
    op.create_index("ix_feed_posts_author_rank", "feed_posts", ["author_id", "rank", "id"], unique=False)
    op.create_index("ix_feed_posts_posted", "feed_posts", ["posted_at", "id"], unique=False)
    op.create_index("ix_feed_posts_rank", "feed_posts", ["rank", "id"], unique=False)
    op.create_index("ix_feed_posts_refresh", "feed_posts", ["refreshed_at"], unique=False)
    op.create_index("ix_feed_posts_subwiki_created", "feed_posts", ["subwiki_id", "posted_at", "id"], unique=False)
    op.create_index("ix_feed_posts_subwiki_rank", "feed_posts", ["subwiki_id", "rank", "id"], unique=False)
    op.create_table(
        "feed_trust",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("trust", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "feed_votes",
        sa.Column("post_id", sa.String(length=32), nullable=False),
        sa.Column("voter_id", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("post_id", "voter_id"),
    )


def downgrade() -> None:
    op.drop_table("feed_votes")
    op.drop_table("feed_trust")
    op.drop_index("ix_feed_posts_subwiki_rank", table_name="feed_posts")
    op.drop_index("ix_feed_posts_subwiki_created", table_name="feed_posts")
    op.drop_index("ix_feed_posts_refresh", table_name="feed_posts")
    op.drop_index("ix_feed_posts_rank", table_name="feed_posts")
    op.drop_index("ix_feed_posts_posted", table_name="feed_posts")
    op.drop_index("ix_feed_posts_author_rank", table_name="feed_posts")
    op.drop_index("ix_feed_posts_author_created", table_name="feed_posts")
    op.drop_table("feed_posts")
    op.drop_table("feed_memberships")
    op.drop_table("feed_follows")
    op.drop_table("feed_edits")
    op.drop_index("ix_feed_comments_post", table_name="feed_comments")
    op.drop_table("feed_comments")
    op.drop_index("ix_feed_authors_posts", table_name="feed_authors")
    op.drop_table("feed_authors")
