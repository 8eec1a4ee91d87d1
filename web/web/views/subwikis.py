"""Subwikis: discover and search, a subwiki's page, its wiki history, joining, the moderation log."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request, url_for

from web.api import ApiError
from web.helpers import diff_lines
from web.i18n import gettext
from web.views import (
    KEPT_AWAY,
    api_get,
    api_get_all,
    call,
    cursor_params,
    done,
    form_page,
    restore_revision,
    signed_in,
    switch,
    wiki_history,
)

bp = Blueprint("subwikis", __name__)


@bp.get("/subwikis")
def index():
    sort = request.args.get("sort") if request.args.get("sort") in ("members", "new", "active") else "members"
    params = {"sort": sort, "limit": 50}
    q = request.args.get("q", "").strip()
    if q:
        params["q"] = q
    if request.args.get("cursor"):
        params["cursor"] = request.args["cursor"]
    page = api_get("/subwikis", params=params)
    return render_template("subwikis/index.html", page=page, q=q, sort=sort)


@bp.route("/subwikis/new", methods=["GET", "POST"])
@signed_in
def create():
    if request.method == "GET":
        return form_page("subwikis/new.html")
    form = request.form
    body = {key: form.get(key, "").strip() for key in ("slug", "name", "summary", "description")}
    try:
        created = call("POST", "/subwikis", json=body)
    except ApiError as error:
        if error.status == 401:
            raise
        return form_page("subwikis/new.html", error)
    return done(gettext("Your subwiki is ready."), "subwikis.show", slug=created["slug"])


@bp.get("/s/<slug>")
def show(slug: str):
    sort = request.args.get("sort") if request.args.get("sort") in ("quality", "new", "top") else "quality"
    params = {"sort": sort, "limit": 25}
    if request.args.get("cursor"):
        params["cursor"] = request.args["cursor"]
    reads = [(f"/subwikis/{slug}", None), (f"/subwikis/{slug}/posts", params)]
    if g.token:
        reads.append(("/me/mutes/subwikis", KEPT_AWAY))
    subwiki, posts, *muted = api_get_all(*reads)
    muted = any(item["subwiki"]["slug"] == subwiki["slug"] for page in muted for item in (page or {}).get("items", []))
    return render_template("subwikis/show.html", subwiki=subwiki, posts=posts, sort=sort, muted=muted)


@bp.post("/s/<slug>/mute")
@signed_in
def mute(slug: str):
    muting = request.form.get("mute") == "1"
    refusal = switch(muting, f"/me/mutes/subwikis/{slug}", url_for("subwikis.show", slug=slug))
    if refusal is not None:
        return refusal
    message = gettext("You muted this subwiki.") if muting else gettext("You unmuted this subwiki.")
    if request.form.get("back") == "settings":
        return done(message, "people.settings")
    return done(message, "subwikis.show", slug=slug)


@bp.post("/s/<slug>/membership")
@signed_in
def membership(slug: str):
    joining = request.form.get("join") == "1"
    refusal = switch(joining, f"/subwikis/{slug}/membership", url_for("subwikis.show", slug=slug))
    if refusal is not None:
        return refusal
    message = gettext("You joined this subwiki.") if joining else gettext("You left this subwiki.")
    return done(message, "subwikis.show", slug=slug)


@bp.route("/s/<slug>/edit", methods=["GET", "POST"])
@signed_in
def edit(slug: str):
    subwiki = api_get(f"/subwikis/{slug}")
    if request.method == "GET":
        form = {"summary": subwiki["summary"], "description": subwiki.get("description") or ""}
        form["base_revision"] = subwiki["revision"]
        return form_page("subwikis/edit.html", subwiki=subwiki, form=form, preview=None)
    form = request.form
    proposed = {"summary": form.get("summary", ""), "description": form.get("description", "")}
    if form.get("action") == "preview":
        preview = {
            name: diff_lines(subwiki.get(name) or "", value)
            for name, value in proposed.items()
            if (subwiki.get(name) or "") != value
        }
        return form_page("subwikis/edit.html", subwiki=subwiki, preview=preview)
    body = {**proposed, "base_revision": int(form.get("base_revision") or subwiki["revision"])}
    body["edit_summary"] = form.get("edit_summary", "")
    try:
        call("PATCH", f"/subwikis/{slug}", json=body)
    except ApiError as error:
        if error.status == 401:
            raise
        return form_page("subwikis/edit.html", error, subwiki=subwiki, preview=None)
    return done(gettext("The page is updated."), "subwikis.show", slug=slug)


@bp.get("/s/<slug>/history")
def history(slug: str):
    subwiki = api_get(f"/subwikis/{slug}")
    return wiki_history("subwikis/history.html", f"/subwikis/{slug}/revisions", subwiki=subwiki)


@bp.post("/s/<slug>/revisions/<int:revision>/restore")
@signed_in
def restore(slug: str, revision: int):
    return restore_revision(f"/subwikis/{slug}/revisions", revision, "subwikis.history", slug=slug)


@bp.get("/s/<slug>/members")
def members(slug: str):
    params = cursor_params()
    subwiki, page = api_get_all((f"/subwikis/{slug}", None), (f"/subwikis/{slug}/members", params))
    return render_template("subwikis/members.html", subwiki=subwiki, page=page)


@bp.get("/s/<slug>/modlog")
def modlog(slug: str):
    subwiki = api_get(f"/subwikis/{slug}")
    params = cursor_params()
    page = api_get(f"/subwikis/{slug}/modlog", params=params)
    return render_template("subwikis/modlog.html", subwiki=subwiki, page=page)
