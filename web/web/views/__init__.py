"""What every view uses: the gateway client, the signed-in person, form failures."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Hashable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from flask import current_app, flash, g, redirect, render_template, request, session, url_for

from web import fragments
from web.api import NOT_MODIFIED, ApiError, Gateway
from web.fragments import Written, csrf_token
from web.helpers import age_moves_on
from web.i18n import catalog, gettext, locale_name


def gateway() -> Gateway:
    return current_app.extensions["gateway"]


# After a person's own write, the pages they read for this long ask the API with ``Cache-Control: no-cache``: the
# gateway works each answer out instead of answering 304 from a tag it holds (gateway.pagetags), which the
# service tells it to drop a moment after the write commits. So the page a comment or a vote redirects to shows it.
FRESH_AFTER_WRITE_SECONDS = 2.0


def call(method: str, path: str, **kwargs) -> Any:
    """The API's answer for the signed-in person (or anonymously); a write that succeeded is remembered in the
    session for ``FRESH_AFTER_WRITE_SECONDS``."""
    answer = gateway().request(
        method, path, g.get("token"), request_id=g.get("request_id"), traceparent=g.get("traceparent"), **kwargs
    )
    if method != "GET":
        session["wrote_at"] = time.time()
    return answer


def just_wrote() -> bool:
    """Whether this person's last write through the site succeeded less than ``FRESH_AFTER_WRITE_SECONDS`` ago."""
    return time.time() < session.get("wrote_at", 0) + FRESH_AFTER_WRITE_SECONDS


def api_get(path: str, **kwargs) -> Any:
    return call("GET", path, **kwargs)


_POOL = ThreadPoolExecutor(max_workers=16, thread_name_prefix="api")


def api_get_all(*requests: tuple[str, dict | None]) -> list[Any]:
    """Several independent reads at once (``(path, params)`` each): the page waits for the slowest,
    not for their sum. The first failure is raised, as one call's would be."""
    futures = [api_get_later(path, params) for path, params in requests]
    return [future.result() for future in futures]


def api_get_later(path: str, params: dict | None = None) -> Future:
    """A read started now, in the background; ``.result()`` gives its answer or raises its ApiError."""
    ids = {"request_id": g.get("request_id"), "traceparent": g.get("traceparent")}
    return _POOL.submit(gateway().request, "GET", path, g.get("token"), params=params, **ids)


# Pages written from one answer of the API, by everything they show (``answer_page``): the answer's tag, until
# when the page's ages read the same, and the page; at most this many a process.
PAGES: Written[tuple[str, datetime, str]] = Written(512)


def answer_page(
    path: str,
    params: dict | None,
    write: Callable[[Any], str],
    moments: Callable[[Any], Iterable[str]],
    *shows: Hashable,
    kept: Callable[[Any], bool] = lambda answer: True,
) -> str:
    """The page ``write`` makes of the API's answer at ``path``, written again only when what it shows changed.

    The API is asked every time, with the tag of the answer this page was last written from
    (``If-None-Match``, ``gateway.conditional``; with ``Cache-Control: no-cache`` just after the reader's own write,
    ``just_wrote``): while the answer is the same (a 304) and so is everything
    else the page shows, the page written then is the page now. What else it shows is its key: ``shows``
    (the view's own choices: its template, order, window), the reader (their token, names and unread count,
    the token of their forms), the language, the page's address (where its links and forms bring the reader
    back); and the ages in words of the answer's ``moments`` ("3 minutes ago"): the page is kept until the
    first of them moves on (``helpers.age_moves_on``), then written again. A page with a note to show once (a
    flashed message) is written afresh and not kept, as is one whose answer ``kept`` refuses (it shows more than
    the answer says).
    """
    if session.get("_flashes"):
        return fragments.spliced_in(write(api_get(path, params=params)))
    me = g.get("me")
    reader = (me.get("id"), me.get("username"), me.get("display_name"), unread_count()) if me else None
    page = (catalog(), locale_name(), request.scheme, request.host, request.root_path, request.full_path)
    page += (reader, csrf_token())
    key = (path, tuple(sorted((params or {}).items())), g.get("token"), page, shows)
    held = PAGES.get(key)
    ids = {"request_id": g.get("request_id"), "traceparent": g.get("traceparent")}
    etag = held[0] if held else None
    answer, tag = gateway().read(path, g.get("token"), etag=etag, params=params, fresh=just_wrote(), **ids)
    if answer is NOT_MODIFIED:
        if datetime.now(UTC) < held[1]:
            return held[2]
        answer, tag = gateway().read(path, g.get("token"), params=params, **ids)
    # Until when the page's ages read the same, from before it is written: a minute passing meanwhile makes
    # the next page anew.
    until = ages_move_on(moments(answer))
    keep = tag is not None and kept(answer)
    html = fragments.spliced_in(write(answer))
    if keep:
        PAGES.put(key, (tag, until, html))
    return html


