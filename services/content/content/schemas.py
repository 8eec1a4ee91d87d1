"""What the content service answers and publishes."""

from marshmallow import Schema, fields


class PostSchema(Schema):
    id = fields.String()
    kind = fields.String()
    title = fields.String()
    body = fields.String()
    body_html = fields.String()
    url = fields.String(allow_none=True)
    image_id = fields.String(allow_none=True)
    author_id = fields.String()
    subwiki_id = fields.String()
    subwiki = fields.String(attribute="subwiki_slug")
    created_at = fields.DateTime(format="iso")
    updated_at = fields.DateTime(format="iso")
    revision = fields.Integer()
    protected = fields.Boolean()
    comment_count = fields.Integer()
    up = fields.Integer(attribute="up_count")
    down = fields.Integer(attribute="down_count")
    language = fields.String()


class HeldPostSchema(Schema):
    """A post waiting for a moderator's approval."""

    id = fields.String()
    kind = fields.String()
    title = fields.String()
    body = fields.String()
    url = fields.String(allow_none=True)
    author_id = fields.String()
    subwiki_id = fields.String()
    subwiki = fields.String(attribute="subwiki_slug")
    created_at = fields.DateTime(format="iso")
    language = fields.String()


class PostEventSchema(Schema):
    id = fields.String()
    kind = fields.String()
    title = fields.String()
    url = fields.String(allow_none=True)
    author_id = fields.String()
    subwiki_id = fields.String()
    subwiki = fields.String(attribute="subwiki_slug")
    revision = fields.Integer()
    created_at = fields.DateTime(format="iso")


class RevisionSchema(Schema):
    revision = fields.Integer()
    editor_id = fields.String()
    edit_summary = fields.String()
    reverted_to = fields.Integer(allow_none=True)
    reverted = fields.Boolean()
    created_at = fields.DateTime(format="iso")


class PendingSchema(Schema):
    change_id = fields.String(attribute="id")
    editor_id = fields.String()
    base_revision = fields.Integer()
    edit_summary = fields.String()
    created_at = fields.DateTime(format="iso")


class CommentSchema(Schema):
    id = fields.String()
    post_id = fields.String()
    parent_id = fields.String(allow_none=True)
    author_id = fields.String(allow_none=True)
    body = fields.String()
    body_html = fields.String()
    revision = fields.Integer()
    up = fields.Integer(attribute="up_count")
    down = fields.Integer(attribute="down_count")
    deleted = fields.Boolean()
    created_at = fields.DateTime(format="iso")


class ReportSchema(Schema):
    id = fields.String()
    target_type = fields.String()
    target_id = fields.String()
    reporter_id = fields.String()
    reason = fields.String()
    status = fields.String()
    created_at = fields.DateTime(format="iso")
