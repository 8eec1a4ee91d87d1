"""The front page and the home feed."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from web.views import answer_page, signed_in

bp = Blueprint("feed", __name__)
SORTS = ("quality", "new", "top")
WINDOWS = ("day", "week", "all")


def choice(name: str, allowed: tuple[str, ...], default: str) -> str:
    value = request.args.get(name, default)
    return value if value in allowed else default


@bp.get("/")
def front():
    sort, window = choice("sort", SORTS, "quality"), choice("window", WINDOWS, "week")
    params = {"sort": sort, "window": window, "limit": 25}
    if request.args.get("cursor"):
        params["cursor"] = request.args["cursor"]

    def write(page: dict) -> str:
        return render_template("feed/front.html", page=page, sort=sort, window=window, sorts=SORTS, windows=WINDOWS)

    return answer_page("/feed/public", params, write, posted, "front", sort, window)


@bp.get("/home")
@signed_in
def home():
    sort = choice("sort", ("quality", "new"), "quality")
    params = {"sort": sort, "limit": 25}
    if request.args.get("cursor"):
        params["cursor"] = request.args["cursor"]

    def write(page: dict) -> str:
        return render_template("feed/home.html", page=page, sort=sort, sorts=("quality", "new"))

    return answer_page("/feed", params, write, posted, "home", sort)


def posted(page: dict) -> list[str]:
    """When each of a feed page's posts was written: its cards say how long ago."""
    return [item["post"].get("created_at") or "" for item in page["items"]]
