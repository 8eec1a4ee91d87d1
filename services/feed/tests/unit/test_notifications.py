"""Notifications kept from events: who is told what, grouped, once, read, turned off, erased."""

from feed.notifications import KINDS

AUTHOR, ADA, BOB, CAT = "author", "ada", "bob", "cat"


class Events:
    def __init__(self, service):
        self.service, self.n = service, 0

    def _id(self):
        self.n += 1
        return f"ev{self.n}"

    def comment(self, comment_id, author, post_author=AUTHOR, parent=None, parent_author=None, mentions=()):
        self.service.notify_comment_created(
            {
                "event_id": self._id(),
                "occurred_at": "2026-12-02T01:00:00+00:00",
                "comment": {
                    "id": comment_id,
                    "post_id": "p1",
                    "subwiki_id": "s1",
                    "author_id": author,
                    "parent_id": parent,
                    "length": 20,
                    "post_author_id": post_author,
                    "parent_author_id": parent_author,
                    "mentions": list(mentions),
                },
            }
        )

    def send(self, handler, entity, data):
        payload = {"event_id": self._id(), entity: data}
        getattr(self.service, handler)(payload)
        return payload


def inbox(service, user):
    return service.notifications(user)["items"]


def test_replies_to_a_post_group_while_unread_with_each_person_once(service):
    events = Events(service)
    events.comment("c1", ADA)
    events.comment("c2", BOB)
    events.comment("c3", ADA)
    events.comment("c4", AUTHOR)  # the author's own comment tells nobody
    (item,) = inbox(service, AUTHOR)
    assert (item["kind"], item["actor_ids"], item["actor_count"], item["count"]) == ("reply_to_post", [ADA, BOB], 2, 3)
    assert item["post_id"] == "p1" and item["comment_id"] == "c3" and item["read"] is False
    assert service.unread_notifications(AUTHOR) == 1

    service.mark_notifications_read(AUTHOR, item["id"])
    events.comment("c5", CAT)
    newest, older = inbox(service, AUTHOR)
    assert (newest["actor_ids"], newest["read"], older["read"]) == ([CAT], False, True)
    assert newest["id"] > older["id"]
    assert service.unread_notifications(AUTHOR) == 1


def test_a_reply_to_a_comment_tells_its_author_and_mentions_tell_once(service):
    events = Events(service)
    events.comment("c2", BOB, parent="c1", parent_author=ADA, mentions=[ADA, CAT])
    assert [n["kind"] for n in inbox(service, ADA)] == ["reply_to_comment"]
    assert [n["kind"] for n in inbox(service, CAT)] == ["mention"]
    assert inbox(service, AUTHOR) == []  # a reply tells the comment's author, not the post's
    events.send(
        "notify_comment_edited",
        "comment",
        {"id": "c2", "post_id": "p1", "author_id": BOB, "length": 30, "mentions": [CAT]},
    )
    assert len(inbox(service, CAT)) == 1


def test_edits_reports_removals_follows_donations_and_badges(service):
    events = Events(service)
    post = {"id": "p1", "author_id": AUTHOR, "subwiki_id": "s1", "title": "T"}
    events.send(
        "notify_post_edit_pending",
        "change",
        {**post, "id": "ch1", "post_id": "p1", "editor_id": BOB, "post_author_id": AUTHOR, "reviewer_ids": [CAT, BOB]},
    )
    events.send("notify_post_edited", "post", {**post, "editor_id": BOB, "accepted_by": CAT, "change_id": "ch1"})
    events.send(
        "notify_post_edit_rejected", "change", {"id": "ch2", "post_id": "p1", "editor_id": BOB, "rejected_by": CAT}
    )
    events.send("notify_post_removed", "post", {**post, "removed_by": CAT, "by_moderator": True, "reason": "spam"})
    events.send(
        "notify_report_resolved",
        "report",
        {"id": "r1", "action": "uphold", "target_type": "post", "target_id": "p1", "reporter_ids": [ADA]},
    )
    events.send("notify_user_followed", "follow", {"follower_id": ADA, "followee_id": AUTHOR, "version": 1})
    events.send("notify_user_followed", "follow", {"follower_id": ADA, "followee_id": AUTHOR, "version": 3})
    events.send(
        "notify_donation_completed",
        "donation",
        {"id": "d1", "donor_id": ADA, "recipient_id": AUTHOR, "amount_cents": 500, "currency": "EUR", "public": False},
    )
    events.send(
        "notify_donation_completed",
        "donation",
        {"id": "d2", "donor_id": CAT, "recipient_id": AUTHOR, "amount_cents": 700, "currency": "EUR", "public": True},
    )
    events.send("notify_user_badge_awarded", "user", {"id": ADA, "badge": "supporter"})

    kinds = {n["kind"]: n for n in inbox(service, AUTHOR)}
    assert set(kinds) == {"edit_held", "edit_applied", "content_removed", "follower", "donation"}
    assert kinds["content_removed"]["detail"] == {"target_type": "post", "reason": "spam"}
    assert kinds["follower"]["count"] == 1  # following again tells nobody again
    private, public = (n for n in inbox(service, AUTHOR)[::-1] if n["kind"] == "donation")
    assert (private["actor_ids"], private["detail"]) == ([], {"public": False})
    assert (public["actor_ids"], public["detail"]["amount_cents"]) == ([CAT], 700)
    assert [n["kind"] for n in inbox(service, CAT)] == ["edit_held"]
    assert sorted(n["kind"] for n in inbox(service, BOB)) == ["edit_accepted", "edit_rejected"]
    assert sorted(n["kind"] for n in inbox(service, ADA)) == ["badge", "report_resolved"]


