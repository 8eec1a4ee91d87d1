"""The two pieces of HTML a page repeats most: a post's card (25 on a feed's page) and a comment (up to 200
on a post's page), written in Python instead of a Jinja macro.

Jinja spends its time per value it writes (the value looked up, escaped, wrapped as markup, joined): a
comment with its actions writes some thirty, a card twenty, and on the site's two busiest pages those values
were most of the page's CPU. Here each page works out once what every item shares (its translated labels,
the CSRF token, the post's address), and each item escapes only what is its own. Every value from the API is
escaped (``html.escape``, quotes included, as Jinja's autoescape does) but the API's own sanitised
``body_html``; addresses take a person's name or a subwiki's slug percent-encoded, as ``urlencode`` did.
Templates call these as globals (``post_cards``, ``discussion``); their tests are ``tests/test_fragments.py``.

What a piece is written from decides it: a card from its item, a comment's head (its author, age, votes and
body, everything before the reader's own actions) from those values, a ``<time>`` from the moment and its age
in words, each in the request's language. Each is kept by those values (``Written``, bounded per process,
the oldest going first) and taken again when a page shows the same: the front page and a subwiki's are the
same answer for every reader between changes, and a post's comments are the same for every reader but the
actions each may take. A changed value (a vote, an edit, a minute more of age) is another key: written anew.

Every page's header and footer (``page_header``, ``page_footer``) are written from their templates and kept the
same way, by what they show: the language, the reader and their unread count, the token of their forms, and
the page's own address where a link or form brings the reader back to it.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterable
from functools import partial
from html import escape as _escape
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import orjson
from flask import g, has_request_context, render_template, request, session
from markupsafe import Markup

from web.helpers import (
    FACTORS,
    _,
    age,
    age_in_words,
    comment_rows,
    domain,
    iso_date,
    kind_label,
    number,
    person,
    reasons_in_words,
)
from web.i18n import catalog, decimal_symbol, gettext, locale_name, ngettext

T = TypeVar("T")


def esc(value: Any) -> str:
    """A value as text in HTML, in an element or a quoted attribute."""
    if type(value) is int:  # counts and scores: digits only
        return str(value)
    return _escape(value if type(value) is str else str(value))


def _path(value: Any) -> str:
    """A name or slug as a segment of an address, percent-encoded, then escaped for its attribute."""
    return _escape(quote(value if type(value) is str else str(value), safe="/"))


class Written(Generic[T]):
    """Pieces of HTML (or a page with what it was written from) by what they were written from, at most ``most``
    of them, the oldest going first. Read without a lock (a dict's ``get`` is atomic); added under one."""

    def __init__(self, most: int):
        self.most = most
        self.pieces: dict[tuple, T] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple) -> T | None:
        return self.pieces.get(key)

    def put(self, key: tuple, piece: T) -> T:
        with self._lock:
            while key not in self.pieces and len(self.pieces) >= self.most:
                del self.pieces[next(iter(self.pieces))]
            self.pieces[key] = piece
        return piece

    def taken(self, key: tuple, write: Callable[[], T]) -> T:
        """The piece kept for ``key``, else the one ``write`` gives, kept."""
        piece = self.pieces.get(key)
        return piece if piece is not None else self.put(key, write())


TIMES: Written[str] = Written(8192)


# A post's discussion is most of its page (200 comments: some 200 KB of HTML). Passed through Jinja it would be
# copied again at every level it goes up (the macro's answer, the block, the page, then encoded whole); within a
# request it goes into the page as a placeholder instead, and ``splice`` puts it in the response's bytes, encoded
# once. The placeholder is an HTML comment with a token drawn for the request, which no text of anyone's can
# guess (and the API's sanitised HTML keeps no comment anyway).
def spliced_later(html: str) -> Markup:
    """``html`` as the page will show it: a placeholder within a request (``splice`` replaces it), else itself."""
    if not has_request_context():
        return Markup(html)
    later = g.setdefault("spliced", {})
    mark = f"<!--fragment {secrets.token_hex(12)}-->"
    later[mark.encode()] = html
    return Markup(mark)


