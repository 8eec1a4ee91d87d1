"""The feed's kept answers: recent pages kept in memory, each dropped the moment a change touches what it shows.

The feed's database announces every commit that changes what pages are read from on
``feed_changed``, naming what it touched; each feed process forgets the pages that hold
any of it, whichever replica (or tool, such as the rebuild, whose changes touch
everything) committed the change (``svclib.kept``). A page is kept for at most
``FEED_KEPT_ANSWERS_SECONDS`` (the age shown in its reasons moves on).

Pages are read from five tables only: posts, memberships, follows, mutes and subwikis' names
(``feed.pages``). Their tags:

- ``front``: the front pages of all time (``window=all``). Any change to a post touches it: any post
  may enter it.
- ``front:day``, ``front:week``: the front pages of the last day and of the last week (their
  ``window``), and only those. A change to a post touches them only while the post is young enough for
  them (posted within the window and ``WINDOW_MARGIN`` more, since a kept page was read a moment before
  the change and its window started that much earlier): a vote, a comment or a trust change on an older
  post cannot move a page that only shows newer ones.
- ``s:<subwiki id>``: the subwiki's pages, and the home pages of its members. Touched by a
  change to any post in it, and by a change of its name or slug (a rename also changes, and so touches,
  every post that shows the old name: the pages of their authors too).
- ``a:<person id>``: the person's own posts page, and the home pages of those who follow
  them. Touched by a change to any of their posts.
- ``u:<person id>``: the person's home pages and the front pages as they see them once they
  muted anything. Touched by their joining or leaving a subwiki, following or unfollowing,
  muting or blocking someone (or a subwiki) and lifting it.
- ``n:<person id>``: the person's unread notification count (kept with their ``u:`` tag too: a muted
  subwiki's notifications are not counted). Touched by any change to a notification of theirs
  (written, grouped, read, erased) and to their settings (kinds turned off).

A post's change touches ``front`` (and the windows' tags the post is young enough for), its subwiki's
tag and its author's (before and after the change). Changes to the other tables (votes, trust,
comments, counts, names of people) show on pages only through the posts they rescore or rename, and
touch what those do. A statement that changes many rows touches every row's tags (a window's by the
newest of the rows of each subwiki and author), read before it runs; one that cannot be
read that way (a delete of posts, memberships, follows or mutes; an insert by statement)
touches everything. A statement on notifications or inboxes touches the ``n:`` tags of the people
whose rows it changes, read before it runs; the one insert of an inbox (empty, made on first use)
changes no count and touches nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy import event, func, inspect, select
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from feed.models import FeedFollow, FeedMembership, FeedMute, FeedPost, FeedSubwiki
from feed.notifications.models import Inbox, Notification
from svclib.broadcasts import tags_message
from svclib.db.transaction import EVERYTHING, touch
from svclib.kept import KeptAnswers

CHANNEL = "feed_changed"
FRONT = "front"
# The front page's windows but "all": how far back each reaches, and the tag of its pages.
FRONT_WINDOWS = {"day": timedelta(days=1), "week": timedelta(days=7)}
WINDOW_TAGS = {window: f"front:{window}" for window in FRONT_WINDOWS}
# How much older than its window a post may be and still touch the window's pages: far more than a page is
# kept (FEED_KEPT_ANSWERS_SECONDS, seconds) and than clocks of two replicas differ.
WINDOW_MARGIN = timedelta(days=1)
MANY_ROWS = 2000  # rows' tags beyond which a statement touches everything
READ_FROM = {model.__tablename__ for model in (FeedPost, FeedMembership, FeedFollow, FeedMute, FeedSubwiki)}
# The unread counts' tables, each with the column naming whose count a row is part of.
NOTES = {Notification.__tablename__: Notification.recipient_id, Inbox.__tablename__: Inbox.user_id}


def kept_answers() -> KeptAnswers:
    """The feed process's kept answers (``FEED_KEPT_ANSWERS_ENTRIES``, ``FEED_KEPT_ANSWERS_SECONDS``)."""
    return KeptAnswers("db", "FEED_KEPT_ANSWERS", entries=1000, seconds=10.0)


def subwiki_tag(subwiki_id: str) -> str:
    return f"s:{subwiki_id}"


def author_tag(author_id: str) -> str:
    return f"a:{author_id}"


def reader_tag(user_id: str) -> str:
    return f"u:{user_id}"


def notes_tag(user_id: str) -> str:
    return f"n:{user_id}"


def front_tag(window: str) -> str:
    """The tag of the front pages of ``window`` (``FRONT`` for all time)."""
    return WINDOW_TAGS.get(window, FRONT)


def window_tags(posted_at: datetime | None) -> set[str]:
    """The windows' tags a change to a post posted at ``posted_at`` touches besides ``post_tags``: those of the
    windows it is young enough for (every one when the time is not known)."""
    if posted_at is None:
        return set(WINDOW_TAGS.values())
    if posted_at.tzinfo is None:  # SQLite gives back the UTC times it was given without their zone
        posted_at = posted_at.replace(tzinfo=UTC)
    now = datetime.now(UTC)
    return {WINDOW_TAGS[window] for window, span in FRONT_WINDOWS.items() if posted_at >= now - span - WINDOW_MARGIN}


