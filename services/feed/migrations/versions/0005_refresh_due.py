"""rescore a post when its age has moved its rank enough, not every few minutes

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("feed_posts", sa.Column("refresh_due", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE feed_posts SET refresh_due = refreshed_at")
    with op.batch_alter_table("feed_posts") as batch:
        batch.alter_column("refresh_due", existing_type=sa.DateTime(timezone=True), nullable=False)
    op.drop_index("ix_feed_posts_refresh", table_name="feed_posts")
    op.create_index("ix_feed_posts_refresh_due", "feed_posts", ["refresh_due"])


def downgrade() -> None:
    op.drop_index("ix_feed_posts_refresh_due", table_name="feed_posts")
    op.create_index("ix_feed_posts_refresh", "feed_posts", ["refreshed_at"])
    op.drop_column("feed_posts", "refresh_due")
