"""The posts routes: comment pages and their cursor, and writes answered as done when names cannot be had."""

import copy

from gateway.rpc import ServiceUnavailable

COMMENT = {
    "id": "c1",
    "post_id": "p1",
    "parent_id": None,
    "author_id": "u1",
    "body_html": "<p>Hi</p>\n",
    "revision": 1,
    "up": 0,
    "down": 0,
    "deleted": False,
    "created_at": "2026-12-01T00:00:00+00:00",
}
POST = {
    "id": "p1",
    "kind": "text",
    "title": "Hello",
    "body": "Hi",
    "body_html": "<p>Hi</p>\n",
    "url": None,
    "image_file": None,
    "author_id": "u1",
    "subwiki_id": "s1",
    "subwiki": "rivers",
    "created_at": "2026-12-01T00:00:00+00:00",
    "revision": 1,
    "protected": False,
    "comment_count": 0,
    "up": 0,
    "down": 0,
}


def identity_away(*_args, **_kwargs):
    raise ServiceUnavailable("identity")


def test_comments_come_in_pages_with_a_cursor(client, services):
    asked = {}

    def list_comments(post_id, sort, limit, cursor):
        asked.update(sort=sort, limit=limit, cursor=cursor)
        reply = {**COMMENT, "id": "c2", "parent_id": "c1", "children": []}
        return {"items": [{**COMMENT, "children": [reply], "more_replies": 12}], "next_cursor": "next"}

    services.on("content", "list_comments", list_comments)
    services.on("identity", "get_people", lambda ids: {"u1": {"username": "ann", "display_name": "Ann"}})
    cursor = "WyJjMSJd"  # ["c1"]: the gateway lets through only cursors shaped like those services hand out
    response = client.get(f"/api/v1/posts/p1/comments?sort=quality&limit=1&cursor={cursor}")
    assert response.status_code == 200
    assert asked == {"sort": "quality", "limit": 1, "cursor": cursor}
    page = response.get_json()
    assert page["next_cursor"] == "next"
    assert page["items"][0]["children"][0]["author"]["username"] == "ann"
    assert page["items"][0]["more_replies"] == 12
    assert client.get("/api/v1/posts/p1/comments?limit=0").status_code == 400


def test_a_committed_comment_is_answered_with_ids_when_identity_is_away(client, services, auth):
    services.on("content", "create_comment", lambda user_id, post_id, body, parent_id, idempotency_key: dict(COMMENT))
    services.on("identity", "get_people", identity_away)
    response = client.post("/api/v1/posts/p1/comments", headers=auth, json={"body": "Hi"})
    assert response.status_code == 201
    assert response.get_json()["author"] == {"id": "u1", "username": None, "display_name": None}


def test_a_committed_post_is_answered_with_ids_when_identity_is_away(client, services, auth):
    services.on("content", "create_post", lambda user_id, slug, idempotency_key, **data: dict(POST))
    services.on("identity", "get_people", identity_away)
    services.on("communities", "get_subwikis", lambda slugs: {})
    response = client.post(
        "/api/v1/subwikis/rivers/posts", headers=auth, json={"kind": "text", "title": "Hello", "body": "Hi"}
    )
    assert response.status_code == 201
    assert response.get_json()["author"]["id"] == "u1"


def test_a_read_without_identity_is_unavailable(client, services):
    page = {"items": [{**COMMENT, "children": [], "more_replies": 0}], "next_cursor": None}
    services.on("content", "list_comments", lambda *args: page)
    services.on("identity", "get_people", identity_away)
    assert client.get("/api/v1/posts/p1/comments").status_code == 503


def test_the_idempotency_key_reaches_content(client, services, auth):
    keys = []

    def file_report(user_id, target_type, target_id, reason, idempotency_key):
        keys.append(idempotency_key)
        return {"id": "r1"}

    services.on("content", "file_report", file_report)
    headers = {**auth, "Idempotency-Key": "k-1"}
    assert client.post("/api/v1/posts/p1/reports", headers=headers, json={"reason": "Spam"}).status_code == 202
    assert client.post("/api/v1/comments/c1/reports", headers=auth, json={"reason": "Spam"}).status_code == 202
    assert keys == ["k-1", None]