def post_tags(subwiki_id: str | None, author_id: str | None) -> set[str]:
    """What a change to a post in ``subwiki_id`` by ``author_id`` touches, whenever it was posted."""
    tags = {FRONT}
    if subwiki_id is not None:
        tags.add(subwiki_tag(subwiki_id))
    if author_id is not None:
        tags.add(author_tag(author_id))
    return tags


def home_tags(user_id: str, subwikis: Iterable[str], followees: Iterable[str]) -> set[str]:
    """What a person's home pages are read from: their sources, and their list of sources."""
    return {reader_tag(user_id), *(subwiki_tag(s) for s in subwikis), *(author_tag(a) for a in followees)}


# Where every commit that changed pages is told (``pages_changed``): the gateway's processes keep the tags (ETag)
# of the pages they answered, with what each was read from, and hear nothing of PostgreSQL (svclib.broadcasts).
PAGES_EXCHANGE = "feed.pages"
# The feed commits with every event it applies, tens of times a second under load: the commits of a tenth of a
# second are told in one message (svclib.broadcasts), so a gateway process may answer a page unchanged that long
# after a change at most.
PAGES_GATHER_SECONDS = 0.1
NOTES_PREFIX = notes_tag("")


def pages_changed(touched: frozenset[str] | None) -> dict | None:
    """What a commit tells the gateway: ``{"tags": [...]}``, the tags of the pages it touched, or ``{"tags": None}``
    when it may have touched any (``touched`` None); None when it touched only unread counts (``n:`` tags: no
    page is read from them) or nothing."""
    return tags_message(touched, left_out=NOTES_PREFIX)


def touches(sessions: sessionmaker) -> None:
    """Record, in each transaction of ``sessions``, the tags its changes touch (``svclib.kept``)."""
    event.listen(sessions, "before_flush", _flushing)
    event.listen(sessions, "do_orm_execute", _executing)


def _flushing(session: Session, _context, _instances) -> None:
    tags: set[str] = set()
    for row in (*session.new, *session.dirty, *session.deleted):
        if isinstance(row, FeedPost):
            if row in session.dirty and not session.is_modified(row):
                continue
            state = inspect(row)
            subwikis = {row.subwiki_id, *state.attrs.subwiki_id.history.deleted}
            authors = {row.author_id, *state.attrs.author_id.history.deleted}
            for posted_at in {row.posted_at, *state.attrs.posted_at.history.deleted}:
                tags |= window_tags(posted_at)
            for subwiki in subwikis:
                for author in authors:
                    tags |= post_tags(subwiki, author)
        elif isinstance(row, FeedMembership | FeedMute):
            tags.add(reader_tag(row.user_id))
        elif isinstance(row, FeedFollow):
            tags.add(reader_tag(row.follower_id))
        elif isinstance(row, FeedSubwiki):
            if row in session.dirty and not _renamed(row):
                continue  # a new revision with the same names (an edit of its summary): no page shows it
            tags |= {FRONT, *WINDOW_TAGS.values(), subwiki_tag(row.id)}
        elif isinstance(row, Notification):
            tags.add(notes_tag(row.recipient_id))
        elif isinstance(row, Inbox):
            tags.add(notes_tag(row.user_id))
    if tags:
        touch(session, tags)


def _renamed(row: FeedSubwiki) -> bool:
    """Whether a held subwiki's names change in this flush."""
    attrs = inspect(row).attrs
    return any(getattr(attrs, name).history.has_changes() for name in ("slug", "name"))


def _executing(state: ORMExecuteState) -> None:
    """A statement changing many rows of a table pages are read from: the tags of the rows it changes."""
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in NOTES:
        _notes_changing(state, table.name)
        return
    if getattr(table, "name", None) not in READ_FROM:
        return
    changed = {getattr(column, "key", column) for column in getattr(state.statement, "_values", None) or {}}
    where = state.statement.whereclause if state.is_update else None
    if table.name != FeedPost.__tablename__ or where is None or changed & {"subwiki_id", "author_id", "posted_at"}:
        touch(state.session, EVERYTHING)
        return
    # Each subwiki and author's newest post among the rows: it decides the windows their change touches.
    newest = func.max(FeedPost.posted_at)
    rows = state.session.execute(
        select(FeedPost.subwiki_id, FeedPost.author_id, newest)
        .where(where)
        .group_by(FeedPost.subwiki_id, FeedPost.author_id)
        .limit(MANY_ROWS + 1)
    ).all()
    if len(rows) > MANY_ROWS:
        touch(state.session, EVERYTHING)
        return
    tags: set[str] = set()
    for subwiki, author, posted_at in rows:
        tags |= post_tags(subwiki, author) | window_tags(posted_at)
    if tags:
        touch(state.session, tags)


def _notes_changing(state: ORMExecuteState, table: str) -> None:
    """A statement changing notifications or inboxes: the ``n:`` tags of the people whose rows it changes."""
    if state.is_insert:
        if table != Inbox.__tablename__:
            touch(state.session, EVERYTHING)
        return  # an empty inbox, made on first use: counted as no inbox was
    where = state.statement.whereclause
    if where is None:
        touch(state.session, EVERYTHING)
        return
    people = state.session.scalars(select(NOTES[table]).where(where).distinct().limit(MANY_ROWS + 1)).all()
    if len(people) > MANY_ROWS:
        touch(state.session, EVERYTHING)
    elif people:
        touch(state.session, {notes_tag(person) for person in people})
