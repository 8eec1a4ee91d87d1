"""Search: posts or comments by words, in the site's header and on its own page."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from web.api import ApiError
from web.views import api_get

bp = Blueprint("search", __name__)
KINDS = ("post", "comment")
SORTS = ("relevance", "quality", "new")


@bp.get("/search")
def results():
    q = request.args.get("q", "").strip()[:200]
    kind = request.args.get("kind") if request.args.get("kind") in KINDS else "post"
    sort = request.args.get("sort") if request.args.get("sort") in SORTS else "relevance"
    page, error = None, None
    if q:
        params = {"q": q, "kind": kind, "sort": sort, "limit": 25}
        for name in ("cursor", "subwiki"):
            if request.args.get(name):
                params[name] = request.args[name][:4000]
        try:
            page = api_get("/search", params=params)
        except ApiError as failure:
            if failure.status != 400:
                raise
            error = failure
    return render_template("search/results.html", q=q, kind=kind, sort=sort, page=page, error=error, sorts=SORTS)
