"""Which event tells whom what: one function per event, from its payload's entity to the notes.

The live handlers and the rebuild both go through these, so that a rebuilt inbox says what the
events said. Nobody is told of their own action (``inbox.notify`` drops those).
"""

from __future__ import annotations

from feed.notifications.inbox import Note


def _mentions(entity: dict, author_id: str, kind: str, post_id: str, comment_id: str | None) -> list[Note]:
    target = comment_id or post_id
    return [
        Note(
            person,
            "mention",
            actor_id=author_id,
            once=f"mention:{kind}:{target}",
            post_id=post_id,
            comment_id=comment_id,
            subwiki_id=entity.get("subwiki_id"),
        )
        for person in dict.fromkeys(entity.get("mentions") or [])
    ]


def post_created(post: dict) -> list[Note]:
    return _mentions(post, post["author_id"], "post", post["id"], None)


def post_edited(post: dict) -> list[Note]:
    """The author hears of an edit by someone else; the editor, of their held edit's acceptance."""
    editor, notes = post.get("editor_id"), []
    where = {"post_id": post["id"], "subwiki_id": post.get("subwiki_id")}
    if editor and editor != post["author_id"]:
        notes.append(Note(post["author_id"], "edit_applied", actor_id=editor, group_key=f"edit:{post['id']}", **where))
    if post.get("accepted_by") and editor:
        once = f"accepted:{post['change_id']}" if post.get("change_id") else None
        notes.append(Note(editor, "edit_accepted", actor_id=post["accepted_by"], once=once, **where))
    return notes + _mentions(post, editor or post["author_id"], "post", post["id"], None)


def post_edit_pending(change: dict) -> list[Note]:
    """The post's author and its subwiki's moderators: an edit waits for their review."""
    people = dict.fromkeys([change.get("post_author_id"), *(change.get("reviewer_ids") or [])])
    return [
        Note(
            person,
            "edit_held",
            actor_id=change["editor_id"],
            group_key=f"held:{change['post_id']}",
            post_id=change["post_id"],
            subwiki_id=change.get("subwiki_id"),
            detail={"change_id": change["id"]},
        )
        for person in people
        if person
    ]


def post_edit_rejected(change: dict) -> list[Note]:
    return [
        Note(
            change["editor_id"],
            "edit_rejected",
            actor_id=change.get("rejected_by"),
            once=f"rejected:{change['id']}",
            post_id=change["post_id"],
            subwiki_id=change.get("subwiki_id"),
        )
    ]


def _held_post(held: dict) -> dict:
    """What a held post's notes carry: it is in no feed, so its title and subwiki travel with them."""
    return {"held_post_id": held["id"], "title": held.get("title") or "", "subwiki": held.get("subwiki")}


def post_held(held: dict) -> list[Note]:
    """The subwiki's moderators: a new member's first post waits for their approval (one group per
    subwiki while unread: "3 first posts wait")."""
    return [
        Note(
            person,
            "post_held",
            actor_id=held["author_id"],
            group_key=f"held_posts:{held['subwiki_id']}",
            once=f"held_post:{held['id']}",
            subwiki_id=held["subwiki_id"],
            detail=_held_post(held),
        )
        for person in dict.fromkeys(held.get("reviewer_ids") or [])
        if person
    ]


def held_post_approved(held: dict) -> list[Note]:
    """The author: their post was approved and is up (the post of the same id)."""
    return [
        Note(
            held["author_id"],
            "post_approved",
            actor_id=held.get("approved_by"),
            once=f"held_post_decided:{held['id']}",
            post_id=held["id"],
            subwiki_id=held["subwiki_id"],
            detail=_held_post(held),
        )
    ]


def held_post_rejected(held: dict) -> list[Note]:
    """The author: a moderator rejected their post; it will not be shown."""
    return [
        Note(
            held["author_id"],
            "post_rejected",
            actor_id=held.get("rejected_by"),
            once=f"held_post_decided:{held['id']}",
            subwiki_id=held["subwiki_id"],
            detail=_held_post(held),
        )
    ]


