"""Translations looked up once per request. Flask-Babel's own gettext finds the request's
catalog again on every call (several context lookups each): on a page of 25 feed items that
was most of the time spent rendering it."""

from __future__ import annotations

from flask import g, has_request_context
from flask_babel import get_locale, get_translations


def _catalog():
    if not has_request_context():
        return get_translations()
    catalog = g.get("_catalog")
    if catalog is None:
        catalog = g._catalog = get_translations()
    return catalog


def translate(message: str) -> str:
    """The message in the request's language (for templates: Jinja's i18n formats it)."""
    return _catalog().ugettext(message)


def translate_plural(singular: str, plural: str, n: int) -> str:
    return _catalog().ungettext(singular, plural, n)


def gettext(message: str, **variables) -> str:
    text = translate(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("num", num)
    return translate_plural(singular, plural, num) % variables


def decimal_symbol() -> str:
    if not has_request_context():
        return get_locale().number_symbols["latn"]["decimal"]
    symbol = g.get("_decimal")
    if symbol is None:
        symbol = g._decimal = get_locale().number_symbols["latn"]["decimal"]
    return symbol