def test_the_idempotency_key_reaches_communities(client, services, auth):
    keys = []

    def create_subwiki(user_id, idempotency_key, **data):
        keys.append(idempotency_key)
        return {"id": "s1", "slug": data["slug"]}

    services.on("communities", "create_subwiki", create_subwiki)
    made = {"slug": "rivers", "name": "Rivers"}
    assert client.post("/api/v1/subwikis", headers={**auth, "Idempotency-Key": "k-1"}, json=made).status_code == 201
    assert client.post("/api/v1/subwikis", headers=auth, json=made).status_code == 201
    assert keys == ["k-1", None]


def test_spam_defences_answer_in_the_error_shape(client, services, remote, auth):
    """A new account beyond its posts an hour: 429 rate_limited with Retry-After; the same post again: 409 duplicate;
    too many links: 400 on the body field; a comment beyond its minute: 429 with Retry-After."""
    limited = remote("RateLimited", "You have posted a lot this hour; try again later.", retry_after=1234)
    services.on("content", "create_post", limited)
    post = {"kind": "text", "title": "Hello", "body": "Hi"}
    response = client.post("/api/v1/subwikis/rivers/posts", headers=auth, json=post)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1234"
    assert response.get_json() == {
        "error": {"code": "rate_limited", "message": "You have posted a lot this hour; try again later."}
    }
    services.on("content", "create_post", remote("Duplicate", "You posted this a moment ago.", post_id="p1"))
    response = client.post("/api/v1/subwikis/rivers/posts", headers=auth, json=post)
    assert response.status_code == 409
    assert response.get_json() == {"error": {"code": "duplicate", "message": "You posted this a moment ago."}}
    links = remote("Invalid", "Too many links.", fields={"body": ["Use at most 2 links."]})
    services.on("content", "create_post", links)
    response = client.post("/api/v1/subwikis/rivers/posts", headers=auth, json=post)
    assert response.status_code == 400
    assert response.get_json()["error"]["fields"] == {"body": ["Use at most 2 links."]}
    services.on("content", "create_comment", remote("RateLimited", "You are commenting fast.", retry_after=42))
    response = client.post("/api/v1/posts/p1/comments", headers=auth, json={"body": "Hi"})
    assert (response.status_code, response.headers["Retry-After"]) == (429, "42")
    assert response.get_json()["error"]["code"] == "rate_limited"


def test_a_held_first_post_is_answered_202_with_its_author(client, services, auth):
    held = {
        "id": "h1",
        "kind": "text",
        "title": "Hello",
        "body": "Hi",
        "url": None,
        "author_id": "u1",
        "subwiki_id": "s1",
        "subwiki": "rivers",
        "created_at": "2026-12-01T00:00:00+00:00",
    }
    services.on(
        "content",
        "create_post",
        lambda user_id, slug, idempotency_key, **data: {"pending": True, "held_post": dict(held)},
    )
    services.on(
        "content",
        "list_held_posts",
        lambda user_id, slug, limit, cursor: {"items": [dict(held)], "next_cursor": None, "approval_required": True},
    )
    services.on("identity", "get_people", lambda ids: {"u1": {"username": "ann", "display_name": "Ann"}})
    response = client.post(
        "/api/v1/subwikis/rivers/posts", headers=auth, json={"kind": "text", "title": "Hello", "body": "Hi"}
    )
    assert response.status_code == 202
    answer = response.get_json()
    assert answer["pending"] is True and answer["held_post"]["author"]["username"] == "ann"
    assert "subwiki_id" not in answer["held_post"]
    page = client.get("/api/v1/subwikis/rivers/held-posts", headers=auth).get_json()
    assert page["approval_required"] is True and page["items"][0]["id"] == "h1"


