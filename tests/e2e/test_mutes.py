"""Mute and block through the public API, on the real services: a blocked person's follow ends and a new
one is refused, their reply to the blocker is a 403, their mention of the blocker neither links nor
notifies; the lists, the export and erasure (both directions)."""

import uuid

from tests.e2e.conftest import PASSWORD

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

    # erasure takes mutes and blocks with it, in both directions
    assert api.put(f"{API}/me/mutes/users/{bob['username']}", token=ann_token).status_code == 204
    assert api.put(f"{API}/me/blocks/{ann['username']}", token=bob_token).status_code == 204
    assert api.delete(f"{API}/me", token=bob_token, json={"password": PASSWORD}).status_code == 204
    assert names(api, "/me/mutes/users", ann_token) == []
