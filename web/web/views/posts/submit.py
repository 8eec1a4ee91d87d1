"""Submitting a new post to one of one's subwikis, with its picture uploaded first for an image or a cartoon.
The post is written in the site's language as the reader chose it (search stems it by that language)."""

from __future__ import annotations

from flask import request
from flask_babel import get_locale

from web.api import ApiError
from web.i18n import gettext
from web.views import api_get, call, done, form_page, signed_in
from web.views.posts import bp

KINDS = ("link", "article", "image", "cartoon", "text")


def _my_subwikis(wanted: str) -> list[str]:
    """The subwikis one may post to. The profile's list is identity's copy, kept from communities' events,
    so a subwiki created or joined a moment ago may not be in it yet: the one the form is for is asked of
    its subwiki's own page (communities' answer) before the form says to join one first."""
    subwikis = api_get("/me").get("subwikis", [])
    if wanted and wanted not in subwikis:
        try:
            if api_get(f"/subwikis/{wanted}").get("is_member"):
                subwikis = [*subwikis, wanted]
        except ApiError as error:
            if error.status not in (400, 404):
                raise
    return subwikis


@bp.route("/submit", methods=["GET", "POST"])
@signed_in
def submit():
    wanted = request.args.get("subwiki", "") if request.method == "GET" else request.form.get("subwiki", "")
    subwikis = _my_subwikis(wanted)
    if request.method == "GET":
        form = {"subwiki": request.args.get("subwiki", ""), "kind": request.args.get("kind", "link")}
        return form_page("posts/submit.html", form=form, subwikis=subwikis, kinds=KINDS)
    form = request.form
    kind = form.get("kind") if form.get("kind") in KINDS else "link"
    body: dict = {"kind": kind, "title": form.get("title", ""), "language": get_locale().language}
    if kind == "link":
        body["url"] = form.get("url", "")
    if form.get("body"):
        body["body"] = form["body"]
    try:
        if kind in ("image", "cartoon"):
            picture = request.files.get("picture")
            if picture is None or not picture.filename:
                raise ApiError(400, "validation_error", "", {"picture": [gettext("Choose a picture to upload.")]})
            uploaded = call(
                "POST",
                "/uploads",
                files={"file": (picture.filename, picture.stream, picture.mimetype)},
                timeout=20,
            )
            body["image_id"] = uploaded["image_id"]
        created = call("POST", f"/subwikis/{form.get('subwiki', '')}/posts", json=body)
    except ApiError as error:
        if error.status == 401:
            raise
        if error.status == 404:
            error = ApiError(400, "validation_error", "", {"subwiki": [gettext("Choose one of your subwikis.")]})
        if error.status == 413:
            error = ApiError(413, "payload_too_large", "", {"picture": [gettext("The picture is too large.")]})
        if "image_id" in error.fields or "file" in error.fields:
            error.fields["picture"] = error.fields.pop("image_id", []) + error.fields.pop("file", [])
        return form_page("posts/submit.html", error, subwikis=subwikis, kinds=KINDS)
    if created.get("pending"):  # a new member's first post, held until the subwiki's moderators approve it
        return done(
            gettext("Your post waits for a moderator's approval; until then only you and the moderators see it."),
            "held_posts.queue",
            slug=created["held_post"]["subwiki"],
        )
    return done(gettext("Your post is up."), "posts.show", post_id=created["id"])
