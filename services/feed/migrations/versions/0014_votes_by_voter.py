"""a person's votes found by the person: the index a trust change reads them through

When identity's trust in a member changes, the feed reweighs every vote that member cast. Without an index
on the voter, that read scanned every vote held (4.5 million at the benchmark's full size: about 1.3 s and
540 MB of pages a trust change). On a large existing table this index is built in the migration's
transaction, holding writes to ``feed_votes`` for the seconds it takes.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_feed_votes_voter", "feed_votes", ["voter_id"])


def downgrade() -> None:
    op.drop_index("ix_feed_votes_voter", table_name="feed_votes")
