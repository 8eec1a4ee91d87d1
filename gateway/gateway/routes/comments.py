"""A post's discussion: threads of comments, commenting, editing and deleting."""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, g, jsonify

from gateway import presenters
from gateway.auth import current_caller, login_required
from gateway.people import named, people, unnamed
from gateway.routes import RETRY_KEY, body, doc, idempotency_key, query, services
from gateway.rpc import Presented, ServiceUnavailable
from gateway.schemas import (
    Comment,
    CommentPage,
    CommentRequest,
    CommentsQuery,
    EditCommentRequest,
)

bp = Blueprint("comments", __name__, url_prefix="/api/v1")


def _present_written(comment: dict) -> dict:
    """A write's answer (the caller's own comment) with its author named; without identity, known by id."""
    author_id = comment.pop("author_id")
    try:
        names = people(services(), [author_id])
    except ServiceUnavailable:
        names = unnamed([author_id])
    comment.update(
        author=names[author_id] if author_id else None,
        blocked=False,
        score={"up": comment.pop("up"), "down": comment.pop("down")},
        children=[],
    )
    return comment


class Answer:
    """A service's answer as this process keeps it (``gateway.rpc.Presented``, by its reply's text): one object
    for as long as the service answers the same, so a body made from two answers is kept by the pair.
    Shared by every request that gets it: never changed."""

    __slots__ = ("value", "authors", "unnamed")

    def __init__(self, value):
        self.value = value
        self.authors: list[str] = []
        self.unnamed: list[str] = []


def discussion(page: dict) -> Answer:
    """Content's page of comments with its authors' ids, sorted (the names to ask identity for), and those of them
    the page does not name (``people``: identity names them for a visitor)."""
    answer, ids, stack = Answer(page), set(), list(page["items"])
    while stack:
        node = stack.pop()
        if node["author_id"]:
            ids.add(node["author_id"])
        stack.extend(node["children"])
    answer.authors = sorted(ids)
    held = page.get("people") or {}
    answer.unnamed = [author for author in answer.authors if author not in held]
    return answer


def _shown(node: dict, names: dict, blocked: set) -> dict:
    """A comment (without its children) as the API shows it, its author named: a new dict, the answer kept as
    it came."""
    author_id = node["author_id"]
    shown = {key: value for key, value in node.items() if key not in ("author_id", "up", "down", "children")}
    shown.update(
        author=names[author_id] if author_id else None,
        blocked=author_id in blocked,
        score={"up": node["up"], "down": node["down"]},
        children=[],
    )
    return shown


def _names(comments: Answer, found: dict, visitor: bool) -> dict[str, dict | None]:
    """Each of the page's authors named. For a visitor, by content's copy of their names (the page's ``people``) or,
    for those it does not hold, by identity's answer (``found``); for a signed-in reader, identity was asked about
    every author and its answer alone names them. An author nobody names (erased) is None."""
    names = named(found, comments.authors)
    if visitor:
        held = comments.value.get("people") or {}
        names.update((author, {"id": author, **held[author]}) for author in comments.authors if author in held)
    return names


def _page_json(comments: Answer, people: Answer | None, visitor: bool, next_cursor: str | None) -> bytes:
    """The response's body: the page's comments with their authors named and, for a signed-in reader, marked
    ``blocked`` where they blocked the author; walked with a stack (never recursing on a thread's shape)."""
    found = people.value if people is not None else {}
    names = _names(comments, found, visitor)
    blocked = {i for i, person in found.items() if person.get("blocked")}
    items = [_shown(node, names, blocked) for node in comments.value["items"]]
    stack = list(zip(comments.value["items"], items, strict=True))
    while stack:
        node, shown = stack.pop()
        for child in node["children"]:
            shown["children"].append(_shown(child, names, blocked))
            stack.append((child, shown["children"][-1]))
    return json.dumps({"items": items, "next_cursor": next_cursor}, separators=(",", ":")).encode()


# Bodies by (content's answer, identity's answer): while both services answer the same (content's kept page,
# identity's kept names), the body is made once, not decoded, walked and encoded again on every request.
BODIES = Presented(max_entries=64)


def _comments_json(comments: Answer, people: Answer | None, visitor: bool) -> bytes:
    """A page's body, made once while content and identity answer the same (``BODIES``)."""
    key = (comments, people, visitor)
    made = BODIES.get(key)
    if made is None:
        made = _page_json(comments, people, visitor, comments.value.get("next_cursor"))
        BODIES.put(key, made)
    return made


def _seen_by() -> dict:
    """``get_people``'s ``seen_by`` for a signed-in reader (who they blocked), nothing for a visitor."""
    caller = current_caller(required=False)
    return {"seen_by": caller["id"]} if caller else {}


def _identity_asked(comments: Answer, seen_by: dict) -> list[str]:
    """Whom identity is asked about for a page: for a signed-in reader every author, in the call that says whom
    the reader blocked (at once after a block, which content's copy would learn a moment later); for a visitor
    only the authors content's page does not name."""
    return comments.authors if seen_by else comments.unnamed


