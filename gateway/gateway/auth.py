"""Bearer token -> caller, cached briefly per process.

The caller is identity's answer to ``authenticate``: who they are and whom they blocked (``blocks``, what a
page of comments marks for its reader). A revocation (logout, erased account) and a change to a person's
blocks are broadcast by identity on the ``identity.sessions`` exchange; every gateway process drops that
person's tokens from its cache when it arrives (and the process that made the change at once), so a revoked
token stops working everywhere and a block shows on the next page. An answer read while such a drop arrived
is not kept (``TokenCache.put``'s ``seen``): it may predate the change.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from functools import wraps

from flask import current_app, g, request

from gateway.errors import ApiError

SESSIONS_EXCHANGE = ("identity.sessions", "fanout")


class TokenCache:
    def __init__(self, ttl: float, max_entries: int = 10000):
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[dict, float]] = OrderedDict()
        self._lock = threading.Lock()
        self._drops = 0  # how many revocations arrived: an answer asked for before one is not kept after it

    @staticmethod
    def key(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def get(self, token_hash: str) -> dict | None:
        with self._lock:
            entry = self._entries.get(token_hash)
            if entry is None:
                return None
            if entry[1] < time.monotonic():
                del self._entries[token_hash]
                return None
            return entry[0]

    def drops(self) -> int:
        """The count of revocations so far: ``put``'s ``seen``, taken before identity is asked."""
        return self._drops

    def put(self, token_hash: str, caller: dict, seen: int | None = None) -> None:
        """Keep ``caller`` for ``ttl`` seconds, unless a revocation arrived since ``seen`` (``drops()`` taken
        before identity was asked): the answer may then be from before it."""
        if self.ttl <= 0:
            return
        with self._lock:
            if seen is not None and seen != self._drops:
                return
            self._entries[token_hash] = (caller, time.monotonic() + self.ttl)
            self._entries.move_to_end(token_hash)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def revoke(self, message: dict) -> None:
        """Handle a revocation broadcast: ``{"token_hashes": [...], "user_id": ...}`` (a person's blocks changed:
        no token hashes, their every token dropped, to be asked of identity again)."""
        with self._lock:
            self._drops += 1
            for token_hash in message.get("token_hashes") or []:
                self._entries.pop(token_hash, None)
            user_id = message.get("user_id")
            if user_id:
                for token_hash in [k for k, (caller, _) in self._entries.items() if caller["id"] == user_id]:
                    del self._entries[token_hash]


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def unauthenticated() -> ApiError:
    return ApiError(401, "unauthenticated", "Sign in: send 'Authorization: Bearer <token>'.")


def current_caller(required: bool = True) -> dict | None:
    if "caller" in g:
        return g.caller
    token = bearer_token()
    if token is None:
        if required:
            raise unauthenticated()
        return None
    services = current_app.extensions["services"]
    cache: TokenCache = services.tokens
    token_hash = TokenCache.key(token)
    caller = cache.get(token_hash)
    if caller is None:
        seen = cache.drops()
        caller = services.call("identity", "authenticate", token)
        cache.put(token_hash, caller, seen)
    g.caller, g.token = caller, token
    return caller


def current_caller_id() -> str | None:
    """The signed-in caller's id, None for a visitor (an expired or revoked token is still a 401)."""
    caller = current_caller(required=False)
    return caller["id"] if caller else None


def login_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        current_caller(required=True)
        return view(*args, **kwargs)

    wrapper.login_required = True  # read before the request's other checks: no token is a 401 first
    return wrapper


def require_token_first(view) -> None:
    """A request without a token to an operation that needs one is told 401 before anything else is
    checked (a 400 for its query would hide what the caller must fix first)."""
    if getattr(view, "login_required", False) and bearer_token() is None:
        raise unauthenticated()
