"""Content's kept answers: a post's comment pages kept in memory, each dropped the moment a change touches
the post or its comments.

A busy post's discussion is read far more often than it is written, and reading a page is the costly
part of a post page (a statement over the post's threads, then a few hundred rows turned into trees);
between two changes to the discussion every reader gets the same page. Content's database announces
every commit on ``content_changed`` naming the posts whose discussion it touched, and each content
process forgets those posts' kept pages, whichever replica committed (``svclib.kept``).

A page is read from two tables: the post's row (it must exist and not be removed) and its comments.
Their tag is ``c:<post id>``, touched by:

- a change to a comment written through the session (a new comment, an edit, a removal, a vote
  undone on erasure): its post's tag;
- a change to a post's row through the session (its comment count, its removal): its own tag;
- a vote on a comment, written by statements on the connection (``content.handlers.votes``): the
  comment's post's tag, named by the vote itself;
- any other statement that changes the comments or posts tables (an account's erasure empties its
  comments' authors): every kept page.

A page also holds its authors' names (``person_names``): each author's tag is ``n:<person id>``, touched by a
change to that person's names through the session (a rename); a statement changing or deleting names (an
erasure) touches every kept page. A registration's new row touches none: no page held its names, and a page
that lacks someone's names has them asked for where it is shown.

Changes to any other table show on no comment page and touch nothing. A page is kept for at most
``CONTENT_KEPT_ANSWERS_SECONDS``.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from content.models import Comment, PersonName, Post
from svclib.db.transaction import EVERYTHING, touch
from svclib.kept import KeptAnswers

CHANNEL = "content_changed"
READ_FROM = {Comment.__tablename__, Post.__tablename__}


def kept_answers() -> KeptAnswers:
    """The content process's kept answers (``CONTENT_KEPT_ANSWERS_ENTRIES``, ``CONTENT_KEPT_ANSWERS_SECONDS``)."""
    return KeptAnswers("db", "CONTENT_KEPT_ANSWERS", entries=1000, seconds=30.0)


def discussion_tag(post_id: str) -> str:
    return f"c:{post_id}"


def names_tag(person_id: str) -> str:
    return f"n:{person_id}"


def touches(sessions: sessionmaker) -> None:
    """Record, in each transaction of ``sessions``, the discussions its changes touch (``svclib.kept``)."""
    event.listen(sessions, "before_flush", _flushing)
    event.listen(sessions, "do_orm_execute", _executing)


def _flushing(session: Session, _context, _instances) -> None:
    tags = set()
    for row in (*session.new, *session.dirty, *session.deleted):
        if isinstance(row, Comment):
            tags.add(discussion_tag(row.post_id))
        elif isinstance(row, Post) and row not in session.new:
            tags.add(discussion_tag(row.id))
        elif isinstance(row, PersonName) and row not in session.new:
            tags.add(names_tag(row.id))
    if tags:
        touch(session, tags)


def _executing(state: ORMExecuteState) -> None:
    """A statement changing rows of the comments or posts tables, or changing or deleting names (not one
    object's flush): every page, since which posts it reaches is not known without reading them."""
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(getattr(state.statement, "table", None), "name", None)
    if table in READ_FROM or (table == PersonName.__tablename__ and not state.is_insert):
        touch(state.session, EVERYTHING)
