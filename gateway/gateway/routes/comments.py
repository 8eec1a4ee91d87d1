"""A post's discussion: threads of comments, commenting, editing and deleting."""

from __future__ import annotations

import json
import time

from flask import Blueprint, Response, current_app, g, jsonify

from gateway import conditional, presenters
from gateway.auth import current_caller, login_required
from gateway.people import author_named, named, people, unnamed
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
    the page does not name (``people``: identity names them)."""
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


class Blocks:
    """Whom a signed-in reader blocked, as identity's ``authenticate`` answered it with the caller (``gateway.auth``:
    dropped by every process when the reader's blocks change). Equal for readers who blocked the same people, so a
    page's body made for one (``BODIES``) serves the others. ``complete`` is False for a reader with more blocks
    than identity lists, whose page asks identity about its authors instead."""

    __slots__ = ("ids", "complete")

    def __init__(self, answer: dict):
        self.ids = frozenset(answer["ids"])
        self.complete = answer["complete"]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Blocks) and (self.ids, self.complete) == (other.ids, other.complete)

    def __hash__(self) -> int:
        return hash((self.ids, self.complete))


# Whom a caller blocked when identity's answer did not say (an identity older than this gateway, while a
# release rolls out): not listed whole, so the page asks identity about its authors, marked by ``seen_by``.
UNLISTED = {"ids": [], "complete": False}


def _blocks_of(reader: dict | None) -> Blocks | None:
    """Whom a signed-in ``reader`` (the caller) blocked, from what identity answered with the caller; None for a
    visitor."""
    return Blocks(reader.get("blocks") or UNLISTED) if reader else None


def _with_blocks(page_call, blocked: Blocks | None, comments_of=lambda page: page):
    """Content's page (``page_call``, started) and whom the reader blocked (``_blocks_of``): None for a visitor,
    or where the page holds nobody's comments."""
    page = services().gather(page_call)[0]
    if blocked is None or not comments_of(page).authors:
        return page, None
    return page, blocked


def _identity_asked(comments: Answer, reader: dict | None, blocks: Blocks | None) -> tuple[list[str], dict]:
    """Whom identity is asked about for a page, and how: the authors content's page does not name; for a reader
    whose blocks identity did not list whole, every author, with ``seen_by`` (its answer marks whom they blocked)."""
    if blocks is not None and not blocks.complete:
        return comments.authors, {"seen_by": reader["id"]}
    return comments.unnamed, {}


def _names(comments: Answer, found: dict) -> dict[str, dict | None]:
    """Each of the page's authors named: by identity's answer (``found``) where it was asked about them, else by
    content's copy of their names (the page's ``people``). An author nobody names (erased) is None."""
    held = comments.value.get("people") or {}
    names = {author: {"id": author, **held[author]} for author in comments.authors if author in held}
    names.update(named(found, [author for author in comments.authors if author in found or author not in held]))
    return names


def _blocked(comments: Answer, names: dict, found: dict, blocks: Blocks | None) -> set[str]:
    """The page's authors the reader blocked (none for a visitor), from the caller's ``blocks`` or, where those were not
    whole, from identity's ``seen_by`` answer; an erased author is nobody and never marked."""
    if blocks is None:
        return set()
    if blocks.complete:
        return {author for author in comments.authors if author in blocks.ids and names[author] is not None}
    return {i for i, person in found.items() if person.get("blocked")}


def _page_json(comments: Answer, people: Answer | None, blocks: Blocks | None, next_cursor: str | None) -> bytes:
    """The response's body: the page's comments with their authors named and, for a signed-in reader, marked
    ``blocked`` where they blocked the author; walked with a stack (never recursing on a thread's shape)."""
    found = people.value if people is not None else {}
    names = _names(comments, found)
    blocked = _blocked(comments, names, found, blocks)
    items = [_shown(node, names, blocked) for node in comments.value["items"]]
    stack = list(zip(comments.value["items"], items, strict=True))
    while stack:
        node, shown = stack.pop()
        for child in node["children"]:
            shown["children"].append(_shown(child, names, blocked))
            stack.append((child, shown["children"][-1]))
    return json.dumps({"items": items, "next_cursor": next_cursor}, separators=(",", ":")).encode()


# Bodies by (content's answer, identity's answers): while the services answer the same (content's kept page,
# identity's kept blocks and names), the body is made once, not decoded, walked and encoded again on every request.
BODIES = Presented(max_entries=64)


def _comments_json(comments: Answer, people: Answer | None, blocks: Blocks | None) -> bytes:
    """A page's body, made once while content and identity answer the same (``BODIES``)."""
    key = (comments, people, blocks)
    made = BODIES.get(key)
    if made is None:
        made = _page_json(comments, people, blocks, comments.value.get("next_cursor"))
        BODIES.put(key, made)
    return made


