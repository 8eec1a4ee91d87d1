"""Accounts, sessions, profiles and follows."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from gateway.auth import TokenCache, current_caller, login_required
from gateway.presenters import upload_url
from gateway.routes import body, doc, query, services
from gateway.schemas import (
    EraseMeRequest,
    Export,
    LoginRequest,
    LoginResponse,
    MemberSubwikiPage,
    PageQuery,
    PrivateUser,
    PublicUser,
    RegisterRequest,
    Session,
    UpdateMeRequest,
)
from gateway.services import SERVICES

bp = Blueprint("identity", __name__, url_prefix="/api/v1")


def no_content():
    return "", 204


@bp.post("/auth/register")
@doc(
    "Create an account, signed in at once: the same answer as a login",
    RegisterRequest,
    Session,
    status=201,
    tag="Identity",
    errors=(409, 429),
)
def register():
    data = body(RegisterRequest)
    address = request.remote_addr or ""
    services().call(
        "identity", "register", data["username"], data["email"], data["password"], data.get("display_name"), address
    )
    session = services().call("identity", "login", data["username"], data["password"], address)
    return jsonify(session), 201


@bp.post("/auth/login")
@doc("Sign in with username or email", LoginRequest, LoginResponse, tag="Identity", errors=(401, 429))
def login():
    data = body(LoginRequest)
    session = services().call("identity", "login", data["login"], data["password"], request.remote_addr or "")
    return jsonify(session)


@bp.post("/auth/logout")
@login_required
@doc("Sign out; the token stops working at once", status=204, auth=True, tag="Identity")
def logout():
    services().tokens.revoke({"token_hashes": [TokenCache.key(g.token)]})
    services().call("identity", "logout", g.token)
    return no_content()


@bp.get("/me")
@login_required
@doc("The caller's own profile", response=PrivateUser, auth=True, tag="Identity")
def get_me():
    return jsonify(services().call("identity", "get_me", g.caller["id"]))


@bp.patch("/me")
@login_required
@doc("Change display name or bio", UpdateMeRequest, PrivateUser, auth=True, tag="Identity")
def update_me():
    data = body(UpdateMeRequest)
    return jsonify(services().call("identity", "update_me", g.caller["id"], **data))


@bp.delete("/me")
@login_required
@doc(
    "Erase the account; content is anonymised everywhere",
    EraseMeRequest,
    Export,
    status=204,
    auth=True,
    tag="Identity",
    errors=(403,),
)
def erase_me():
    data = body(EraseMeRequest)
    services().call("identity", "erase_me", g.caller["id"], data["password"])
    services().tokens.revoke({"user_id": g.caller["id"]})
    return no_content()


@bp.get("/me/export")
@login_required
@doc("Everything the platform holds about the caller", response=Export, auth=True, tag="Identity", kept=False)
def export_me():
    user_id = g.caller["id"]
    calls = [services().start(name, "export_user", user_id) for name in SERVICES]
    export = dict(zip(SERVICES, services().gather(*calls), strict=True))
    for upload in export["content"].get("uploads", []):
        upload["url"] = upload_url(upload.get("filename"))
    response = jsonify(export)
    response.headers["Cache-Control"] = "no-store"  # everything about a person: never kept by a client
    return response


@bp.get("/users/<username>")
@doc("A person's public profile", response=PublicUser, tag="Identity")
def get_user(username: str):
    return jsonify(services().call("identity", "get_user", username))


@bp.get("/users/<username>/subwikis")
@doc(
    "The subwikis a person belongs to, by name, with those they moderate marked",
    response=MemberSubwikiPage,
    tag="Identity",
    query=PageQuery,
)
def user_subwikis(username: str):
    args = query(PageQuery)
    user_id = services().call("identity", "get_user", username)["id"]
    return jsonify(services().call("communities", "list_member_subwikis", user_id, **args))


@bp.put("/users/<username>/follow")
@login_required
@doc("Follow a person (idempotent); 403 when they blocked you", status=204, auth=True, tag="Identity", errors=(403,))
def follow(username: str):
    services().call("identity", "follow_user", current_caller()["id"], username)
    return no_content()


@bp.delete("/users/<username>/follow")
@login_required
@doc("Unfollow a person (idempotent)", status=204, auth=True, tag="Identity")
def unfollow(username: str):
    services().call("identity", "unfollow_user", current_caller()["id"], username)
    return no_content()
