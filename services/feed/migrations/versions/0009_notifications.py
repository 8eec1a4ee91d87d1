"""notifications: what each person is told, what they were told once, their settings

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _times() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "feed_notifications",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("recipient_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("group_key", sa.String(length=120), nullable=True),
        sa.Column("actor_ids", sa.JSON(), nullable=False),
        sa.Column("actor_count", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.String(length=32), nullable=True),
        sa.Column("comment_id", sa.String(length=32), nullable=True),
        sa.Column("subwiki_id", sa.String(length=32), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("read", sa.Boolean(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        *_times(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_feed_notifications_recipient", "feed_notifications", ["recipient_id", "id"])
    op.create_index("ix_feed_notifications_unread", "feed_notifications", ["recipient_id", "read", "kind"])
    op.create_index("ix_feed_notifications_group", "feed_notifications", ["recipient_id", "group_key"])
    op.create_table(
        "feed_notified",
        sa.Column("recipient_id", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        *_times(),
        sa.PrimaryKeyConstraint("recipient_id", "key"),
    )
    op.create_table(
        "feed_notification_inboxes",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("off", sa.JSON(), nullable=False),
        sa.Column("read_through", sa.DateTime(timezone=True), nullable=True),
        *_times(),
        sa.PrimaryKeyConstraint("user_id"),
    )


def downgrade() -> None:
    op.drop_table("feed_notification_inboxes")
    op.drop_table("feed_notified")
    op.drop_table("feed_notifications")
