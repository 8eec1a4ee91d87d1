"""subwikis, their revisions, memberships and the moderation log

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


def timestamps():
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "subwikis",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("slug", sa.String(40), nullable=False, unique=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("summary", sa.String(500), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("created_by", sa.String(32), nullable=False),
        sa.Column("member_count", sa.Integer, nullable=False),
        sa.Column("post_count", sa.Integer, nullable=False),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=False),
        *timestamps(),
    )
    op.create_index("ix_subwikis_member_count", "subwikis", ["member_count"])
    op.create_index("ix_subwikis_last_activity_at", "subwikis", ["last_activity_at"])
    op.create_index("ix_subwikis_created_at", "subwikis", ["created_at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX ix_subwikis_search ON subwikis USING gin (to_tsvector('simple', name || ' ' || summary))"
        )
    op.create_table(
        "subwiki_revisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("subwiki_id", sa.String(32), sa.ForeignKey("subwikis.id", ondelete="CASCADE"), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("summary", sa.String(500), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("editor_id", sa.String(32), nullable=False),
        sa.Column("edit_summary", sa.String(300), nullable=False),
        sa.Column("restored_from", sa.Integer, nullable=True),
        *timestamps(),
        sa.UniqueConstraint("subwiki_id", "revision"),
    )
    op.create_table(
        "memberships",
        sa.Column("subwiki_id", sa.String(32), sa.ForeignKey("subwikis.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("user_id", sa.String(32), primary_key=True),
        sa.Column("is_moderator", sa.Boolean, nullable=False),
        *timestamps(),
    )
    op.create_index("ix_memberships_user", "memberships", ["user_id"])
    op.create_table(
        "modlog",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("subwiki_id", sa.String(32), sa.ForeignKey("subwikis.id", ondelete="CASCADE"), nullable=False),
        sa.Column("actor_id", sa.String(32), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("target_type", sa.String(20), nullable=False),
        sa.Column("target_id", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        *timestamps(),
    )
    op.create_index("ix_modlog_subwiki_id", "modlog", ["subwiki_id", "id"])


def downgrade() -> None:
    for table in ("modlog", "memberships", "subwiki_revisions", "subwikis"):
        op.drop_table(table)
