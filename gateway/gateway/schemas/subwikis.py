"""Answers about subwikis: summaries, pages, their wiki history and the moderators' log."""

from __future__ import annotations

from marshmallow import fields

from gateway.schemas.base import Answer, page_of, time_field
from gateway.schemas.people import ERASED, Person


class SubwikiSummary(Answer):
    slug = fields.String()
    name = fields.String()
    summary = fields.String()
    member_count = fields.Integer()
    post_count = fields.Integer()
    created_at = time_field()


SubwikiPage = page_of(SubwikiSummary, "SubwikiPage")


class Member(Answer):
    person = fields.Nested(Person)
    is_moderator = fields.Boolean()
    joined_at = time_field()


MemberPage = page_of(Member, "MemberPage")


class MemberSubwiki(SubwikiSummary):
    is_moderator = fields.Boolean()


MemberSubwikiPage = page_of(MemberSubwiki, "MemberSubwikiPage")


class Subwiki(SubwikiSummary):
    description = fields.String()
    revision = fields.Integer()
    last_activity_at = time_field()
    moderators = fields.List(fields.Nested(Person))
    is_member = fields.Boolean()
    is_moderator = fields.Boolean()


class Change(Answer):
    field = fields.String()
    diff = fields.String(metadata={"description": "a unified diff of the field's text"})


class PageRevision(Answer):
    revision = fields.Integer()
    editor = fields.Nested(Person, allow_none=True, metadata=ERASED)
    edit_summary = fields.String()
    restored_from = fields.Integer(allow_none=True)
    created_at = time_field()


class PageRevisionChanges(PageRevision):
    changes = fields.List(fields.Nested(Change))


PageRevisionPage = page_of(PageRevision, "PageRevisionPage")


class ModlogEntry(Answer):
    id = fields.Integer()
    action = fields.String()
    target_type = fields.String()
    target_id = fields.String(allow_none=True, metadata={"description": "null when an erased person was the target"})
    reason = fields.String()
    created_at = time_field()
    actor = fields.Nested(Person, allow_none=True, metadata=ERASED)


ModlogPage = page_of(ModlogEntry, "ModlogPage")
