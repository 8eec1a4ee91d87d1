"""Markdown to safe HTML: rendered server-side, raw HTML from users never served.

markdown-it escapes raw HTML (``html`` off) and refuses ``javascript:`` links;
nh3 then keeps only an allow-list of tags and attributes, whatever got through.
Images from other sites are not embedded (they would tell third parties who
reads what); pictures come from uploads.
"""

from __future__ import annotations

import nh3
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


def render(markdown: str) -> str:
    html = _MARKDOWN.render(markdown or "")
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener ugc",
    )
