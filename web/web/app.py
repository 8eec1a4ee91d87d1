"""``create_app()``: the site's Flask factory: settings, signed cookie session, CSRF, CSP,
languages, assets with content hashes, and the error pages."""

from __future__ import annotations

import functools
import hmac
import os
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from babel import Locale
from flask import Flask, abort, g, redirect, render_template, request, session, url_for
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask.templating import Environment
from flask_babel import Babel
from itsdangerous import BadSignature
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header
from werkzeug.middleware.proxy_fix import ProxyFix

from web import fragments, helpers, i18n, metrics, observability, secret_key
from web.api import ApiError, Gateway, Unavailable
from web.assets import Assets

LANGUAGES = ("en", "fr")
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# The payment provider's own checkout form: its secret is the checkout token it carries.
CSRF_EXEMPT = {"donations.decide"}


# A session's cookie is signed again (its 30 days start over) once it is this old, not on every page.
SESSION_REFRESH_AFTER = 24 * 3600


class SignedSession(SecureCookieSession):
    """A session read from its cookie, with when that cookie was signed (None: a new session)."""

    signed_at: datetime | None = None


class SessionCookies(SecureCookieSessionInterface):
    """Signed, HttpOnly, SameSite=Lax; Secure whenever the request came over https.

    The signing serializer is made once per key, not twice per request (Flask makes a new one to open
    the cookie and another to sign it again, each encoding a test value to learn its own type).

    An unchanged session's cookie is signed again once a day, not on every page as Flask does for a
    permanent session: signing (JSON, zlib, HMAC) and a Set-Cookie on each answer were a tenth of a
    front page's work in the site. The session still lasts 30 days from the last day it was used."""

    session_class = SignedSession

    def __init__(self) -> None:
        self._serializers: dict[tuple, Any] = {}

    def open_session(self, app: Flask, request) -> SignedSession | None:
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data, signed_at = serializer.loads(value, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        opened = self.session_class(data)
        opened.signed_at = signed_at
        return opened

    def should_set_cookie(self, app: Flask, session: SignedSession) -> bool:
        if session.modified:
            return True
        if not (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            return False
        signed_at = getattr(session, "signed_at", None)
        return signed_at is None or (datetime.now(UTC) - signed_at).total_seconds() >= SESSION_REFRESH_AFTER

    def get_signing_serializer(self, app: Flask):
        key = (id(app), app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        serializer = self._serializers.get(key)
        if serializer is None:
            serializer = super().get_signing_serializer(app)
            if serializer is not None:
                self._serializers[key] = serializer
        return serializer

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"] or (request and request.is_secure))


DICT_NAMES = frozenset(dir(dict))


class Templates(Environment):
    """Jinja's environment, reading ``post.title`` on the API's answers (plain dicts) as the key at once.

    Jinja tries the attribute first and the key after its AttributeError: for every value a page shows.
    A dict has no attributes but its methods, so the answer is the same, only without the exception."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute not in DICT_NAMES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


class Site(Flask):
    jinja_environment = Templates


# Each language's Locale, made once: Flask-Babel takes a Locale from the selector as it is, where it parses a name
# again on every request.
LOCALES = {language: Locale.parse(language) for language in LANGUAGES}


def select_locale() -> Locale:
    """The request's language: the one the reader chose (the switch), else the best of ``Accept-Language``."""
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return LOCALES[chosen]
    return LOCALES[best_language(request.headers.get("Accept-Language", ""))]


@functools.lru_cache(maxsize=1024)
def best_language(header: str) -> str:
    """The best of ``LANGUAGES`` for an ``Accept-Language`` header, worked out once per header (browsers send a
    few dozen different ones; werkzeug parses it again on every request)."""
    return parse_accept_header(header, LanguageAccept).best_match(LANGUAGES) or "en"


URLS_KEPT = 4096
URL_VALUE_KEPT = 200


def kept_urls(app: Flask):
    """``url_for`` for templates, each address worked out once: a page writes a dozen the same on every
    request (the header's links, the assets, the tabs), and werkzeug builds each afresh. An address
    depends on its endpoint, its values and where the site is mounted, and on nothing else here (no
    host or subdomain rules, no URL defaults): calls with other than plain text values, a value longer than
    ``URL_VALUE_KEPT`` (a visitor's own ``next=`` path: kept, such addresses could fill the memory), a
    blueprint-relative endpoint or an option (``_external``, ``_anchor``...) are built as before, every time."""

    @functools.lru_cache(maxsize=URLS_KEPT)
    def build(root: str, endpoint: str, values: tuple[tuple[str, str], ...]) -> str:
        return app.url_for(endpoint, **dict(values))

    def url_for(endpoint: str, **values: Any) -> str:
        if endpoint[:1] != "." and all(
            type(v) is str and len(v) <= URL_VALUE_KEPT and k[:1] != "_" for k, v in values.items()
        ):
            return build(request.root_path, endpoint, tuple(values.items()))
        return app.url_for(endpoint, **values)

    url_for.cache_info = build.cache_info  # type: ignore[attr-defined]
    return url_for


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Site(__name__, static_folder=None)
    app.config.update(
        SECRET_KEY=os.environ.get("WEB_SECRET_KEY") or secret_key.for_development(),
        GATEWAY_URL=os.environ.get("GATEWAY_URL", "http://127.0.0.1:8000"),
        API_TIMEOUT=float(os.environ.get("API_TIMEOUT", "5")),
        SESSION_COOKIE_NAME="wikisocial",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("WEB_SECURE_COOKIES") == "1",
        PERMANENT_SESSION_LIFETIME=30 * 24 * 3600,
        MAX_CONTENT_LENGTH=9 * 1024 * 1024,
        BABEL_DEFAULT_LOCALE="en",
        BABEL_TRANSLATION_DIRECTORIES=os.path.join(os.path.dirname(__file__), "translations"),
    )
    app.config.update(config or {})
    if not app.config.get("SECRET_KEY"):
        raise secret_key.MissingSecret(secret_key.MISSING)
    proxies = int(os.environ.get("TRUSTED_PROXIES", "0"))
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    app.session_interface = SessionCookies()
    observability.configure_tracing()
    app.extensions["gateway"] = app.config.get("GATEWAY") or Gateway(
        app.config["GATEWAY_URL"], timeout=app.config["API_TIMEOUT"]
    )
    Babel(app, locale_selector=select_locale)
    app.jinja_env.install_gettext_callables(i18n.translate, i18n.translate_plural, newstyle=True)
    url_for_template = kept_urls(app)
    assets = Assets(os.path.join(app.root_path, "static"), url_for_template)
    app.extensions["assets"] = assets

    app.jinja_env.globals.update(
        _=i18n.template_gettext,
        gettext=i18n.template_gettext,
        ngettext=i18n.template_ngettext,
        url_for=url_for_template,
        asset=assets.url,
        csrf_token=fragments.csrf_token,
        languages=LANGUAGES,
        current_locale=i18n.locale_name,
    )
    app.jinja_env.filters.update(helpers.FILTERS)
    app.jinja_env.globals.update(post_cards=fragments.post_cards, discussion=fragments.discussion_in_page)
    app.jinja_env.globals.update(page_header=fragments.page_header, page_footer=fragments.page_footer)
    app.jinja_env.globals.update(helpers.GLOBALS)
    app.jinja_env.policies["ext.i18n.trimmed"] = True

    @app.context_processor
    def form_defaults():
        return {"form": {}, "errors": {}, "message": None}

    @app.before_request
    def prepare():
        g.request_id = uuid.uuid4().hex
        g.started = time.perf_counter()
        # A span per request when tracing is on (web.observability), continued by the gateway's;
        # the request's log lines carry its ids either way.
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        name = f"{request.method} {endpoint}"
        g.observed = observability.open_request(name, request.headers.get("traceparent"), g.request_id)
        g.traceparent = g.observed.traceparent
        g.token = session.get("token")
        g.me = session.get("me")
        if request.method not in SAFE_METHODS and request.endpoint not in CSRF_EXEMPT:
            sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token", "")
            if not hmac.compare_digest(sent, session.get("csrf", "")) or not sent:
                abort(400, description=i18n.gettext("This form has expired. Please try again."))

    @app.after_request
    def headers(response):
        fragments.splice(response)
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        g.status = response.status_code
        metrics.observe(request.method, endpoint, response.status_code, time.perf_counter() - g.get("started", 0))
        # The headers a view set are read once: werkzeug's lookup of a header that is absent (``setdefault``,
        # ``in``) raises and catches an HTTP exception inside, and its ``vary`` parses and writes the header
        # again for each name added: a tenth of a kept page's work in the site.
        headers = response.headers
        present = {name.lower() for name in headers.keys()}
        if "content-security-policy" not in present:
            headers["Content-Security-Policy"] = CSP
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "same-origin"
        if "x-frame-options" not in present:
            headers["X-Frame-Options"] = "DENY"
        if response.mimetype == "text/html":
            if "cache-control" not in present:
                headers["Cache-Control"] = "no-store"
            if "vary" in present:
                response.vary.update(("Cookie", "Accept-Language"))
            else:
                headers["Vary"] = "Cookie, Accept-Language"
        return response

    @app.teardown_request
    def finish(exc):
        i18n.forget()
        if g.get("observed") is not None:
            observability.close_request(g.observed, exc, failed=g.get("status", 500) >= 500)

    @app.get("/static/<path:name>", endpoint="static_asset")
    def static_asset(name: str):
        return assets.send(name)

    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}

    @app.post("/language")
    def language():
        chosen = request.form.get("lang")
        if chosen in LANGUAGES:
            session["lang"] = chosen
        return redirect(helpers.safe_next(request.form.get("next")) or url_for("feed.front"))

    @app.errorhandler(Unavailable)
    def unavailable(error: Unavailable):
        response = app.make_response((render_template("errors/unavailable.html", error=error), 503))
        response.headers["Retry-After"] = str(error.retry_after or 5)
        return response

    @app.errorhandler(ApiError)
    def api_error(error: ApiError):
        if error.status == 401:
            session.pop("token", None)
            session.pop("me", None)
            return redirect(url_for("auth.signin", next=request.full_path if request.method == "GET" else None))
        status = error.status if 400 <= error.status < 500 else 502
        return render_template("errors/error.html", error=error, status=status), status

    @app.errorhandler(400)
    @app.errorhandler(403)
    @app.errorhandler(404)
    @app.errorhandler(405)
    @app.errorhandler(413)
    def http_error(error):
        return render_template("errors/error.html", error=None, status=error.code, description=error.description), (
            error.code
        )

    @app.errorhandler(500)
    def server_error(error):
        return render_template("errors/error.html", error=None, status=500, description=None), 500

    from web.views import (
        auth,
        donations,
        feed,
        held_posts,
        moderation,
        notifications,
        people,
        posts,
        search,
        subwikis,
    )

    for module in (auth, donations, feed, held_posts, moderation, notifications, people, posts, search, subwikis):
        app.register_blueprint(module.bp)
    # The header's unread badge: asked at the start of a signed-in person's page, read when drawn.
    app.before_request(notifications.start_unread_count)
    app.jinja_env.globals["unread_count"] = notifications.unread_count
    return app
