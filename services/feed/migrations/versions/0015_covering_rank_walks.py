"""the quality sort's per-source indexes hold visible posts only and the column each walk filters on

A home feed read from PostgreSQL walks each of the reader's sources (subwikis, followed people) by the
sort's ``(source, key, id)`` index. To bound a batch, its walks first read each source's keys; with the
walks' filter columns in the index (the author for a subwiki's walk, the subwiki for a person's) and only
visible posts in it, that read is an index-only scan, so it can read as many keys as a batch needs and bound
the batch exactly (``feed.pages.home``). On PostgreSQL only; SQLite keeps the plain indexes. On a large
existing table the indexes are rebuilt in the migration's transaction, holding writes to ``feed_posts``.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

SHOWN = sa.text("visible IS true")
# index: (the source it walks, the column its walks filter on)
WALKS = {
    "ix_feed_posts_subwiki_rank": ("subwiki_id", "author_id"),
    "ix_feed_posts_author_rank": ("author_id", "subwiki_id"),
}


def upgrade() -> None:
    for name, (source, filtered) in WALKS.items():
        op.drop_index(name, table_name="feed_posts")
        op.create_index(
            name, "feed_posts", [source, "rank", "id"], postgresql_where=SHOWN, postgresql_include=[filtered]
        )


def downgrade() -> None:
    for name, (source, _) in WALKS.items():
        op.drop_index(name, table_name="feed_posts")
        op.create_index(name, "feed_posts", [source, "rank", "id"])
