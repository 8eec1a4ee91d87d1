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

A post as its page shows it beside its discussion (``get_post``, read afresh every time) is not kept here,
but the gateway keeps the tag of the whole page it answered (``gateway.pagetags``), so its commits name it
too: ``p:<post id>``, touched by a change to the post's row (its text, counts, quality, protection, removal:
through the session, or by the statements of a vote on it and of the feed's quality), to its revisions and to
its held edits; and ``m:<person id>``, touched by a change to that person's memberships (content's copy: whether
a reader moderates, may see held edits). Content tells every commit's tags on the ``content.pages`` fanout
exchange (``pages_changed``, the commits of a tenth of a second in one message), whichever replica committed.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from content.models import Comment, Member, PendingChange, PersonName, Post, PostRevision, Vote
from svclib.broadcasts import tags_message
from svclib.db.transaction import EVERYTHING, touch
from svclib.kept import KeptAnswers

CHANNEL = "content_changed"
READ_FROM = {Comment.__tablename__, Post.__tablename__}
# What a post's page shows besides: a statement changing any of these touches every page.
SHOWN_WITH = {Member.__tablename__, PendingChange.__tablename__, PostRevision.__tablename__, Vote.__tablename__}
PAGES_EXCHANGE = "content.pages"
PAGES_GATHER_SECONDS = 0.1


def kept_answers() -> KeptAnswers:
    """The content process's kept answers (``CONTENT_KEPT_ANSWERS_ENTRIES``, ``CONTENT_KEPT_ANSWERS_SECONDS``)."""
    return KeptAnswers("db", "CONTENT_KEPT_ANSWERS", entries=1000, seconds=30.0)


def discussion_tag(post_id: str) -> str:
    return f"c:{post_id}"


def names_tag(person_id: str) -> str:
    return f"n:{person_id}"


def post_tag(post_id: str) -> str:
    return f"p:{post_id}"


def member_tag(person_id: str) -> str:
    return f"m:{person_id}"


def pages_changed(touched: frozenset[str] | None) -> dict | None:
    """What a commit tells the gateway: ``{"tags": [...]}``, every tag it touched, or ``{"tags": None}`` when it may
    have touched anything; None when it touched nothing."""
    return tags_message(touched)


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
            tags.update((discussion_tag(row.id), post_tag(row.id)))
        elif isinstance(row, PersonName) and row not in session.new:
            tags.add(names_tag(row.id))
        elif isinstance(row, (PendingChange, PostRevision)) and row.post_id:
            tags.add(post_tag(row.post_id))
        elif isinstance(row, Member):
            tags.add(member_tag(row.user_id))
        elif isinstance(row, Vote) and row.target_type == "post":
            tags.add(post_tag(row.target_id))
    if tags:
        touch(session, tags)


def _executing(state: ORMExecuteState) -> None:
    """A statement changing rows of the comments or posts tables (or of what a post's page shows besides), or
    changing or deleting names (not one object's flush): every page, since which posts it reaches is not known
    without reading them."""
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(getattr(state.statement, "table", None), "name", None)
    if table in READ_FROM or table in SHOWN_WITH or (table == PersonName.__tablename__ and not state.is_insert):
        touch(state.session, EVERYTHING)
