"""full-text search on SQLite: FTS5 tables over posts (title, body, the link's domain) and comments

Triggers keep them in step with the rows they index (the one place that writes them); they hold each
row's id (UNINDEXED), not its rowid, which VACUUM may change on a table whose key is not an integer.
PostgreSQL keeps its expression GIN indexes (0008) and gets nothing here.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# Porter stemming (English) over unicode61 words, accents folded: "rivières" finds "riviere".
TOKENIZE = "tokenize = 'porter unicode61 remove_diacritics 2'"


def domain(url: str) -> str:
    """The link's host, as content.handlers.search's DOMAIN_SQL on PostgreSQL ('' without a link)."""
    rest = f"substr({url}, instr({url}, '://') + 3)"
    cut = f"instr(replace(replace(replace({rest}, ':', '/'), '?', '/'), '#', '/') || '/', '/')"
    return f"CASE WHEN instr(coalesce({url}, ''), '://') > 0 THEN substr({rest}, 1, {cut} - 1) ELSE '' END"


STATEMENTS = (
    f"CREATE VIRTUAL TABLE posts_search USING fts5(id UNINDEXED, title, body, domain, {TOKENIZE})",
    f"CREATE VIRTUAL TABLE comments_search USING fts5(id UNINDEXED, body, {TOKENIZE})",
    "INSERT INTO posts_search (id, title, body, domain)"
    f" SELECT id, title, coalesce(body, ''), {domain('url')} FROM posts",
    "INSERT INTO comments_search (id, body) SELECT id, body FROM comments",
    "CREATE TRIGGER posts_search_insert AFTER INSERT ON posts BEGIN"
    " INSERT INTO posts_search (id, title, body, domain)"
    f" VALUES (new.id, new.title, coalesce(new.body, ''), {domain('new.url')}); END",
    "CREATE TRIGGER posts_search_update AFTER UPDATE OF title, body, url ON posts BEGIN"
    " UPDATE posts_search SET title = new.title, body = coalesce(new.body, ''),"
    f" domain = {domain('new.url')} WHERE id = old.id; END",
    "CREATE TRIGGER posts_search_delete AFTER DELETE ON posts BEGIN DELETE FROM posts_search WHERE id = old.id; END",
    "CREATE TRIGGER comments_search_insert AFTER INSERT ON comments BEGIN"
    " INSERT INTO comments_search (id, body) VALUES (new.id, new.body); END",
    "CREATE TRIGGER comments_search_update AFTER UPDATE OF body ON comments BEGIN"
    " UPDATE comments_search SET body = new.body WHERE id = old.id; END",
    "CREATE TRIGGER comments_search_delete AFTER DELETE ON comments BEGIN"
    " DELETE FROM comments_search WHERE id = old.id; END",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in ("posts", "comments"):
        for change in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_search_{change}")
        op.execute(f"DROP TABLE IF EXISTS {table}_search")
