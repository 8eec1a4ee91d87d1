"""The site in a real Chromium (Debian's), against the whole platform started as in production:
``nameko run`` services, the gateway and the site under gunicorn, on a fresh vhost and databases.

Run with ``make test-browser``: these tests load only this conftest (``--confcutdir``), because the
repository's root conftest patches the standard library with eventlet, under which Playwright's
own event loop cannot run.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from devstack.infra import SERVICES
from devstack.stack import ROOT, Stack

try:
    import eventlet.patcher

    PATCHED = eventlet.patcher.is_monkey_patched("socket")
except ImportError:  # pragma: no cover
    PATCHED = False

CHROMIUM = shutil.which("chromium") and "/usr/bin/chromium"
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "var" / "screenshots"
PASSWORD = "a long enough password"


def AXE_SOURCE() -> str:  # noqa: N802
    return AXE.read_text() + "\n;true"


DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def site(broker, postgres, tmp_path_factory):
    """The whole platform and the site; yields the site's base URL (BROWSER_SITE_URL: a site already running)."""
    if os.environ.get("BROWSER_SITE_URL"):
        yield os.environ["BROWSER_SITE_URL"].rstrip("/")
        return
    if PATCHED:
        raise RuntimeError("eventlet has patched this process: run the browser tests with `make test-browser`")
    vhost = broker.create_vhost()
    run = uuid.uuid4().hex[:8]
    databases = [f"web_{service}_{run}" for service in SERVICES]
    settings = {
        f"{service.upper()}_DATABASE_URL": postgres.create(db) for service, db in zip(SERVICES, databases, strict=True)
    }
    port, web_port = free_port(), free_port()
    settings.update(
        AMQP_URI=broker.uri(vhost),
        PUBLIC_URL=f"http://127.0.0.1:{web_port}",
        GATEWAY_WORKERS="2",
        GATEWAY_THREADS="4",
        WEB_WORKERS="2",
        WEB_THREADS="4",
        EVENT_RETRY_DELAY_MS="200",
        OUTBOX_POLL_INTERVAL="0.3",
        UPLOAD_DIR=str(tmp_path_factory.mktemp(f"uploads-{run}")),
        # The journeys post and comment quickly through new accounts; the spam defences have tests of their own.
        SPAM_DEFENCES="off",
    )
    stack = Stack(settings, port, tmp_path_factory.mktemp(f"stack-{run}"), web_port=web_port)
    try:
        stack.start_all()
        stack.start_web(WEB_SECRET_KEY=uuid.uuid4().hex)
        stack.wait_web()
        yield stack.web_url
    finally:
        stack.stop_all()
        for database in databases:
            postgres.drop(database)
        broker.delete_vhost(vhost)


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    if not CHROMIUM:
        raise RuntimeError("Chromium is missing: `make test-browser` installs Debian's chromium package")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


class Person:
    """One person's browser: a context of its own, with everything wrong on its pages recorded."""

    def __init__(self, browser, base: str, javascript: bool = True, viewport: dict | None = None):
        self.base = base
        self.context = browser.new_context(
            base_url=base, java_script_enabled=javascript, viewport=viewport or DESKTOP, locale="en-GB"
        )
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.refusals = 0
        origin = urlsplit(base).netloc
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        self.page.on(
            "request",
            lambda request: (
                None
                if request.url.startswith(("data:", "blob:")) or urlsplit(request.url).netloc == origin
                else self.problems.append(f"request to another host: {request.url}")
            ),
        )
        self.username = f"p{uuid.uuid4().hex[:10]}"

    def _console(self, message) -> None:
        refused = message.text.startswith("Failed to load resource: the server responded with a status of 4")
        if self.refusals and refused:
            self.refusals -= 1  # a form the test expects to be refused answers 4xx, which Chromium logs
            return
        if message.type == "error" or "Content Security Policy" in message.text:
            self.problems.append(f"console {message.type}: {message.text}")

    def go(self, path: str):
        response = self.page.goto(path)
        assert response is not None and response.status < 400, f"{path}: {response and response.status}"
        return self.page

    def sign_up(self) -> None:
        page = self.go("/")
        page.get_by_role("link", name="Sign up").first.click()
        page.get_by_label("Username", exact=True).fill(self.username)
        page.get_by_label("Email").fill(f"{self.username}@example.org")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Create my account").click()
        assert "Welcome" in page.inner_text("main")

    def axe(self, name: str) -> None:
        """No serious or critical accessibility violation on the page shown."""
        # Evaluated through the DevTools protocol, which the page's CSP does not govern (a <script> would be refused).
        if not self.page.evaluate("typeof axe !== 'undefined'"):
            self.page.evaluate(AXE_SOURCE())
        result = self.page.evaluate("axe.run(document, {resultTypes: ['violations']})")
        bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
        detail = [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["html"][:99] for n in v["nodes"][:3]]} for v in bad
        ]
        assert not bad, f"{name}: {json.dumps(detail, indent=1)}"

    def shoot(self, name: str) -> None:
        """The page at desktop and phone widths, into var/screenshots/."""
        SHOTS.mkdir(parents=True, exist_ok=True)
        size = self.page.viewport_size
        for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            self.page.set_viewport_size(viewport)
            self.page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)
        self.page.set_viewport_size(size)

    def close(self) -> None:
        self.context.close()
        assert not self.problems, "\n".join(self.problems)


@pytest.fixture
def people(chromium, site):
    made: list[Person] = []

    def make(**kwargs) -> Person:
        person = Person(chromium, site, **kwargs)
        made.append(person)
        return person

    yield make
    for person in made:
        person.close()
