"""Search on SQLite (FTS5 tables kept by triggers, ranked by bm25 and the feed's quality): stemmed words, the
link's domain, edits followed; removed, deleted and erased content never shows; pages; each post's language
and the feed's quality, kept in order."""

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.dialects import postgresql

from content.handlers import recent_posts
from content.handlers.search import comment_match, search
from content.models import Base
from content.service import MIGRATIONS
from svclib.db.standalone import StandaloneDatabase
from svclib.events import NotYet
from svclib.exceptions import Forbidden, Invalid


def post(service, title, body="Some words.", author="bob", **extra):
    return service.create_post(author, "rivers", "article", title, body=body, **extra)


def quality(service, post_id, value, version, event_id=None):
    """The feed's post_quality_changed, as it arrives."""
    payload = {"id": post_id, "quality": value, "version": version}
    service.handle_post_quality_changed({"event_id": event_id or f"q-{post_id}-{version}", "post": payload})


def test_posts_are_found_and_removed_or_erased_ones_never(service):
    kept = post(service, "Salmon in the river", "They swim upstream.")
    gone = post(service, "Salmon farming", "Removed later.")
    post(service, "Salmon again", "By someone who leaves.", author="dan")
    post(service, "Nothing to see", "Only trout here.")
    service.remove_post("bob", gone["id"])
    service.handle_user_erased({"event_id": "e1", "user": {"id": "dan"}})
    found = service.search("salmon")
    assert [item["post"]["id"] for item in found["items"]] == [kept["id"]]
    assert found["items"][0]["post"]["subwiki"] == "rivers" and found["next_cursor"] is None
    assert service.search("upstream river", slug="rivers")["items"][0]["post"]["id"] == kept["id"]
    assert service.search("salmon", slug="elsewhere")["items"] == []


def test_comments_are_found_with_their_post(service):
    p = post(service, "A river")
    comment = service.create_comment("cat", p["id"], "Herons fish here at dawn.")
    deleted = service.create_comment("cat", p["id"], "Herons again.")
    service.remove_comment("cat", deleted["id"])
    found = service.search("herons", kind="comment")["items"]
    assert [item["comment"]["id"] for item in found] == [comment["id"]]
    assert found[0]["comment"]["author_id"] == "cat" and found[0]["post"]["title"] == "A river"


def test_words_are_stemmed_and_a_title_match_ranks_above_a_body_match(service):
    in_body = post(service, "A quiet morning", "The kingfisher was diving.")
    in_title = post(service, "Kingfishers diving", "Seen from the bridge.")
    found = service.search("kingfisher dives")["items"]
    assert [item["post"]["id"] for item in found] == [in_title["id"], in_body["id"]]
    assert found[0]["score"] > found[1]["score"] > 0
    assert service.search("kingfisher heron")["items"] == []  # every word must match
    assert service.search("?!")["items"] == []


def test_the_feeds_quality_lifts_an_equal_text_match_and_not_content_s_votes(service):
    post(service, "Beavers build dams", "Wood and mud.")
    liked = post(service, "Beavers build dams", "Wood and mud.")
    voted = post(service, "Beavers build dams", "Wood and mud.")
    service.vote("cat", "post", voted["id"], 1)  # counted by the feed, whose quality says what it is worth
    quality(service, liked["id"], 0.8, 5)
    found = service.search("beaver")["items"]
    assert found[0]["post"]["id"] == liked["id"] and found[0]["score"] > found[1]["score"]
    assert found[1]["score"] == found[2]["score"]
    by_quality = service.search("beaver", sort="quality")["items"]
    assert by_quality[0]["post"]["id"] == liked["id"]


def test_qualities_apply_in_order_and_once(service):
    first, second = post(service, "Voles by the bank"), post(service, "Voles in the reeds")
    quality(service, first["id"], 0.9, 3)
    quality(service, first["id"], 0.1, 2)  # older, arriving late: ignored
    quality(service, first["id"], 0.1, 3, event_id="again")  # the same version again: ignored
    assert [item["post"]["id"] for item in service.search("vole", sort="quality")["items"]] == [
        first["id"],
        second["id"],
    ]
    quality(service, first["id"], -0.5, 4)  # newer: applies
    quality(service, second["id"], 0.2, 1)
    assert [item["post"]["id"] for item in service.search("vole", sort="quality")["items"]] == [
        second["id"],
        first["id"],
    ]


