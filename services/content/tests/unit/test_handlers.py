"""Handlers below the service: the vote tally and the table of facts."""

import pytest
from eventlet import patcher

from content import markup
from content.exceptions import Invalid
from content.handlers import facts, votes
from content.models import Base, Post, Vote, VoteVersion
from svclib.testing import memory_database


@pytest.fixture
def db():
    database = memory_database(Base.metadata)
    yield database
    database.dispose()


@pytest.mark.parametrize(
    ("previous", "value", "counts"),
    [
        (None, 1, (1, 0)),
        (None, -1, (0, 1)),
        (1, -1, (0, 1)),
        (-1, 1, (1, 0)),
        (1, None, (0, 0)),
        (-1, None, (0, 0)),
    ],
)
def test_the_tally_moves_one_vote(previous, value, counts):
    assert votes._tally(1 if previous == 1 else 0, 1 if previous == -1 else 0, previous, value) == counts


def test_every_kind_of_fact_pages_in_key_order(db):
    with db.transaction() as tx:
        for n in range(3):
            tx.session.add(
                Post(
                    id=f"p{n}",
                    subwiki_id="s1",
                    subwiki_slug="rivers",
                    author_id="ann",
                    kind="text",
                    title="t",
                    body="b",
                    body_html="b",
                    revision=1,
                    protected=False,
                    up_count=0,
                    down_count=0,
                    comment_count=0,
                )
            )
    with db.reading() as tx:
        first = facts.list_facts(tx, "posts", None, 2)
        assert [p["id"] for p in first["items"]] == ["p0", "p1"] and first["next"] == "p1"
        last = facts.list_facts(tx, "posts", first["next"], 2)
        assert [p["id"] for p in last["items"]] == ["p2"] and last["next"] is None
        for kind in facts.FACTS:
            assert "items" in facts.list_facts(tx, kind, None, 10)
        with pytest.raises(Invalid):
            facts.list_facts(tx, "secrets", None, 10)


def test_long_texts_are_rendered_off_the_event_loop(monkeypatch):
    threading = patcher.original("threading")
    threads = []
    render = markup._render

    def watched(text):
        threads.append(threading.current_thread() is threading.main_thread())
        return render(text)

    monkeypatch.setattr(markup, "_render", watched)
    assert markup.render("*short*") == "<p><em>short</em></p>\n"
    assert markup.render("*long* " * 1000).startswith("<p><em>long</em>")
    assert threads == [True, False]


def test_vote_facts_carry_the_version_of_their_latest_event(db):
    with db.transaction() as tx:
        tx.session.add(Vote(target_type="post", target_id="p1", voter_id="ann", value=1))
        tx.session.add(VoteVersion(target_type="post", target_id="p1", voter_id="ann", version=4))
        tx.session.add(Vote(target_type="post", target_id="p1", voter_id="bob", value=-1))  # from before versions
    with db.reading() as tx:
        items = facts.list_facts(tx, "votes", None, 10)["items"]
    assert [(v["voter_id"], v["value"], v["version"]) for v in items] == [("ann", 1, 4), ("bob", -1, None)]
