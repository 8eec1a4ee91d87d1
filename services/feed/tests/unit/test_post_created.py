"""A new post in the feed: what reached the feed before it (votes, comments, its removal) is counted when it
comes, and it costs a few statements, each of which waits its turn among the process's other workers."""

import pytest
from sqlalchemy import event, select

from feed import ranking
from feed.models import FeedAuthor, FeedPost

from .test_ranking import Events

# On SQLite: the event's record, the author's row, what the feed keeps about the post (one statement), the
# author's names, the author's count and the post written. PostgreSQL adds the post's hold and the commit's
# notice (tests/interface/test_post_created.py).
POST_CREATED_STATEMENTS = 6


class Early(Events):
    def registered(self, user_id):
        self.service.handle_user_registered({"event_id": self._id(), "user": {"id": user_id, "username": user_id}})

    def subwiki(self, subwiki_id, name):
        subwiki = {"id": subwiki_id, "slug": f"slug_{subwiki_id}", "name": name}
        self.service.handle_subwiki_created({"event_id": self._id(), "subwiki": subwiki})

    def early_vote(self, post_id, voter, value, author="a1"):
        vote = {"target_type": "post", "target_id": post_id, "voter_id": voter, "value": value}
        self.service.handle_vote_cast({"event_id": self._id(), "vote": {**vote, "target_author_id": author}})

    def early_comment(self, comment_id, post_id, author, removed=False, post_author="a1"):
        comment = {"id": comment_id, "post_id": post_id, "author_id": author, "length": 300}
        handle = self.service.handle_comment_removed if removed else self.service.handle_comment_created
        handle({"event_id": self._id(), "comment": {**comment, "post_author_id": post_author}})

    def removed(self, post_id):
        self.service.handle_post_removed({"event_id": self._id(), "post": {"id": post_id}})


@pytest.fixture
def events(service):
    return Early(service)


def post(db, post_id):
    with db.reading() as tx:
        return tx.session.get(FeedPost, post_id)


def live_posts(db, author_id):
    with db.reading() as tx:
        return tx.session.scalar(select(FeedAuthor.posts).where(FeedAuthor.author_id == author_id))


def test_votes_and_comments_that_came_first_are_counted_when_the_post_comes(db, events):
    events.trust("v1", 1.0)
    events.trust("v2", 0.5)
    events.trust("v3", 0.25)
    events.early_vote("p1", "v1", 1)
    events.early_vote("p1", "v2", 1)
    events.early_vote("p1", "a1", 1)  # the author's own: counted, weighing nothing
    events.early_vote("p1", "v3", -1)
    events.early_vote("p1", "v2", -1)  # a change of mind, before the post came too
    events.early_comment("c1", "p1", "v1")
    events.early_comment("c2", "p1", "v1")
    events.early_comment("c3", "p1", "v2")
    events.early_comment("c4", "p1", "v3", removed=True)  # removed before it was made: never shown
    events.early_comment("c4", "p1", "v3")
    events.post("p1", author="a1")

    row = post(db, "p1")
    assert (row.up_count, row.down_count) == (2, 2)
    assert row.up_weight == pytest.approx(ranking.vote_weight(1.0))
    assert row.down_weight == pytest.approx(ranking.vote_weight(0.5) + ranking.vote_weight(0.25))
    assert (row.comment_count, row.commenters) == (3, 2)
    assert row.visible and row.quality == pytest.approx(
        ranking.quality(row.up_weight, row.down_weight, row.commenters, row.editors, row.penalty)
    )
    # Counted once: the post announced again (a rebuild's fact, say) changes nothing.
    events.post("p1", author="a1")
    again = post(db, "p1")
    assert (again.up_count, again.down_count, again.comment_count, again.commenters) == (2, 2, 3, 2)
    assert live_posts(db, "a1") == 1


def test_a_post_whose_removal_came_first_comes_removed_and_out_of_its_authors_count(db, events):
    events.post("p1", author="a1")
    events.removed("p2")
    events.early_vote("p2", "v1", 1)
    events.post("p2", author="a1")
    gone = post(db, "p2")
    assert not gone.visible and gone.up_count == 1
    assert post(db, "p1").visible
    assert live_posts(db, "a1") == 1


def test_a_new_post_shows_its_authors_and_its_subwikis_names(db, events):
    events.registered("a1")
    events.subwiki("s1", "Rivers")
    events.post("p1", author="a1", subwiki="s1")
    events.post("p2", author="a1", subwiki="s2")  # a subwiki whose names have not come: none shown yet
    first, second = post(db, "p1"), post(db, "p2")
    assert (first.author_username, first.subwiki_name) == ("a1", "Rivers")
    assert (second.author_username, second.subwiki_name) == ("a1", None)


def test_a_new_post_costs_a_few_statements_however_much_came_before_it(db, events):
    """Under load each statement waits for the process's other workers: a post with votes and comments that
    came first costs no more statements than one without, but the announcement of the quality they give it."""
    events.registered("a1")
    events.subwiki("s1", "Rivers")
    events.post("p0", author="a1")
    for voter in ("v1", "v2", "v3"):
        events.early_vote("p2", voter, 1)
        events.early_comment(f"c-{voter}", "p2", voter)
    statements = []

    def count(_conn, _cursor, statement, _params, _context, _many):
        statements.append(statement)

    spent = []
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        for post_id in ("p1", "p2"):
            statements.clear()
            events.post(post_id, author="a1", subwiki="s1")
            spent.append(len(statements))
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    # The second also announces the quality its early votes and comments gave it: one row in the outbox.
    assert spent[0] + 1 == spent[1] <= POST_CREATED_STATEMENTS + 1, statements
    assert (post(db, "p2").up_count, post(db, "p2").commenters) == (3, 3)
