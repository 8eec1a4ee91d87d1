"""The feed announces each post's new quality (post_quality_changed, through its outbox) with a version that
only grows: the qualities events changed since the last announcement together (each post once, as it is now),
never for an event that did not change one, and again after a rebuild when the rebuilt quality differs from
the one announced."""

import pytest
from sqlalchemy import event, select

from feed import handlers
from feed.models import OUTBOX, FeedPost, FeedQualityDue, FeedVote

from .test_ranking import Events


@pytest.fixture
def events(service):
    return Events(service)


def messages(db, service=None):
    """The qualities' messages in the outbox, after the service's announcement of those marked due (as its timer
    makes it every QUALITY_ANNOUNCE_SECONDS)."""
    if service is not None:
        service.announce_due_qualities()
    with db.reading() as tx:
        rows = tx.session.execute(select(OUTBOX.c.event_type, OUTBOX.c.payload).order_by(OUTBOX.c.id)).all()
    return [(row.event_type, row.payload) for row in rows if "qualit" in row.event_type]


def announced(db, service):
    """Each post's announced quality, in the order announced, whichever of the two events carried it."""
    found = []
    for event_type, payload in messages(db, service):
        if event_type == "post_quality_changed":
            found.append(payload["post"])
        else:
            found.extend(payload["qualities"]["posts"])
    return found


def test_a_vote_that_changes_a_quality_announces_it_with_a_growing_version(db, service, events):
    events.trust("v1", 1.0)
    events.trust("v2", 1.0)
    events.post("p1")
    assert announced(db, service) == []  # a new post's quality is 0, as content assumes
    events.vote("p1", "v1")
    (first,) = announced(db, service)
    events.vote("p1", "v2")
    first, second = announced(db, service)
    assert first["id"] == second["id"] == "p1"
    assert 0 < first["quality"] < second["quality"] and first["version"] < second["version"]
    with db.reading() as tx:
        post = tx.session.get(FeedPost, "p1")
        assert (post.quality, post.quality_version) == (second["quality"], second["version"])


def test_an_event_that_leaves_the_quality_as_it_was_announces_nothing(db, service, events):
    events.post("p1", author="a1")
    events.vote("p1", "a1")  # the author's own vote weighs nothing
    events.comment("p1", "a1")  # nor does the author's own comment
    assert announced(db, service) == []
    events.comment("p1", "someone")
    assert [post["id"] for post in announced(db, service)] == ["p1"]


def test_a_rebuild_announces_what_differs_from_what_was_announced_with_a_later_version(db, service, events):
    events.trust("v1", 1.0)
    for post_id in ("same", "changed", "new"):
        events.post(post_id)
    events.vote("same", "v1")
    events.vote("changed", "v1")
    before = {post["id"]: post for post in announced(db, service)}
    assert len(before) == 2
    with db.transaction() as tx:
        was = {
            "same": (before["same"]["quality"], before["same"]["version"]),
            "changed": (0.0, before["changed"]["version"]),  # as if the rebuilt facts no longer held the vote
        }
        assert handlers.announce_rebuilt(tx, was) == 2
    again = announced(db, service)[len(before) :]
    assert [post["id"] for post in again] == ["changed", "new"]
    assert again[0]["version"] > before["changed"]["version"] and again[1]["quality"] == 0.0
    with db.reading() as tx:
        assert tx.session.get(FeedPost, "same").quality_version == before["same"]["version"]


def test_a_trust_change_reweighs_its_persons_votes_in_as_many_statements_however_many_they_are(db, events):
    """A trust change waits for its slot beside everything else the feed applies: it costs a few statements
    (its person's posts and votes read and locked in one, the votes' weights and the posts' scores written in
    one each, their qualities announced in one), not several per vote."""
    statements = []

    def count(_conn, _cursor, statement, _params, _context, _many):
        statements.append(statement)

    events.trust("few", 0.5)
    events.trust("many", 0.5)
    for n in range(12):
        events.post(f"p{n:02}", author=f"a{n % 3}")
        events.vote(f"p{n:02}", "many")
        if n < 2:
            events.vote(f"p{n:02}", "few")
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        spent = []
        for person in ("few", "many"):
            statements.clear()
            events.trust(person, 0.9)
            spent.append(len(statements))
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert spent[0] == spent[1]
    with db.reading() as tx:
        weights = tx.session.scalars(select(FeedVote.weight).where(FeedVote.voter_id == "many")).all()
    assert len(weights) == 12 and len(set(weights)) == 1 and weights[0] > 0


