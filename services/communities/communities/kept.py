"""Communities' kept answers: subwikis' summaries and pages kept in memory, each dropped the moment a change
to that subwiki commits.

Every post page and most lists of posts show each post's subwiki (``get_subwikis``: its name, summary and
counts), and a subwiki's page is asked for its subwiki twice (``get_subwiki``): read far more often than a
subwiki changes, and the same for every reader. Communities' database announces every commit on
``communities_changed`` naming the subwikis it touched, and each communities process forgets the answers
kept for them, whichever replica committed (``svclib.kept``).

A summary is read from the subwiki's row; a page from its row and its moderators (memberships). Tags:

- ``s:<slug>``: the subwiki's summary, kept in every ``get_subwikis`` answer asked for that slug (also one
  that found no such subwiki, so that its creation shows). Touched by the row's creation or deletion and
  by a change to a column the summary shows (``SUMMARY_COLUMNS``: a join or a leave counts a member, a
  post created or removed in content counts a post, an edit or a restore changes the summary; an
  erased member's leaving counts them out too).
- ``w:<subwiki id>``: the subwiki's page as anyone sees it (``get_subwiki``, its viewer's membership
  read apart). Touched by any change to the row (an edit, a revision restored, activity from content's
  comments and posts, a count) and to any of its memberships (a moderator appointed or dismissed).

Any other statement that changes the subwikis or memberships tables, not a flush of their rows but a
statement written out (with Core or as SQL text), whether through the session (an erasure's removing
its person from the subwikis they started) or on its connection (``tx.connection``), touches every kept
answer, since which subwikis it reaches is not known without reading them. Changes to other tables
(revisions, the moderators' log, trust, known people) show in no kept answer and touch nothing. An
answer is kept for at most ``COMMUNITIES_KEPT_ANSWERS_SECONDS``.
"""

from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.orm import Session, sessionmaker

from communities.models import Membership, Subwiki
from svclib.kept import KeptAnswers
from svclib.kept.touching import record_touches

CHANNEL = "communities_changed"
# Where every commit that changed subwikis' summaries is told (``summaries_changed``): the gateway keeps
# summaries too (every post page shows its subwiki's), and hears nothing of PostgreSQL (svclib.broadcasts).
SUMMARIES_EXCHANGE = "communities.summaries"
READ_FROM = {Subwiki.__tablename__, Membership.__tablename__}
# The columns of a subwiki's summary (``get_subwikis``); a change to any other leaves summaries kept.
SUMMARY_COLUMNS = ("slug", "name", "summary", "member_count", "post_count", "created_at")


def kept_answers() -> KeptAnswers:
    """The communities process's kept answers (``COMMUNITIES_KEPT_ANSWERS_ENTRIES``,
    ``COMMUNITIES_KEPT_ANSWERS_SECONDS``)."""
    return KeptAnswers("db", "COMMUNITIES_KEPT_ANSWERS", entries=1000, seconds=30.0)


def summary_tag(slug: str) -> str:
    return f"s:{slug}"


def page_tag(subwiki_id: str) -> str:
    return f"w:{subwiki_id}"


def summaries_changed(touched: frozenset[str] | None) -> dict | None:
    """What a commit tells the gateway: ``{"slugs": [...]}``, the subwikis whose summary it changed, or
    ``{"slugs": None}`` when it may have changed any (``touched`` None); None when it changed none."""
    if touched is None:
        return {"slugs": None}
    prefix = summary_tag("")
    slugs = sorted(tag.removeprefix(prefix) for tag in touched if tag.startswith(prefix))
    return {"slugs": slugs} if slugs else None


def touches(sessions: sessionmaker) -> None:
    """Record, in each transaction of ``sessions``, the subwikis its changes touch (``svclib.kept``)."""
    record_touches(sessions, _flushed_tags, READ_FROM)


def _flushed_tags(session: Session) -> set[str]:
    tags = set()
    for row in (*session.new, *session.deleted):
        if isinstance(row, Subwiki):
            tags |= {page_tag(row.id), summary_tag(row.slug)}
        elif isinstance(row, Membership):
            tags.add(page_tag(row.subwiki_id))
    for row in session.dirty:
        if isinstance(row, Subwiki):
            tags |= _changed(session, row)
        elif isinstance(row, Membership):
            tags.add(page_tag(row.subwiki_id))
    return tags


def _changed(session: Session, row: Subwiki) -> set[str]:
    """What a change to a subwiki's row touches: its page, and its summary unless only other columns
    changed."""
    if not session.is_modified(row):
        return set()
    state = inspect(row)
    tags = {page_tag(row.id)}
    if any(state.attrs[name].history.has_changes() for name in SUMMARY_COLUMNS):
        tags |= {summary_tag(slug) for slug in (row.slug, *state.attrs.slug.history.deleted)}
    return tags
