"""each post's language, indexed with its own stemming; the feed's quality of each post, for search

Posts (and posts held for approval) get a ``language``: ``en`` or ``fr``, ``en`` for the posts written
before it. On PostgreSQL each post's search document becomes a stored generated column, made with its
language's configuration (``english`` or ``french``; the link's domain with ``simple``), under one GIN
index; it replaces the two expression indexes of 0008, which indexed every post in both languages.
SQLite keeps its FTS5 tables (0014): one tokenizer for every language.

``post_qualities`` holds the quality the feed announces for each post (``post_quality_changed``) with
its version: search blends it into relevance and sorts by it.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

# The same expressions as content.handlers.search's (written there once for the queries; here as they were).
DOMAIN = "coalesce(substring(url from '^[a-zA-Z]+://([^/:?#]+)'), '')"


def document(language: str) -> str:
    return (
        f"setweight(to_tsvector('{language}'::regconfig, title), 'A')"
        f" || setweight(to_tsvector('{language}'::regconfig, body), 'B')"
        f" || setweight(to_tsvector('simple'::regconfig, {DOMAIN}), 'C')"
    )


SEARCH_DOCUMENT = f"CASE WHEN language = 'fr' THEN {document('french')} ELSE {document('english')} END"


def upgrade() -> None:
    for table in ("posts", "held_posts"):
        op.add_column(table, sa.Column("language", sa.String(2), nullable=False, server_default="en"))
    op.create_table(
        "post_qualities",
        sa.Column("post_id", sa.String(32), primary_key=True),
        sa.Column("quality", sa.Float(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    # Search's newest matches first (its candidates, its "new" sort) and the "new" sort of every post.
    op.create_index("ix_posts_created", "posts", ["created_at", "id"])
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER TABLE posts ADD COLUMN search_document tsvector GENERATED ALWAYS AS ({SEARCH_DOCUMENT}) STORED")
    op.execute("CREATE INDEX ix_posts_search_document ON posts USING gin (search_document)")
    for language in ("english", "french"):
        op.execute(f"DROP INDEX IF EXISTS ix_posts_search_{language}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for language in ("english", "french"):
            op.execute(f"CREATE INDEX ix_posts_search_{language} ON posts USING gin (({document(language)}))")
        op.execute("DROP INDEX IF EXISTS ix_posts_search_document")
        op.execute("ALTER TABLE posts DROP COLUMN search_document")
    op.drop_table("post_qualities")
    op.drop_index("ix_posts_created", table_name="posts")
    for table in ("posts", "held_posts"):
        op.drop_column(table, "language")
