"""Answers about accounts and people: profiles, one's own account, sessions (the export: schemas.export)."""

from __future__ import annotations

from marshmallow import fields, validate

from gateway.schemas.base import Answer, page_of, time_field


class PublicUser(Answer):
    id = fields.String()
    username = fields.String()
    display_name = fields.String()
    bio = fields.String()
    created_at = time_field()
    trust = fields.Float(validate=validate.Range(min=0, max=1))
    badges = fields.List(fields.String())
    follower_count = fields.Integer()
    following_count = fields.Integer()


class PrivateUser(PublicUser):
    email = fields.String()
    subwikis = fields.List(fields.String(), metadata={"description": "slugs of the subwikis you joined"})
    following = fields.List(fields.String(), metadata={"description": "usernames of the people you follow"})


class Session(Answer):
    token = fields.String(metadata={"description": "send as 'Authorization: Bearer <token>'"})
    expires_at = time_field()
    user = fields.Nested(PrivateUser)


LoginResponse = Session


# Where a person is shown, an erased account is null.
ERASED = {"description": "null for an erased account: clients show a deleted member"}


class Person(Answer):
    id = fields.String()
    username = fields.String()
    display_name = fields.String()


class KeptAway(Answer):
    """A person you muted or blocked, and since when."""

    person = fields.Nested(Person)
    created_at = time_field()


KeptAwayPage = page_of(KeptAway, "KeptAwayPage")


class MutedSubwikiName(Answer):
    slug = fields.String()
    name = fields.String()


class MutedSubwiki(Answer):
    """A subwiki you muted, and since when."""

    subwiki = fields.Nested(MutedSubwikiName)
    created_at = time_field()


MutedSubwikiPage = page_of(MutedSubwiki, "MutedSubwikiPage")
