"""each comment knows its thread's top comment and its depth (replies nest at most
MAX_DEPTH levels, and a page of comments fetches whole threads); one open report per
person and target

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("comments", sa.Column("root_id", sa.String(32), nullable=True))
    op.add_column("comments", sa.Column("depth", sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_comments_root", "comments", ["root_id"])
    bind = op.get_bind()
    # Threads written before: one level at a time from the top, never recursing on their shape.
    bind.execute(
        sa.text(
            "UPDATE comments SET depth = 0, root_id = id "
            "WHERE parent_id IS NULL OR parent_id NOT IN (SELECT id FROM comments)"
        )
    )
    level = 1
    while True:
        placed = bind.execute(
            sa.text(
                "UPDATE comments SET depth = :level, "
                "root_id = (SELECT p.root_id FROM comments p WHERE p.id = comments.parent_id) "
                "WHERE root_id IS NULL AND parent_id IN "
                "(SELECT id FROM comments WHERE depth = :above AND root_id IS NOT NULL)"
            ),
            {"level": level, "above": level - 1},
        ).rowcount
        if not placed:
            break
        level += 1
    # Reports filed again before the rule: the first stays open, the others are closed as duplicates.
    bind.execute(
        sa.text(
            "UPDATE reports SET status = 'resolved', action = 'duplicate' WHERE status = 'open' AND EXISTS ("
            "SELECT 1 FROM reports r WHERE r.status = 'open' AND r.reporter_id = reports.reporter_id "
            "AND r.target_type = reports.target_type AND r.target_id = reports.target_id "
            "AND (r.created_at < reports.created_at OR (r.created_at = reports.created_at AND r.id < reports.id)))"
        )
    )
    op.create_index(
        "ux_reports_open_per_reporter",
        "reports",
        ["reporter_id", "target_type", "target_id"],
        unique=True,
        postgresql_where=sa.text("status = 'open'"),
        sqlite_where=sa.text("status = 'open'"),
    )


def downgrade() -> None:
    op.drop_index("ux_reports_open_per_reporter", "reports")
    op.drop_index("ix_comments_root", "comments")
    op.drop_column("comments", "depth")
    op.drop_column("comments", "root_id")