def spliced_in(html: str) -> str:
    """``html`` with the request's fragments (``spliced_later``) in place of their placeholders, now: for a page
    kept whole (``views.answer_page``). They are then done: the response has none left to splice."""
    later = g.pop("spliced", None) if has_request_context() else None
    for mark, fragment in (later or {}).items():
        html = html.replace(mark.decode(), fragment, 1)
    return html


def splice(response) -> None:
    """Put the request's fragments (``spliced_later``) in a page's response in place of their placeholders."""
    later = g.get("spliced")
    if not later or response.direct_passthrough or response.mimetype != "text/html":
        return
    body = response.get_data()
    for mark, html in later.items():
        body = body.replace(mark, html.encode(), 1)
    response.set_data(body)


# The header and footer every page shows: some forty values each time (its links, labels, the reader's name and
# unread count, the CSRF token of its forms), the same from one page to the next for a reader. Each is written
# from the template by what it shows and kept by it (the language, where the site is mounted, the reader, the
# count, the token; the page's own address where a form or link carries it back).
FRAMES: Written[str] = Written(4096)


def page_header(unread: int | None) -> Markup:
    """The page's header (``components/header.html``) for the request's reader, ``unread`` their unread count
    (None for a visitor)."""
    me = g.get("me")
    if me:
        reader = (me.get("id"), me.get("username"), me.get("display_name"), unread, csrf_token())
        back = None
    else:
        reader, back = None, request.full_path  # a visitor's "Sign in" brings them back here
    query = request.args.get("q", "") if request.endpoint == "search.results" else ""
    key = ("header", catalog(), locale_name(), request.root_path, reader, back, query)
    return Markup(FRAMES.taken(key, lambda: render_template("components/header.html", unread=unread)))


def page_footer() -> Markup:
    """The page's footer (``components/footer.html``): the ledger's link and the language switch, which
    brings the reader back to this page."""
    key = ("footer", catalog(), locale_name(), request.root_path, csrf_token(), request.full_path)
    return Markup(FRAMES.taken(key, lambda: render_template("components/footer.html")))


def csrf_token() -> str:
    """The token every form of the reader's session carries (``csrf_token()`` in templates), made when first asked."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(24)
    return token


def _time(moment: str, language: Any = None) -> str:
    """When, as a ``<time>`` element: how long ago, the date on hover (``language``: the request's catalog,
    when the caller has it at hand)."""
    when = age(moment)
    key = (language if language is not None else catalog(), moment, when)
    return TIMES.taken(
        key, lambda: f'<time datetime="{esc(moment)}" title="{esc(iso_date(moment))}">{esc(age_in_words(when))}</time>'
    )


def _labels(messages: dict[str, str]) -> dict[str, str]:
    """Messages in the request's language, escaped once for the whole page."""
    return {key: esc(gettext(text)) for key, text in messages.items()}


CARD_LABELS = {"why": _("Why it is here:"), "rank": _("rank")}


# Cards by the item as the API gave it (its JSON), the language's catalog, the decimal sign and the post's age
# as its ``<time>`` shows it: a card is a function of these alone.
CARDS: Written[str] = Written(2048)


def post_cards(items: Iterable[dict]) -> Markup:
    """A feed's page of items (``{post, rank}``) as cards: title and link's domain, picture, kind, subwiki,
    author, age, comments and votes, and why the item is there (``rank.reasons`` in words, their numbers
    in a details element). A card written from the same item, in the same language and at the same age in
    words, is taken from ``CARDS`` rather than written again."""
    language = catalog()
    decimal = esc(decimal_symbol())  # numbers (``helpers.number``) are digits, a sign and this
    labels: tuple[dict[str, str], dict[str, str]] | None = None
    out: list[str] = []
    for item in items:
        when = _time(item["post"].get("created_at") or "", language)
        key = (orjson.dumps(item), language, decimal, when)
        card = CARDS.get(key)
        if card is None:
            if labels is None:  # translated once a page, and only for a page with a card to write
                labels = (_labels(CARD_LABELS), _labels(FACTORS))
            card = CARDS.put(key, _write_card(item, when, decimal, *labels))
        out.append(card)
    return Markup("".join(out))


