"""People: profiles, following, settings, the download of one's data, leaving."""

from __future__ import annotations

import json

from flask import Blueprint, Response, g, redirect, render_template, request, session, url_for

from web.api import ApiError
from web.i18n import gettext
from web.views import (
    KEPT_AWAY,
    api_get,
    api_get_all,
    call,
    cursor_params,
    done,
    form_page,
    signed_in,
    switch,
    usernames,
)

bp = Blueprint("people", __name__)


@bp.get("/u/<username>")
def profile(username: str):
    params = cursor_params()
    reads = [
        (f"/users/{username}", None),
        (f"/users/{username}/posts", params),
        (f"/users/{username}/support", None),
        (f"/users/{username}/subwikis", {"limit": 100}),
    ]
    if g.token:
        reads += [("/me", None), ("/me/mutes/users", KEPT_AWAY), ("/me/blocks", KEPT_AWAY)]
    user, posts, support, subwikis, *mine = api_get_all(*reads)
    me, muted, blocked = mine or ({}, {"items": []}, {"items": []})
    return render_template(
        "people/profile.html",
        user=user,
        posts=posts,
        support=support,
        subwikis=subwikis,
        following=username in me.get("following", []),
        muted=username in usernames(muted),
        blocked=username in usernames(blocked),
    )


@bp.post("/u/<username>/follow")
@signed_in
def follow(username: str):
    following = request.form.get("follow") == "1"
    refusal = switch(following, f"/users/{username}/follow", url_for("people.profile", username=username))
    if refusal is not None:
        return refusal
    message = gettext("You follow %(name)s.", name=username) if following else gettext("You no longer follow them.")
    return done(message, "people.profile", username=username)


@bp.post("/u/<username>/mute")
@signed_in
def mute(username: str):
    muting = request.form.get("mute") == "1"
    refusal = switch(muting, f"/me/mutes/users/{username}", url_for("people.profile", username=username))
    if refusal is not None:
        return refusal
    if muting:
        message = gettext("You muted %(name)s.", name=username)
    else:
        message = gettext("You unmuted %(name)s.", name=username)
    return back(message, username)


@bp.post("/u/<username>/block")
@signed_in
def block(username: str):
    blocking = request.form.get("block") == "1"
    refusal = switch(blocking, f"/me/blocks/{username}", url_for("people.profile", username=username))
    if refusal is not None:
        return refusal
    if blocking:
        message = gettext("You blocked %(name)s.", name=username)
    else:
        message = gettext("You unblocked %(name)s.", name=username)
    return back(message, username)


def back(message: str, username: str):
    """After a mute or a block: back to the settings when it was done there, else to the profile."""
    if request.form.get("back") == "settings":
        return done(message, "people.settings")
    return done(message, "people.profile", username=username)


def _me_and_kept_away() -> tuple[dict, dict]:
    """The settings page's reads: the person, and what they muted and blocked (its own section)."""
    me, *kept_away = api_get_all(
        ("/me", None), ("/me/mutes/users", KEPT_AWAY), ("/me/mutes/subwikis", KEPT_AWAY), ("/me/blocks", KEPT_AWAY)
    )
    return me, dict(zip(("muted_people", "muted_subwikis", "blocked_people"), kept_away, strict=True))


@bp.route("/settings", methods=["GET", "POST"])
@signed_in
def settings():
    me, lists = _me_and_kept_away()
    if request.method == "GET":
        form = {"display_name": me.get("display_name") or "", "bio": me.get("bio") or ""}
        return form_page("people/settings.html", me=me, form=form, **lists)
    body = {"display_name": request.form.get("display_name", ""), "bio": request.form.get("bio", "")}
    try:
        updated = call("PATCH", "/me", json=body)
    except ApiError as error:
        if error.status == 401:
            raise
        return form_page("people/settings.html", error, me=me, **lists)
    session["me"] = {"username": updated["username"], "display_name": updated.get("display_name")}
    return done(gettext("Your profile is saved."), "people.settings")


@bp.get("/settings/export")
@signed_in
def export():
    data = api_get("/me/export", timeout=20)
    name = (g.me or {}).get("username", "me")
    response = Response(json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="wikisocial-{name}.json"'
    return response


@bp.post("/settings/delete")
@signed_in
def erase():
    try:
        call("DELETE", "/me", json={"password": request.form.get("password", "")})
    except ApiError as error:
        if error.status == 401 and "password" not in error.fields:
            error = ApiError(400, "validation_error", "", {"password": [gettext("That password is not right.")]})
        me, lists = _me_and_kept_away()
        return form_page("people/settings.html", error, me=me, form={}, **lists)
    session.clear()
    return redirect(url_for("feed.front"))
