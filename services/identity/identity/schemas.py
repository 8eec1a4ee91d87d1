"""What the identity service answers and publishes: always dumped through these."""

from marshmallow import Schema, fields


class PublicUserSchema(Schema):
    id = fields.String()
    username = fields.String()
    display_name = fields.String()
    bio = fields.String()
    created_at = fields.DateTime(format="iso")
    trust = fields.Float()
    badges = fields.List(fields.String())
    follower_count = fields.Integer()
    following_count = fields.Integer()


class PrivateUserSchema(PublicUserSchema):
    email = fields.String()
    following = fields.List(fields.String())


class CallerSchema(Schema):
    id = fields.String()
    username = fields.String()


class SessionExportSchema(Schema):
    id = fields.String()
    created_at = fields.DateTime(format="iso")
    expires_at = fields.DateTime(format="iso")
    revoked_at = fields.DateTime(format="iso", allow_none=True)