def qualities(service, event_id, *posts):
    """The feed's post_qualities_changed (a trust change's posts in one message), as it arrives."""
    payload = [{"id": post_id, "quality": value, "version": version} for post_id, value, version in posts]
    service.handle_post_qualities_changed({"event_id": event_id, "qualities": {"posts": payload}})


def test_many_qualities_in_one_event_apply_each_in_its_own_order_and_once(service):
    voles = [post(service, f"Voles {n}") for n in range(3)]
    a, b, c = (p["id"] for p in voles)
    quality(service, b, 0.9, 10)  # newer than what the batch says of b
    qualities(service, "batch-1", (c, 0.7, 5), (a, 0.5, 5), (b, 0.1, 4))
    ordered = [item["post"]["id"] for item in service.search("vole", sort="quality")["items"]]
    assert ordered == [b, c, a]
    qualities(service, "batch-1", (a, 0.95, 6))  # the same event again: nothing
    qualities(service, "batch-2", (a, 0.8, 4), (c, 0.1, 6))  # a's value older than its own: ignored
    ordered = [item["post"]["id"] for item in service.search("vole", sort="quality")["items"]]
    assert ordered == [b, a, c]
    quality(service, c, 0.3, 5)  # one post's event older than the batch's value: ignored
    assert service.search("vole", sort="quality")["items"][2]["post"]["id"] == c


def test_a_post_has_a_language_set_on_creation_and_by_its_author_or_a_moderator(service):
    english = post(service, "Trout", "Cold water.")
    assert english["language"] == "en"
    french = post(service, "Truites", "Eau froide.", language="fr")
    assert french["language"] == "fr" and service.get_post(french["id"])["language"] == "fr"
    with pytest.raises(Invalid):
        post(service, "Forellen", "Kaltes Wasser.", language="de")
    with pytest.raises(Forbidden):  # a wiki editor who is neither its author nor a moderator
        service.edit_post("cat", english["id"], 1, "", language="fr")
    edited = service.edit_post("ann", english["id"], 1, "", language="fr")  # a moderator
    assert edited["post"]["language"] == "fr" and edited["post"]["revision"] == 1  # not a revision
    assert service.edit_post("bob", english["id"], 1, "", language="en")["post"]["language"] == "en"


def test_a_held_post_keeps_its_language_when_approved(service):
    service.set_first_post_approval("ann", "rivers", True)
    held = post(service, "Anguilles", "La rivière.", author="dan", language="fr")
    assert held["pending"] and held["held_post"]["language"] == "fr"
    assert service.approve_held_post("ann", held["held_post"]["id"])["language"] == "fr"


def test_a_link_is_found_by_its_domain_and_edits_are_followed(service):
    link = service.create_post("bob", "rivers", "link", "A report", url="https://www.riverwatch.org:8080/a?b#c")
    assert [item["post"]["id"] for item in service.search("riverwatch")["items"]] == [link["id"]]
    assert service.search("report", kind="comment")["items"] == []
    service.edit_post("bob", link["id"], 1, "new link", title="An estuary survey", url="https://tides.example/x")
    assert service.search("riverwatch")["items"] == [] and service.search("report")["items"] == []
    assert [item["post"]["id"] for item in service.search("estuary tides")["items"]] == [link["id"]]
    comment = service.create_comment("cat", link["id"], "Lovely otters.")
    service.edit_comment("cat", comment["id"], "Lovely grebes.")
    assert service.search("otters", kind="comment")["items"] == []
    assert [item["comment"]["id"] for item in service.search("grebe", kind="comment")["items"]] == [comment["id"]]


