"""full-text search: English and French expression GIN indexes over posts and comments (PostgreSQL)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from alembic import op

LANGUAGES = ("english", "french")
# The same expressions as content.handlers.search's (PostgreSQL uses an index when the query's matches it).
DOMAIN = "coalesce(substring(posts.url from '^[a-zA-Z]+://([^/:?#]+)'), '')"


def post_document_sql(language: str) -> str:
    return (
        f"(setweight(to_tsvector('{language}'::regconfig, posts.title), 'A')"
        f" || setweight(to_tsvector('{language}'::regconfig, posts.body), 'B')"
        f" || setweight(to_tsvector('simple'::regconfig, {DOMAIN}), 'C'))"
    )


def comment_document_sql(language: str) -> str:
    return f"to_tsvector('{language}'::regconfig, comments.body)"


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite searches its FTS5 tables (0014)
    for language in LANGUAGES:
        op.execute(f"CREATE INDEX ix_posts_search_{language} ON posts USING gin ({post_document_sql(language)})")
        op.execute(
            f"CREATE INDEX ix_comments_search_{language} ON comments USING gin ({comment_document_sql(language)})"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for language in LANGUAGES:
        op.execute(f"DROP INDEX IF EXISTS ix_posts_search_{language}")
        op.execute(f"DROP INDEX IF EXISTS ix_comments_search_{language}")
