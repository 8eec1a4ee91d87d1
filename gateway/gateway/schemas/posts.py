"""Answers about posts: a post, its wiki history, held edits, comments, votes, reports, uploads."""

from __future__ import annotations

from marshmallow import fields, validate

from gateway.schemas.base import Answer, page_of, time_field
from gateway.schemas.people import ERASED, Person
from gateway.schemas.subwikis import Change, SubwikiSummary


class Upload(Answer):
    image_id = fields.String()
    url = fields.String()
    width = fields.Integer()
    height = fields.Integer()


class Preview(Answer):
    body_html = fields.String(metadata={"description": "The Markdown as a post or comment would show it, sanitised"})


class Score(Answer):
    up = fields.Integer()
    down = fields.Integer()
    quality = fields.Float()


class PostView(Answer):
    class Meta:
        optional = ("my_vote", "can_moderate", "held_edits", "comments")

    id = fields.String()
    kind = fields.String(validate=validate.OneOf(["link", "article", "image", "cartoon", "text"]))
    title = fields.String()
    body = fields.String(metadata={"description": "Markdown source"})
    body_html = fields.String()
    url = fields.String(allow_none=True)
    image_url = fields.String(allow_none=True)
    language = fields.String(
        validate=validate.OneOf(["en", "fr"]), metadata={"description": "the language search stems it by"}
    )
    author = fields.Nested(Person, allow_none=True, metadata=ERASED)
    subwiki = fields.Nested(SubwikiSummary)
    created_at = time_field()
    revision = fields.Integer()
    edited_by_count = fields.Integer()
    protected = fields.Boolean()
    score = fields.Nested(
        Score,
        metadata={
            "description": "on GET /posts/{id} the post's own votes and comment count, counted as each commits (a "
            "member's vote or comment shows at once), with the quality the feed gave it last; in a write's answer "
            "the feed's numbers once it holds the post, as its feed items show them"
        },
    )
    comment_count = fields.Integer()
    my_vote = fields.Integer(
        validate=validate.OneOf([-1, 0, 1]), metadata={"description": "the caller's vote; only for a signed-in caller"}
    )
    can_moderate = fields.Boolean(metadata={"description": "the caller moderates its subwiki; only when signed in"})
    held_edits = fields.Integer(
        metadata={
            "description": "how many edits of the post wait for review (GET /posts/{id}/pending lists them); on "
            "GET /posts/{id} for a signed-in caller only, 0 unless they are a member of its subwiki"
        }
    )
    comments = fields.Nested(
        lambda: CommentPage(),
        metadata={
            "description": "only on GET /posts/{id}?comments=<sort>: the first page of its discussion (or the page at"
            " `comments_cursor`), as GET /posts/{id}/comments?sort=<sort> gives it"
        },
    )


class HeldEdit(Answer):
    pending = fields.Boolean(metadata={"description": "always true: the edit waits for review"})
    change_id = fields.String()


class PendingChange(Answer):
    change_id = fields.String()
    base_revision = fields.Integer()
    editor = fields.Nested(Person, allow_none=True, metadata=ERASED)
    edit_summary = fields.String()
    created_at = time_field()
    changes = fields.List(fields.Nested(Change), metadata={"description": "what accepting it would change"})


PendingPage = page_of(PendingChange, "PendingPage")


class PostReference(Answer):
    id = fields.String()
    title = fields.String()


class SubwikiPendingChange(PendingChange):
    post = fields.Nested(PostReference)


SubwikiPendingPage = page_of(SubwikiPendingChange, "SubwikiPendingPage")


class PostRevision(Answer):
    revision = fields.Integer()
    editor = fields.Nested(Person, allow_none=True, metadata=ERASED)
    edit_summary = fields.String()
    reverted = fields.Boolean()
    reverted_to = fields.Integer(allow_none=True)
    created_at = time_field()


class PostRevisionChanges(PostRevision):
    changes = fields.List(fields.Nested(Change))


PostRevisionPage = page_of(PostRevision, "PostRevisionPage")


class VoteTally(Answer):
    up = fields.Integer()
    down = fields.Integer()
    my_vote = fields.Integer(validate=validate.OneOf([-1, 0, 1]))


class CommentScore(Answer):
    up = fields.Integer()
    down = fields.Integer()


class Comment(Answer):
    id = fields.String()
    post_id = fields.String()
    parent_id = fields.String(allow_none=True)
    author = fields.Nested(Person, allow_none=True, metadata=ERASED)
    body = fields.String(metadata={"description": "Markdown source, for an edit box (empty once deleted)"})
    body_html = fields.String()
    revision = fields.Integer()
    deleted = fields.Boolean()
    blocked = fields.Boolean(
        metadata={"description": "the signed-in caller blocked its author (a client may fold it); false otherwise"}
    )
    created_at = time_field()
    score = fields.Nested(CommentScore)
    children = fields.List(fields.Nested(lambda: Comment()), metadata={"description": "replies, threaded"})


class CommentThread(Comment):
    """A top-level comment of a page of the discussion, with its first replies."""

    more_replies = fields.Integer(
        metadata={
            "description": "replies of this thread not in `children` (a page holds the first 5 of a thread, level"
            " by level); GET /comments/{id}/thread gives them all"
        }
    )


CommentPage = page_of(CommentThread, "CommentPage")


class ReportFiled(Answer):
    id = fields.String()


class ReportTarget(Answer):
    type = fields.String(validate=validate.OneOf(["post", "comment"]))
    id = fields.String()


class Report(Answer):
    id = fields.String()
    target = fields.Nested(ReportTarget)
    reason = fields.String()
    status = fields.String()
    reporter = fields.Nested(Person, allow_none=True, metadata=ERASED)
    created_at = time_field()


ReportPage = page_of(Report, "ReportPage")


class ReportResolved(Answer):
    id = fields.String()
    status = fields.String()
    action = fields.String(validate=validate.OneOf(["uphold", "dismiss"]))


class RemovedAsSpam(Answer):
    post_id = fields.String()
    author_id = fields.String()
    removed_post_ids = fields.List(fields.String())


class HeldPost(Answer):
    """A new member's first post waiting for a moderator's approval; approved, it is the post of this id."""

    id = fields.String()
    kind = fields.String()
    title = fields.String()
    body = fields.String()
    url = fields.String(allow_none=True)
    image_url = fields.String(allow_none=True, metadata={"description": "its picture (image and cartoon posts)"})
    author = fields.Nested(Person, allow_none=True, metadata=ERASED)
    subwiki = fields.String()
    created_at = time_field()
    language = fields.String(validate=validate.OneOf(["en", "fr"]))


class PostHeld(Answer):
    pending = fields.Boolean(metadata={"description": "always true: the post waits for a moderator"})
    held_post = fields.Nested(HeldPost)


class HeldPostPage(page_of(HeldPost, "HeldPostPageBase")):
    approval_required = fields.Boolean(metadata={"description": "whether the subwiki approves first posts"})