def _discussion_body(rpc, page_call) -> Response:
    """A page (or a whole thread) of comments read through content (``page_call``, started), with whom the reader
    blocked (``_with_blocks``); its authors named by content's page, and through identity where
    ``_identity_asked`` says (nobody, once content holds everyone's names)."""
    reader = current_caller(required=False)
    comments, blocks = _with_blocks(page_call, _blocks_of(reader))
    wanted, seen_by = _identity_asked(comments, reader, blocks)
    people = rpc.call("identity", "get_people", wanted, _present=Answer, **seen_by) if wanted else None
    return Response(_comments_json(comments, people, blocks), mimetype="application/json")


# The page GET /posts/{id}?comments= gives: GET /posts/{id}/comments' first page (the page content keeps).
FIRST_PAGE = CommentsQuery().load({})["limit"]


def post_with_discussion(post_id: str, sort: str, cursor: str | None) -> Response:
    """``GET /posts/{id}?comments=<sort>``: the post (as ``GET /posts/{id}`` gives it, with content's numbers) with
    a page of its discussion (as ``GET /posts/{id}/comments`` gives it) in one answer, from two rounds of calls:
    content's post and comment page in one call (``post_page``: the page presented once, and its body made once
    with ``BODIES``, while content answers it the same, whoever reads the post), marked with whom a signed-in
    reader blocked as identity answered it with the caller; then communities' subwiki and, only for people
    content's answer does not name (or where ``_identity_asked`` says), identity.

    A client revalidating the answer (``If-None-Match``) while nothing it was made from changed gets ``304``
    without any call (``gateway.pagetags``): what content read it from, as content tells (the post, its
    discussion, its authors' names, the reader's memberships), whom the reader blocked (part of the key) and the
    subwiki's summary (the same one held, ``gateway.summaries``). An answer that needed identity's names is not
    held."""
    rpc = services()
    reader = current_caller(required=False)
    held_pages = rpc.post_pages
    blocked = _blocks_of(reader)
    key = ("post_page", post_id, sort, cursor, reader and reader["id"], blocked)
    held = held_pages.held(key) if held_pages is not None else None
    if held is not None:
        tag, slug, summaries = held
        if conditional.sent_tag(tag) and _same_summaries(rpc, slug, summaries):
            held_pages.count("answered", key)
            return conditional.not_modified(tag)
    if held_pages is not None:
        held_pages.count("asked", key)
    started = time.monotonic()
    asked = (post_id, reader and reader["id"], sort, FIRST_PAGE, cursor)
    tagged = {"tags": True} if held_pages is not None else {}
    page_call = rpc.start("content", "post_page", *asked, _present=discussion, _part="comments", **tagged)
    page, blocks = _with_blocks(page_call, blocked, lambda page: page["comments"])
    found, comments = page["post"], page["comments"]
    author, held_names = found["author_id"], found.get("author_names")
    commenters, seen_by = _identity_asked(comments, reader, blocks)
    wanted = sorted({*commenters, *([author] if not held_names else [])} - {None})
    if wanted:
        names_call = rpc.start("identity", "get_people", wanted, _present=Answer, **seen_by)
        people, subwikis = rpc.gather(names_call, presenters.subwikis_of(rpc, [found]))
    else:
        people, (subwikis,) = None, rpc.gather(presenters.subwikis_of(rpc, [found]))
    names = author_named(author, held_names, people.value if people is not None else {})
    post = current_app.json.dumps(presenters.shown(found, names, subwikis), separators=(",", ":"))
    post = post.encode()
    body = post[:-1] + b',"comments":' + _comments_json(comments, people, blocks) + b"}"
    tag = conditional.etag_of(body)
    if held_pages is not None and not wanted:
        held_pages.keep(key, (tag, found["subwiki"], subwikis), page.get("tags"), started)
    return conditional.tagged(Response(body, mimetype="application/json"), tag)


def _same_summaries(rpc, slug: str, summaries: dict) -> bool:
    """Whether this process still holds the subwiki's summary a held answer was made with (``gateway.summaries``)."""
    held = rpc.summaries.held([slug]) if rpc.summaries is not None else None
    return held is not None and held == summaries


@bp.get("/posts/<post_id>/comments")
@doc(
    "The discussion: a page of top-level comments, each with its first 5 replies level by level (nested at most"
    " 8 levels) and how many more its thread holds",
    response=CommentPage,
    tag="Discussion",
    query=CommentsQuery,
    optional_auth=True,
)
def comments(post_id: str):
    args = query(CommentsQuery)
    asked = (post_id, args["sort"], args["limit"], args["cursor"])
    rpc = services()
    return _discussion_body(rpc, rpc.start("content", "list_comments", *asked, _present=discussion))


@bp.get("/comments/<comment_id>/thread")
@doc(
    "The thread that holds a comment: its top-level comment with every reply, as a page of one",
    response=CommentPage,
    tag="Discussion",
    optional_auth=True,
)
def thread(comment_id: str):
    rpc = services()
    page_call = rpc.start("content", "comment_thread", comment_id, _present=discussion)
    return _discussion_body(rpc, page_call)


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