def test_a_held_picture_post_shows_its_picture_in_the_answer_and_the_queue(client, services, auth):
    held = {
        "id": "h2",
        "kind": "image",
        "title": "A heron",
        "body": "",
        "url": None,
        "author_id": "u1",
        "subwiki_id": "s1",
        "subwiki": "rivers",
        "created_at": "2026-12-01T00:00:00+00:00",
        "language": "en",
        "image_file": "abc.png",
    }
    services.on(
        "content",
        "create_post",
        lambda user_id, slug, idempotency_key, **data: {"pending": True, "held_post": dict(held)},
    )
    services.on(
        "content",
        "list_held_posts",
        lambda user_id, slug, limit, cursor: {
            "items": [dict(held), {**held, "id": "h3", "kind": "text", "image_file": None}],
            "next_cursor": None,
            "approval_required": True,
        },
    )
    services.on("identity", "get_people", lambda ids: {"u1": {"username": "ann", "display_name": "Ann"}})
    answer = client.post(
        "/api/v1/subwikis/rivers/posts", headers=auth, json={"kind": "image", "title": "A heron", "image_id": "i1"}
    ).get_json()
    assert answer["held_post"]["image_url"] == "/api/v1/uploads/abc.png" and "image_file" not in answer["held_post"]
    page = client.get("/api/v1/subwikis/rivers/held-posts", headers=auth).get_json()
    assert [item["image_url"] for item in page["items"]] == ["/api/v1/uploads/abc.png", None]


def test_a_post_s_language_is_the_one_given_else_the_first_known_of_accept_language(client, services, auth):
    asked = []

    def create_post(user_id, slug, idempotency_key, **data):
        asked.append(data["language"])
        return {**POST, "language": data["language"]}

    services.on("content", "create_post", create_post)
    services.on("identity", "get_people", lambda ids: {"u1": {"username": "ann", "display_name": "Ann"}})
    services.on("communities", "get_subwikis", lambda slugs: {"rivers": {"slug": "rivers", "name": "Rivers"}})
    services.on("feed", "post_scores", lambda ids: {})
    post = {"kind": "text", "title": "Hello", "body": "Hi"}

    def create(json, accept=None):
        headers = {**auth, **({"Accept-Language": accept} if accept else {})}
        return client.post("/api/v1/subwikis/rivers/posts", headers=headers, json=json)

    answer = create(post, "de-CH, fr-CA;q=0.9, en;q=0.5")
    assert answer.status_code == 201 and answer.get_json()["language"] == "fr"
    assert create(post).status_code == 201
    assert create({**post, "language": "en"}, "fr").status_code == 201
    assert create(post, "de, es").status_code == 201
    assert asked == ["fr", "en", "en", "en"]
    refused = create({**post, "language": "de"})
    assert refused.status_code == 400 and "language" in refused.get_json()["error"]["fields"]


def test_a_signed_in_reader_s_comments_say_whom_they_blocked_from_what_identity_answered_with_the_caller(
    client, services, auth
):
    """Whom the reader blocked comes with the caller (identity's ``authenticate``), no call of its own: the names
    of authors content does not hold come from identity without ``seen_by``. An erased author is nobody and never
    marked; a reader whose blocks identity did not list whole is answered as before, by ``get_people`` with
    ``seen_by`` about every author."""
    reply = {**COMMENT, "id": "c2", "parent_id": "c1", "author_id": "u2", "children": []}
    gone = {**COMMENT, "id": "c3", "author_id": "u3", "children": [], "more_replies": 0}
    page = {"items": [{**COMMENT, "children": [reply], "more_replies": 0}, gone], "next_cursor": None}
    services.on("content", "list_comments", lambda post_id, sort, limit, cursor: copy.deepcopy(page))
    services.blocking("u2", "u3")
    asked = []

    def get_people(ids, seen_by=None):
        asked.append((ids, seen_by))
        found = {"u1": {"username": "ann", "display_name": "Ann"}, "u2": {"username": "bob", "display_name": "Bob"}}
        if seen_by is not None:
            found["u1"]["blocked"], found["u2"]["blocked"] = False, True
        return {i: found[i] for i in ids if i in found}

    services.on("identity", "get_people", get_people)
    items = client.get("/api/v1/posts/p1/comments", headers=auth).get_json()["items"]
    seen, erased = items
    assert (seen["blocked"], seen["children"][0]["blocked"]) == (False, True)
    assert seen["children"][0]["author"] == {"id": "u2", "username": "bob", "display_name": "Bob"}
    assert (erased["author"], erased["blocked"]) == (None, False)
    assert asked == [(["u1", "u2", "u3"], None)]
    assert [c[:2] for c in services.calls if c[1] != "authenticate"] == [
        ("content", "list_comments"),
        ("identity", "get_people"),
    ]
    anonymous = client.get("/api/v1/posts/p1/comments").get_json()["items"][0]
    assert (anonymous["blocked"], anonymous["children"][0]["blocked"]) == (False, False)
    assert asked[-1] == (["u1", "u2", "u3"], None)

    services.blocking("u9", complete=False)
    asked.clear()
    seen = client.get("/api/v1/posts/p1/comments", headers=auth).get_json()["items"][0]
    assert (seen["blocked"], seen["children"][0]["blocked"]) == (False, True)
    assert asked == [(["u1", "u2", "u3"], "u1")]


