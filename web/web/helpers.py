"""What templates need to show the API's values to people: plain-words reasons, times,
amounts, link domains, diffs. Pure functions, tested on their own."""

from __future__ import annotations

import difflib
import functools
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from flask_babel import format_decimal
from markupsafe import Markup

from web.i18n import decimal_symbol, gettext, ngettext


def _(message: str) -> str:
    """Marks a message for extraction; it is translated where it is shown."""
    return message


def reasons_in_words(reasons: list[dict], post: dict | None = None) -> list[str]:
    """Why an item is on a page, in plain words, from ``rank.reasons`` (numbers are shown beside)."""
    values = {r["factor"]: r["value"] for r in reasons or []}
    words: list[str] = []
    up = (post or {}).get("score", {}).get("up")
    if values.get("up_weight", 0) > 0 and up:
        words.append(ngettext("approved by %(num)d member", "approved by %(num)d members", up))
    commenters = int(values.get("substantive_commenters", 0))
    if commenters:
        words.append(ngettext("%(num)d person discussed it", "%(num)d people discussed it", commenters))
    editors = int(values.get("editors_that_stood", 0))
    if editors:
        words.append(ngettext("improved by %(num)d editor", "improved by %(num)d editors", editors))
    if values.get("penalties", 0) < 0:
        words.append(gettext("reported and upheld"))
    if values.get("new_creator_slot"):
        words.append(gettext("new creator"))
    if "age_hours" in values and values["age_hours"] < 24:
        words.append(gettext("recent"))
    return words or [gettext("new here")]


# A page shows the same few hundred times again and again (its comments', its posts'): each read once a process.
TIMES_KEPT = 4096


