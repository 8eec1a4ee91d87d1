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
