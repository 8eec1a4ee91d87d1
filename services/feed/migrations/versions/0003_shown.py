"""what the feed shows: links, pictures, counts, names

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feed_people",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "feed_subwikis",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("slug", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.add_column("feed_posts", sa.Column("url", sa.String(length=2048), nullable=True))
    op.add_column("feed_posts", sa.Column("image_file", sa.String(length=64), nullable=True))
    op.add_column("feed_posts", sa.Column("up_count", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("feed_posts", sa.Column("down_count", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("feed_posts", sa.Column("comment_count", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    op.drop_column("feed_posts", "comment_count")
    op.drop_column("feed_posts", "down_count")
    op.drop_column("feed_posts", "up_count")
    op.drop_column("feed_posts", "image_file")
    op.drop_column("feed_posts", "url")
    op.drop_table("feed_subwikis")
    op.drop_table("feed_people")
