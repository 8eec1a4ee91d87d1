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
from functools import wraps

from flask import current_app, g, request

from gateway.briefly import Briefly
from gateway.errors import ApiError

SESSIONS_EXCHANGE = ("identity.sessions", "fanout")


class TokenCache(Briefly):
    """Callers by their token's hash (``key``), kept for ``ttl`` seconds (``gateway.briefly``)."""

    def __init__(self, ttl: float, max_entries: int = 10000):
        super().__init__(ttl, max_entries)

    @staticmethod
    def key(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def put(self, token_hash: str, caller: dict, seen: int | None = None) -> None:
        """Keep ``caller``, unless a revocation arrived since ``seen`` (``drops()`` taken before identity was
        asked): the answer may then be from before it."""
        self.keep({token_hash: caller}, seen)

    def revoke(self, message: dict) -> None:
        """Handle a revocation broadcast: ``{"token_hashes": [...], "user_id": ...}`` (a person's blocks changed:
        no token hashes, their every token dropped, to be asked of identity again)."""
        user_id = message.get("user_id")
        self.drop(message.get("token_hashes") or [], (lambda caller: caller["id"] == user_id) if user_id else None)


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
