"""Request bodies and query strings: an unknown field or parameter is a 400."""

from __future__ import annotations

import os

from marshmallow import fields, validate

from gateway.schemas.base import JsonBoolean, StrictSchema, json_integer

# What services accept, said in the document and checked by the services themselves, which report every field
# of a request in one answer, rules the document cannot say included (the services trim spaces around names
# and lowercase them).
# The spaces the services trim (Python's ``str.strip``, what Python's ``\s`` matches), written out: ``\s`` means
# another set in the ECMAScript regular expressions of JSON Schema (not U+001C to U+001F or U+0085, but U+FEFF),
# so a client reading the document and the platform would disagree (a search for U+001D alone was valid by the
# document and a 400 here).
SPACES = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
USERNAME = rf"^[{SPACES}]*[A-Za-z0-9_]{{3,30}}[{SPACES}]*$"
SLUG = rf"^[{SPACES}]*[A-Za-z0-9_]{{3,40}}[{SPACES}]*$"
EMAIL = rf"^[{SPACES}]*[^@{SPACES}\x00]{{1,64}}@[^@{SPACES}\x00]+\.[^@{SPACES}\x00]+[{SPACES}]*$"
NOT_BLANK = rf"^[{SPACES}]*[^{SPACES}\x00][^\x00]*$"  # more than spaces, no NUL (lone surrogates: API.md)
RECIPIENT = r"^(platform|@[A-Za-z0-9_]{3,30})$"
CURSOR = r"^[A-Za-z0-9_-]{1,500}$"  # what a list hands out in next_cursor (gateway.checks)
# The donations service's setting, read by the gateway too so that the document lists them.
CURRENCIES = tuple(
    code.strip().upper() for code in os.environ.get("DONATION_CURRENCIES", "EUR,USD,GBP").split(",") if code.strip()
)


class RegisterRequest(StrictSchema):
    username = fields.String(
        required=True,
        validate=validate.Length(min=3, max=30),
        metadata={"pattern": USERNAME, "description": "3 to 30 of a-z, 0-9 and _ (kept lowercase)"},
    )
    email = fields.String(required=True, validate=validate.Length(max=254), metadata={"pattern": EMAIL})
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


class PageQuery(StrictSchema):
    limit = fields.Integer(load_default=25, validate=validate.Range(min=1, max=100))
    cursor = fields.String(
        load_default=None,
        validate=validate.Regexp(CURSOR),
        metadata={"description": "the `next_cursor` of the previous page, as it was handed out"},
    )


class SubwikiListQuery(PageQuery):
    q = fields.String(load_default=None, validate=validate.Length(max=200))
    sort = fields.String(load_default="members", validate=validate.OneOf(["members", "new", "active"]))


class LedgerQuery(PageQuery):
    currency = fields.String(load_default=None, validate=validate.Regexp(r"^[A-Z]{3}$"))


class HomeFeedQuery(PageQuery):
    sort = fields.String(load_default="quality", validate=validate.OneOf(["quality", "new", "top"]))


class SubwikiFeedQuery(HomeFeedQuery):
    pass


class PublicFeedQuery(HomeFeedQuery):
    window = fields.String(load_default="week", validate=validate.OneOf(["day", "week", "all"]))


class CheckoutQuery(StrictSchema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=200))


class CheckoutDecision(StrictSchema):
    token = fields.String(required=True, validate=validate.Length(min=1, max=200))


class CreateSubwikiRequest(StrictSchema):
    slug = fields.String(
        required=True,
        validate=validate.Length(min=3, max=40),
        metadata={"pattern": SLUG, "description": "3 to 40 of a-z, 0-9 and _ (kept lowercase)"},
    )
    name = fields.String(required=True, validate=validate.Length(min=1, max=100), metadata={"pattern": NOT_BLANK})
    summary = fields.String(load_default="", validate=validate.Length(max=500))
    description = fields.String(load_default="", validate=validate.Length(max=20000))


