"""What templates are given to translate and to write addresses: the same as Jinja's i18n extension and
Flask's url_for give, in every language and wherever the site is mounted, though worked out once."""

from __future__ import annotations

import pytest
from flask import render_template_string, url_for
from jinja2 import Environment
from markupsafe import Markup

from web import i18n
from web.app import create_app


@pytest.fixture
def app():
    return create_app({"GATEWAY": object(), "SECRET_KEY": "test", "TESTING": True})


def jinja_extension_says(source: str, catalog, **context) -> str:
    """What Jinja's own i18n extension (newstyle, as the site installs it) renders for ``source``."""
    env = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
    env.install_gettext_callables(catalog.ugettext, catalog.ungettext, newstyle=True)
    return env.from_string(source).render(**context)


SOURCES = [
    "{{ _('Front page') }}",
    "{{ _('Front page') }}|{{ gettext('Front page') }}",
    "{{ _('Too many attempts. Try again in %(seconds)d seconds.', seconds=3) }}",
    "{{ ngettext('%(num)d comment', '%(num)d comments', n) }}",
    "{{ ngettext('%(num)d comment', '%(num)d comments', 1) }}",
    "{{ _('%(name)s said 100%% <b>', name=who) }}",
    "{{ _('100%% sure <i>') }}",
    "{{ _('no such message in the catalog') }}",
]


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("source", SOURCES)
def test_templates_translate_as_jinjas_extension_does(app, language, source):
    context = {"n": 4, "who": "<script>"}
    with app.test_request_context(headers={"Accept-Language": language}):
        catalog = i18n.catalog()
        expected = jinja_extension_says(source, catalog, **context)
        assert render_template_string(source, **context) == expected
        # Again, from what was kept for this language.
        assert render_template_string(source, **context) == expected


def test_a_kept_message_is_given_in_each_requests_own_language(app):
    for language, text in [("fr", "À la une"), ("en", "Front page"), ("fr", "À la une")]:
        with app.test_request_context(headers={"Accept-Language": language}):
            assert render_template_string("{{ _('Front page') }}") == text


def test_a_translated_message_is_markup_and_its_variables_are_escaped(app):
    with app.test_request_context():
        assert render_template_string("{{ _('Hello %(who)s', who=who) }}", who="<b>") == "Hello &lt;b&gt;"
        source = "{{ _('<b>%(w)s', w=w) }}|{% autoescape false %}{{ _('<b>%(w)s', w=w) }}{% endautoescape %}"
        template = app.jinja_env.from_string(source)
        assert template.render(w="<i>") == "<b>&lt;i&gt;|<b><i>"
        assert isinstance(i18n.template_gettext(template.new_context().eval_ctx, "<b>"), Markup)


def test_kept_messages_stop_growing_at_their_bound(app, monkeypatch):
    monkeypatch.setattr(i18n, "SHOWN_PER_LANGUAGE", 2)
    monkeypatch.setattr(i18n, "_shown", {})
    with app.test_request_context():
        for n in range(5):
            assert render_template_string("{{ _(m) }}", m=f"message {n}") == f"message {n}"
        assert [len(kept) for kept in i18n._shown.values()] == [2]


@pytest.mark.parametrize("root", ["", "/site"])
def test_templates_write_the_addresses_url_for_writes(app, root):
    calls = [
        ("feed.front", {}),
        ("feed.front", {"sort": "new", "window": "all"}),
        ("feed.front", {"window": "all", "sort": "new"}),
        ("people.profile", {"username": "a d/a"}),
        ("auth.signin", {"next": "/posts/1?x=1&y=<2>"}),
        ("feed.front", {"cursor": 3}),
        ("feed.front", {"_anchor": "top"}),
        ("feed.front", {"_external": True}),
        ("static_asset", {"name": "css/site.css"}),
    ]
    kept = app.jinja_env.globals["url_for"]
    for _ in range(2):  # built, then kept
        with app.test_request_context(base_url=f"http://example.org{root}/"):
            for endpoint, values in calls:
                assert kept(endpoint, **values) == url_for(endpoint, **values)
    with app.test_request_context(base_url=f"http://example.org{root}/"):
        assert kept("feed.front", sort="new") == f"{root}/?sort=new"


def test_addresses_with_long_values_are_built_and_not_kept(app):
    kept = app.jinja_env.globals["url_for"]
    long_path = "/search?q=" + "x" * 300
    with app.test_request_context():
        assert kept("auth.signin", next=long_path) == url_for("auth.signin", next=long_path)
        kept("auth.signin", next="/short")
        kept("auth.signin", next="/short")
        info = kept.cache_info()
    assert info.currsize == 1 and info.hits == 1


def test_an_address_kept_under_one_mount_is_not_given_under_another(app):
    kept = app.jinja_env.globals["url_for"]
    with app.test_request_context(base_url="http://example.org/"):
        assert kept("subwikis.index") == "/subwikis"
    with app.test_request_context(base_url="http://example.org/site/"):
        assert kept("subwikis.index") == "/site/subwikis"


def test_assets_are_addressed_from_the_kept_addresses(app):
    with app.test_request_context():
        address = app.jinja_env.globals["asset"]("css/site.css")
        assert address == url_for("static_asset", name=app.extensions["assets"].hashed["css/site.css"])


def test_the_page_says_the_language_chosen_for_the_request(app):
    with app.test_request_context(headers={"Accept-Language": "fr-CA,fr;q=0.9,en;q=0.5"}):
        assert render_template_string("{{ current_locale() }}") == "fr"
    with app.test_request_context(headers={"Accept-Language": "de"}):
        assert render_template_string("{{ current_locale() }}") == "en"