@functools.lru_cache(maxsize=TIMES_KEPT)
def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def age(value: str | None, now: datetime | None = None) -> tuple[str, int] | None:
    """How long ago ``value`` was, in the unit ``time_ago`` words it in: ``("now", 0)`` under a minute, else
    ``("minutes" | "hours" | "days", how many)``; None for no time."""
    moment = parse_time(value)
    if moment is None:
        return None
    seconds = max(0, int(((now or datetime.now(UTC)) - moment).total_seconds()))
    if seconds < 60:
        return ("now", 0)
    if seconds < 3600:
        return ("minutes", seconds // 60)
    if seconds < 86400:
        return ("hours", seconds // 3600)
    return ("days", seconds // 86400)


def age_moves_on(value: str | None, now: datetime) -> datetime:
    """The first moment after ``now`` at which ``age(value)`` reads otherwise ("3 minutes ago" becoming "4"); far
    ahead for no time."""
    moment = parse_time(value)
    if moment is None:
        return datetime.max.replace(tzinfo=UTC)
    seconds = (now - moment).total_seconds()
    step = 60 if seconds < 3600 else 3600 if seconds < 86400 else 86400
    return moment + timedelta(seconds=(max(0.0, seconds) // step + 1) * step)


def age_in_words(when: tuple[str, int] | None) -> str:
    """An ``age`` in the request's language: "just now", "3 minutes ago"."""
    if when is None:
        return ""
    unit, count = when
    if unit == "now":
        return gettext("just now")
    if unit == "minutes":
        return ngettext("%(num)d minute ago", "%(num)d minutes ago", count)
    if unit == "hours":
        return ngettext("%(num)d hour ago", "%(num)d hours ago", count)
    return ngettext("%(num)d day ago", "%(num)d days ago", count)


def time_ago(value: str | None, now: datetime | None = None) -> str:
    return age_in_words(age(value, now))


@functools.lru_cache(maxsize=TIMES_KEPT)
def iso_date(value: str | None) -> str:
    moment = parse_time(value)
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else ""


def money(cents: int | None, currency: str = "EUR") -> str:
    """``money(1250, "EUR")`` → "12.50 EUR" (the separator of the person's language)."""
    amount = (cents or 0) / 100
    return f"{format_decimal(amount, format='#,##0.00')} {currency}"


def percent(part: int | None, whole: int | None) -> int:
    if not whole:
        return 0
    return max(0, min(100, round(100 * (part or 0) / whole)))


def domain(url: str | None) -> str:
    if not url:
        return ""
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.")


def safe_next(target: str | None) -> str | None:
    """A place on this site to go back to, never another site's address."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


_FORMATS = {digits: f"%.{digits}f" for digits in range(7)}


def number(value: float | int | None, digits: int = 3, decimal: str | None = None) -> str:
    """A measure shown beside the reasons: at most ``digits`` decimals, the language's decimal sign
    (``decimal``, when the caller has it already)."""
    if type(value) is int:
        return str(value)
    text = (_FORMATS.get(digits) or f"%.{digits}f") % (value or 0)
    text = text.rstrip("0").rstrip(".")
    if text in ("", "-0"):
        return "0"
    return text.replace(".", decimal or decimal_symbol()) if "." in text else text


def diff_lines(before: str | None, after: str | None) -> list[tuple[str, str]]:
    """A line diff as (kind, text) with kind one of "add", "del", "same", "hunk"."""
    lines: list[tuple[str, str]] = []
    old, new = (before or "").splitlines(), (after or "").splitlines()
    for line in difflib.unified_diff(old, new, lineterm="", n=2):
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            lines.append(("hunk", line))
        elif line.startswith("+"):
            lines.append(("add", line[1:]))
        elif line.startswith("-"):
            lines.append(("del", line[1:]))
        else:
            lines.append(("same", line[1:]))
    return lines


def diff_from_api(changes: object) -> list[tuple[str, str]]:
    """The API's ``changes`` (``[{field, diff}]``, each a unified diff of one field's text) as lines to show."""
    out: list[tuple[str, str]] = []
    for change in changes if isinstance(changes, list) else []:
        if not isinstance(change, dict):
            continue
        out.append(("field", str(change.get("field", ""))))
        for line in str(change.get("diff") or "").splitlines():
            if line.startswith(("---", "+++")):
                continue
            kind = {"@": "hunk", "+": "add", "-": "del"}.get(line[:1], "same")
            out.append((kind, line if kind == "hunk" else line[1:]))
    return out


def comment_rows(nodes: list[dict], max_depth: int) -> list[tuple[dict, bool, int]]:
    """A discussion tree as rows in reading order, walked with a stack (never recursion, however deep
    the API's tree): ``(comment, nested, closes)``. ``nested``: its replies follow as a list inside it
    (else they are past ``max_depth`` and only linked); ``closes``: how many of its ancestors' lists end
    after it."""
    rows: list[list] = []
    stack = [iter(nodes)]
    while stack:
        node = next(stack[-1], None)
        if node is None:
            stack.pop()
            if stack:
                rows[-1][2] += 1
            continue
        nested = bool(node.get("children")) and len(stack) < max_depth
        rows.append([node, nested, 0])
        if nested:
            stack.append(iter(node["children"]))
    return [tuple(row) for row in rows]


def person(user: dict | None) -> str:
    """A person's name; an erased account (``null`` in the API) is "a deleted member"."""
    if not user:
        return gettext("a deleted member")
    return user.get("display_name") or user.get("username") or gettext("a deleted member")


def trusted_html(html: str | None) -> Markup:
    """The API's own sanitised HTML (markdown-it without raw HTML, then nh3): the only HTML shown as is."""
    return Markup(html or "")


KINDS = {"link": _("link"), "article": _("article"), "image": _("image"), "cartoon": _("cartoon"), "text": _("text")}


def kind_label(kind: str) -> str:
    return gettext(KINDS[kind]) if kind in KINDS else kind


FACTORS = {
    "up_weight": _("weight of up-votes"),
    "down_weight": _("weight of down-votes"),
    "approval": _("approval"),
    "substantive_commenters": _("people who discussed it"),
    "discussion": _("discussion"),
    "editors_that_stood": _("editors whose edits stood"),
    "improvement": _("improvement"),
    "penalties": _("penalties"),
    "quality": _("quality"),
    "age_hours": _("age in hours"),
    "decay": _("age decay"),
    "new_creator_slot": _("new creator"),
}


SORTS = {"quality": _("quality"), "new": _("new"), "top": _("top"), "members": _("most members"), "active": _("active")}
WINDOWS = {"day": _("today"), "week": _("this week"), "all": _("all time")}


def sort_label(sort: str) -> str:
    return gettext(SORTS[sort]) if sort in SORTS else sort


def window_label(window: str) -> str:
    return gettext(WINDOWS[window]) if window in WINDOWS else window


FILTERS = {
    # Filters are called straight from a template's code; globals through its context's call.
    "kind_label": kind_label,
    "ago": time_ago,
    "iso_date": iso_date,
    "money": money,
    "domain": domain,
    "person": person,
    "trusted_html": trusted_html,
}
GLOBALS = {
    "percent": percent,
    "diff_lines": diff_lines,
    "diff_from_api": diff_from_api,
    "kind_label": kind_label,
    "sort_label": sort_label,
    "window_label": window_label,
}
