"""the feed's quality of a post kept in the post's own row, beside its search document

Search ranks its candidates by text relevance blended with the feed's quality: with the quality in
``posts`` (``quality``, and the ``quality_version`` of the ``post_quality_changed`` that set it), a
candidate is scored from the row the match already read, with no look-up per candidate. A change of
quality rewrites only those columns (PostgreSQL does not recompute the generated search document when
the columns it is made from are not set). ``post_qualities``' rows move into ``posts``; the table goes.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("posts", sa.Column("quality", sa.Float(), nullable=False, server_default="0"))
    op.add_column("posts", sa.Column("quality_version", sa.BigInteger(), nullable=False, server_default="0"))
    op.execute(
        "UPDATE posts SET quality = (SELECT q.quality FROM post_qualities q WHERE q.post_id = posts.id),"
        " quality_version = (SELECT q.version FROM post_qualities q WHERE q.post_id = posts.id)"
        " WHERE id IN (SELECT post_id FROM post_qualities)"
    )
    op.drop_table("post_qualities")


def downgrade() -> None:
    op.create_table(
        "post_qualities",
        sa.Column("post_id", sa.String(32), primary_key=True),
        sa.Column("quality", sa.Float(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.execute(
        "INSERT INTO post_qualities (post_id, quality, version, created_at, updated_at)"
        " SELECT id, quality, quality_version, updated_at, updated_at FROM posts WHERE quality_version > 0"
    )
    with op.batch_alter_table("posts") as batch:
        batch.drop_column("quality_version")
        batch.drop_column("quality")
