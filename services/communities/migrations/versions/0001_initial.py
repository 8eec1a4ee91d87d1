"""outbox, processed events, known users

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from alembic import op

from svclib.migrations import create_plumbing_tables
from svclib.users import create_known_users_table

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_plumbing_tables(op.get_bind())
    create_known_users_table(op.get_bind())


def downgrade() -> None:
    for table in ("known_users", "processed_events", "outbox"):
        op.drop_table(table)