def _write_card(item: dict, when: str, decimal: str, labels: dict[str, str], factors: dict[str, str]) -> str:
    """An item's card, with its ``<time>`` element as given and the page's labels and factors' names."""
    out: list[str] = []
    w = out.append
    post = item["post"]
    here = f"/posts/{esc(post['id'])}"
    w(f'<article class="card">\n  <h2><a href="{here}">{esc(post["title"])}</a>\n  ')
    if post.get("url"):
        w(f'<span class="domain">({esc(domain(post["url"]))})</span>')
    w("</h2>\n  ")
    if post.get("image_url"):
        w(f'<img class="thumb" src="{esc(post["image_url"])}" alt="" loading="lazy">')
    subwiki = post.get("subwiki") or {}
    slug = subwiki.get("slug", "")
    author = post.get("author")
    score = post.get("score") or {}
    w(
        f'\n  <p class="meta">\n    <span class="kind">{esc(kind_label(post["kind"]))}</span> ·\n'
        f'    <a href="/s/{_path(slug)}">{esc(subwiki.get("name") or slug)}</a> ·\n    '
    )
    if author and author.get("username"):
        w(f'<a href="/u/{_path(author["username"])}">{esc(person(author))}</a>')
    else:
        w(esc(person(author)))
    comments = ngettext("%(num)d comment", "%(num)d comments", post.get("comment_count") or 0)
    w(
        f" ·\n    {when} ·\n"
        f'    <a href="{here}#comments">{esc(comments)}</a> ·\n'
        f"    &#9650; {esc(score.get('up') or 0)} &#9660; {esc(score.get('down') or 0)}\n  </p>\n"
    )
    rank = item.get("rank")
    if rank:
        reasons = rank.get("reasons") or []
        words = " · ".join(reasons_in_words(reasons, post))
        w(f'  <details class="why">\n    <summary>{labels["why"]} {esc(words)}</summary>\n    <dl>\n      ')
        for reason in reasons:
            factor = reason["factor"]
            name = factors.get(factor) or esc(factor)
            w(f"<dt>{name}</dt><dd>{number(reason['value'], decimal=decimal)}</dd>")
        w(f"\n      <dt>{labels['rank']}</dt><dd>{number(rank.get('score'), 4, decimal)}</dd>\n")
        w("    </dl>\n  </details>\n")
    w("</article>\n")
    return "".join(out)


COMMENT_LABELS = {
    "blocked": _("blocked"),
    "blocked_note": _("You blocked this person."),
    "hide": _("Show or hide"),
    "deleted": _("This comment was deleted."),
    "up": _("Vote up"),
    "down": _("Vote down"),
    "edit": _("Edit"),
    "delete": _("Delete"),
    "report": _("Report"),
    "reply": _("Reply"),
    "more": _("Continue this thread"),
}


# Comments' heads (``_head``) by the values they are written from, in the request's language.
HEADS: Written[str] = Written(8192)


def _head(cid: str, author: dict | None, when: str, score: dict, c: dict, t: dict[str, str]) -> str:
    """A comment's HTML up to its actions: its author, age and votes, then its body (or that it was deleted),
    folded when the reader blocked its author."""
    out: list[str] = [f'<li id="c-{cid}">\n  <article class="comment">\n  <p class="meta">\n      ']
    w = out.append
    if author and author.get("username"):
        w(f'<a href="/u/{_path(author["username"])}">{esc(person(author))}</a>')
    else:
        w(esc(person(author)))
    up, down = esc(score.get("up") or 0), esc(score.get("down") or 0)
    w(f"\n      · {when}\n      · &#9650; {up} &#9660; {down}\n  </p>\n  ")
    if c.get("blocked"):
        w(f'<details class="blocked">\n    <summary class="fold">{t["blocked"]}</summary>\n')
        w(f'    <p class="meta">{t["blocked_note"]}</p>\n    ')
    else:
        w(f'<details open>\n    <summary class="fold">{t["hide"]}</summary>\n    ')
    if c.get("deleted"):
        w(f'<p class="gone">{t["deleted"]}</p>\n    ')
    else:
        w(f'<div class="body">{c.get("body_html") or ""}</div>\n    ')
    return "".join(out)


