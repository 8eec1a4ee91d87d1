"""Request and response shapes; the same schemas validate requests and make the OpenAPI document.

Request bodies and query strings are ``StrictSchema``s: an unknown field or parameter is a 400.
Answers are ``Answer``s: in the document every field of an answer is required (always present,
possibly ``null`` where it says so) unless the schema names it in ``Meta.optional``.
"""

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


class PageQuery(StrictSchema):
    limit = fields.Integer(load_default=25, validate=validate.Range(min=1, max=100))
    cursor = fields.String(load_default=None, validate=validate.Length(max=4000))


class SubwikiListQuery(PageQuery):
    q = fields.String(load_default=None, validate=validate.Length(max=200))
    sort = fields.String(load_default="members", validate=validate.OneOf(["members", "new", "active"]))


class RevisionsQuery(PageQuery):
    diff = fields.Integer(
        load_default=None,
        validate=validate.Range(min=1, max=2_147_483_647),
        metadata={"description": "Instead of the list: this revision, with its changes against the one before."},
    )


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
    slug = fields.String(required=True, validate=validate.Length(min=3, max=40))
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    summary = fields.String(load_default="", validate=validate.Length(max=500))
    description = fields.String(load_default="", validate=validate.Length(max=20000))


class EditSubwikiRequest(StrictSchema):
    summary = fields.String(validate=validate.Length(max=500))
    description = fields.String(validate=validate.Length(max=20000))
    base_revision = fields.Integer(required=True, validate=validate.Range(min=1, max=2_147_483_647))
    edit_summary = fields.String(load_default="", validate=validate.Length(max=300))


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


class DonationRequest(StrictSchema):
    amount_cents = fields.Integer(required=True, strict=True)
    currency = fields.String(required=True, validate=validate.Regexp(r"^[A-Za-z]{3}$"))
    recipient = fields.String(load_default="platform", validate=validate.Length(min=1, max=40))
    recurring = fields.String(load_default="none", validate=validate.OneOf(["none", "monthly"]))
    public = fields.Boolean(load_default=False)
    message = fields.String(load_default="", validate=validate.Length(max=500))


# Answers ------------------------------------------------------------------------------------


class Answer(Schema):
    """The shape of an answer; every field present unless named in ``Meta.optional``."""

    class Meta:
        optional: tuple[str, ...] = ()


def _time(**kwargs):
    return fields.String(metadata={"format": "date-time"}, **kwargs)


def _page(item: type[Schema], name: str) -> type[Schema]:
    """A cursor-paginated list of ``item``: ``{items, next_cursor}``."""
    return type(
        name,
        (Answer,),
        {
            "items": fields.List(fields.Nested(item)),
            "next_cursor": fields.String(allow_none=True, metadata={"description": "Pass as ?cursor= for more."}),
        },
    )


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


class PublicUser(Answer):
    id = fields.String()
    username = fields.String()
    display_name = fields.String()
    bio = fields.String()
    created_at = _time()
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
    expires_at = _time()
    user = fields.Nested(PrivateUser)


LoginResponse = Session


class Export(Answer):
    """Everything each service holds about the caller, one section per service."""

    identity = fields.Dict()
    communities = fields.Dict()
    content = fields.Dict()
    feed = fields.Dict()
    donations = fields.Dict()


class Person(Answer):
    id = fields.String()
    username = fields.String()
    display_name = fields.String()


class SubwikiSummary(Answer):
    slug = fields.String()
    name = fields.String()
    summary = fields.String()
    member_count = fields.Integer()
    post_count = fields.Integer()
    created_at = _time()


SubwikiPage = _page(SubwikiSummary, "SubwikiPage")


class Member(Answer):
    person = fields.Nested(Person)
    is_moderator = fields.Boolean()
    joined_at = _time()


MemberPage = _page(Member, "MemberPage")


class MemberSubwiki(SubwikiSummary):
    is_moderator = fields.Boolean()


MemberSubwikiPage = _page(MemberSubwiki, "MemberSubwikiPage")


class Subwiki(SubwikiSummary):
    description = fields.String()
    revision = fields.Integer()
    last_activity_at = _time()
    moderators = fields.List(fields.Nested(Person))
    is_member = fields.Boolean()
    is_moderator = fields.Boolean()


class Change(Answer):
    field = fields.String()
    diff = fields.String(metadata={"description": "a unified diff of the field's text"})


class PageRevision(Answer):
    revision = fields.Integer()
    editor = fields.Nested(Person)
    edit_summary = fields.String()
    restored_from = fields.Integer(allow_none=True)
    created_at = _time()


class PageRevisionChanges(PageRevision):
    changes = fields.List(fields.Nested(Change))


PageRevisionPage = _page(PageRevision, "PageRevisionPage")


class ModlogEntry(Answer):
    id = fields.Integer()
    action = fields.String()
    target_type = fields.String()
    target_id = fields.String()
    reason = fields.String()
    created_at = _time()
    actor = fields.Nested(Person)


ModlogPage = _page(ModlogEntry, "ModlogPage")


class Upload(Answer):
    image_id = fields.String()
    url = fields.String()
    width = fields.Integer()
    height = fields.Integer()


class Score(Answer):
    up = fields.Integer()
    down = fields.Integer()
    quality = fields.Float()


