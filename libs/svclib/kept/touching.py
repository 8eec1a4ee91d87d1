"""What records, in each transaction, the tags its changes touch (``svclib.db.transaction.touch``), for a service
whose kept answers are read from a few tables.

A service gives ``record_touches`` the tags of the rows a flush is about to write (``flushed``: a function of the
session, from its new, dirty and deleted rows) and the tables its answers are read from (``read_from``). A
statement written out instead (Core or SQL text, through the session or on its connection), which changes rows
no flush names, touches every answer when it changes one of those tables, since which answers it reaches is not
known without reading them, and ``elsewhere`` (no tag when empty) when it changes another table."""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Iterable

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker
from sqlalchemy.sql.elements import TextClause

from svclib.db.transaction import EVERYTHING, touch

FLUSHING = "kept_flushing"  # in session.info while a flush writes the rows ``flushed`` has seen
# The session whose transaction each connection carries: a statement on the connection is that transaction's.
_SESSIONS: weakref.WeakKeyDictionary[Connection, Session] = weakref.WeakKeyDictionary()


def record_touches(
    sessions: sessionmaker,
    flushed: Callable[[Session], Iterable[str]],
    read_from: Iterable[str],
    elsewhere: Iterable[str] = (),
) -> None:
    """Record, in each transaction of ``sessions``, the tags its changes touch (see the module)."""
    tables = frozenset(read_from)
    names = re.compile(rf"\b({'|'.join(sorted(tables))})\b", re.IGNORECASE)
    other = frozenset(elsewhere)

    def flushing(session: Session, _context, _instances) -> None:
        session.info[FLUSHING] = True
        tags = set(flushed(session))
        if tags:
            touch(session, tags)

    def executing(connection: Connection, statement, *_) -> None:
        session = _SESSIONS.get(connection)
        if session is None or session.info.get(FLUSHING):
            return
        if getattr(statement, "is_dml", False):
            changes_read_from = getattr(getattr(statement, "table", None), "name", None) in tables
        elif isinstance(statement, TextClause) and not statement.text.lstrip().lower().startswith("select"):
            changes_read_from = names.search(statement.text) is not None
        else:
            return
        if changes_read_from:
            touch(session, EVERYTHING)
        elif other:
            touch(session, other)

    event.listen(sessions, "after_begin", _began)
    event.listen(sessions, "before_flush", flushing)
    event.listen(sessions, "after_flush", _flushed)
    event.listen(sessions.kw["bind"], "before_execute", executing)


def _began(session: Session, _transaction: SessionTransaction, connection: Connection) -> None:
    _SESSIONS[connection] = session


def _flushed(session: Session, _context) -> None:
    session.info.pop(FLUSHING, None)
