"""accounts, sessions, follows, login failures, outbox

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

from svclib.migrations import create_plumbing_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def timestamps():
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    create_plumbing_tables(op.get_bind())
    op.create_table(
        "users",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("username", sa.String(30), nullable=False, unique=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("email_normalised", sa.String(254), nullable=False, unique=True),
        sa.Column("display_name", sa.String(80), nullable=False),
        sa.Column("bio", sa.Text, nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("trust", sa.Float, nullable=False),
        sa.Column("badges", sa.JSON, nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        *timestamps(),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("user_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        *timestamps(),
    )
    op.create_table(
        "follows",
        sa.Column("follower_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column(
            "followee_id", sa.String(32), sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
        ),
        *timestamps(),
    )
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("account", sa.String(254), nullable=False),
        sa.Column("ip", sa.String(64), nullable=False),
        *timestamps(),
    )
    op.create_index("ix_login_failures_account_at", "login_failures", ["account", "created_at"])
    op.create_index("ix_login_failures_ip_at", "login_failures", ["ip", "created_at"])


def downgrade() -> None:
    for table in ("login_failures", "follows", "sessions", "users", "processed_events", "outbox"):
        op.drop_table(table)
