"""Mutes and blocks: the people and subwikis a person keeps out of their way (identity keeps them)."""

from __future__ import annotations

from flask import Blueprint, g, jsonify

from gateway.auth import login_required
from gateway.routes import doc, query, services
from gateway.schemas import KeptAwayPage, MutedSubwikiPage, PageQuery

bp = Blueprint("mutes", __name__, url_prefix="/api/v1")
TAG = "Identity"


def no_content():
    return "", 204


@bp.get("/me/mutes/users")
@login_required
@doc("The people you muted, by username", response=KeptAwayPage, auth=True, tag=TAG, query=PageQuery)
def muted_people():
    return jsonify(services().call("identity", "muted_people", g.caller["id"], **query(PageQuery)))


@bp.put("/me/mutes/users/<username>")
@login_required
@doc(
    "Mute a person: their posts leave your home feed, your front page and your notifications (idempotent)",
    status=204,
    auth=True,
    tag=TAG,
)
def mute_person(username: str):
    services().call("identity", "mute_user", g.caller["id"], username, True)
    return no_content()


@bp.delete("/me/mutes/users/<username>")
@login_required
@doc("Unmute a person (idempotent)", status=204, auth=True, tag=TAG)
def unmute_person(username: str):
    services().call("identity", "mute_user", g.caller["id"], username, False)
    return no_content()


@bp.get("/me/mutes/subwikis")
@login_required
@doc("The subwikis you muted, by slug", response=MutedSubwikiPage, auth=True, tag=TAG, query=PageQuery)
def muted_subwikis():
    page = services().call("identity", "muted_subwikis", g.caller["id"], **query(PageQuery))
    slugs = [item["subwiki"]["slug"] for item in page["items"]]
    names = services().call("communities", "get_subwikis", slugs) if slugs else {}
    for item in page["items"]:
        slug = item["subwiki"]["slug"]
        item["subwiki"] = {"slug": slug, "name": names.get(slug, {}).get("name", slug)}
    return jsonify(page)


@bp.put("/me/mutes/subwikis/<slug>")
@login_required
@doc(
    "Mute a subwiki: its posts leave your home feed, your front page and your notifications, not its own page"
    " (idempotent)",
    status=204,
    auth=True,
    tag=TAG,
)
def mute_subwiki(slug: str):
    subwiki = services().call("communities", "get_subwiki", slug)
    services().call("identity", "mute_subwiki", g.caller["id"], subwiki["id"], subwiki["slug"], True)
    return no_content()


@bp.delete("/me/mutes/subwikis/<slug>")
@login_required
@doc("Unmute a subwiki (idempotent)", status=204, auth=True, tag=TAG)
def unmute_subwiki(slug: str):
    subwiki = services().call("communities", "get_subwiki", slug)
    services().call("identity", "mute_subwiki", g.caller["id"], subwiki["id"], subwiki["slug"], False)
    return no_content()


@bp.get("/me/blocks")
@login_required
@doc("The people you blocked, by username", response=KeptAwayPage, auth=True, tag=TAG, query=PageQuery)
def blocked_people():
    return jsonify(services().call("identity", "blocked_people", g.caller["id"], **query(PageQuery)))


@bp.put("/me/blocks/<username>")
@login_required
@doc(
    "Block a person: muted, and they can no longer follow you (their follow ends), reply to you or mention you"
    " (idempotent)",
    status=204,
    auth=True,
    tag=TAG,
)
def block(username: str):
    services().call("identity", "block_user", g.caller["id"], username)
    blocks_changed()
    return no_content()


@bp.delete("/me/blocks/<username>")
@login_required
@doc("Unblock a person (idempotent)", status=204, auth=True, tag=TAG)
def unblock(username: str):
    services().call("identity", "unblock_user", g.caller["id"], username)
    blocks_changed()
    return no_content()


def blocks_changed() -> None:
    """The caller's blocks changed: this process asks identity who they are (and whom they blocked) on their
    next request, without waiting for identity's broadcast that tells every process so (``gateway.auth``)."""
    services().tokens.revoke({"user_id": g.caller["id"]})