def _discussion_body(comments: Answer) -> Response:
    """A page (or a whole thread) of comments read through content, its authors named by content's page, and
    through identity where ``_identity_asked`` says."""
    seen_by = _seen_by()
    asked = _identity_asked(comments, seen_by)
    people = services().call("identity", "get_people", asked, _present=Answer, **seen_by) if asked else None
    return Response(_comments_json(comments, people, not seen_by), mimetype="application/json")


# The page GET /posts/{id}?comments= gives: GET /posts/{id}/comments' first page (the page content keeps).
FIRST_PAGE = CommentsQuery().load({})["limit"]


def post_with_discussion(post_id: str, sort: str, cursor: str | None) -> Response:
    """``GET /posts/{id}?comments=<sort>``: the post (as ``GET /posts/{id}`` gives it, with content's numbers) with
    a page of its discussion (as ``GET /posts/{id}/comments`` gives it) in one answer, from two rounds of calls:
    content's post and comment page in one call (``post_page``: the page presented once, and its body made once
    with ``BODIES``, while content answers it the same, whoever reads the post); then, at once, communities'
    subwiki and, where ``_identity_asked`` says (for a visitor, only whom content's answer does not name), identity
    naming the post's author and the commenters in one call (with whom the reader blocked)."""
    rpc = services()
    seen_by = _seen_by()
    asked = (post_id, seen_by.get("seen_by"), sort, FIRST_PAGE, cursor)
    page = rpc.call("content", "post_page", *asked, _present=discussion, _part="comments")
    found, comments = page["post"], page["comments"]
    author, held = found["author_id"], found.get("author_names")
    wanted = sorted({*_identity_asked(comments, seen_by), *([author] if seen_by or not held else [])} - {None})
    if wanted:
        names_call = rpc.start("identity", "get_people", wanted, _present=Answer, **seen_by)
        people, subwikis = rpc.gather(names_call, presenters.subwikis_of(rpc, [found]))
    else:
        people, (subwikis,) = None, rpc.gather(presenters.subwikis_of(rpc, [found]))
    answered = people.value if people is not None else {}
    names = named(answered, [author] if author else [])
    if author and author not in answered and held:
        names[author] = {"id": author, **held}
    post = current_app.json.dumps(presenters.shown(found, names, subwikis), separators=(",", ":"))
    post = post.encode()
    body = _comments_json(comments, people, not seen_by)
    return Response(post[:-1] + b',"comments":' + body + b"}", mimetype="application/json")


@bp.get("/posts/<post_id>/comments")
@doc(
    "The discussion: a page of top-level comments, each with its first 5 replies level by level (nested at most"
    " 8 levels) and how many more its thread holds",
    response=CommentPage,
    tag="Discussion",
    query=CommentsQuery,
)
def comments(post_id: str):
    args = query(CommentsQuery)
    asked = (post_id, args["sort"], args["limit"], args["cursor"])
    return _discussion_body(services().call("content", "list_comments", *asked, _present=discussion))


@bp.get("/comments/<comment_id>/thread")
@doc(
    "The thread that holds a comment: its top-level comment with every reply, as a page of one",
    response=CommentPage,
    tag="Discussion",
)
def thread(comment_id: str):
    return _discussion_body(services().call("content", "comment_thread", comment_id, _present=discussion))


@bp.post("/posts/<post_id>/comments")
@login_required
@doc(
    "Comment or reply (members); an Idempotency-Key header makes a retry safe",
    CommentRequest,
    Comment,
    status=201,
    auth=True,
    tag="Discussion",
    errors=(403, 409, 429),
    headers=(RETRY_KEY,),
    description="Spam defences by the author's trust: a new account comments a few times a "
    "minute (429 `rate_limited` with `Retry-After`), more as trust rises. The same comment again by its author "
    "within ten minutes is a 409 `duplicate`.",
)
def comment(post_id: str):
    data = body(CommentRequest)
    created = services().call(
        "content",
        "create_comment",
        g.caller["id"],
        post_id,
        data["body"],
        data["parent_id"],
        idempotency_key=idempotency_key(),
    )
    return jsonify(_present_written(created)), 201


@bp.patch("/comments/<comment_id>")
@login_required
@doc("Edit your comment (history kept)", EditCommentRequest, Comment, auth=True, tag="Discussion", errors=(403,))
def edit_comment(comment_id: str):
    edited = services().call("content", "edit_comment", g.caller["id"], comment_id, body(EditCommentRequest)["body"])
    return jsonify(_present_written(edited))


@bp.delete("/comments/<comment_id>")
@login_required
@doc("Delete a comment (author or moderator)", status=204, auth=True, tag="Discussion", errors=(403,))
def remove_comment(comment_id: str):
    services().call("content", "remove_comment", g.caller["id"], comment_id)
    return "", 204