def test_a_post_s_page_passes_on_how_many_edits_are_held_for_the_reader(client, services, auth):
    services.on("content", "get_post", lambda post_id, viewer_id: {**POST, "my_vote": 0, "held_edits": 2})
    services.on("identity", "get_people", lambda ids: {"u1": {"username": "ann", "display_name": "Ann"}})
    services.on("communities", "get_subwikis", lambda slugs: {"rivers": {"slug": "rivers", "name": "Rivers"}})
    assert client.get("/api/v1/posts/p1", headers=auth).get_json()["held_edits"] == 2


def test_an_edit_passes_a_new_language_on(client, services, auth):
    asked = {}

    def edit_post(user_id, post_id, **data):
        asked.update(data)
        return {"post": {**POST, "language": "fr"}}

    services.on("content", "edit_post", edit_post)
    services.on("identity", "get_people", lambda ids: {"u1": {"username": "ann", "display_name": "Ann"}})
    services.on("communities", "get_subwikis", lambda slugs: {"rivers": {"slug": "rivers", "name": "Rivers"}})
    services.on("feed", "post_scores", lambda ids: {})
    answer = client.patch("/api/v1/posts/p1", headers=auth, json={"base_revision": 1, "language": "fr"})
    assert answer.status_code == 200 and answer.get_json()["language"] == "fr"
    assert asked["language"] == "fr"


def test_a_kept_page_is_shown_to_every_reader_without_being_changed(client, services, auth):
    """Content answers a busy post's page kept, and this process keeps what it presented from one reply text
    (``gateway.rpc.Presented``): the same answer serves every request, so showing it must leave it as it came."""
    reply = {**COMMENT, "id": "c2", "parent_id": "c1", "author_id": "u2", "up": 2, "children": []}
    page = {"items": [{**COMMENT, "children": [reply], "more_replies": 0}], "next_cursor": "next"}
    thread = {"items": page["items"], "next_cursor": None, "post_id": "p1"}
    kept = copy.deepcopy(page)
    services.on("content", "list_comments", lambda post_id, sort, limit, cursor: page)
    services.on("content", "comment_thread", lambda comment_id: thread)
    names = {"u1": {"username": "ann", "display_name": "Ann"}, "u2": {"username": "bob", "display_name": "Bob"}}
    services.on("identity", "get_people", lambda ids, seen_by=None: copy.deepcopy(names))
    services.blocking("u2")
    for _ in range(2):
        for headers in (auth, {}):
            shown = client.get("/api/v1/posts/p1/comments", headers=headers).get_json()
            assert shown["next_cursor"] == "next"
            child = shown["items"][0]["children"][0]
            assert child["author"]["username"] == "bob" and child["score"] == {"up": 2, "down": 0}
            assert "author_id" not in child and "up" not in child
            whole = client.get("/api/v1/comments/c2/thread", headers=headers).get_json()
            assert whole["next_cursor"] is None and whole["items"][0]["author"]["username"] == "ann"
    assert page == kept


