"""Markdown to safe HTML: rendered server-side, raw HTML from users never served.

markdown-it escapes raw HTML (``html`` off) and refuses ``javascript:`` links;
nh3 then keeps only an allow-list of tags and attributes, whatever got through.
Images from other sites are not embedded (they would tell third parties who
reads what); pictures come from uploads.

Rendering is pure CPU: a hostile text within the limits (100,000 characters of nested
emphasis or brackets) takes seconds. Texts longer than ``INLINE_LIMIT`` render in
eventlet's thread pool, at most ``WORKERS`` at once, so the service's other requests go on.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import nh3
from eventlet import tpool
from eventlet.semaphore import Semaphore
from markdown_it import MarkdownIt

_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
_TAGS = {
    "p",
    "br",
    "hr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "strong",
    "em",
    "del",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}


INLINE_LIMIT = 2_000
WORKERS = 2
_slots = Semaphore(WORKERS)


def render(markdown: str) -> str:
    """Safe HTML for ``markdown``; a long text is rendered off the event loop."""
    markdown = markdown or ""
    if len(markdown) <= INLINE_LIMIT:
        return _render(markdown)
    with _slots:
        return tpool.execute(_render, markdown)


def _render(markdown: str) -> str:
    html = _MARKDOWN.render(markdown)
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener ugc",
    )


# Mentions: ``@username`` in a text's words (never inside a link, code or a longer word) becomes a
# link to the person's profile, after sanitising, for the names that exist. At most MENTION_LIMIT
# distinct people are notified per text (a text naming more still links them all).
MENTION_LIMIT = 10
PROFILE_PATH = "/u/"
_MENTION = re.compile(r"(?<![\w@/.&#-])@([a-z0-9_]{3,30})(?![\w@])", re.IGNORECASE)
# A tag of the sanitised HTML (nh3 writes attributes double-quoted, with ``"`` escaped inside).
_TAG = re.compile(r'(<(?:[^>"]|"[^"]*")*>)')
_OPAQUE = {"a", "code", "pre"}


def _candidates(html: str) -> list[str]:
    names: list[str] = []
    for text in _texts(html):
        names.extend(match.group(1).lower() for match in _MENTION.finditer(text))
    return list(dict.fromkeys(names))


def _texts(html: str):
    """The text pieces of ``html`` outside links, code and preformatted blocks."""
    depth = 0
    for piece in _TAG.split(html):
        if piece.startswith("<"):
            name = re.match(r"</?\s*([a-zA-Z0-9]+)", piece)
            if name and name.group(1).lower() in _OPAQUE and not piece.endswith("/>"):
                depth += -1 if piece.startswith("</") else 1
                depth = max(depth, 0)
        elif depth == 0:
            yield piece


def link_mentions(html: str, existing: set[str]) -> str:
    """``html`` (sanitised) with each ``@name`` of ``existing`` (lower case) linked to its profile."""
    if not existing:
        return html
    out, depth = [], 0
    for piece in _TAG.split(html):
        if piece.startswith("<"):
            name = re.match(r"</?\s*([a-zA-Z0-9]+)", piece)
            if name and name.group(1).lower() in _OPAQUE and not piece.endswith("/>"):
                depth = max(0, depth + (-1 if piece.startswith("</") else 1))
            out.append(piece)
        elif depth == 0:
            out.append(_MENTION.sub(lambda m: _mention_link(m, existing), piece))
        else:
            out.append(piece)
    return "".join(out)


def _mention_link(match: re.Match, existing: set[str]) -> str:
    username = match.group(1).lower()
    if username not in existing:
        return match.group(0)
    return f'<a href="{PROFILE_PATH}{username}" class="mention">@{match.group(1)}</a>'


def render_with_mentions(markdown: str, known: Callable[[list[str]], set[str]]) -> tuple[str, list[str]]:
    """Safe HTML for ``markdown`` with its mentions linked, and the usernames to notify: those that
    exist (``known`` answers which of the names do), in order of appearance, at most MENTION_LIMIT."""
    html = render(markdown)
    candidates = _candidates(html) if "@" in html else []
    existing = known(candidates) if candidates else set()
    mentioned = [name for name in candidates if name in existing]
    return link_mentions(html, set(mentioned)), mentioned[:MENTION_LIMIT]
