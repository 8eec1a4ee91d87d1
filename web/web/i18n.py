"""Translations looked up once per request. Flask-Babel's own gettext finds the request's
catalog again on every call (several context lookups each): on a page of 25 feed items that
was most of the time spent rendering it. The request's catalog is kept beside the request it
belongs to, in a context variable (one lookup, no proxy), and is never used for another request.

Templates call ``template_gettext`` and ``template_ngettext`` (``_()``, ``gettext()``, ``ngettext()``):
what Jinja's i18n extension gives with ``newstyle`` (the text translated, marked safe when the template
escapes, always formatted with its variables, which are escaped), in one call where the extension
makes three, and a message without variables is worked out once per language, not on every page."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from flask.globals import _cv_request  # the request context's own variable (Flask 3)
from flask_babel import get_locale, get_translations
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup


class _Kept:
    """What a request's pages look up again and again: its catalog, decimal sign and language."""

    __slots__ = ("request", "catalog", "decimal", "locale")

    def __init__(self, request: object, catalog: Any):
        self.request, self.catalog = request, catalog
        self.decimal: str | None = None
        self.locale: str | None = None


_kept: ContextVar[_Kept | None] = ContextVar("web_i18n")


def _request_catalog() -> _Kept | None:
    """What is kept for the current request, None outside a request."""
    current = _cv_request.get(None)
    if current is None:
        return None
    kept = _kept.get(None)
    if kept is None or kept.request is not current:
        kept = _Kept(current, get_translations())
        _kept.set(kept)
    return kept


def forget() -> None:
    """Drop the request's catalog when it ends (it would otherwise be kept until the thread's next request)."""
    _kept.set(None)


def catalog():
    """The request's catalog: what every message of its page is translated with."""
    kept = _request_catalog()
    return get_translations() if kept is None else kept.catalog


def translate(message: str) -> str:
    """The message in the request's language (for templates: Jinja's i18n formats it)."""
    return catalog().ugettext(message)


def translate_plural(singular: str, plural: str, n: int) -> str:
    return catalog().ungettext(singular, plural, n)


def gettext(message: str, **variables) -> str:
    text = translate(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("num", num)
    return translate_plural(singular, plural, num) % variables


def decimal_symbol() -> str:
    kept = _request_catalog()
    if kept is None:
        return get_locale().number_symbols["latn"]["decimal"]
    if kept.decimal is None:
        kept.decimal = get_locale().number_symbols["latn"]["decimal"]
    return kept.decimal


def locale_name() -> str:
    """The request's language ("en", "fr"), as chosen once for it by Flask-Babel's locale selector."""
    kept = _request_catalog()
    if kept is None:
        return str(get_locale())
    if kept.locale is None:
        kept.locale = str(get_locale())
    return kept.locale


# Per catalog (one a language), each message a template shows without variables, as it shows it. Templates
# pass literal messages only; the bound keeps a template that passed anything else from growing it for good.
_shown: dict[Any, dict[str, Markup]] = {}
SHOWN_PER_LANGUAGE = 4096


@pass_eval_context
def template_gettext(context: EvalContext, message: str, **variables: Any) -> str:
    """``_(message, **variables)`` in a template."""
    kept = None if variables or not context.autoescape else _request_catalog()
    if kept is None:  # with variables, without escaping, or outside a request (no kept catalog)
        text = translate(message)
        return (Markup(text) if context.autoescape else text) % variables
    shown = _shown.get(kept.catalog)
    if shown is None:
        shown = _shown.setdefault(kept.catalog, {})
    text = shown.get(message)
    if text is None:
        # Formatted even without variables, as Jinja's extension does ("%%" shows as "%").
        text = Markup(kept.catalog.ugettext(message)) % {}
        if len(shown) < SHOWN_PER_LANGUAGE:
            shown[message] = text
    return text


@pass_eval_context
def template_ngettext(context: EvalContext, singular: str, plural: str, num: int, **variables: Any) -> str:
    """``ngettext(singular, plural, num, **variables)`` in a template (``num`` is a variable too)."""
    variables.setdefault("num", num)
    text = translate_plural(singular, plural, num)
    return (Markup(text) if context.autoescape else text) % variables
