"""Feeds through the public API: built from events, explained item by item."""

import uuid


def test_feeds_show_posts_with_reasons_and_drop_removed_ones(api, wait_until):
    _, mod = api.register("feedmod")
    writer, writer_token = api.register("writer")
    reader, reader_token = api.register("reader")
    slug = f"feed_{uuid.uuid4().hex[:8]}"
    assert api.post("/api/v1/subwikis", token=mod, json={"slug": slug, "name": "Feed"}).status_code == 201
    for token in (writer_token, reader_token):
        api.put(f"/api/v1/subwikis/{slug}/membership", token=token)
    posts = [
        api.post(
            f"/api/v1/subwikis/{slug}/posts",
            token=writer_token,
            json={"kind": "text", "title": f"Note {n}", "body": "Something worth reading."},
        ).json()
        for n in range(3)
    ]
    api.put(f"/api/v1/posts/{posts[1]['id']}/vote", token=reader_token, json={"value": 1})

    def subwiki_feed():
        page = api.get(f"/api/v1/subwikis/{slug}/posts?sort=new").json()
        return len(page["items"]) == 3 and page

    page = wait_until(subwiki_feed)
    assert [i["post"]["id"] for i in page["items"]] == [p["id"] for p in reversed(posts)]
    first = page["items"][0]
    assert first["post"]["author"]["username"] == writer["username"]
    assert {r["factor"] for r in first["rank"]["reasons"]} >= {"approval", "quality", "decay", "age_hours"}

    voted = wait_until(
        lambda: [
            i
            for i in api.get(f"/api/v1/subwikis/{slug}/posts").json()["items"]
            if i["post"]["id"] == posts[1]["id"] and i["post"]["score"]["up"] == 1
        ]
    )
    assert {r["factor"]: r["value"] for r in voted[0]["rank"]["reasons"]}["up_weight"] > 0

    mine = api.get(f"/api/v1/users/{writer['username']}/posts").json()["items"]
    assert {i["post"]["id"] for i in mine} == {p["id"] for p in posts}

    api.put(f"/api/v1/users/{writer['username']}/follow", token=reader_token)
    home = wait_until(lambda: api.get("/api/v1/feed?sort=new", token=reader_token).json()["items"])
    assert {i["post"]["id"] for i in home} >= {p["id"] for p in posts[:2]}
    assert api.get("/api/v1/feed").status_code == 401

    assert any(
        i["post"]["id"] == posts[0]["id"]
        for i in api.get("/api/v1/feed/public?sort=new&window=day&limit=100").json()["items"]
    )
    assert api.delete(f"/api/v1/posts/{posts[0]['id']}", token=mod).status_code == 204
    assert wait_until(
        lambda: (
            posts[0]["id"]
            not in {i["post"]["id"] for i in api.get(f"/api/v1/subwikis/{slug}/posts?sort=new").json()["items"]}
        ),
        timeout=2,
    )


def test_feed_input_is_validated(api):
    assert api.get("/api/v1/feed/public?sort=viral").status_code == 400
    assert api.get("/api/v1/feed/public?window=year").status_code == 400
    assert api.get("/api/v1/feed/public?cursor=garbage").status_code == 400
    assert api.get("/api/v1/subwikis/no_such_place_here/posts").status_code == 404
    assert api.get("/api/v1/users/no_such_person_here/posts").status_code == 404
