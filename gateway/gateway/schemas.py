"""Request and response shapes; the same schemas validate requests and feed OpenAPI."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate


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