def serve_a_post_and_its_discussion(services) -> list:
    """Content's post p1 by u1 with a comment by u1 and a reply by u2; identity's answers are recorded."""
    asked = []
    reply = {**COMMENT, "id": "c2", "parent_id": "c1", "author_id": "u2", "children": []}
    page = {"items": [{**COMMENT, "children": [reply], "more_replies": 3}], "next_cursor": "WyJjMSJd"}

    def get_people(ids, seen_by=None):
        asked.append((ids, seen_by))
        found = {"u1": {"username": "ann", "display_name": "Ann"}, "u2": {"username": "bob", "display_name": "Bob"}}
        if seen_by:
            found["u2"] = {**found["u2"], "blocked": True}
        return {i: found[i] for i in ids}

    def get_post(post_id, viewer_id):
        return {**POST, **COUNTED, "my_vote": 1 if viewer_id else 0, "held_edits": 0}

    def post_page(post_id, viewer_id, sort, limit, cursor):
        return {"post": get_post(post_id, viewer_id), "comments": copy.deepcopy(page)}

    services.on("content", "get_post", get_post)
    services.on("content", "list_comments", lambda post_id, sort, limit, cursor: copy.deepcopy(page))
    services.on("content", "post_page", post_page)
    services.on("identity", "get_people", get_people)
    services.blocking("u2")
    services.on("communities", "get_subwikis", lambda slugs: {"rivers": {"slug": "rivers", "name": "Rivers"}})
    return asked


# Content's numbers of the post: its votes and comments as they committed, the feed's quality kept in its row.
COUNTED = {"up": 2, "down": 1, "comment_count": 2, "quality": 0.5}


def test_a_post_and_a_page_of_its_discussion_come_in_one_answer(client, services, auth):
    """GET /posts/{id}?comments=<sort> answers what GET /posts/{id} and GET /posts/{id}/comments?sort=<sort>
    answer, from one call to content for both (whom the reader blocked came with the caller), then one to
    identity naming the post's author and the commenters content does not name, and one to communities: the
    post's numbers are content's, the feed is not asked."""
    asked = serve_a_post_and_its_discussion(services)
    post = client.get("/api/v1/posts/p1", headers=auth).get_json()
    page = client.get("/api/v1/posts/p1/comments?sort=quality", headers=auth).get_json()
    del asked[:]
    services.calls.clear()
    both = client.get("/api/v1/posts/p1?comments=quality", headers=auth)
    assert both.status_code == 200 and both.mimetype == "application/json"
    answer = both.get_json()
    assert answer.pop("comments") == page
    assert answer == post
    assert (answer["score"], answer["comment_count"], answer["my_vote"]) == ({"up": 2, "down": 1, "quality": 0.5}, 2, 1)
    assert page["items"][0]["children"][0]["blocked"] is True
    assert asked == [(["u1", "u2"], None)]
    assert [(c[0], c[1]) for c in services.calls if c[0] != "identity" or c[1] != "authenticate"] == [
        ("content", "post_page"),
        ("identity", "get_people"),
        ("communities", "get_subwikis"),
    ]
    # The page asked is the one GET /posts/{id}/comments gives by default, at the cursor passed on.
    cursor = "WyJjMSJd"
    client.get(f"/api/v1/posts/p1?comments=new&comments_cursor={cursor}")
    paged = [c[2] for c in services.calls if c[1] == "post_page"]
    assert paged[-1] == ("p1", None, "new", 25, cursor)
    assert asked[-1] == (["u1", "u2"], None)