def test_held_first_posts_tell_the_moderators_then_their_authors(service):
    events = Events(service)

    def held(post_id, author, title):
        return {"id": post_id, "subwiki_id": "s1", "subwiki": "rivers", "author_id": author, "title": title}

    events.send("notify_post_held", "held_post", {**held("h1", ADA, "Hello"), "reviewer_ids": [CAT, BOB]})
    events.send("notify_post_held", "held_post", {**held("h2", AUTHOR, "Buy"), "reviewer_ids": [CAT, BOB]})
    again = events.send("notify_post_held", "held_post", {**held("h2", AUTHOR, "Buy"), "reviewer_ids": [CAT, BOB]})
    service.notify_post_held(again)  # the same event twice tells nobody twice
    (waiting,) = inbox(service, CAT)
    assert (waiting["kind"], waiting["count"], waiting["actor_ids"]) == ("post_held", 2, [AUTHOR, ADA])
    assert waiting["subwiki_id"] == "s1" and waiting["detail"]["subwiki"] == "rivers"
    assert [n["kind"] for n in inbox(service, BOB)] == ["post_held"]

    events.send("notify_held_post_approved", "held_post", {**held("h1", ADA, "Hello"), "approved_by": CAT})
    events.send("notify_held_post_rejected", "held_post", {**held("h2", AUTHOR, "Buy"), "rejected_by": BOB})
    (approved,) = inbox(service, ADA)
    assert (approved["kind"], approved["post_id"], approved["actor_ids"]) == ("post_approved", "h1", [CAT])
    assert approved["detail"] == {"held_post_id": "h1", "title": "Hello", "subwiki": "rivers"}
    (rejected,) = inbox(service, AUTHOR)
    assert (rejected["kind"], rejected["post_id"], rejected["actor_ids"]) == ("post_rejected", None, [BOB])
    assert rejected["detail"]["title"] == "Buy"


def test_kinds_turned_off_leave_the_page_and_the_count(service):
    events = Events(service)
    events.comment("c1", ADA)
    events.send("notify_user_followed", "follow", {"follower_id": BOB, "followee_id": AUTHOR})
    assert service.notification_settings(AUTHOR) == {kind: True for kind in KINDS}
    settings = service.change_notification_settings(AUTHOR, {"reply_to_post": False})
    assert settings["reply_to_post"] is False and settings["follower"] is True
    assert [n["kind"] for n in inbox(service, AUTHOR)] == ["follower"]
    assert service.unread_notifications(AUTHOR) == 1
    service.change_notification_settings(AUTHOR, {"reply_to_post": True})
    assert service.unread_notifications(AUTHOR) == 2


def test_an_erased_person_loses_their_notifications_and_is_nobody_in_others(service):
    events = Events(service)
    events.comment("c1", ADA)
    events.comment("c2", BOB, post_author=ADA)
    service.handle_user_erased({"event_id": "erase-ada", "user": {"id": ADA}})
    assert inbox(service, ADA) == []
    (item,) = inbox(service, AUTHOR)
    assert item["actor_ids"] == [None] and item["actor_count"] == 1
