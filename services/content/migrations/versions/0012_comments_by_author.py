"""each person's recent comments, found by author: the same comment twice in a short time is refused

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_comments_author_created", "comments", ["author_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_comments_author_created", "comments")
