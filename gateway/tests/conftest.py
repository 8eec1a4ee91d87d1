"""The gateway with its services replaced by in-process fakes: no broker needed here."""

from __future__ import annotations

import pytest

from gateway.app import create_app
from gateway.auth import TokenCache
from gateway.rpc import RemoteServiceError, settled


class FakeCall:
    def __init__(self, thunk):
        self.thunk = thunk


class FakeServices:
    """Answers RPCs from a table of functions keyed by (service, method)."""

    def __init__(self):
        self.tokens = TokenCache(ttl=10)
        self.handlers: dict[tuple[str, str], object] = {}
        self.calls: list[tuple] = []
        self.blocks = {"ids": [], "complete": True}  # whom u1 blocked, answered with the caller
        self.summaries = None  # subwikis' summaries asked of communities every time, unless a test keeps them
        self.feed_pages = None  # feed pages asked of the feed every time, unless a test keeps their tags
        self.post_pages = None  # post pages asked of content every time, unless a test keeps their tags
        self.page_tags: list[str] | None = None  # what the feed's pages were read from (None: everything)
        # A signed-in reader's front page is every reader's (they mute nobody), with the tags that decide it.
        self.page_shared: list[str] | None = None
        # How old the feed says its page is (seconds since its read began), or None: not said.
        self.page_age: float | None = None
        # The snapshot the feed says its page's read began with (PostgreSQL's, svclib.snapshots), or None.
        self.page_snapshot: str | None = None

    def blocking(self, *ids: str, complete: bool = True) -> None:
        """u1 blocked ``ids`` (identity's answer lists them whole, or not): their cached caller dropped, as
        identity's broadcast drops it."""
        self.blocks = {"ids": sorted(ids), "complete": complete}
        self.tokens.revoke({"token_hashes": [], "user_id": "u1"})

    def on(self, service: str, method: str, handler) -> None:
        self.handlers[(service, method)] = handler

    def call(self, service: str, method: str, *args, _present=None, _part=None, **kwargs):
        tags = kwargs.pop("tags", False)
        self.calls.append((service, method, args, kwargs))
        handler = self.handlers.get((service, method))
        if handler is None:
            raise AssertionError(f"unexpected call {service}.{method}")
        result = handler(*args, **kwargs)
        if tags:  # a page asked with what it was read from, as the feed and content answer it: the tags first
            shared = {"shared": self.page_shared} if self.page_shared and kwargs.get("viewer_id") else {}
            aged = {"age": self.page_age} if self.page_age is not None and method != "post_page" else {}
            if self.page_snapshot is not None and method != "post_page":
                aged["snapshot"] = self.page_snapshot
            result = {
                "tags": self.page_tags,
                **aged,
                **shared,
                **(result if method == "post_page" else {"page": result}),
            }
        if _part is not None:  # an answer of parts, its last part presented (gateway.rpc)
            return {**result, _part: _present(result[_part])}
        return result if _present is None else _present(result)

    def start(self, service: str, method: str, *args, **kwargs):
        return FakeCall(lambda: self.call(service, method, *args, **kwargs))

    def gather(self, *calls):
        return [settled(call, lambda started: started.thunk()) for call in calls]

    def context(self) -> dict:
        return {}


def raising(exc_type: str, message: str = "nope", **details):
    def raise_it(*_args, **_kwargs):
        raise RemoteServiceError("identity", exc_type, message, details)

    return raise_it


@pytest.fixture
def remote():
    """``remote("NotFound", "message", **details)``: a fake RPC that raises like a service."""
    return raising


@pytest.fixture
def services():
    fake = FakeServices()
    fake.on(
        "identity",
        "authenticate",
        lambda token: (
            {"id": "u1", "username": "ann", "blocks": fake.blocks}
            if token == "good"
            else raising("Unauthenticated", "The token is missing, expired or revoked.")()
        ),
    )
    return fake


@pytest.fixture
def client(services):
    app = create_app({"SERVICES": services, "TESTING": False, "PROPAGATE_EXCEPTIONS": False})
    return app.test_client()


@pytest.fixture
def auth():
    return {"Authorization": "Bearer good"}
