"""Request and response shapes; the same schemas validate requests and feed OpenAPI."""

from __future__ import annotations

from marshmallow import EXCLUDE, RAISE, Schema, fields, validate


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class RegisterRequest(StrictSchema):
    username = fields.String(required=True, validate=validate.Length(min=3, max=30))
    email = fields.String(required=True, validate=validate.Length(max=254))
    password = fields.String(required=True, validate=validate.Length(min=10, max=1024))
    display_name = fields.String(validate=validate.Length(max=80))


class LoginRequest(StrictSchema):
    login = fields.String(required=True, validate=validate.Length(min=1, max=254))
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))


class UpdateMeRequest(StrictSchema):
    display_name = fields.String(validate=validate.Length(min=1, max=80))
    bio = fields.String(validate=validate.Length(max=2000))


class EraseMeRequest(StrictSchema):
    password = fields.String(required=True, validate=validate.Length(min=1, max=1024))


class PublicUser(Schema):
    id = fields.String()
    username = fields.String()
    display_name = fields.String()
    bio = fields.String()
    created_at = fields.String()
    trust = fields.Float()
    badges = fields.List(fields.String())
    follower_count = fields.Integer()
    following_count = fields.Integer()


class PrivateUser(PublicUser):
    email = fields.String()
    subwikis = fields.List(fields.String())
    following = fields.List(fields.String())


class LoginResponse(Schema):
    token = fields.String()
    expires_at = fields.String()
    user = fields.Nested(PrivateUser)


class ErrorBody(Schema):
    code = fields.String()
    message = fields.String()
    request_id = fields.String()
    field_errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), data_key="fields")


class ErrorResponse(Schema):
    error = fields.Nested(ErrorBody)


class PageQuery(Schema):
    class Meta:
        unknown = EXCLUDE

    limit = fields.Integer(load_default=25, validate=validate.Range(min=1, max=100))
    cursor = fields.String(load_default=None, validate=validate.Length(max=500))


class SubwikiListQuery(PageQuery):
    q = fields.String(load_default=None, validate=validate.Length(max=200))
    sort = fields.String(load_default="members", validate=validate.OneOf(["members", "new", "active"]))


class RevisionsQuery(PageQuery):
    diff = fields.Integer(load_default=None, validate=validate.Range(min=1, max=2_147_483_647))


class CreateSubwikiRequest(StrictSchema):
    slug = fields.String(required=True, validate=validate.Length(min=3, max=40))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    summary = fields.String(load_default="", validate=validate.Length(max=500))
    description = fields.String(load_default="", validate=validate.Length(max=20000))


class EditSubwikiRequest(StrictSchema):
    summary = fields.String(validate=validate.Length(max=500))
    description = fields.String(validate=validate.Length(max=20000))
    base_revision = fields.Integer(required=True, validate=validate.Range(min=1, max=2_147_483_647))
    edit_summary = fields.String(load_default="", validate=validate.Length(max=300))


class Person(Schema):
    id = fields.String()
    username = fields.String()
    display_name = fields.String()


class SubwikiSummary(Schema):
    slug = fields.String()
    name = fields.String()
    summary = fields.String()
    member_count = fields.Integer()
    post_count = fields.Integer()
    created_at = fields.String()


class Subwiki(SubwikiSummary):
    description = fields.String()
    revision = fields.Integer()
    moderators = fields.List(fields.Nested(Person))
    is_member = fields.Boolean()
    is_moderator = fields.Boolean()


class Revision(Schema):
    revision = fields.Integer()
    editor = fields.Nested(Person)
    edit_summary = fields.String()
    restored_from = fields.Integer(allow_none=True)
    created_at = fields.String()


class CreatePostRequest(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(["link", "article", "image", "cartoon", "text"]))
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    body = fields.String(load_default="", validate=validate.Length(max=100_000))
    url = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2048))
    image_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))


class EditPostRequest(StrictSchema):
    title = fields.String(validate=validate.Length(min=1, max=300))
    body = fields.String(validate=validate.Length(max=100_000))
    url = fields.String(allow_none=True, validate=validate.Length(max=2048))
    base_revision = fields.Integer(required=True, validate=validate.Range(min=1, max=2_147_483_647))
    edit_summary = fields.String(load_default="", validate=validate.Length(max=300))


class VoteRequest(StrictSchema):
    value = fields.Integer(required=True, validate=validate.OneOf([1, -1]))


class CommentRequest(StrictSchema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=10_000))
    parent_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))


class EditCommentRequest(StrictSchema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=10_000))


class ReportRequest(StrictSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class ResolveRequest(StrictSchema):
    action = fields.String(required=True, validate=validate.OneOf(["uphold", "dismiss"]))


class CommentsQuery(PageQuery):
    """A page of top-level comments, each with its replies."""

    sort = fields.String(load_default="new", validate=validate.OneOf(["new", "quality"]))


class Score(Schema):
    up = fields.Integer()
    down = fields.Integer()
    quality = fields.Float()


class PostView(Schema):
    id = fields.String()
    kind = fields.String()
    title = fields.String()
    body = fields.String()
    body_html = fields.String()
    url = fields.String(allow_none=True)
    image_url = fields.String(allow_none=True)
    author = fields.Nested(Person)
    subwiki = fields.Nested(SubwikiSummary)
    created_at = fields.String()
    revision = fields.Integer()
    edited_by_count = fields.Integer()
    protected = fields.Boolean()
    score = fields.Nested(Score)
    comment_count = fields.Integer()
    my_vote = fields.Integer()


class DonationRequest(StrictSchema):
    amount_cents = fields.Integer(required=True, strict=True)
    currency = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z]{3}$"))
    recipient = fields.String(load_default="platform", validate=validate.Length(min=1, max=40))
    recurring = fields.String(load_default="none", validate=validate.OneOf(["none", "monthly"]))
    public = fields.Boolean(load_default=False)
    message = fields.String(load_default="", validate=validate.Length(max=500))


class DonationStarted(Schema):
    donation_id = fields.String()
    status = fields.String()
    checkout_url = fields.String(allow_none=True)


class Campaign(Schema):
    goal_cents = fields.Integer()
    raised_cents = fields.Integer()
    currency = fields.String()
    donor_count = fields.Integer()
    ends_at = fields.String()
