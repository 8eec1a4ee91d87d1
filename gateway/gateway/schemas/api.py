"""Answers of the API itself: its index, health, readiness, and the one shape of every error."""

from __future__ import annotations

from marshmallow import fields, validate

from gateway.schemas.base import Answer


class Status(Answer):
    status = fields.String()


class Readiness(Answer):
    status = fields.String(validate=validate.OneOf(["ready", "not_ready"]))
    checks = fields.Dict(keys=fields.String(), values=fields.String())


class Link(Answer):
    href = fields.String()
    description = fields.String()


class ApiIndex(Answer):
    name = fields.String()
    version = fields.String()
    links = fields.Dict(keys=fields.String(), values=fields.Nested(Link))


class ErrorBody(Answer):
    class Meta:
        optional = ("fields", "request_id")

    code = fields.String()
    message = fields.String()
    request_id = fields.String(metadata={"description": "on a 5xx: quote it when reporting the problem"})
    field_errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        data_key="fields",
        metadata={"description": "what is wrong with each field, all of them at once"},
    )


class ErrorResponse(Answer):
    error = fields.Nested(ErrorBody)
