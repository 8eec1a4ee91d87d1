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
