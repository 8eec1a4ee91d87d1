"""Identity's kept answers: a caller's own view (``get_me``) and the names of a page's people (``get_people``),
kept in memory and dropped the moment a change behind them commits (``svclib.kept``).

A page of posts or comments asks for its authors' names on every read: the same few people, asked again and
again, while votes change their trust many times a second under load. Until 2026-12-06 any commit to identity's
database dropped every kept answer, so a trust recomputation (about one a second under ``make load``) dropped
every page's names. Now each commit names what it touched (``touches``):

- ``names``: a person's names or existence: an account registered or deleted, or its ``username``,
  ``display_name`` or ``erased_at`` changed (``NAME_COLUMNS``). Every ``get_people`` answer holds it.
- ``b:<person id>``: that person's blocks (made, lifted or removed). A ``get_people`` answer for a reader
  (``seen_by``) holds the reader's, and a ``blocked_ids`` answer its person's (and nothing else).
- ``o``: anything else (trust, a badge, a follow, a membership, a mute...): no ``get_people`` answer holds it.

A ``get_me`` answer holds no tag: any commit drops it, as before. A statement written out (Core or SQL text,
not a flush of rows) that changes the users or blocks tables touches everything, since which people it reaches
is not known without reading them; one changing another table touches ``o``. Transactions that change only
what no kept answer shows (sign-ins' attempt counts and sessions, the marks of trust to recompute) announce
nothing at all (``Database.quietly``), as before.
"""

from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.orm import Session, sessionmaker

from identity.models import Block, User
from svclib.kept.touching import record_touches

NAMES = "names"
OTHER = "o"
NAME_COLUMNS = ("username", "display_name", "erased_at")
READ_FROM = {User.__tablename__, Block.__tablename__}


def blocks_tag(person_id: str) -> str:
    return f"b:{person_id}"


def people_tags(seen_by: str | None) -> set[str]:
    """What a ``get_people`` answer is read from: everyone's names, and the reader's blocks."""
    return {NAMES, blocks_tag(seen_by)} if seen_by else {NAMES}


def touches(sessions: sessionmaker) -> None:
    """Record, in each transaction of ``sessions``, what its changes touch (``svclib.kept``)."""
    record_touches(sessions, _flushed_tags, READ_FROM, elsewhere={OTHER})


def _flushed_tags(session: Session) -> set[str]:
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
    return tags


def _row_tag(row) -> str:
    return blocks_tag(row.blocker_id) if isinstance(row, Block) else OTHER
