"""Spam defences through the public API: a moderator removes a post as spam, its author's other recent posts
leave the feeds, and identity lowers the author's trust."""

import uuid


def test_remove_as_spam_clears_the_authors_posts_from_the_feeds_and_lowers_their_trust(api, wait_until):
    moderator, mod_token = api.register("mod")
    spammer, spammer_token = api.register("spammer")
    reader, reader_token = api.register("reader")
    slug = f"spam_{uuid.uuid4().hex[:8]}"
    assert api.post("/api/v1/subwikis", token=mod_token, json={"slug": slug, "name": "Spam"}).status_code == 201
    for token in (spammer_token, reader_token):
        assert api.put(f"/api/v1/subwikis/{slug}/membership", token=token).status_code == 204

    def write(token, title):
        made = api.post(
            f"/api/v1/subwikis/{slug}/posts", token=token, json={"kind": "text", "title": title, "body": "."}
        )
        assert made.status_code == 201, made.text
        return made.json()["id"]

    real = write(reader_token, "A real post")
    pills = [write(spammer_token, "Cheap pills"), write(spammer_token, "Cheaper pills")]

    # The spammer first earns a little trust: an edit of the reader's post, held, then accepted.
    held = api.patch(
        f"/api/v1/posts/{real}", token=spammer_token, json={"title": "A real post, edited", "base_revision": 1}
    )
    assert held.status_code == 202, held.text
    accepted = api.post(f"/api/v1/posts/{real}/pending/{held.json()['change_id']}/accept", token=mod_token)
    assert accepted.status_code == 200, accepted.text

    def trust():
        return api.get(f"/api/v1/users/{spammer['username']}").json()["trust"]

    earned = wait_until(lambda: trust() > 0.1 and trust())

    def on_subwiki_page():
        return {item["post"]["id"] for item in api.get(f"/api/v1/subwikis/{slug}/posts?sort=new").json()["items"]}

    assert wait_until(lambda: {real, *pills} <= on_subwiki_page())

    assert api.post(f"/api/v1/posts/{pills[0]}/spam", token=reader_token).status_code == 403
    removed = api.post(f"/api/v1/posts/{pills[0]}/spam", token=mod_token)
    assert removed.status_code == 200, removed.text
    assert removed.json() == {"post_id": pills[0], "author_id": spammer["id"], "removed_post_ids": sorted(pills)}
    assert wait_until(lambda: on_subwiki_page() == {real})
    public = {i["post"]["id"] for i in api.get("/api/v1/feed/public?sort=new&window=day&limit=100").json()["items"]}
    assert not set(pills) & public
    assert wait_until(lambda: trust() < earned)
    assert api.get(f"/api/v1/posts/{pills[1]}").status_code == 404
