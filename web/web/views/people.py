"""People: profiles, following, settings, the download of one's data, leaving."""

from __future__ import annotations

import json

from flask import Blueprint, Response, g, redirect, render_template, request, session, url_for

from web.api import ApiError
from web.i18n import gettext
from web.views import (
    api_get,
    api_get_all,
    call,
    cursor_params,
    done,
    form_page,
    refused,
    signed_in,
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
        reads.append(("/me", None))
    user, posts, support, subwikis, *me = api_get_all(*reads)
    following = bool(me) and username in me[0].get("following", [])
    return render_template(
        "people/profile.html", user=user, posts=posts, support=support, subwikis=subwikis, following=following
    )


@bp.post("/u/<username>/follow")
@signed_in
def follow(username: str):
    following = request.form.get("follow") == "1"
    try:
        call("PUT" if following else "DELETE", f"/users/{username}/follow")
    except ApiError as error:
        return refused(error, url_for("people.profile", username=username))
    message = gettext("You follow %(name)s.", name=username) if following else gettext("You no longer follow them.")
    return done(message, "people.profile", username=username)


@bp.route("/settings", methods=["GET", "POST"])
@signed_in
def settings():
    me = api_get("/me")
    if request.method == "GET":
        form = {"display_name": me.get("display_name") or "", "bio": me.get("bio") or ""}
        return form_page("people/settings.html", me=me, form=form)
    body = {"display_name": request.form.get("display_name", ""), "bio": request.form.get("bio", "")}
    try:
        updated = call("PATCH", "/me", json=body)
    except ApiError as error:
        if error.status == 401:
            raise
        return form_page("people/settings.html", error, me=me)
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
        me = api_get("/me")
        return form_page("people/settings.html", error, me=me, form={})
    session.clear()
    return redirect(url_for("feed.front"))
