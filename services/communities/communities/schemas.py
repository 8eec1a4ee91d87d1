"""What the communities service answers and publishes."""

from marshmallow import Schema, fields


class SubwikiSummarySchema(Schema):
    slug = fields.String()
    name = fields.String()
    summary = fields.String()
    member_count = fields.Integer()
    post_count = fields.Integer()
    created_at = fields.DateTime(format="iso")


class SubwikiSchema(SubwikiSummarySchema):
    id = fields.String()
    description = fields.String()
    revision = fields.Integer()
    last_activity_at = fields.DateTime(format="iso")


class RevisionSchema(Schema):
    revision = fields.Integer()
    editor_id = fields.String()
    edit_summary = fields.String()
    restored_from = fields.Integer(allow_none=True)
    created_at = fields.DateTime(format="iso")


class ModlogSchema(Schema):
    id = fields.Integer()
    actor_id = fields.String()
    action = fields.String()
    target_type = fields.String()
    target_id = fields.String()
    reason = fields.String()
    created_at = fields.DateTime(format="iso")