def test_a_post_s_page_shows_content_s_numbers_and_asks_the_feed_nothing(client, services, auth):
    """A vote or a comment shows on the post's page as soon as content commits it: with or without its
    discussion, the page shows content's counts and the feed's quality kept in the post's row."""
    serve_a_post_and_its_discussion(services)
    for asked in ("/api/v1/posts/p1", "/api/v1/posts/p1?comments=new"):
        for headers in (auth, {}):
            services.calls.clear()
            shown = client.get(asked, headers=headers).get_json()
            assert shown["score"] == {"up": 2, "down": 1, "quality": 0.5} and shown["comment_count"] == 2
            assert "feed" not in {c[0] for c in services.calls}
            content = [c[1] for c in services.calls if c[0] == "content"]
            assert content == (["post_page"] if "comments" in asked else ["get_post"])


def test_a_post_without_comments_asked_makes_no_discussion_call(client, services):
    serve_a_post_and_its_discussion(services)
    answer = client.get("/api/v1/posts/p1").get_json()
    assert "comments" not in answer
    assert not {"list_comments", "post_page"} & {c[1] for c in services.calls}


def test_a_post_s_discussion_is_asked_by_a_known_sort_and_a_handed_out_cursor(client, services):
    serve_a_post_and_its_discussion(services)
    assert client.get("/api/v1/posts/p1?comments=best").status_code == 400
    assert client.get("/api/v1/posts/p1?comments=new&comments_cursor=not%20a%20cursor").status_code == 400
    assert client.get("/api/v1/posts/p1?sort=new").status_code == 400


def test_a_post_whose_author_and_commenters_are_erased_asks_identity_nothing(client, services):
    serve_a_post_and_its_discussion(services)
    page = {"post": {**POST, "author_id": None}, "comments": {"items": [], "next_cursor": None}}
    services.on("content", "post_page", lambda *args: page)
    answer = client.get("/api/v1/posts/p1?comments=quality").get_json()
    assert answer["author"] is None and answer["comments"] == {"items": [], "next_cursor": None}
    assert "get_people" not in [c[1] for c in services.calls]


def test_a_missing_post_with_its_discussion_is_404(client, services, remote, auth):
    serve_a_post_and_its_discussion(services)
    services.on("content", "post_page", remote("NotFound", "No such post."))
    assert client.get("/api/v1/posts/p9?comments=quality").status_code == 404
    services.on("content", "list_comments", remote("NotFound", "No such post."))
    assert client.get("/api/v1/posts/p9?comments=quality", headers=auth).status_code == 404
    assert client.get("/api/v1/posts/p9/comments", headers=auth).status_code == 404


def test_comments_are_named_by_content_and_by_identity_only_where_content_cannot(client, services, auth):
    """Content's page holds its commenters' names (``people``): a page asks identity's names only of the authors
    it does not name, and none when it names them all (so a visitor's is shown while identity is away); a
    signed-in reader's asks identity nothing more (whom they blocked came with the caller)."""
    reply = {**COMMENT, "id": "c2", "parent_id": "c1", "author_id": "u2", "children": []}
    page = {
        "items": [{**COMMENT, "children": [reply], "more_replies": 0}],
        "next_cursor": None,
        "people": {"u1": {"username": "ann", "display_name": "Ann"}},
    }
    services.on("content", "list_comments", lambda *args: copy.deepcopy(page))
    asked = []

    def get_people(ids, seen_by=None):
        asked.append((ids, seen_by))
        people = {"u1": {"username": "ann", "display_name": "Ann"}, "u2": {"username": "bob", "display_name": "Bob"}}
        return {i: {**people[i], **({"blocked": i == "u2"} if seen_by else {})} for i in ids}

    services.on("identity", "get_people", get_people)
    shown = client.get("/api/v1/posts/p1/comments").get_json()
    assert "people" not in shown
    top = shown["items"][0]
    assert top["author"] == {"id": "u1", "username": "ann", "display_name": "Ann"}
    assert top["children"][0]["author"] == {"id": "u2", "username": "bob", "display_name": "Bob"}
    assert asked == [(["u2"], None)]

    page["people"]["u2"] = {"username": "bob", "display_name": "Bob"}
    services.on("identity", "get_people", identity_away)
    assert client.get("/api/v1/posts/p1/comments").get_json() == shown

    services.blocking("u2")
    services.calls.clear()
    signed_in = client.get("/api/v1/posts/p1/comments", headers=auth).get_json()["items"][0]
    assert [c[1] for c in services.calls if c[0] == "identity" and c[1] != "authenticate"] == []
    assert (signed_in["blocked"], signed_in["children"][0]["blocked"]) == (False, True)
    assert signed_in["children"][0]["author"] == {"id": "u2", "username": "bob", "display_name": "Bob"}