def test_a_post_whose_votes_came_first_announces_the_quality_they_give_it(db, service, events):
    """Votes and comments may reach the feed before their post: counted when it comes, they give it a quality
    that content, which assumes 0 for a new post, is told of."""
    events.trust("v1", 1.0)
    events.vote("early", "v1")
    events.comment("early", "someone")
    assert announced(db, service) == []  # nothing to score before the post is held
    events.post("early")
    (first,) = announced(db, service)
    with db.reading() as tx:
        post = tx.session.get(FeedPost, "early")
    assert first["id"] == "early" and first["quality"] == post.quality > 0
    assert first["version"] == post.quality_version


def test_a_trust_change_announces_its_posts_qualities_in_one_message(db, service, events, monkeypatch):
    """A trust change rescores every post its person voted on: their qualities leave in one
    ``post_qualities_changed`` (at most QUALITIES_PER_EVENT a message), in the order of their ids, not one
    ``post_quality_changed`` each; a single post's change is still ``post_quality_changed``, announced alone or
    each in its own transaction (QUALITY_ANNOUNCE_SECONDS 0)."""
    monkeypatch.setattr(handlers.scores, "QUALITIES_PER_EVENT", 5)
    events.trust("many", 0.5)
    for n in range(12):
        events.post(f"p{n:02}", author=f"a{n % 3}")
        events.vote(f"p{n:02}", "many")
    # The twelve votes' qualities, marked due, leave in the next announcement together.
    assert [event_type for event_type, _ in messages(db, service)] == ["post_qualities_changed"] * 3
    before = len(messages(db, service))
    events.trust("many", 0.9)
    sent = messages(db, service)[before:]
    assert [event_type for event_type, _ in sent] == ["post_qualities_changed"] * 3
    posts = [post for _, payload in sent for post in payload["qualities"]["posts"]]
    assert [len(payload["qualities"]["posts"]) for _, payload in sent] == [5, 5, 2]
    assert [post["id"] for post in posts] == [f"p{n:02}" for n in range(12)]
    with db.reading() as tx:
        rows = {row.id: row for row in tx.session.scalars(select(FeedPost))}
    for post in posts:
        assert (post["quality"], post["version"]) == (rows[post["id"]].quality, rows[post["id"]].quality_version)


def test_a_moments_changes_leave_in_one_message_each_post_once_as_it_is_now(db, service, events):
    """Votes and comments on several posts between two announcements: one message, each post once, with the
    quality and version it has when announced; an announcement with nothing marked sends nothing."""
    for voter in ("v1", "v2", "v3"):
        events.trust(voter, 1.0)
    for post_id in ("p1", "p2", "p3"):
        events.post(post_id)
    for voter in ("v1", "v2", "v3"):
        events.vote("p1", voter)
    events.vote("p3", "v1")
    events.comment("p3", "someone")
    events.comment("p2", "someone")
    sent = messages(db, service)
    assert [event_type for event_type, _ in sent] == ["post_qualities_changed"]
    posts = sent[0][1]["qualities"]["posts"]
    with db.reading() as tx:
        rows = {row.id: row for row in tx.session.scalars(select(FeedPost))}
    assert [post["id"] for post in posts] == ["p1", "p2", "p3"]
    assert all((p["quality"], p["version"]) == (rows[p["id"]].quality, rows[p["id"]].quality_version) for p in posts)
    assert messages(db, service) == sent  # nothing marked since: nothing more
    with db.reading() as tx:
        assert tx.session.scalars(select(FeedQualityDue)).all() == []


def test_each_transaction_announces_its_own_when_nothing_is_gathered(db, service, events, monkeypatch):
    """QUALITY_ANNOUNCE_SECONDS 0: each event's transaction announces the qualities it changed, as it commits."""
    monkeypatch.setattr(handlers.scores, "QUALITY_ANNOUNCE_SECONDS", 0.0)
    events.trust("v1", 1.0)
    events.trust("v2", 1.0)
    events.post("p1")
    events.vote("p1", "v1")
    events.vote("p1", "v2")
    sent = messages(db)  # no announcement asked for
    assert [event_type for event_type, _ in sent] == ["post_quality_changed"] * 2
    assert sent[0][1]["post"]["version"] < sent[1][1]["post"]["version"]
    assert service.announce_due_qualities() == 0