def post_removed(post: dict) -> list[Note]:
    if not post.get("by_moderator"):
        return []
    return [
        Note(
            post["author_id"],
            "content_removed",
            once=f"removed:post:{post['id']}",
            post_id=post["id"],
            subwiki_id=post.get("subwiki_id"),
            detail={"target_type": "post", "reason": post.get("reason") or ""},
        )
    ]


def comment_created(comment: dict) -> list[Note]:
    """A reply tells the author of the comment it answers; a top-level comment, the post's author;
    then the people it mentions (those told of the reply already are not told twice)."""
    author, notes = comment["author_id"], []
    where = {"post_id": comment["post_id"], "comment_id": comment["id"], "subwiki_id": comment.get("subwiki_id")}
    if comment.get("parent_id"):
        if comment.get("parent_author_id"):
            key = f"replies:comment:{comment['parent_id']}"
            notes.append(Note(comment["parent_author_id"], "reply_to_comment", actor_id=author, group_key=key, **where))
    elif comment.get("post_author_id"):
        key = f"replies:post:{comment['post_id']}"
        notes.append(Note(comment["post_author_id"], "reply_to_post", actor_id=author, group_key=key, **where))
    told = {note.recipient_id for note in notes}
    mentions = _mentions(comment, author, "comment", comment["post_id"], comment["id"])
    return notes + [note for note in mentions if note.recipient_id not in told]


def comment_edited(comment: dict) -> list[Note]:
    return _mentions(comment, comment["author_id"], "comment", comment["post_id"], comment["id"])


def comment_removed(comment: dict) -> list[Note]:
    if not comment.get("by_moderator") or not comment.get("author_id"):
        return []
    return [
        Note(
            comment["author_id"],
            "content_removed",
            once=f"removed:comment:{comment['id']}",
            post_id=comment["post_id"],
            comment_id=comment["id"],
            subwiki_id=comment.get("subwiki_id"),
            detail={"target_type": "comment", "reason": comment.get("reason") or ""},
        )
    ]


def report_resolved(report: dict) -> list[Note]:
    """Each person whose report this closed hears how (upheld: the content was removed; dismissed)."""
    post_id = report.get("post_id") or (report["target_id"] if report.get("target_type") == "post" else None)
    return [
        Note(
            person,
            "report_resolved",
            once=f"report:{report['id']}:{person}",
            post_id=post_id,
            comment_id=report["target_id"] if report.get("target_type") == "comment" else None,
            subwiki_id=report.get("subwiki_id"),
            detail={"action": report.get("action"), "target_type": report.get("target_type")},
        )
        for person in dict.fromkeys(report.get("reporter_ids") or [])
    ]


def user_followed(follow: dict) -> list[Note]:
    return [
        Note(
            follow["followee_id"],
            "follower",
            actor_id=follow["follower_id"],
            group_key="followers",
            once=f"follower:{follow['follower_id']}",
        )
    ]


def donation_completed(donation: dict) -> list[Note]:
    """A creator hears of a donation to them: who and how much only when the donor made it public."""
    recipient = donation.get("recipient_id")
    if not recipient or recipient == donation.get("donor_id"):
        return []
    public = bool(donation.get("public"))
    detail = {"public": public}
    if public:
        detail.update(amount_cents=donation.get("amount_cents"), currency=donation.get("currency"))
    return [
        Note(
            recipient,
            "donation",
            actor_id=donation.get("donor_id") if public else None,
            once=f"donation:{donation['id']}",
            detail=detail,
        )
    ]


def user_badge_awarded(user: dict) -> list[Note]:
    badge = user.get("badge", "supporter")
    return [Note(user["id"], "badge", once=f"badge:{badge}", detail={"badge": badge})]
