"""Notification routes: people named in one call, erased ones as "a deleted member", grouped sentences,
targets, the unread count, marking read and the settings, with clear 400s."""

ITEM = {
    "id": 7,
    "kind": "reply_to_post",
    "actor_ids": ["u2", "u3", None],
    "actor_count": 3,
    "count": 4,
    "post_id": "p1",
    "comment_id": "c9",
    "subwiki_id": "s1",
    "detail": {},
    "read": False,
    "occurred_at": "2026-12-02T01:00:00+00:00",
    "post_title": "On rivers",
}


def test_a_page_names_people_and_says_how_many_replied(client, services, auth):
    services.on("feed", "notifications", lambda user, limit, cursor: {"items": [ITEM], "next_cursor": None})
    services.on("identity", "get_people", lambda ids: {"u2": {"username": "bob", "display_name": "Bob"}})
    answer = client.get("/api/v1/notifications", headers=auth)
    assert answer.status_code == 200
    (item,) = answer.get_json()["items"]
    assert item["text"] == "3 people replied to your post “On rivers”."
    assert [a["display_name"] for a in item["actors"]] == ["Bob", "a deleted member", "a deleted member"]
    assert item["actors"][1] == {"id": None, "username": None, "display_name": "a deleted member"}
    assert item["target"] == {"type": "comment", "id": "c9", "post_id": "p1"}
    assert [c[1] for c in services.calls].count("get_people") == 1


def test_a_private_donation_names_nobody_and_no_amount(client, services, auth):
    donation = {
        **ITEM,
        "kind": "donation",
        "actor_ids": [],
        "actor_count": 0,
        "count": 1,
        "post_id": None,
        "comment_id": None,
        "detail": {"public": False},
    }
    services.on("feed", "notifications", lambda user, limit, cursor: {"items": [donation], "next_cursor": None})
    (item,) = client.get("/api/v1/notifications", headers=auth).get_json()["items"]
    assert (item["text"], item["target"]["type"], item["post"]) == (
        "Someone donated to you.",
        "donations",
        {"id": None, "title": None},
    )


def test_held_first_posts_open_the_queue_the_post_or_the_subwiki(client, services, auth):
    held = {**ITEM, "post_id": None, "comment_id": None, "post_title": None, "actor_ids": ["u2"], "actor_count": 1}
    detail = {"held_post_id": "h1", "title": "Hello", "subwiki": "rivers"}
    items = [
        {**held, "id": 9, "kind": "post_held", "count": 1, "detail": detail},
        {**held, "id": 8, "kind": "post_held", "count": 3, "actor_count": 3, "detail": detail},
        {
            **held,
            "id": 7,
            "kind": "post_approved",
            "count": 1,
            "post_id": "h1",
            "post_title": "Hello",
            "detail": detail,
        },
        {**held, "id": 6, "kind": "post_rejected", "count": 1, "detail": detail},
    ]
    services.on("feed", "notifications", lambda user, limit, cursor: {"items": items, "next_cursor": None})
    services.on("identity", "get_people", lambda ids: {"u2": {"username": "bob", "display_name": "Bob"}})
    one, three, approved, rejected = client.get("/api/v1/notifications", headers=auth).get_json()["items"]
    assert one["text"] == "@bob's first post “Hello” waits for your approval in rivers."
    assert three["text"] == "3 first posts wait for your approval in rivers."
    assert one["target"] == three["target"] == {"type": "held_posts", "id": "rivers", "post_id": None}
    assert approved["text"] == "@bob approved your post “Hello”: it is up."
    assert approved["target"] == {"type": "post", "id": "h1", "post_id": "h1"}
    assert rejected["text"] == "@bob rejected your post “Hello”."
    assert rejected["target"] == {"type": "subwiki", "id": "rivers", "post_id": None}


def test_unread_count_marking_read_and_settings(client, services, auth):
    services.on("feed", "unread_notifications", lambda user: 3)
    services.on("feed", "mark_notifications_read", lambda user, up_to: 2 if up_to == 7 else 0)
    services.on("feed", "notification_settings", lambda user: {"mention": True})
    services.on("feed", "change_notification_settings", lambda user, changes: changes)
    assert client.get("/api/v1/notifications/unread", headers=auth).get_json() == {"unread": 3}
    assert client.post("/api/v1/notifications/read", json={"up_to": 7}, headers=auth).get_json()["marked"] == 2
    assert client.post("/api/v1/notifications/read", json={"up_to": "x"}, headers=auth).status_code == 400
    answer = client.patch("/api/v1/me/notification-settings", json={"mention": False}, headers=auth)
    assert answer.get_json() == {"mention": False}
    refused = client.patch("/api/v1/me/notification-settings", json={"poke": False}, headers=auth)
    assert refused.status_code == 400 and "poke" in refused.get_json()["error"]["fields"]
    assert client.get("/api/v1/notifications/unread").status_code == 401
