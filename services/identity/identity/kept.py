"""Identity's kept answers: a caller's own view (``get_me``) and the names of a page's people (``get_people``),
kept in memory and dropped the moment a change behind them commits (``svclib.kept``).

A page of posts or comments asks for its authors' names on every read: the same few people, asked again and
again, while votes change their trust many times a second under load. Until 2026-12-06 any commit to identity's
database dropped every kept answer, so a trust recomputation (about one a second under ``make load``) dropped
every page's names. Now each commit names what it touched (``touches``):

- ``names``: a person's names or existence: an account registered or deleted, or its ``username``,
  ``display_name`` or ``erased_at`` changed (``NAME_COLUMNS``). Every ``get_people`` answer holds it.
- ``b:<person id>``: that person's blocks (made, lifted or removed). A ``get_people`` answer for a reader
  (``seen_by``) holds the reader's.
- ``o``: anything else (trust, a badge, a follow, a membership, a mute...): no ``get_people`` answer holds it.

A ``get_me`` answer holds no tag: any commit drops it, as before. A statement written out (Core or SQL text,
not a flush of rows) that changes the users or blocks tables touches everything, since which people it reaches
is not known without reading them; one changing another table touches ``o``. Transactions that change only
what no kept answer shows (sign-ins' attempt counts and sessions, the marks of trust to recompute) announce
nothing at all (``Database.quietly``), as before.
"""

from __future__ import annotations

import re
import weakref

from sqlalchemy import event, inspect
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker
from sqlalchemy.sql.elements import TextClause

from identity.models import Block, User
from svclib.db.transaction import EVERYTHING, touch

NAMES = "names"
OTHER = "o"
NAME_COLUMNS = ("username", "display_name", "erased_at")
READ_FROM = {User.__tablename__, Block.__tablename__}
NAMES_READ_FROM = re.compile(rf"\b({'|'.join(sorted(READ_FROM))})\b", re.IGNORECASE)
FLUSHING = "kept_flushing"  # in session.info while a flush writes the rows _flushing has seen
_SESSIONS: weakref.WeakKeyDictionary[Connection, Session] = weakref.WeakKeyDictionary()


def blocks_tag(person_id: str) -> str:
    return f"b:{person_id}"


def people_tags(seen_by: str | None) -> set[str]:
    """What a ``get_people`` answer is read from: everyone's names, and the reader's blocks."""
    return {NAMES, blocks_tag(seen_by)} if seen_by else {NAMES}


def touches(sessions: sessionmaker) -> None:
    """Record, in each transaction of ``sessions``, what its changes touch (``svclib.kept``)."""
    event.listen(sessions, "after_begin", _began)
    event.listen(sessions, "before_flush", _flushing)
    event.listen(sessions, "after_flush", _flushed)
    event.listen(sessions.kw["bind"], "before_execute", _executing)


def _began(session: Session, _transaction: SessionTransaction, connection: Connection) -> None:
    _SESSIONS[connection] = session


def _flushing(session: Session, _context, _instances) -> None:
    session.info[FLUSHING] = True
    tags = set()
    for row in (*session.new, *session.deleted):
        tags.add(_row_tag(row) if not isinstance(row, User) else NAMES)
    for row in session.dirty:
        if isinstance(row, User):
            if session.is_modified(row):
                state = inspect(row)
                named = any(state.attrs[name].history.has_changes() for name in NAME_COLUMNS)
                tags.add(NAMES if named else OTHER)
        elif session.is_modified(row):
            tags.add(_row_tag(row))
    if tags:
        touch(session, tags)


def _row_tag(row) -> str:
    return blocks_tag(row.blocker_id) if isinstance(row, Block) else OTHER


def _flushed(session: Session, _context) -> None:
    session.info.pop(FLUSHING, None)


def _executing(connection: Connection, statement, *_) -> None:
    """A statement written out in a transaction, other than a flush's: one changing the users or blocks tables
    touches everything; one changing another table, ``o``."""
    session = _SESSIONS.get(connection)
    if session is None or session.info.get(FLUSHING):
        return
    if getattr(statement, "is_dml", False):
        name = getattr(getattr(statement, "table", None), "name", None)
        touch(session, EVERYTHING if name in READ_FROM else {OTHER})
    elif isinstance(statement, TextClause) and not statement.text.lstrip().lower().startswith("select"):
        touch(session, EVERYTHING if NAMES_READ_FROM.search(statement.text) else {OTHER})