class PostView(Answer):
    class Meta:
        optional = ("my_vote", "can_moderate")

    id = fields.String()
    kind = fields.String(validate=validate.OneOf(["link", "article", "image", "cartoon", "text"]))
    title = fields.String()
    body = fields.String(metadata={"description": "Markdown source"})
    body_html = fields.String()
    url = fields.String(allow_none=True)
    image_url = fields.String(allow_none=True)
    author = fields.Nested(Person)
    subwiki = fields.Nested(SubwikiSummary)
    created_at = _time()
    revision = fields.Integer()
    edited_by_count = fields.Integer()
    protected = fields.Boolean()
    score = fields.Nested(Score)
    comment_count = fields.Integer()
    my_vote = fields.Integer(
        validate=validate.OneOf([-1, 0, 1]), metadata={"description": "the caller's vote; only for a signed-in caller"}
    )
    can_moderate = fields.Boolean(metadata={"description": "the caller moderates its subwiki; only when signed in"})


class HeldEdit(Answer):
    pending = fields.Boolean(metadata={"description": "always true: the edit waits for review"})
    change_id = fields.String()


class PendingChange(Answer):
    change_id = fields.String()
    base_revision = fields.Integer()
    editor = fields.Nested(Person)
    edit_summary = fields.String()
    created_at = _time()
    diff = fields.List(fields.Nested(Change))


PendingPage = _page(PendingChange, "PendingPage")


class PostRevision(Answer):
    revision = fields.Integer()
    editor = fields.Nested(Person)
    edit_summary = fields.String()
    reverted = fields.Boolean()
    reverted_to = fields.Integer(allow_none=True)
    created_at = _time()


class PostRevisionChanges(PostRevision):
    changes = fields.List(fields.Nested(Change))


PostRevisionPage = _page(PostRevision, "PostRevisionPage")


class VoteTally(Answer):
    up = fields.Integer()
    down = fields.Integer()
    my_vote = fields.Integer(validate=validate.OneOf([-1, 0, 1]))


class CommentScore(Answer):
    up = fields.Integer()
    down = fields.Integer()


class Comment(Answer):
    id = fields.String()
    post_id = fields.String()
    parent_id = fields.String(allow_none=True)
    author = fields.Nested(Person, allow_none=True)
    body = fields.String(metadata={"description": "Markdown source, for an edit box (empty once deleted)"})
    body_html = fields.String()
    revision = fields.Integer()
    deleted = fields.Boolean()
    created_at = _time()
    score = fields.Nested(CommentScore)
    children = fields.List(fields.Nested(lambda: Comment()), metadata={"description": "replies, threaded"})


CommentPage = _page(Comment, "CommentPage")


class ReportFiled(Answer):
    id = fields.String()


class ReportTarget(Answer):
    type = fields.String(validate=validate.OneOf(["post", "comment"]))
    id = fields.String()


class Report(Answer):
    id = fields.String()
    target = fields.Nested(ReportTarget)
    reason = fields.String()
    status = fields.String()
    reporter = fields.Nested(Person)
    created_at = _time()


ReportPage = _page(Report, "ReportPage")


class ReportResolved(Answer):
    id = fields.String()
    status = fields.String()
    action = fields.String(validate=validate.OneOf(["uphold", "dismiss"]))


class FeedSubwiki(Answer):
    slug = fields.String()
    name = fields.String()


class FeedPost(Answer):
    id = fields.String()
    kind = fields.String(validate=validate.OneOf(["link", "article", "image", "cartoon", "text"]))
    title = fields.String()
    url = fields.String(allow_none=True)
    image_url = fields.String(allow_none=True)
    author = fields.Nested(Person)
    subwiki = fields.Nested(FeedSubwiki)
    created_at = _time()
    comment_count = fields.Integer()
    score = fields.Nested(Score)


class Reason(Answer):
    factor = fields.String()
    value = fields.Float()


class Rank(Answer):
    score = fields.Float()
    reasons = fields.List(fields.Nested(Reason), metadata={"description": "why the item is where it is"})


class FeedItem(Answer):
    post = fields.Nested(FeedPost)
    rank = fields.Nested(Rank)


FeedPage = _page(FeedItem, "FeedPage")


class DonationStarted(Answer):
    donation_id = fields.String()
    status = fields.String()
    checkout_url = fields.String(allow_none=True, metadata={"description": "where the donor pays"})
    amount_cents = fields.Integer()
    currency = fields.String()
    recipient = fields.String()
    recurring = fields.String(validate=validate.OneOf(["none", "monthly"]))


class Donation(Answer):
    donation_id = fields.String()
    status = fields.String()
    amount_cents = fields.Integer()
    currency = fields.String()
    recipient = fields.String()
    recurring = fields.String(validate=validate.OneOf(["none", "monthly"]))
    public = fields.Boolean()
    created_at = _time()
    checkout_url = fields.String(allow_none=True)
    pledge_id = fields.String(allow_none=True)


class Pledge(Answer):
    id = fields.String()
    status = fields.String()
    amount_cents = fields.Integer()
    currency = fields.String()
    recipient = fields.String()
    next_charge_at = _time(allow_none=True)


class MyDonations(Answer):
    donations = fields.List(fields.Nested(Donation))
    pledges = fields.List(fields.Nested(Pledge))


class LedgerEntry(Answer):
    id = fields.Integer()
    kind = fields.String(metadata={"description": "payment, or refund (a negative amount)"})
    amount_cents = fields.Integer()
    currency = fields.String()
    date = _time()
    donor = fields.String(allow_none=True, metadata={"description": "the donor's username, only if public"})


LedgerPage = _page(LedgerEntry, "LedgerPage")


class Total(Answer):
    currency = fields.String()
    amount_cents = fields.Integer()


class Support(Answer):
    username = fields.String()
    totals = fields.List(fields.Nested(Total))
    supporter_count = fields.Integer()


class Campaign(Answer):
    goal_cents = fields.Integer()
    raised_cents = fields.Integer()
    currency = fields.String()
    donor_count = fields.Integer()
    ends_at = _time()


class WebhookReceived(Answer):
    received = fields.Boolean()
    status = fields.String()


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
