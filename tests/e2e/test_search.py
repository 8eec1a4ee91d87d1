"""Search through the public API: each post stemmed in its own language (English or French), removed posts never
found, pages; the feed's quality blended in."""

import uuid

from devstack.client import PASSWORD


def test_search_finds_stemmed_words_in_both_languages_and_pages(api, wait_until):
    _, token = api.register("searcher")
    slug = f"search_{uuid.uuid4().hex[:8]}"
    # Communities knows the new member once identity's event reaches it (404 "No such user" until then).
    made = lambda: api.post("/api/v1/subwikis", token=token, json={"slug": slug, "name": "Search"})  # noqa: E731
    wait_until(lambda: made().status_code == 201)
    word = uuid.uuid4().hex[:8]  # this test's posts alone carry it

    def post(title, body, **extra):
        response = api.post(
            f"/api/v1/subwikis/{slug}/posts",
            token=token,
            json={"kind": "text", "title": title, "body": body, **extra.pop("json", {})},
            **extra,
        )
        assert response.status_code == 201, response.text
        return response.json()

    english = post("Salmon swimming upstream", f"They were jumping the weirs {word}.")
    assert english["language"] == "en"
    english = english["id"]
    french = post("Les saumons des rivières", f"Ils nageaient vers les sources {word}.", json={"language": "fr"})
    assert french["language"] == "fr"
    french = french["id"]
    # The same French words in a post written from a French browser: French too (its Accept-Language).
    asked = post("Truites", "Elles nageaient.", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.8"})
    assert asked["language"] == "fr"
    # Said to be English: stemmed as English, so French stems do not find it.
    mislabelled = post("Truites", f"Elles nageaient {word}.", json={"language": "en"})["id"]
    removed = post("Swimming salmon, removed", f"Gone {word}.")["id"]
    assert api.delete(f"/api/v1/posts/{removed}", token=token).status_code == 204

    def found(**params):
        response = api.get("/api/v1/search", params={"subwiki": slug, **params})
        assert response.status_code == 200, response.text
        return response.json()

    page = found(q="swims")
    assert [item["post"]["id"] for item in page["items"]] == [english]
    assert page["items"][0]["post"]["author"]["username"].startswith("searcher_")
    assert [item["post"]["id"] for item in found(q="saumon")["items"]] == [french]
    assert sorted(item["post"]["id"] for item in found(q="nager")["items"]) == sorted([asked["id"], french])
    assert mislabelled not in [item["post"]["id"] for item in found(q="nager")["items"]]
    changed = api.patch(f"/api/v1/posts/{mislabelled}", token=token, json={"base_revision": 1, "language": "fr"})
    assert changed.status_code == 200 and changed.json()["language"] == "fr"
    assert mislabelled in [item["post"]["id"] for item in found(q="nager")["items"]]
    assert api.delete(f"/api/v1/posts/{mislabelled}", token=token).status_code == 204

    seen, cursor = [], None
    for _ in range(3):
        page = found(q=word, sort="new", limit=1, **({"cursor": cursor} if cursor else {}))
        seen += [item["post"]["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [french, english] and cursor is None

    for bad in ({}, {"q": ""}, {"q": "x" * 201}, {"q": "x", "kind": "user"}, {"q": "x", "sort": "old"}):
        response = api.get("/api/v1/search", params=bad)
        assert response.status_code == 400, (bad, response.text)


def test_the_feeds_quality_orders_and_lifts_matches_not_content_s_own_vote_count(api, wait_until):
    """The author's own up-vote counts in the post's votes but nothing in the feed's quality; another person's
    substantive comment counts in the quality but not in the votes."""
    _, author = api.register("searchq")
    _, reader = api.register("searchr")
    slug = f"searchq_{uuid.uuid4().hex[:8]}"
    assert api.post("/api/v1/subwikis", token=author, json={"slug": slug, "name": "Search quality"}).status_code == 201
    assert api.put(f"/api/v1/subwikis/{slug}/membership", token=reader).status_code == 204
    word = uuid.uuid4().hex[:8]
    made = []
    for title in ("Herons at dawn", "Herons at dusk"):
        response = api.post(
            f"/api/v1/subwikis/{slug}/posts", token=author, json={"kind": "text", "title": title, "body": word}
        )
        assert response.status_code == 201, response.text
        made.append(response.json()["id"])
    self_voted, discussed = made
    assert api.put(f"/api/v1/posts/{self_voted}/vote", token=author, json={"value": 1}).status_code == 200
    comment = "I watched them from the bridge for an hour; they stood still until the light came up over the river."
    assert api.post(f"/api/v1/posts/{discussed}/comments", token=reader, json={"body": comment}).status_code == 201

    def order(sort):
        response = api.get("/api/v1/search", params={"q": word, "subwiki": slug, "sort": sort})
        assert response.status_code == 200, response.text
        return [item["post"]["id"] for item in response.json()["items"]]

    wait_until(lambda: order("quality") == [discussed, self_voted])
    assert order("relevance") == [discussed, self_voted]


def test_comments_are_searched_in_their_posts_language(api):
    _, token = api.register("searchc")
    slug = f"searchc_{uuid.uuid4().hex[:8]}"
    assert api.post("/api/v1/subwikis", token=token, json={"slug": slug, "name": "Comments"}).status_code == 201
    word = uuid.uuid4().hex[:8]
    posts = {}
    for language, title in (("fr", "Truites"), ("en", "Trout")):
        made = api.post(
            f"/api/v1/subwikis/{slug}/posts",
            token=token,
            json={"kind": "text", "title": title, "body": "Eau.", "language": language},
        )
        assert made.status_code == 201, made.text
        posts[language] = made.json()["id"]
    comments = {}
    for language, post_id in posts.items():
        made = api.post(f"/api/v1/posts/{post_id}/comments", token=token, json={"body": f"Elles nageaient {word}."})
        assert made.status_code == 201, made.text
        comments[language] = made.json()["id"]

    def found(q):
        response = api.get("/api/v1/search", params={"q": q, "kind": "comment", "subwiki": slug})
        assert response.status_code == 200, response.text
        return sorted(item["comment"]["id"] for item in response.json()["items"])

    assert found(f"nager {word}") == [comments["fr"]]  # French stems, under the French post alone
    assert found(word) == sorted(comments.values())


def test_a_found_post_shows_its_authors_new_name_and_its_votes_as_the_feed_does_and_never_once_erased(api, wait_until):
    """Content answers the names and numbers of the posts it finds (kept from identity's and communities'
    events, its own counts): after a rename and a vote a hit shows what the same post shows in the feed, and
    an erased person's post is never found."""
    _, author = api.register("searchn")
    _, voter = api.register("searchv")
    slug = f"searchn_{uuid.uuid4().hex[:8]}"
    assert api.post("/api/v1/subwikis", token=author, json={"slug": slug, "name": "Named search"}).status_code == 201
    assert api.put(f"/api/v1/subwikis/{slug}/membership", token=voter).status_code == 204
    word = uuid.uuid4().hex[:8]
    made = api.post(
        f"/api/v1/subwikis/{slug}/posts", token=author, json={"kind": "text", "title": "Kestrels", "body": word}
    )
    assert made.status_code == 201, made.text
    post_id = made.json()["id"]

    def hit():
        response = api.get("/api/v1/search", params={"q": word, "subwiki": slug})
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        return items[0]["post"] if items else None

    def listed():
        response = api.get(f"/api/v1/subwikis/{slug}/posts", params={"sort": "new"})
        assert response.status_code == 200, response.text
        return next((item["post"] for item in response.json()["items"] if item["post"]["id"] == post_id), None)

    assert hit()["subwiki"] == {"slug": slug, "name": "Named search"}
    assert api.patch("/api/v1/me", token=author, json={"display_name": "Kestrel Watcher"}).status_code == 200
    assert api.put(f"/api/v1/posts/{post_id}/vote", token=voter, json={"value": 1}).status_code == 200
    assert api.put(f"/api/v1/posts/{post_id}/vote", token=author, json={"value": 1}).status_code == 200
    shown = wait_until(lambda: (found := hit())["author"]["display_name"] == "Kestrel Watcher" and found)
    assert shown["score"]["up"] == 2 and shown["score"]["down"] == 0
    in_feed = wait_until(lambda: (entry := listed()) and entry["score"]["up"] == 2 and entry)
    assert {key: shown[key] for key in ("author", "subwiki", "comment_count")} == {
        key: in_feed[key] for key in ("author", "subwiki", "comment_count")
    }
    assert shown["score"]["up"] == in_feed["score"]["up"] and shown["score"]["down"] == in_feed["score"]["down"]

    assert api.delete("/api/v1/me", token=author, json={"password": PASSWORD}).status_code == 204
    wait_until(lambda: hit() is None)
