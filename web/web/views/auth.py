"""Sign up, sign in, sign out."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, request, session, url_for

from web.api import ApiError
from web.helpers import safe_next
from web.i18n import gettext
from web.views import call, form_page, remember

bp = Blueprint("auth", __name__)


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    if request.method == "GET":
        return form_page("auth/signup.html", next=safe_next(request.args.get("next")))
    form = request.form
    body = {"username": form.get("username", "").strip(), "email": form.get("email", "").strip()}
    body["password"] = form.get("password", "")
    if form.get("display_name", "").strip():
        body["display_name"] = form["display_name"].strip()
    try:
        call("POST", "/auth/register", json=body)
        login = call("POST", "/auth/login", json={"login": body["username"], "password": body["password"]})
    except ApiError as error:
        return form_page("auth/signup.html", error, next=safe_next(form.get("next")))
    lang = session.get("lang")
    remember(login)
    if lang:
        session["lang"] = lang
    flash(gettext("Welcome, %(name)s! Join a few subwikis to fill your home feed.", name=body["username"]), "ok")
    return redirect(safe_next(form.get("next")) or url_for("subwikis.index"))


@bp.route("/signin", methods=["GET", "POST"])
def signin():
    if request.method == "GET":
        return form_page("auth/signin.html", next=safe_next(request.args.get("next")))
    form = request.form
    try:
        login = call(
            "POST", "/auth/login", json={"login": form.get("login", "").strip(), "password": form.get("password", "")}
        )
    except ApiError as error:
        if error.status == 401:
            error = ApiError(400, "invalid_login", gettext("That name or password is not right."))
        return form_page("auth/signin.html", error, next=safe_next(form.get("next")))
    lang = session.get("lang")
    remember(login)
    if lang:
        session["lang"] = lang
    return redirect(safe_next(form.get("next")) or url_for("feed.home"))


@bp.post("/signout")
def signout():
    if g.token:
        try:
            call("POST", "/auth/logout")
        except ApiError:
            pass  # signing out of the site works even when the API cannot be told
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    flash(gettext("You are signed out."), "ok")
    return redirect(url_for("feed.front"))
