"""subwikis whose moderators approve a new member's first post, and the posts held for them

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "first_post_approvals",
        sa.Column("subwiki_id", sa.String(32), primary_key=True),
        sa.Column("set_by", sa.String(32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "held_posts",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("subwiki_id", sa.String(32), nullable=False),
        sa.Column("subwiki_slug", sa.String(40), nullable=False),
        sa.Column("author_id", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("url", sa.String(2048), nullable=True),
        sa.Column("image_id", sa.String(32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_held_posts_subwiki", "held_posts", ["subwiki_id", "created_at"])
    op.create_index("ix_held_posts_author_id", "held_posts", ["author_id"])


def downgrade() -> None:
    op.drop_table("held_posts")
    op.drop_table("first_post_approvals")
