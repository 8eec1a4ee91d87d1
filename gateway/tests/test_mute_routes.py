"""Mutes and blocks: the caller's, never a body's; subwikis named by slug, kept by id; the answers' shapes."""

PERSON = {"id": "u2", "username": "bob", "display_name": "Bob"}


def test_mutes_and_blocks_act_for_the_caller(client, services, auth):
    for method in ("mute_user", "block_user", "unblock_user"):
        services.on("identity", method, lambda *args: None)
    assert client.put("/api/v1/me/mutes/users/bob", headers=auth).status_code == 204
    assert client.delete("/api/v1/me/mutes/users/bob", headers=auth).status_code == 204
    assert client.put("/api/v1/me/blocks/bob", headers=auth).status_code == 204
    assert client.delete("/api/v1/me/blocks/bob", headers=auth).status_code == 204
    made = [(method, args) for _service, method, args, _ in services.calls if _service == "identity"]
    assert ("mute_user", ("u1", "bob", True)) in made and ("mute_user", ("u1", "bob", False)) in made
    assert ("block_user", ("u1", "bob")) in made and ("unblock_user", ("u1", "bob")) in made


def test_a_subwiki_is_muted_by_the_id_communities_gives_its_slug(client, services, auth, remote):
    services.on("communities", "get_subwiki", lambda slug: {"id": "s1", "slug": slug})
    services.on("identity", "mute_subwiki", lambda *args: None)
    assert client.put("/api/v1/me/mutes/subwikis/rivers", headers=auth).status_code == 204
    assert ("identity", "mute_subwiki", ("u1", "s1", "rivers", True), {}) in services.calls
    services.on("communities", "get_subwiki", remote("NotFound", "No such subwiki."))
    response = client.delete("/api/v1/me/mutes/subwikis/nowhere", headers=auth)
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def test_lists_are_pages_with_people_and_named_subwikis(client, services, auth):
    page = {"items": [{"person": PERSON, "created_at": "2026-12-02T00:00:00+00:00"}], "next_cursor": None}
    services.on("identity", "muted_people", lambda user_id, limit, cursor: page)
    services.on("identity", "blocked_people", lambda user_id, limit, cursor: page)
    subwikis = {"items": [{"subwiki": {"id": "s1", "slug": "rivers"}, "created_at": "2026-12-02T00:00:00+00:00"}]}
    services.on("identity", "muted_subwikis", lambda user_id, limit, cursor: {**subwikis, "next_cursor": None})
    services.on("communities", "get_subwikis", lambda slugs: {"rivers": {"slug": "rivers", "name": "Rivers"}})
    assert client.get("/api/v1/me/mutes/users", headers=auth).get_json()["items"][0]["person"] == PERSON
    assert client.get("/api/v1/me/blocks?limit=5", headers=auth).get_json() == page
    listed = client.get("/api/v1/me/mutes/subwikis", headers=auth).get_json()
    assert listed["items"][0]["subwiki"] == {"slug": "rivers", "name": "Rivers"}
    assert client.get("/api/v1/me/blocks?colour=red", headers=auth).status_code == 400


def test_mutes_need_a_signed_in_caller(client):
    response = client.put("/api/v1/me/blocks/bob")
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthenticated"


def test_a_blocked_follower_is_told_so(client, services, auth, remote):
    services.on("identity", "follow_user", remote("Forbidden", "This person blocked you."))
    response = client.put("/api/v1/users/ann/follow", headers=auth)
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"


def test_the_front_page_is_the_signed_in_reader_s(client, services, auth):
    page = {"items": [], "next_cursor": None}
    services.on("feed", "public_feed", lambda *args, viewer_id=None: page)
    assert client.get("/api/v1/feed/public").status_code == 200
    assert client.get("/api/v1/feed/public", headers=auth).status_code == 200
    asked = [kwargs for service, method, _, kwargs in services.calls if method == "public_feed"]
    assert asked == [{}, {"viewer_id": "u1"}]
