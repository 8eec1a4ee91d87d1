"""A post shows the same numbers on its own page as in the feed once the feed has counted them: the page shows
content's count, which commits with each vote and comment, and the feed counts the same from content's events."""

import uuid

from devstack.client import PASSWORD


def test_the_post_page_and_the_feed_item_agree_after_votes(api, wait_until):
    _, mod = api.register("agreemod")
    writer, writer_token = api.register("agreewriter")
    voters = [api.register(f"agreevoter{n}")[1] for n in range(3)]
    slug = f"agree_{uuid.uuid4().hex[:8]}"
    assert api.post("/api/v1/subwikis", token=mod, json={"slug": slug, "name": "Agree"}).status_code == 201
    for token in (writer_token, *voters):
        api.put(f"/api/v1/subwikis/{slug}/membership", token=token)
    post = api.post(
        f"/api/v1/subwikis/{slug}/posts",
        token=writer_token,
        json={"kind": "text", "title": "Counted once", "body": "Worth a vote."},
    ).json()
    for token, value in zip(voters, (1, 1, -1), strict=True):
        assert api.put(f"/api/v1/posts/{post['id']}/vote", token=token, json={"value": value}).status_code == 200
    # The author's own vote is shown in the counts on both sides; it weighs nothing in the ranking.
    assert api.put(f"/api/v1/posts/{post['id']}/vote", token=writer_token, json={"value": 1}).status_code == 200
    api.delete(f"/api/v1/posts/{post['id']}/vote", token=voters[1])

    def item():
        items = api.get(f"/api/v1/subwikis/{slug}/posts?sort=new").json()["items"]
        found = [i["post"] for i in items if i["post"]["id"] == post["id"]]
        return found and found[0]["score"]["up"] == 2 and found[0]["score"]["down"] == 1 and found[0]

    wait_until(item)

    def agree():
        shown, listed = api.get(f"/api/v1/posts/{post['id']}").json(), item()
        same = listed and shown["score"] == listed["score"] and shown["comment_count"] == listed["comment_count"]
        return same and (shown, listed)

    shown, listed = wait_until(agree)
    assert shown["score"]["quality"] > 0
    # Content knows more of the subwiki than the feed does; the rest of the item is the page's.
    assert {key: shown["subwiki"][key] for key in listed.pop("subwiki")} == {"slug": slug, "name": "Agree"}
    assert {key: shown[key] for key in listed} == listed


def test_counts_follow_comments_removals_and_an_erasure(api, wait_until):
    _, mod = api.register("onemod")
    writer, writer_token = api.register("onewriter")
    voters = [api.register(f"onevoter{n}") for n in range(2)]
    slug = f"one_{uuid.uuid4().hex[:8]}"
    assert api.post("/api/v1/subwikis", token=mod, json={"slug": slug, "name": "One"}).status_code == 201
    for token in (writer_token, *(token for _, token in voters)):
        assert api.put(f"/api/v1/subwikis/{slug}/membership", token=token).status_code == 204

    def write(title):
        made = api.post(
            f"/api/v1/subwikis/{slug}/posts", token=writer_token, json={"kind": "text", "title": title, "body": "x"}
        )
        assert made.status_code == 201, made.text
        return made.json()

    post, other = write("Stays"), write("Goes")
    for _, token in voters:
        assert api.put(f"/api/v1/posts/{post['id']}/vote", token=token, json={"value": 1}).status_code == 200
    comments = [
        api.post(f"/api/v1/posts/{post['id']}/comments", token=token, json={"body": f"Comment {n}"}).json()
        for n, (_, token) in enumerate(voters)
    ]
    assert api.delete(f"/api/v1/comments/{comments[1]['id']}", token=mod).status_code == 204
    assert api.delete(f"/api/v1/posts/{other['id']}", token=mod).status_code == 204
    erased, erased_token = voters[0]
    assert api.delete("/api/v1/me", token=erased_token, json={"password": PASSWORD}).status_code == 204

    def numbers():
        shown = api.get(f"/api/v1/posts/{post['id']}").json()
        items = api.get(f"/api/v1/subwikis/{slug}/posts", params={"sort": "new"}).json()["items"]
        listed = {i["post"]["id"]: i["post"] for i in items}
        subwiki = api.get(f"/api/v1/subwikis/{slug}").json()
        if other["id"] in listed or post["id"] not in listed:
            return None
        mine = listed[post["id"]]
        return (
            (shown["score"], shown["comment_count"]),
            (mine["score"], mine["comment_count"]),
            (subwiki["member_count"], subwiki["post_count"]),
        )

    def settled():
        found = numbers()
        # The quality content shows is the feed's, announced with the others changed within a second.
        return found and found[0][0]["up"] == 1 and found[2] == (3, 1) and found[0] == found[1] and found

    shown, listed, counts = wait_until(settled, timeout=30)
    # One up-vote left (the erased member's is gone), one visible comment counted on both sides,
    # the removed post out of the subwiki's count, the erased member out of its members.
    assert shown == listed and shown[0]["up"] == 1 and shown[0]["down"] == 0
    assert counts == (3, 1)


def test_a_vote_and_a_comment_show_on_the_post_s_page_at_once(api):
    """The post's page shows content's numbers: the member's vote and comment are there in the very next
    request, with or without the discussion, before the feed has counted them."""
    _, mod = api.register("oncemod")
    _, writer_token = api.register("oncewriter")
    _, voter_token = api.register("oncevoter")
    slug = f"once_{uuid.uuid4().hex[:8]}"
    assert api.post("/api/v1/subwikis", token=mod, json={"slug": slug, "name": "Once"}).status_code == 201
    for token in (writer_token, voter_token):
        assert api.put(f"/api/v1/subwikis/{slug}/membership", token=token).status_code == 204
    post = api.post(
        f"/api/v1/subwikis/{slug}/posts", token=writer_token, json={"kind": "text", "title": "Seen", "body": "x"}
    ).json()
    assert api.put(f"/api/v1/posts/{post['id']}/vote", token=voter_token, json={"value": 1}).status_code == 200
    made = api.post(f"/api/v1/posts/{post['id']}/comments", token=voter_token, json={"body": "Seen it."})
    assert made.status_code == 201
    for asked in ("", "?comments=new"):
        shown = api.get(f"/api/v1/posts/{post['id']}{asked}", token=voter_token).json()
        assert (shown["score"]["up"], shown["score"]["down"], shown["comment_count"]) == (1, 0, 1), asked
        assert shown["my_vote"] == 1
    assert [c["id"] for c in shown["comments"]["items"]] == [made.json()["id"]]
