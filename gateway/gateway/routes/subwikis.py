"""Subwikis: thematic communities whose page is a wiki."""

from __future__ import annotations

from flask import Blueprint, g, jsonify

from gateway.auth import current_caller, login_required
from gateway.people import people, with_people
from gateway.routes import RETRY_KEY, body, doc, history, idempotency_key, query, revision_changes, services
from gateway.routes.posts import present_held
from gateway.schemas import (
    CreateSubwikiRequest,
    EditSubwikiRequest,
    HeldPostPage,
    MemberPage,
    ModlogPage,
    PageQuery,
    PageRevisionChanges,
    PageRevisionPage,
    Subwiki,
    SubwikiListQuery,
    SubwikiPage,
    SubwikiPendingPage,
)

bp = Blueprint("subwikis", __name__, url_prefix="/api/v1/subwikis")


def present(subwiki: dict) -> dict:
    """A subwiki as the API shows it: moderators as people, not ids."""
    names = people(services(), subwiki.pop("moderator_ids", []))
    subwiki["moderators"] = [person for person in names.values() if person]  # erased ones are null
    subwiki.pop("id", None)
    subwiki.setdefault("is_member", False)  # an anonymous reader is neither
    subwiki.setdefault("is_moderator", False)
    return subwiki


@bp.get("")
@doc(
    "Find subwikis by name and summary; sort by members, new or active",
    response=SubwikiPage,
    tag="Subwikis",
    query=SubwikiListQuery,
)
def list_subwikis():
    args = query(SubwikiListQuery)
    return jsonify(services().call("communities", "list_subwikis", **args))


@bp.post("")
@login_required
@doc(
    "Create a subwiki; its creator becomes its first moderator; an Idempotency-Key header makes a retry safe",
    CreateSubwikiRequest,
    Subwiki,
    201,
    auth=True,
    tag="Subwikis",
    errors=(409, 429),
    headers=(RETRY_KEY,),
    description="A new account starts one subwiki a day, more as its trust rises: beyond, "
    "429 `rate_limited` with `Retry-After`.",
)
def create_subwiki():
    data = body(CreateSubwikiRequest)
    created = services().call(
        "communities", "create_subwiki", g.caller["id"], **data, idempotency_key=idempotency_key()
    )
    return jsonify(present(created)), 201


@bp.get("/<slug>")
@doc("A subwiki", response=Subwiki, tag="Subwikis", optional_auth=True)
def get_subwiki(slug: str):
    caller = current_caller(required=False)
    subwiki = services().call("communities", "get_subwiki", slug, caller["id"] if caller else None)
    return jsonify(present(subwiki))


@bp.patch("/<slug>")
@login_required
@doc(
    "Edit the subwiki's page (any member); 409 on a stale base_revision",
    EditSubwikiRequest,
    Subwiki,
    auth=True,
    tag="Subwikis",
    errors=(403, 409),
)
def edit_subwiki(slug: str):
    data = body(EditSubwikiRequest)
    edited = services().call("communities", "edit_subwiki", g.caller["id"], slug, **data)
    return jsonify(present(edited))


@bp.get("/<slug>/revisions")
@doc(
    "The page's history, newest first",
    response=PageRevisionPage,
    tag="Subwikis",
    query=PageQuery,
    operation_id="subwiki_revisions",
)
def revisions(slug: str):
    return history("communities", slug)


@bp.get("/<slug>/revisions/<int:revision>")
@doc(
    "Revision n of the page with its changes against revision n-1",
    response=PageRevisionChanges,
    tag="Subwikis",
    operation_id="subwiki_revision",
)
def revision(slug: str, revision: int):
    return revision_changes("communities", slug, revision)


@bp.post("/<slug>/revisions/<int:revision>/revert")
@login_required
@doc(
    "Restore an earlier revision as a new one (any member)",
    response=Subwiki,
    auth=True,
    tag="Subwikis",
    errors=(403,),
    operation_id="restore_subwiki_revision",
)
def revert(slug: str, revision: int):
    return jsonify(present(services().call("communities", "restore_revision", g.caller["id"], slug, revision)))


@bp.put("/<slug>/membership")
@login_required
@doc("Join (idempotent)", status=204, auth=True, tag="Subwikis")
def join(slug: str):
    services().call("communities", "join_subwiki", g.caller["id"], slug)
    return "", 204


@bp.delete("/<slug>/membership")
@login_required
@doc("Leave (idempotent)", status=204, auth=True, tag="Subwikis")
def leave(slug: str):
    services().call("communities", "leave_subwiki", g.caller["id"], slug)
    return "", 204


def _user_id(username: str) -> str:
    return services().call("identity", "get_user", username)["id"]


@bp.put("/<slug>/moderators/<username>")
@login_required
@doc("Appoint a moderator (moderators only)", status=204, auth=True, tag="Subwikis", errors=(403,))
def appoint(slug: str, username: str):
    services().call("communities", "add_moderator", g.caller["id"], slug, _user_id(username))
    return "", 204


@bp.delete("/<slug>/moderators/<username>")
@login_required
@doc("Remove a moderator (moderators only)", status=204, auth=True, tag="Subwikis", errors=(403,))
def dismiss(slug: str, username: str):
    services().call("communities", "remove_moderator", g.caller["id"], slug, _user_id(username))
    return "", 204


@bp.get("/<slug>/members")
@doc("A subwiki's members, the most recent to join first", response=MemberPage, tag="Subwikis", query=PageQuery)
def members(slug: str):
    args = query(PageQuery)
    page = services().call("communities", "list_members", slug, **args)
    with_people(services(), page["items"], "user_id", "person")
    return jsonify(page)


@bp.get("/<slug>/pending")
@login_required
@doc(
    "The subwiki's edits held for review, the longest waiting first (trusted members, moderators)",
    response=SubwikiPendingPage,
    auth=True,
    tag="Moderation",
    query=PageQuery,
    errors=(403,),
    operation_id="subwiki_pending",
)
def pending(slug: str):
    args = query(PageQuery)
    page = services().call("content", "list_subwiki_pending", g.caller["id"], slug, **args)
    with_people(services(), page["items"], "editor_id", "editor")
    return jsonify(page)


@bp.get("/<slug>/modlog")
@doc("The public log of moderators' actions", response=ModlogPage, tag="Moderation", query=PageQuery)
def modlog(slug: str):
    args = query(PageQuery)
    page = services().call("communities", "get_modlog", slug, **args)
    with_people(services(), page["items"], "actor_id", "actor")
    return jsonify(page)


@bp.put("/<slug>/first-post-approval")
@login_required
@doc(
    "Hold each new member's first post here until a moderator approves it (moderators)",
    status=204,
    auth=True,
    tag="Moderation",
    errors=(403,),
)
def require_first_post_approval(slug: str):
    services().call("content", "set_first_post_approval", g.caller["id"], slug, True)
    return "", 204


@bp.delete("/<slug>/first-post-approval")
@login_required
@doc("Stop holding new members' first posts (moderators)", status=204, auth=True, tag="Moderation", errors=(403,))
def lift_first_post_approval(slug: str):
    services().call("content", "set_first_post_approval", g.caller["id"], slug, False)
    return "", 204


@bp.get("/<slug>/held-posts")
@login_required
@doc(
    "Posts held for approval, the longest waiting first: all of them for moderators, one's own for anyone else",
    response=HeldPostPage,
    auth=True,
    tag="Moderation",
    query=PageQuery,
)
def held_posts(slug: str):
    args = query(PageQuery)
    page = services().call("content", "list_held_posts", g.caller["id"], slug, **args)
    present_held(page["items"])
    return jsonify(page)
