"""What every schema is built on: strict requests and answers whose fields are all present."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class Answer(Schema):
    """The shape of an answer; every field present unless named in ``Meta.optional``."""

    class Meta:
        optional: tuple[str, ...] = ()


class JsonBoolean(fields.Boolean):
    """A JSON ``true`` or ``false`` and nothing else (marshmallow's Boolean also takes 0, 1, "yes"...),
    as the document says: a client sending 0 learns it at once rather than having it read as false."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


def json_integer(**kwargs):
    """A JSON number without a fraction, never a string of digits (what a body's integer is)."""
    return fields.Integer(strict=True, **kwargs)


def time_field(**kwargs):
    return fields.String(metadata={"format": "date-time"}, **kwargs)


def page_of(item: type[Schema], name: str) -> type[Schema]:
    """A cursor-paginated list of ``item``: ``{items, next_cursor}``."""
    return type(
        name,
        (Answer,),
        {
            "items": fields.List(fields.Nested(item)),
            "next_cursor": fields.String(allow_none=True, metadata={"description": "Pass as ?cursor= for more."}),
        },
    )