def test_a_visitor_s_post_page_is_named_by_content(client, services):
    """``GET /posts/{id}?comments=``: the post's author named by content's answer (``author_names``) and the
    commenters by its page; identity is asked nothing for a visitor when content names everyone."""
    page = {
        "items": [{**COMMENT, "author_id": "u2", "children": [], "more_replies": 0}],
        "next_cursor": None,
        "people": {"u2": {"username": "bob", "display_name": "Bob"}},
    }
    post = {**POST, "author_names": {"username": "ann", "display_name": "Ann"}}
    services.on("content", "post_page", lambda *args: {"post": dict(post), "comments": copy.deepcopy(page)})
    services.on("communities", "get_subwikis", lambda slugs: {"rivers": {"slug": "rivers", "name": "Rivers"}})
    services.on("identity", "get_people", identity_away)
    shown = client.get("/api/v1/posts/p1?comments=new").get_json()
    assert shown["author"] == {"id": "u1", "username": "ann", "display_name": "Ann"}
    assert shown["comments"]["items"][0]["author"] == {"id": "u2", "username": "bob", "display_name": "Bob"}
    assert "author_names" not in shown and "people" not in shown["comments"]
    assert "identity" not in {call[0] for call in services.calls}


def test_a_signed_in_reader_s_post_page_asks_identity_nothing(client, services, auth):
    """With content naming the post's author and every commenter, a signed-in reader's post page asks identity
    nothing: whom the reader blocked came with the caller."""
    page = {
        "items": [{**COMMENT, "author_id": "u2", "children": [], "more_replies": 0}],
        "next_cursor": None,
        "people": {"u2": {"username": "bob", "display_name": "Bob"}},
    }
    post = {**POST, "my_vote": 1, "held_edits": 0, "author_names": {"username": "ann", "display_name": "Ann"}}
    services.on("content", "post_page", lambda *args: {"post": dict(post), "comments": copy.deepcopy(page)})
    services.on("communities", "get_subwikis", lambda slugs: {"rivers": {"slug": "rivers", "name": "Rivers"}})
    services.on("identity", "get_people", identity_away)
    services.blocking("u2")
    shown = client.get("/api/v1/posts/p1?comments=new", headers=auth).get_json()
    assert shown["author"] == {"id": "u1", "username": "ann", "display_name": "Ann"} and shown["my_vote"] == 1
    comment = shown["comments"]["items"][0]
    assert comment["author"] == {"id": "u2", "username": "bob", "display_name": "Bob"} and comment["blocked"] is True
    assert [c[:2] for c in services.calls if c[1] != "authenticate"] == [
        ("content", "post_page"),
        ("communities", "get_subwikis"),
    ]


def test_a_post_s_own_page_is_named_by_content_and_by_identity_only_where_content_cannot(client, services, auth):
    """``GET /posts/{id}``: the author named by content's answer (``author_names``), identity asked nothing (so
    the page is shown while identity is away); an author content holds no names for is named by identity."""
    post = {**POST, "my_vote": 0, "held_edits": 0, "author_names": {"username": "ann", "display_name": "Ann"}}
    services.on("content", "get_post", lambda post_id, viewer_id: dict(post))
    services.on("communities", "get_subwikis", lambda slugs: {"rivers": {"slug": "rivers", "name": "Rivers"}})
    services.on("identity", "get_people", identity_away)
    for headers in (auth, {}):
        shown = client.get("/api/v1/posts/p1", headers=headers).get_json()
        assert shown["author"] == {"id": "u1", "username": "ann", "display_name": "Ann"}
        assert shown["subwiki"] == {"slug": "rivers", "name": "Rivers"} and "author_names" not in shown
    assert "get_people" not in {call[1] for call in services.calls}

    post["author_names"] = None
    services.on("identity", "get_people", lambda ids: {"u1": {"username": "annie", "display_name": "Annie"}})
    assert client.get("/api/v1/posts/p1").get_json()["author"]["username"] == "annie"
    assert [call[2] for call in services.calls if call[1] == "get_people"] == [(["u1"],)]


