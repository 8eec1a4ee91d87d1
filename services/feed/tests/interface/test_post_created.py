"""A new post's statements on PostgreSQL, with the service's notice of its commit: each waits its turn among the
requests process's workers, so a post with votes and comments that came first costs no more than one without,
but the announcement of the quality they give it."""

from nameko.testing.services import worker_factory
from sqlalchemy import event

from feed.kept import CHANNEL, touches
from feed.models import Base
from feed.service import FeedService
from svclib.db import StandaloneDatabase, isoformat, utcnow
from svclib.kept import Kept

# The event's record, the author's row, the post's hold, what the feed keeps about the post (one statement),
# the author's names, the author's count, the post written, and the commit's notice.
POST_CREATED_STATEMENTS = 8


def test_a_new_post_costs_as_many_statements_with_votes_and_comments_that_came_first(database_url):
    db = StandaloneDatabase(Base.metadata, database_url("feed"), changes_channel=CHANNEL, touches=touches)
    service = worker_factory(FeedService, db=db, kept=Kept(max_entries=0, max_age=0))
    ids = iter(range(1000))

    def post(post_id):
        created = isoformat(utcnow())
        fact = {"id": post_id, "author_id": "a1", "subwiki_id": "s1", "subwiki": "rivers", "kind": "text"}
        service.handle_post_created(
            {"event_id": f"e{next(ids)}", "post": {**fact, "title": post_id, "created_at": created}}
        )

    service.handle_user_registered({"event_id": "u1", "user": {"id": "a1", "username": "ann"}})
    service.handle_subwiki_created({"event_id": "s1", "subwiki": {"id": "s1", "slug": "rivers", "name": "Rivers"}})
    post("p0")
    for voter in ("v1", "v2"):
        vote = {"target_type": "post", "target_id": "p2", "voter_id": voter, "value": 1, "target_author_id": "a1"}
        service.handle_vote_cast({"event_id": f"e{next(ids)}", "vote": vote})
        comment = {"id": f"c-{voter}", "post_id": "p2", "author_id": voter, "length": 300, "post_author_id": "a1"}
        service.handle_comment_created({"event_id": f"e{next(ids)}", "comment": comment})
    statements = []

    def count(_conn, _cursor, statement, _params, _context, _many):
        statements.append(statement)

    spent = []
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        for post_id in ("p1", "p2"):
            statements.clear()
            post(post_id)
            spent.append(len(statements))
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
        db.dispose()
    # The second also announces the quality its early votes and comments gave it: one row in the outbox.
    assert spent[0] + 1 == spent[1] <= POST_CREATED_STATEMENTS + 1, statements