def discussion(*args: Any, **kwargs: Any) -> Markup:
    """``discussion_html`` as markup."""
    return Markup(discussion_html(*args, **kwargs))


def discussion_in_page(*args: Any, **kwargs: Any) -> Markup:
    """``discussion_html`` as a page's template shows it: spliced into the response (``spliced_later``)."""
    return spliced_later(discussion_html(*args, **kwargs))


def discussion_html(
    post: dict,
    nodes: list[dict],
    max_depth: int,
    me: dict | None,
    csrf_token: str,
    failed_parent: str | None = None,
    reply_form: Callable[[str], Any] | None = None,
) -> str:
    """A post's comments as nested lists in reading order (``helpers.comment_rows``: the tree walked without
    recursion, replies past ``max_depth`` only linked to their thread). A signed-in reader (``me``) gets
    each comment's vote buttons, report and reply links, and edit and delete where the comment is theirs
    (delete too where the post's reader may moderate it). ``failed_parent``: the comment whose reply did not
    go through, shown with ``reply_form(comment_id)`` (what the person typed, and the error) in place of its
    reply link."""
    t = _labels(COMMENT_LABELS)
    post_id = esc(post["id"])
    here = f"/posts/{post_id}"
    token = esc(csrf_token)
    can_moderate = bool(post.get("can_moderate"))
    my_name = me.get("username") if me else None
    hidden = (
        f'<input type="hidden" name="csrf_token" value="{token}"><input type="hidden" name="post_id" value="{post_id}">'
    )
    votes = (
        f'/vote">{hidden}\n        <button name="value" value="1"><span aria-hidden="true">&#9650;</span>'
        f'<span class="visually-hidden">{t["up"]}</span></button> <button name="value" value="-1">'
        f'<span aria-hidden="true">&#9660;</span><span class="visually-hidden">{t["down"]}</span></button></form>\n'
    )
    out = ['<ol class="comments">\n']
    w = out.append
    language = catalog()
    for c, nested, closes in comment_rows(nodes, max_depth):
        cid = esc(c["id"])
        author = c.get("author")
        score = c.get("score") or {}
        when = _time(c.get("created_at") or "", language)
        deleted = c.get("deleted")
        names = (author.get("username"), author.get("display_name")) if author else None
        key = (language, c["id"], names, when, score.get("up"), score.get("down"), c.get("blocked"), deleted)
        key += (c.get("body_html"),)
        w(HEADS.taken(key, partial(_head, cid, author, when, score, c, t)))
        if me and not deleted:
            mine = bool(author) and author.get("username") == my_name
            w(f'<div class="actions">\n      <form method="post" action="/comments/{cid}{votes}      ')
            if mine:
                w(f'<a href="/comments/{cid}/edit?post_id={post_id}">{t["edit"]}</a>\n      ')
            if mine or can_moderate:
                w(
                    f'<form method="post" action="/comments/{cid}/delete">{hidden}'
                    f'<button class="link">{t["delete"]}</button></form>\n      '
                )
            w(f'<a href="/report/comment/{cid}?post_id={post_id}">{t["report"]}</a>\n      ')
            if failed_parent != c["id"]:
                w(f'<a href="{here}/thread/{cid}?reply={cid}#reply-{cid}" data-reply="{cid}">{t["reply"]}</a>\n')
            w("    </div>\n    ")
            if failed_parent == c["id"] and reply_form is not None:
                w(str(reply_form(c["id"])))
        if c.get("more_replies"):
            more = esc(c["more_replies"])
            w(f'<p class="more"><a href="{here}/thread/{cid}">{t["more"]} (+{more}) &#8594;</a></p>\n    ')
        if nested:
            w('<ol class="comments">\n')
            continue
        if c.get("children"):
            w(f'<p class="more"><a href="{here}/thread/{cid}">{t["more"]} &#8594;</a></p>\n')
        w("  </details>\n  </article>\n</li>\n")
        w("</ol></details></article></li>\n" * closes)
    w("</ol>\n")
    return "".join(out)