def test_a_block_or_an_unblock_shows_on_the_next_page_of_comments(client, services, auth):
    """Whom the reader blocked comes with the caller, kept by this process: blocking or unblocking someone
    drops the reader's kept caller at once (every other process drops it on identity's broadcast), so the next
    page marks whom they block now."""
    page = {
        "items": [{**COMMENT, "author_id": "u2", "children": [], "more_replies": 0}],
        "next_cursor": None,
        "people": {"u2": {"username": "bob", "display_name": "Bob"}},
    }
    services.on("content", "list_comments", lambda *args: copy.deepcopy(page))

    def block_user(user_id, username):
        services.blocks = {"ids": ["u2"], "complete": True}

    def unblock_user(user_id, username):
        services.blocks = {"ids": [], "complete": True}

    services.on("identity", "block_user", block_user)
    services.on("identity", "unblock_user", unblock_user)

    def marked() -> bool:
        return client.get("/api/v1/posts/p9/comments", headers=auth).get_json()["items"][0]["blocked"]

    assert marked() is False
    assert client.put("/api/v1/me/blocks/bob", headers=auth).status_code == 204
    assert marked() is True
    assert client.delete("/api/v1/me/blocks/bob", headers=auth).status_code == 204
    assert marked() is False
    assert [c[1] for c in services.calls].count("authenticate") == 3


def test_a_signed_in_reader_s_discussion_is_shown_while_identity_is_away(client, services, auth):
    """Whom the reader blocked came with the caller: while identity is away, a reader it answered for moments ago
    still sees a page whose commenters content names, with the blocks marked."""
    page = {
        "items": [{**COMMENT, "author_id": "u2", "children": [], "more_replies": 0}],
        "next_cursor": None,
        "people": {"u2": {"username": "bob", "display_name": "Bob"}},
    }
    services.on("content", "list_comments", lambda *args: copy.deepcopy(page))
    services.blocking("u2")
    assert client.get("/api/v1/posts/p8/comments?sort=new", headers=auth).status_code == 200
    services.on("identity", "authenticate", identity_away)
    services.on("identity", "get_people", identity_away)
    shown = client.get("/api/v1/posts/p8/comments?sort=new", headers=auth)
    assert shown.status_code == 200 and shown.get_json()["items"][0]["blocked"] is True


def test_a_caller_answered_without_their_blocks_has_their_page_marked_by_identity(client, services, auth):
    """An identity that answers the caller without whom they blocked (older than this gateway, while a release
    rolls out): the page asks identity about its authors with ``seen_by``, and marks the blocked ones."""
    page = {
        "items": [{**COMMENT, "author_id": "u2", "children": [], "more_replies": 0}],
        "next_cursor": None,
        "people": {"u2": {"username": "bob", "display_name": "Bob"}},
    }
    services.on("content", "list_comments", lambda *args: copy.deepcopy(page))
    services.on("identity", "authenticate", lambda token: {"id": "u1", "username": "ann"})
    services.on(
        "identity",
        "get_people",
        lambda ids, seen_by=None: {
            i: {"username": "bob", "display_name": "Bob", "blocked": seen_by == "u1"} for i in ids
        },
    )
    shown = client.get("/api/v1/posts/p1/comments", headers=auth)
    assert shown.status_code == 200 and shown.get_json()["items"][0]["blocked"] is True
    assert [c[2:] for c in services.calls if c[1] == "get_people"] == [((["u2"],), {"seen_by": "u1"})]
