"""Answers of the feeds: entries with their scores and the reasons for their rank."""

from __future__ import annotations

from marshmallow import fields, validate

from gateway.schemas.base import Answer, page_of, time_field
from gateway.schemas.people import ERASED, Person
from gateway.schemas.posts import Score


class FeedSubwiki(Answer):
    slug = fields.String()
    name = fields.String()


class FeedPost(Answer):
    id = fields.String()
    kind = fields.String(validate=validate.OneOf(["link", "article", "image", "cartoon", "text"]))
    title = fields.String()
    url = fields.String(allow_none=True)
    image_url = fields.String(allow_none=True)
    author = fields.Nested(Person, allow_none=True, metadata=ERASED)
    subwiki = fields.Nested(FeedSubwiki)
    created_at = time_field()
    comment_count = fields.Integer()
    score = fields.Nested(Score)


class Reason(Answer):
    factor = fields.String()
    value = fields.Float()


class Rank(Answer):
    score = fields.Float()
    reasons = fields.List(fields.Nested(Reason), metadata={"description": "why the item is where it is"})


class FeedItem(Answer):
    post = fields.Nested(FeedPost)
    rank = fields.Nested(Rank)


FeedPage = page_of(FeedItem, "FeedPage")
