"""Answers and questions of search."""

from __future__ import annotations

from marshmallow import fields, validate

from gateway.schemas.base import Answer, page_of, time_field
from gateway.schemas.feed import FeedPost
from gateway.schemas.people import ERASED, Person
from gateway.schemas.posts import CommentScore
from gateway.schemas.requests import SPACES, PageQuery


class SearchQuery(PageQuery):
    # Something to search for: a query of spaces alone is refused here, as the document says (``pattern``), not
    # only by content once it has trimmed it.
    q = fields.String(
        required=True,
        validate=(
            validate.Length(min=1, max=200),
            # Linear on any text (no nested repetition); NUL is refused as on every string (gateway.checks).
            validate.Regexp(rf"^[{SPACES}]*[^{SPACES}\u0000][^\u0000]*$", error="Say what to search for."),
        ),
    )
    subwiki = fields.String(load_default=None, validate=validate.Length(min=1, max=40))
    kind = fields.String(load_default="post", validate=validate.OneOf(["post", "comment"]))
    sort = fields.String(load_default="relevance", validate=validate.OneOf(["relevance", "quality", "new"]))


class FoundPost(FeedPost):
    """A post as the feed shows it (its subwiki's slug and name), with its language."""

    language = fields.String(
        validate=validate.OneOf(["en", "fr"]), metadata={"description": "the language search stems it by"}
    )


class PostOfComment(Answer):
    id = fields.String()
    title = fields.String()
    subwiki = fields.String(metadata={"description": "the subwiki's slug"})


class FoundComment(Answer):
    id = fields.String()
    post_id = fields.String()
    parent_id = fields.String(allow_none=True)
    author = fields.Nested(Person, allow_none=True, metadata=ERASED)
    body_html = fields.String()
    created_at = time_field()
    score = fields.Nested(CommentScore)
    post = fields.Nested(PostOfComment)


class SearchHit(Answer):
    class Meta:
        optional = ("post", "comment")

    kind = fields.String(validate=validate.OneOf(["post", "comment"]))
    relevance = fields.Float(
        metadata={
            "description": "text relevance blended with the post's quality in the feed (a comment's: with its net "
            "votes); higher first"
        }
    )
    post = fields.Nested(FoundPost, metadata={"description": "when kind is post, as in the feed"})
    comment = fields.Nested(FoundComment, metadata={"description": "when kind is comment"})


SearchPage = page_of(SearchHit, "SearchPage")
