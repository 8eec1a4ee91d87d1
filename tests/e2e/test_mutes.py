"""Mute and block through the public API, on the real services: a blocked person's follow ends and a new
one is refused, their reply to the blocker is a 403, their mention of the blocker neither links nor
notifies; the lists, the export and erasure (both directions)."""

import uuid

from devstack.client import PASSWORD

API = "/api/v1"


def names(api, path, token):
    answer = api.get(f"{API}{path}", token=token)
    assert answer.status_code == 200, answer.text
    return [item["person"]["username"] for item in answer.json()["items"]]


def test_a_block_keeps_someone_from_following_replying_and_mentioning(api, wait_until):
    ann, ann_token = api.register("bann")
    bob, bob_token = api.register("bbob")
    slug = f"blocks_{uuid.uuid4().hex[:8]}"
    assert api.post(f"{API}/subwikis", token=ann_token, json={"slug": slug, "name": "Blocks"}).status_code == 201
    assert api.put(f"{API}/subwikis/{slug}/membership", token=bob_token).status_code == 204
    post = api.post(
        f"{API}/subwikis/{slug}/posts", token=ann_token, json={"kind": "text", "title": "Mine", "body": "Hello."}
    ).json()
    comments = f"{API}/posts/{post['id']}/comments"
    assert api.put(f"{API}/users/{ann['username']}/follow", token=bob_token).status_code == 204

    assert api.put(f"{API}/me/blocks/{bob['username']}", token=ann_token).status_code == 204
    assert names(api, "/me/blocks", ann_token) == [bob["username"]]
    assert ann["username"] not in api.get(f"{API}/me", token=bob_token).json()["following"]
    refused = api.put(f"{API}/users/{ann['username']}/follow", token=bob_token)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"

    # content hears of the block from identity's event: a reply is refused once it has
    def reply_refused():
        answer = api.post(comments, token=bob_token, json={"body": "Let me answer."})
        return answer.json()["error"] if answer.status_code == 403 else None

    assert wait_until(reply_refused)["code"] == "forbidden"
    mention = api.post(
        f"{API}/subwikis/{slug}/posts",
        token=bob_token,
        json={"kind": "text", "title": "Hi", "body": f"Hello @{ann['username']}."},
    ).json()
    assert f"/u/{ann['username']}" not in mention["body_html"]

    exported = api.get(f"{API}/me/export", token=ann_token).json()["identity"]
    assert exported["blocks"] == [bob["username"]] and exported["mutes"] == {"users": [], "subwikis": []}

    # unblocked, they may answer again
    assert api.delete(f"{API}/me/blocks/{bob['username']}", token=ann_token).status_code == 204
    wait_until(lambda: api.post(comments, token=bob_token, json={"body": "Thanks."}).status_code == 201)
    assert api.put(f"{API}/users/{ann['username']}/follow", token=bob_token).status_code == 204

    # the comments of someone the reader blocked are marked for that reader only (a reply sent before content
    # heard of the first block went in, and is bob's too)
    assert api.put(f"{API}/me/blocks/{bob['username']}", token=ann_token).status_code == 204
    seen = {c["body"]: c["blocked"] for c in api.get(comments, token=ann_token).json()["items"]}
    assert seen["Thanks."] is True and set(seen) <= {"Thanks.", "Let me answer."} and all(seen.values())
    for token in (bob_token, None):
        marks = [c["blocked"] for c in api.get(comments, token=token).json()["items"]]
        assert len(marks) == len(seen) and not any(marks)
    assert api.delete(f"{API}/me/blocks/{bob['username']}", token=ann_token).status_code == 204

    # erasure takes mutes and blocks with it, in both directions
    assert api.put(f"{API}/me/mutes/users/{bob['username']}", token=ann_token).status_code == 204
    assert api.put(f"{API}/me/blocks/{ann['username']}", token=bob_token).status_code == 204
    assert api.delete(f"{API}/me", token=bob_token, json={"password": PASSWORD}).status_code == 204
    assert names(api, "/me/mutes/users", ann_token) == []


def post(api, token, slug, title, body="Words."):
    answer = api.post(f"{API}/subwikis/{slug}/posts", token=token, json={"kind": "text", "title": title, "body": body})
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def feed_ids(api, path, token=None):
    params = {"sort": "new", "limit": 100, **({"window": "all"} if path == "/feed/public" else {})}
    answer = api.get(f"{API}{path}", token=token, params=params)
    assert answer.status_code == 200, answer.text
    return {item["post"]["id"] for item in answer.json()["items"]}


def test_mutes_leave_the_home_feed_the_front_page_and_notifications(api, wait_until):
    reader, reader_token = api.register("mreader")
    loud, loud_token = api.register("mloud")
    calm, calm_token = api.register("mcalm")
    slugs = [f"mutes_{uuid.uuid4().hex[:8]}" for _ in range(2)]
    for slug in slugs:
        assert api.post(f"{API}/subwikis", token=calm_token, json={"slug": slug, "name": "Mutes"}).status_code == 201
        for token in (reader_token, loud_token):
            assert api.put(f"{API}/subwikis/{slug}/membership", token=token).status_code == 204
    assert api.put(f"{API}/users/{loud['username']}/follow", token=reader_token).status_code == 204
    assert api.put(f"{API}/me/mutes/users/{loud['username']}", token=reader_token).status_code == 204
    assert api.put(f"{API}/me/mutes/subwikis/{slugs[1]}", token=reader_token).status_code == 204
    listed = api.get(f"{API}/me/mutes/subwikis", token=reader_token).json()["items"]
    assert [item["subwiki"]["slug"] for item in listed] == [slugs[1]]

    by_loud = post(api, loud_token, slugs[0], "Loud", body=f"Hey @{reader['username']}!")
    in_muted = post(api, calm_token, slugs[1], "Elsewhere")
    kept = post(api, calm_token, slugs[0], "Calm", body=f"Hello @{reader['username']}.")
    # the calm mention arrives (after the loud one, on the same queue): the loud one never does
    mentions = wait_until(lambda: api.get(f"{API}/notifications", token=reader_token).json()["items"])
    assert [n["actors"][0]["username"] for n in mentions] == [calm["username"]]

    home = wait_until(lambda: (ids := feed_ids(api, "/feed", reader_token)) and kept in ids and ids)
    assert by_loud not in home and in_muted not in home
    front = wait_until(lambda: (ids := feed_ids(api, "/feed/public")) >= {by_loud, in_muted, kept} and ids)
    assert front >= {by_loud, in_muted, kept}  # for everyone else, and signed out
    mine = feed_ids(api, "/feed/public", reader_token)
    assert kept in mine and by_loud not in mine and in_muted not in mine
    assert in_muted in feed_ids(api, f"/subwikis/{slugs[1]}/posts")  # the subwiki's own page, asked for

    # unmuted, they come back
    assert api.delete(f"{API}/me/mutes/users/{loud['username']}", token=reader_token).status_code == 204
    assert api.delete(f"{API}/me/mutes/subwikis/{slugs[1]}", token=reader_token).status_code == 204
    wait_until(lambda: feed_ids(api, "/feed", reader_token) >= {by_loud, in_muted, kept})