@pytest.mark.parametrize("sort", ["relevance", "quality", "new"])
def test_every_sort_pages_through_every_match_once(service, sort):
    made = {post(service, f"Otter {n}")["id"] for n in range(5)}
    quality(service, sorted(made)[2], 0.5, 1)
    seen, cursor = [], None
    while True:
        page = service.search("otter", sort=sort, limit=2, cursor=cursor)
        seen += [item["post"]["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(made)
    if sort != "new":
        assert seen[0] == sorted(made)[2]


@pytest.mark.parametrize(
    "bad",
    [{"q": ""}, {"q": "x" * 201}, {"q": "x", "kind": "user"}, {"q": "x", "sort": "old"}, {"q": "x", "cursor": "!!"}],
)
def test_bad_parameters_are_refused(service, bad):
    with pytest.raises(Invalid):
        service.search(**bad)


def test_the_migration_indexes_what_was_written_before_it(tmp_path):
    """Down to 0013 (no FTS5 table), a post written, up again: the post is found."""
    database = StandaloneDatabase(Base.metadata, f"sqlite:///{tmp_path / 'content.db'}", migrations_dir=MIGRATIONS)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0013")
        assert not connection.execute(text("SELECT name FROM sqlite_master WHERE name = 'posts_search'")).all()
    with database.transaction() as tx:
        tx.session.execute(
            text(
                "INSERT INTO posts (id, subwiki_id, subwiki_slug, author_id, kind, title, body, body_html, url,"
                " revision, protected, up_count, down_count, comment_count, created_at, updated_at) VALUES"
                " ('p1', 's1', 'rivers', 'bob', 'link', 'Old lampreys', '', '', 'http://fish.example/', 1, 0, 0, 0,"
                " 0, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
            )
        )
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    with database.transaction() as tx:
        assert [item["post"]["id"] for item in search(tx, "lamprey fish")["items"]] == ["p1"]
    database.dispose()


def test_a_comment_is_read_in_its_post_s_language_on_postgresql():
    """PostgreSQL's statement (SQLite's FTS5 stems every language alike): each language's reading counts for
    the comments of posts in that language alone, and ranks them."""
    match, rank = comment_match("nager")
    dialect = {"dialect": postgresql.dialect(), "compile_kwargs": {"literal_binds": True}}
    match, rank = str(match.compile(**dialect)), str(rank.compile(**dialect))
    for code, config in (("en", "english"), ("fr", "french")):
        reading = f"to_tsvector('{config}'::regconfig, comments.body) @@ websearch_to_tsquery('{config}'::regconfig"
        assert f"posts.language = '{code}' AND ({reading}, 'nager'))" in match
        ranking = f"WHEN (posts.language = '{code}') THEN ts_rank(to_tsvector('{config}'::regconfig, comments.body)"
        assert ranking in rank


def subwiki(service, name, revision, event_id, event="created"):
    """Communities' subwiki_created / subwiki_edited of the test's subwiki, as it arrives."""
    payload = {"id": "s1", "slug": "rivers", "name": name, "summary": "", "revision": revision, "created_by": "ann"}
    getattr(service, f"handle_subwiki_{event}")({"event_id": event_id, "subwiki": payload})


def person(user_id, username, display_name, version):
    """A person as identity's user_registered and user_updated carry them."""
    return {
        "id": user_id,
        "username": username,
        "display_name": display_name,
        "created_at": "2026-01-01",
        "profile_version": version,
    }


def renamed(service, user_id, username, display_name, event_id, version):
    """Identity's user_updated, as it arrives."""
    service.handle_user_updated({"event_id": event_id, "user": person(user_id, username, display_name, version)})


def registered(service, user_id, display_name, event_id, version=1):
    """Identity's user_registered, as it arrives."""
    service.handle_user_registered({"event_id": event_id, "user": person(user_id, user_id, display_name, version)})


def shown_names(service, q):
    shown = service.search(q)["items"][0]["post"]
    return shown["author_username"], shown["author_display_name"]


def card(service, q):
    shown = service.search(q)["items"][0]["post"]
    return {key: shown[key] for key in ("author_username", "author_display_name", "subwiki_name", "up", "down")} | {
        "comment_count": shown["comment_count"],
        "quality": shown["quality"],
    }


def test_a_found_post_carries_the_names_and_numbers_a_listed_post_shows(service):
    found = post(service, "Otters at play", author="bob")
    # Names not held yet (content kept none before this post's subwiki or author were announced): None, so
    # that the gateway asks the feed for them.
    assert card(service, "otters")["subwiki_name"] is None
    subwiki(service, "Rivers", 1, "sc1")
    renamed(service, "bob", "bob", "Bob Builder", "u1", 2)
    service.vote("cat", "post", found["id"], 1)
    service.vote("dan", "post", found["id"], -1)
    service.vote("bob", "post", found["id"], 1)  # the author's own vote counts in the votes as everywhere
    service.create_comment("cat", found["id"], "Two of them, by the weir.")
    quality(service, found["id"], 0.75, 4)
    assert card(service, "otters") == {
        "author_username": "bob",
        "author_display_name": "Bob Builder",
        "subwiki_name": "Rivers",
        "up": 2,
        "down": 1,
        "comment_count": 1,
        "quality": 0.75,
    }
    # A rename and a subwiki's new name show at once; an older revision arriving late changes nothing.
    renamed(service, "bob", "bobby", "Bobby", "u2", 3)
    subwiki(service, "Rivers and streams", 3, "se3", event="edited")
    subwiki(service, "Old rivers", 2, "se2", event="edited")
    service.vote("dan", "post", found["id"], None)
    shown = card(service, "otters")
    assert (shown["author_username"], shown["author_display_name"], shown["subwiki_name"]) == (
        "bobby",
        "Bobby",
        "Rivers and streams",
    )
    assert (shown["up"], shown["down"]) == (2, 0)


def test_an_erased_persons_names_go_and_never_come_back(service, db):
    from content.models import PersonName

    post(service, "Herons by the weir", author="dan")
    kept = post(service, "Herons in the reeds", author="cat")
    renamed(service, "dan", "dan", "Dan", "u1", 2)
    renamed(service, "cat", "cat", "Cat", "u2", 2)
    service.handle_user_erased({"event_id": "e1", "user": {"id": "dan"}})
    # Late, of an account identity no longer has: dropped, neither kept nor waiting in a queue with the name.
    service.identity.get_people.return_value = {}
    renamed(service, "dan", "dan", "Dan again", "u3", 3)
    service.identity.get_people.assert_called_with(["dan"])
    with db.reading() as tx:
        assert tx.session.get(PersonName, "dan") is None
        assert tx.session.get(PersonName, "cat").display_name == "Cat"
    found = service.search("herons")["items"]
    assert [item["post"]["id"] for item in found] == [kept["id"]]
    assert found[0]["post"]["author_display_name"] == "Cat"


def test_a_registration_announced_again_keeps_the_names_of_a_rename_since(service):
    registered(service, "eve", "Eve", "r-eve")
    renamed(service, "eve", "eve", "Eve Online", "u1", 2)
    registered(service, "eve", "Eve", "r-eve-again")
    service.handle_member_joined(
        {"event_id": "j-eve", "membership": {"subwiki_id": "s1", "subwiki": "rivers", "user_id": "eve"}}
    )
    post(service, "Grebes diving", author="eve")
    assert service.search("grebes")["items"][0]["post"]["author_display_name"] == "Eve Online"


def test_sqlite_has_no_recent_posts_index_and_its_search_reads_no_catalog(service, db, monkeypatch):
    """The recent posts' index is PostgreSQL's (content.handlers.recent_posts): on SQLite the timer rotates
    nothing and search pages are FTS5's, every match ranked, without asking for a bound."""
    monkeypatch.setattr(recent_posts, "since", lambda tx: pytest.fail("SQLite asked for a bound"))
    service.rotate_recent_posts_index()
    assert recent_posts.rotate(db.engine) == {}
    made = [post(service, f"Otters {n}")["id"] for n in range(3)]
    for sort in ("relevance", "new"):
        assert {item["post"]["id"] for item in service.search("otters", "post", sort)["items"]} == set(made)


def test_a_rename_ahead_of_the_registration_leaves_the_newest_names(service):
    """The rename reaches content first (its own queue): it is tried again later, and applies after the
    registration, being newer; the registration delivered again later changes nothing."""
    service.identity.get_people.return_value = {"fay": {"id": "fay", "username": "fay"}}
    with pytest.raises(NotYet):
        renamed(service, "fay", "fay", "Fay Newest", "u-fay", 2)
    registered(service, "fay", "Fay", "r-fay")
    renamed(service, "fay", "fay", "Fay Newest", "u-fay", 2)  # the retry
    service.handle_member_joined(
        {"event_id": "j-fay", "membership": {"subwiki_id": "s1", "subwiki": "rivers", "user_id": "fay"}}
    )
    post(service, "Dippers under the falls", author="fay")
    assert shown_names(service, "dippers") == ("fay", "Fay Newest")
    registered(service, "fay", "Fay", "r-fay-again")
    assert shown_names(service, "dippers") == ("fay", "Fay Newest")


def test_renames_in_either_order_or_again_leave_the_newest_names(service):
    """Two quick renames applied out of order (two replicas, or a retry): the older, last, changes nothing; the
    newest delivered again neither."""
    post(service, "Wagtails on the stones", author="bob")
    renamed(service, "bob", "bob", "Bob Third", "u3", 3)
    renamed(service, "bob", "bob", "Bob Second", "u2", 2)
    assert shown_names(service, "wagtails") == ("bob", "Bob Third")
    renamed(service, "bob", "bob", "Bob Third", "u3-again", 3)
    renamed(service, "bob", "bob", "Bob Fourth", "u4", 4)
    renamed(service, "bob", "bob", "Bob Third", "u3-once-more", 3)
    assert shown_names(service, "wagtails") == ("bob", "Bob Fourth")