def ages_move_on(moments: Iterable[str]) -> datetime:
    """When the first of these moments' ages in words moves on (``helpers.age_moves_on``); far ahead for none."""
    now = datetime.now(UTC)
    return min((age_moves_on(moment, now) for moment in moments), default=datetime.max.replace(tzinfo=UTC))


def signed_in(view: Callable) -> Callable:
    """Send a visitor to sign in, then back here."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not g.get("token"):
            back = request.full_path if request.method == "GET" else back_path()
            return redirect(url_for("auth.signin", next=back))
        return view(*args, **kwargs)

    return wrapper


def back_path() -> str | None:
    """Where the form that was sent lives on this site (its Referer path), or None."""
    referrer = request.referrer or ""
    root = request.host_url
    if referrer.startswith(root):
        return "/" + referrer[len(root) :]
    return None


def failure_message(error: ApiError) -> str:
    """What a person reads when the API refused: 429 says when, 503 says shortly, fields are shown by their fields."""
    if error.status == 429:
        if error.retry_after:
            return gettext("Too many attempts. Try again in %(seconds)d seconds.", seconds=error.retry_after)
        return gettext("Too many attempts. Try again in a little while.")
    if error.status == 503:
        return gettext("The service is busy or briefly down. Nothing was changed; please try again shortly.")
    if error.status == 409:
        return gettext("Someone changed this in the meantime. Look at the latest version and try again.")
    if error.status == 403:
        return error.message or gettext("You are not allowed to do that.")
    if error.status == 404:
        return gettext("That no longer exists.")
    if error.fields:
        return gettext("Please correct the fields marked below.")
    return error.message or gettext("Something went wrong.")


def form_page(template: str, error: ApiError | None = None, status: int = 200, **context):
    """A form again, with what the person typed and the API's errors beside their fields."""
    context.setdefault("form", request.form)
    context["errors"] = error.field_errors() if error else {}
    context["message"] = failure_message(error) if error else None
    if error is not None:
        status = error.status if error.status in (400, 403, 404, 409, 413, 429, 503) else 400
    response = current_app.make_response((render_template(template, **context), status))
    if error is not None and error.retry_after:
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def done(message: str, endpoint: str, **values):
    """POST-redirect-GET with a note for the next page."""
    flash(message, "ok")
    return redirect(url_for(endpoint, **values))


def refused(error: ApiError, fallback: str):
    """An action refused by the API: back where the person was, with the reason. 401 means sign in again."""
    if error.status == 401:
        raise error
    flash(failure_message(error), "error")
    return redirect(back_path() or fallback)


def switch(on: bool, path: str, fallback: str):
    """Turn something on (PUT ``path``) or off (DELETE ``path``): None when done, else the answer to the
    refusal (back to ``fallback`` with the reason)."""
    try:
        call("PUT" if on else "DELETE", path)
    except ApiError as error:
        return refused(error, fallback)
    return None


# The caller's mutes and blocks a page needs (the first hundred of each, by name).
KEPT_AWAY = {"limit": 100}


def usernames(page: dict) -> set[str]:
    """The usernames of a page of people muted or blocked (``/me/mutes/users``, ``/me/blocks``)."""
    return {item["person"]["username"] for item in (page or {}).get("items", [])}


def cursor_params() -> dict | None:
    """This page's ``?cursor=``, passed on to the API's page."""
    return {"cursor": request.args["cursor"]} if request.args.get("cursor") else None


def wiki_history(template: str, revisions: str, **context):
    """A wiki page's history, a post's or a subwiki's: a page of its revisions (``revisions``, their API
    path) and, with the site's ``?diff=N``, revision N with its changes against the one before it."""
    page = api_get(revisions, params=cursor_params())
    shown = request.args.get("diff", type=int)
    diff = api_get(f"{revisions}/{shown}") if shown else None
    return render_template(template, page=page, diff=diff, shown=shown, **context)


def restore_revision(revisions: str, revision: int, endpoint: str, **values):
    """Restore a wiki page's ``revision`` (``revisions``: their API path), then show its history (``endpoint``)."""
    try:
        call("POST", f"{revisions}/{revision}/revert")
    except ApiError as error:
        return refused(error, url_for(endpoint, **values))
    return done(gettext("Revision %(n)d is restored.", n=revision), endpoint, **values)


def remember(login: dict) -> None:
    session.clear()
    session.permanent = True
    session["token"] = login["token"]
    session["me"] = {"username": login["user"]["username"], "display_name": login["user"].get("display_name")}


# The header's unread count, which a kept page shows: imported last, as that module imports this one's names.
from web.views.notifications import unread_count
