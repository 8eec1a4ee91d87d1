"""What each change in communities touches (``communities.kept``): every way a subwiki's summary changes
touches its summary's tag, every way its page changes its page's tag, and nothing else drops them."""

import pytest
from sqlalchemy import select, text, update

from communities.handlers import facts
from communities.handlers.facts import ACTIVITY_STEP
from communities.kept import page_tag, summaries_changed, summary_tag, touches
from communities.models import Base, Membership, Subwiki
from svclib.db import StandaloneDatabase, utcnow
from svclib.testing import commits_touched, touched_since

EVERYTHING = None


@pytest.fixture
def db():
    database = StandaloneDatabase(Base.metadata, "sqlite://", touches=touches)
    yield database
    database.dispose()


@pytest.fixture
def touched(db):
    """What each committed transaction touched, in order (those that touched something)."""
    return commits_touched(db)


def test_each_change_to_a_summary_touches_its_tag(service, touched):
    n = len(touched)
    rivers = service.create_subwiki("ann", "rivers", "Rivers", "Water that moves.")
    both = {summary_tag("rivers"), page_tag(rivers["id"])}
    assert touched_since(touched, n) == both

    changes = [
        lambda: service.join_subwiki("bob", "rivers"),
        lambda: service.leave_subwiki("bob", "rivers"),
        lambda: service.add_moderator("ann", "rivers", "cat"),  # not yet a member: joins
        lambda: service.edit_subwiki("ann", "rivers", 1, "clearer", summary="Water that flows."),
        lambda: service.restore_revision("ann", "rivers", 1),
        lambda: service.handle_post_created({"event_id": "p1", "post": {"subwiki_id": rivers["id"]}}),
        lambda: service.handle_post_removed(
            {"event_id": "r1", "post": {"id": "x", "subwiki_id": rivers["id"], "removed_by": "ann"}}
        ),
    ]
    for change in changes:
        n = len(touched)
        change()
        assert touched_since(touched, n) == both


def test_the_gateway_is_told_of_each_commit_that_changed_summaries(service, touched):
    """What a commit tells the gateway's processes (``summaries_changed``): the subwikis whose summary it
    changed, every one for a change that may have touched any, nothing for a change no summary shows."""
    rivers = service.create_subwiki("ann", "rivers", "Rivers", "Water that moves.")
    assert summaries_changed(touched[-1]) == {"slugs": ["rivers"]}
    service.join_subwiki("bob", "rivers")
    assert summaries_changed(touched[-1]) == {"slugs": ["rivers"]}
    assert summaries_changed(frozenset({page_tag(rivers["id"])})) is None
    assert summaries_changed(EVERYTHING) == {"slugs": None}
    assert summaries_changed(frozenset({summary_tag("b"), summary_tag("a"), page_tag("x")})) == {"slugs": ["a", "b"]}


def test_changes_the_summary_does_not_show_touch_the_page_alone(service, touched, monkeypatch):
    rivers = service.create_subwiki("ann", "rivers", "Rivers", "Water that moves.")
    service.join_subwiki("bob", "rivers")

    def comment_a_step_later() -> None:  # once the activity the edit noted is a step old
        later = utcnow() + ACTIVITY_STEP
        monkeypatch.setattr(facts, "utcnow", lambda: later)
        service.handle_comment_created({"event_id": "c1", "comment": {"subwiki_id": rivers["id"]}})

    changes = [
        lambda: service.add_moderator("ann", "rivers", "bob"),  # a member already: the count stays
        lambda: service.remove_moderator("ann", "rivers", "bob"),
        lambda: service.edit_subwiki("ann", "rivers", 1, "more", description="## About\nRivers."),
        comment_a_step_later,
    ]
    for change in changes:
        n = len(touched)
        change()
        assert touched_since(touched, n) == {page_tag(rivers["id"])}


def test_a_subwiki_is_noted_active_at_most_once_a_step(service, touched, monkeypatch):
    """A comment writes its subwiki's "last active" only when the time noted is ACTIVITY_STEP old: a busy
    subwiki's comments neither queue on its row nor drop its kept page each time."""
    rivers = service.create_subwiki("ann", "rivers", "Rivers")
    created = service.get_subwiki("rivers")["last_activity_at"]
    clock = [utcnow()]
    monkeypatch.setattr(facts, "utcnow", lambda: clock[0])

    def comment(n: int) -> None:
        service.handle_comment_created({"event_id": f"c{n}", "comment": {"subwiki_id": rivers["id"]}})

    n = len(touched)
    for i in range(3):
        comment(i)
    assert touched[n:] == []  # no write, no kept answer dropped
    assert service.get_subwiki("rivers")["last_activity_at"] == created

    clock[0] += ACTIVITY_STEP
    n = len(touched)
    comment(3)
    assert touched_since(touched, n) == {page_tag(rivers["id"])}
    noted = service.get_subwiki("rivers")["last_activity_at"]
    assert noted > created and noted == clock[0].isoformat()
    # A post counts the subwiki's posts whatever the time; its activity follows the same step.
    clock[0] += ACTIVITY_STEP / 2
    service.handle_post_created({"event_id": "p1", "post": {"subwiki_id": rivers["id"]}})
    after = service.get_subwiki("rivers")
    assert after["post_count"] == 1 and after["last_activity_at"] == noted


def test_what_no_kept_answer_shows_touches_nothing(service, touched):
    service.create_subwiki("ann", "rivers", "Rivers")
    n = len(touched)
    service.handle_user_trust_changed({"event_id": "t1", "user": {"id": "bob", "trust": 0.7, "version": 2}})
    service.handle_user_registered({"event_id": "reg-dan", "user": {"id": "dan", "username": "dan"}})
    assert touched[n:] == []
    service.join_subwiki("bob", "rivers")
    n = len(touched)  # the same join again and an edit that changes nothing change nothing
    service.join_subwiki("bob", "rivers")
    service.edit_subwiki("ann", "rivers", 1, "nothing new")
    assert touched[n:] == []


def test_a_statement_over_rows_not_known_touches_everything(service, touched):
    """An erasure leaves its person's subwikis (each counted, by flush) and anonymises the subwikis they
    started with one statement over the table: every kept answer."""
    service.create_subwiki("ann", "rivers", "Rivers")
    service.join_subwiki("bob", "rivers")
    n = len(touched)
    service.handle_user_erased({"event_id": "e1", "user": {"id": "ann"}})
    assert touched_since(touched, n) is EVERYTHING


def test_a_statement_on_the_transactions_connection_touches_everything(service, db, touched):
    """A change written as a statement on ``tx.connection`` (no flush, no session) is seen all the same."""
    rivers = service.create_subwiki("ann", "rivers", "Rivers")
    service.join_subwiki("bob", "rivers")
    statements = [
        update(Subwiki).where(Subwiki.id == rivers["id"]).values(post_count=Subwiki.post_count + 1),
        update(Membership).where(Membership.user_id == "bob").values(is_moderator=True),
        text("UPDATE subwikis SET summary = 'Changed' WHERE slug = 'rivers'"),
    ]
    for statement in statements:
        n = len(touched)
        with db.transaction() as tx:
            tx.connection.execute(statement)
        assert touched_since(touched, n) is EVERYTHING
    n = len(touched)
    with db.transaction() as tx:  # reading them changes nothing
        tx.connection.execute(text("SELECT slug FROM subwikis WHERE slug = 'rivers'")).all()
        tx.connection.execute(select(Membership.user_id).where(Membership.subwiki_id == rivers["id"])).all()
    assert touched[n:] == []
