"""Notifications through the public API: replies grouped, mentions linked and notified once each,
marking read, settings, and an erased replier shown as a deleted member. Prints how long a mention
took to reach its reader after the gateway answered the comment (measured, not asserted)."""

import time
import uuid

from devstack.client import PASSWORD

API = "/api/v1"


def items(api, token):
    answer = api.get(f"{API}/notifications", token=token)
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def test_replies_mentions_reading_settings_and_erasure(api, wait_until):
    author, author_token = api.register("nauthor")
    mentioned, mentioned_token = api.register("nmention")
    repliers = [api.register(f"nreply{n}") for n in range(3)]
    slug = f"notify_{uuid.uuid4().hex[:8]}"
    assert api.post(f"{API}/subwikis", token=author_token, json={"slug": slug, "name": "Notify"}).status_code == 201
    for _, token in (*repliers, (mentioned, mentioned_token)):
        assert api.put(f"{API}/subwikis/{slug}/membership", token=token).status_code == 204
    body = f"Thoughts for @{mentioned['username']} and @nobody_{uuid.uuid4().hex[:6]}."
    post = api.post(
        f"{API}/subwikis/{slug}/posts", token=author_token, json={"kind": "text", "title": "Rivers", "body": body}
    ).json()
    assert f'href="/u/{mentioned["username"]}" class="mention"' in post["body_html"]
    assert "/u/nobody_" not in post["body_html"]

    first = None
    for _, token in repliers:
        comment = api.post(f"{API}/posts/{post['id']}/comments", token=token, json={"body": "A reply."})
        first = first or comment.json()
    grouped = wait_until(
        lambda: [n for n in items(api, author_token) if n["kind"] == "reply_to_post" and n["actor_count"] == 3]
    )[0]
    assert grouped["text"] == "3 people replied to your post “Rivers”."
    assert grouped["target"]["post_id"] == post["id"] and grouped["read"] is False
    assert api.get(f"{API}/notifications/unread", token=author_token).json() == {"unread": 1}

    mention = wait_until(lambda: items(api, mentioned_token))[0]
    assert (mention["kind"], mention["actors"][0]["username"]) == ("mention", author["username"])

    # a reply to a comment tells the comment's author
    api.post(
        f"{API}/posts/{post['id']}/comments",
        token=author_token,
        json={"body": "Thanks!", "parent_id": first["id"]},
    )
    replied = wait_until(lambda: items(api, repliers[0][1]))[0]
    assert replied["kind"] == "reply_to_comment" and replied["target"]["type"] == "comment"

    # read up to an id
    marked = api.post(f"{API}/notifications/read", token=author_token, json={"up_to": grouped["id"]}).json()
    assert marked == {"marked": 1, "unread": 0}

    # a kind turned off leaves the list and the count
    settings = api.patch(f"{API}/me/notification-settings", token=mentioned_token, json={"mention": False}).json()
    assert settings["mention"] is False and settings["follower"] is True
    assert items(api, mentioned_token) == []
    api.patch(f"{API}/me/notification-settings", token=mentioned_token, json={"mention": True})

    # an erased replier's notifications go; in others' they are a deleted member
    gone_token = repliers[0][1]
    assert api.delete(f"{API}/me", token=gone_token, json={"password": PASSWORD}).status_code == 204
    names = wait_until(
        lambda: [a["display_name"] for n in items(api, author_token) for a in n["actors"] if a["id"] is None]
    )
    assert names == ["a deleted member"]


def test_delivery_time_of_a_mention(api):
    """From the gateway's answer to a comment to its mention counted for the reader (printed)."""
    author, author_token = api.register("nlat")
    reader, reader_token = api.register("nlatread")
    slug = f"latency_{uuid.uuid4().hex[:8]}"
    api.post(f"{API}/subwikis", token=author_token, json={"slug": slug, "name": "Latency"})
    post = api.post(
        f"{API}/subwikis/{slug}/posts", token=author_token, json={"kind": "text", "title": "T", "body": "B"}
    ).json()
    delays = []
    for n in range(30):
        api.post(f"{API}/posts/{post['id']}/comments", token=author_token, json={"body": f"@{reader['username']} {n}"})
        answered = time.monotonic()
        while api.get(f"{API}/notifications/unread", token=reader_token).json()["unread"] < n + 1:
            assert time.monotonic() - answered < 15, "the mention never arrived"
            time.sleep(0.005)
        delays.append(time.monotonic() - answered)
    delays.sort()
    p50, p99 = delays[len(delays) // 2], delays[min(len(delays) - 1, int(len(delays) * 0.99))]
    print(
        f"\nmention delivery after the gateway's answer: p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
        f"max {delays[-1] * 1000:.0f} ms over {len(delays)}"
    )


def test_held_first_posts_tell_the_moderators_then_their_authors(api, wait_until):
    """A first post held for approval: the subwiki's moderator hears it waits (two in one group, with the
    queue to open), then each author hears it was approved (the post to open) or rejected."""
    mod, mod_token = api.register("nheldmod")
    slug = f"held_{uuid.uuid4().hex[:8]}"
    assert api.post(f"{API}/subwikis", token=mod_token, json={"slug": slug, "name": "Held"}).status_code == 201
    assert api.put(f"{API}/subwikis/{slug}/first-post-approval", token=mod_token).status_code == 204
    held = []
    for name, title in (("nheldok", "Hello"), ("nheldno", "Buy pills")):
        person, token = api.register(name)
        assert api.put(f"{API}/subwikis/{slug}/membership", token=token).status_code == 204
        answer = api.post(
            f"{API}/subwikis/{slug}/posts", token=token, json={"kind": "text", "title": title, "body": "First."}
        )
        assert answer.status_code == 202, answer.text
        held.append((person, token, answer.json()["held_post"]))

    waiting = wait_until(lambda: [n for n in items(api, mod_token) if n["kind"] == "post_held" and n["count"] == 2])[0]
    assert waiting["text"] == f"2 first posts wait for your approval in {slug}."
    assert waiting["target"] == {"type": "held_posts", "id": slug, "post_id": None}
    assert [a["username"] for a in waiting["actors"]] == [held[1][0]["username"], held[0][0]["username"]]

    (_, ok_token, ok_post), (_, no_token, no_post) = held
    assert api.post(f"{API}/held-posts/{ok_post['id']}/approve", token=mod_token).status_code == 200
    assert api.post(f"{API}/held-posts/{no_post['id']}/reject", token=mod_token).status_code == 204
    (approved,) = wait_until(lambda: items(api, ok_token))
    assert approved["kind"] == "post_approved" and approved["target"]["id"] == ok_post["id"]
    assert approved["text"] == f"@{mod['username']} approved your post “Hello”: it is up."
    (rejected,) = wait_until(lambda: items(api, no_token))
    assert rejected["kind"] == "post_rejected" and rejected["detail"]["title"] == "Buy pills"
    assert rejected["target"] == {"type": "subwiki", "id": slug, "post_id": None}
    # Decided, both stay in their authors' exports.
    assert [h["status"] for h in api.get(f"{API}/me/export", token=no_token).json()["content"]["held_posts"]] == [
        "rejected"
    ]
    assert api.get(f"{API}/subwikis/{slug}/held-posts", token=mod_token).json()["items"] == []