class EditSubwikiRequest(StrictSchema):
    summary = fields.String(validate=validate.Length(max=500))
    description = fields.String(validate=validate.Length(max=20000))
    base_revision = json_integer(required=True, validate=validate.Range(min=1, max=2_147_483_647))
    edit_summary = fields.String(load_default="", validate=validate.Length(max=300))


class CreatePostRequest(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(["link", "article", "image", "cartoon", "text"]))
    title = fields.String(required=True, validate=validate.Length(min=1, max=300))
    body = fields.String(load_default="", validate=validate.Length(max=100_000))
    url = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2048))
    image_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=64))
    language = fields.String(
        validate=validate.OneOf(["en", "fr"]),
        metadata={
            "description": "the language the post is written in, which search stems it by: en or fr; when left "
            "out, the first of them in the request's Accept-Language, else en"
        },
    )


class EditPostRequest(StrictSchema):
    title = fields.String(validate=validate.Length(min=1, max=300))
    body = fields.String(validate=validate.Length(max=100_000))
    url = fields.String(allow_none=True, validate=validate.Length(max=2048))
    base_revision = json_integer(required=True, validate=validate.Range(min=1, max=2_147_483_647))
    edit_summary = fields.String(load_default="", validate=validate.Length(max=300))
    language = fields.String(
        validate=validate.OneOf(["en", "fr"]),
        metadata={
            "description": "a new language (en or fr): set at once by the post's author or a moderator, from "
            "anyone else a 403; not a revision"
        },
    )


class PreviewRequest(StrictSchema):
    body = fields.String(required=True, validate=validate.Length(max=100_000))


class VoteRequest(StrictSchema):
    value = json_integer(required=True, validate=validate.OneOf([1, -1]))


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


class PostQuery(StrictSchema):
    """A post, and with ``comments`` a page of its discussion in the same answer (a post page in one request)."""

    comments = fields.String(
        load_default=None,
        validate=validate.OneOf(["new", "quality"]),
        metadata={"description": "a sort: the answer holds `comments`, a page of the discussion in that order"},
    )
    comments_cursor = fields.String(
        load_default=None,
        validate=validate.Regexp(CURSOR),
        metadata={"description": "with `comments`: the discussion's `next_cursor` of the previous page"},
    )


class DonationRequest(StrictSchema):
    amount_cents = fields.Integer(
        required=True,
        strict=True,
        metadata={"minimum": 100, "maximum": 10_000_000, "description": "minor units: 1.00 to 100,000.00"},
    )
    currency = fields.String(
        required=True,
        validate=validate.Regexp(r"^[A-Za-z]{3}$"),
        metadata={"enum": list(CURRENCIES), "description": "a currency the platform accepts (DONATION_CURRENCIES)"},
    )
    recipient = fields.String(
        load_default="platform",
        validate=validate.Length(min=1, max=40),
        metadata={"pattern": RECIPIENT, "description": "platform, or @username"},
    )
    recurring = fields.String(
        load_default="none",
        validate=validate.OneOf(["none", "monthly"]),
        metadata={"description": "monthly needs a signed-in donor (401 otherwise)"},
    )
    public = JsonBoolean(load_default=False)
    message = fields.String(load_default="", validate=validate.Length(max=500))


NOTIFICATION_KINDS = (
    "reply_to_post",
    "reply_to_comment",
    "mention",
    "edit_applied",
    "edit_held",
    "edit_accepted",
    "edit_rejected",
    "post_held",
    "post_approved",
    "post_rejected",
    "report_resolved",
    "content_removed",
    "follower",
    "donation",
    "badge",
)


class MarkReadRequest(StrictSchema):
    up_to = json_integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(min=1, max=2**63 - 1),
        metadata={"description": "mark read every notification up to this id; all of them when absent"},
    )


NotificationSettingsRequest = type(
    "NotificationSettingsRequest",
    (StrictSchema,),
    {kind: JsonBoolean() for kind in NOTIFICATION_KINDS},
)
