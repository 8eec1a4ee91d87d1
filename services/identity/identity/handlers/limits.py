"""Attempt limits: signing in, confirming an erasure with the password, registering.

Following OWASP's authentication guidance:

- Failed logins are limited per (account, address) and per address: beyond the limit, 429 with
  ``Retry-After`` until the window ends.
- Per account, from whatever address, only a growing delay before the password is checked, never a
  lock: someone failing elsewhere cannot keep the owner out.
- The account is the account's id, whichever login text (username or email) named it; a text that
  names no account is its own key, so both behave alike.

Every attempt is counted before its password is checked, by one statement (svclib.ratelimit's
upsert returning the new count), so guesses sent at once are each counted: thirty in parallel
against a limit of five get five checks. A success gives its attempt back. Counts live in fixed
windows per key, in the ``rate_limits`` table every service's limits use.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from identity.exceptions import RateLimited
from identity.models import RATE_LIMITS, User
from svclib import exceptions, ratelimit
from svclib.db import Transaction

LOGIN_FROM = "login_from"  # one account from one address
LOGIN_ADDRESS = "login_address"  # one address, any account
LOGIN_ACCOUNT = "login_account"  # one account's failures from anywhere: the delay only
ERASE = "erase"  # wrong passwords confirming an erasure, per account
REGISTER = "register"  # registrations per address


@dataclass(frozen=True)
class LoginPolicy:
    window_seconds: int = 900
    max_failures_per_account: int = 5  # from one address
    max_failures_per_ip: int = 20
    delay_after_failures: int = 5  # per account, from any address
    max_delay_seconds: float = 2.0
    registrations_per_ip: int = 10
    registration_window_seconds: int = 3600
    session_ttl: timedelta = timedelta(days=30)

    def delay(self, account_failures: int) -> float:
        """Seconds to wait before checking a password of an account that failed this often lately."""
        over = account_failures - self.delay_after_failures
        return 0.0 if over < 0 else min(self.max_delay_seconds, 0.125 * 2**over)


def account_key(user: User | None, login: str) -> str:
    """The account's id; for a login naming no account, a digest of it (a key of bounded length)."""
    if user is not None:
        return user.id
    return "?" + hashlib.sha256((login or "").strip().lower().encode()).hexdigest()[:40]


def limit(tx: Transaction, scope: str, key: str, most: int, window_seconds: int, now: datetime, message: str) -> int:
    """Count an attempt (svclib.ratelimit: one statement); refuse it beyond ``most`` in the window (429)."""
    try:
        return ratelimit.RateLimit(scope, most, window_seconds, message).hit(tx, RATE_LIMITS, key, now.timestamp())
    except exceptions.RateLimited as refused:
        raise RateLimited(message, retry_after=refused.details["retry_after"]) from None


def count(tx: Transaction, scope: str, key: str, window_seconds: int, now: datetime) -> int:
    """Count an attempt without a limit (what only slows down)."""
    return limit(tx, scope, key, 2**31 - 1, window_seconds, now, "")


def _row(scope: str, key: str):
    return RATE_LIMITS.c.key == f"{scope}:{key}"


def recent(tx: Transaction, scope: str, key: str, window_seconds: int, now: datetime) -> int:
    """The attempts counted for ``key`` in the current window, without counting one."""
    window = int(now.timestamp() // window_seconds)
    found = tx.session.execute(
        select(RATE_LIMITS.c.count).where(_row(scope, key), RATE_LIMITS.c.window == window)
    ).scalar()
    return found or 0


def give_back(tx: Transaction, scope: str, key: str) -> None:
    tx.session.execute(
        update(RATE_LIMITS).where(_row(scope, key), RATE_LIMITS.c.count > 0).values(count=RATE_LIMITS.c.count - 1)
    )


def forget(tx: Transaction, scope: str, key: str) -> None:
    tx.session.execute(delete(RATE_LIMITS).where(_row(scope, key)))


TOO_MANY_LOGINS = "Too many failed logins; try again later."


def login_attempt(tx: Transaction, account: str, ip: str, policy: LoginPolicy, now: datetime) -> float:
    """Count a login attempt per (account, address) and per address, refused beyond either limit.

    Returns the delay, in seconds, to wait before checking its password.
    """
    window = policy.window_seconds
    limit(tx, LOGIN_FROM, f"{account} {ip}", policy.max_failures_per_account, window, now, TOO_MANY_LOGINS)
    limit(tx, LOGIN_ADDRESS, ip or "", policy.max_failures_per_ip, window, now, TOO_MANY_LOGINS)
    return policy.delay(recent(tx, LOGIN_ACCOUNT, account, window, now))


def login_failed(tx: Transaction, account: str, policy: LoginPolicy, now: datetime) -> None:
    count(tx, LOGIN_ACCOUNT, account, policy.window_seconds, now)


def login_succeeded(tx: Transaction, account: str, ip: str) -> None:
    """The right password: the account's failures are forgotten, the address's attempt given back."""
    forget(tx, LOGIN_FROM, f"{account} {ip}")
    forget(tx, LOGIN_ACCOUNT, account)
    give_back(tx, LOGIN_ADDRESS, ip or "")


def erase_attempt(tx: Transaction, user_id: str, policy: LoginPolicy, now: datetime) -> None:
    """Wrong passwords confirming an erasure are limited like logins from one address."""
    message = "Too many wrong passwords; try again later."
    limit(tx, ERASE, user_id, policy.max_failures_per_account, policy.window_seconds, now, message)


def registration(tx: Transaction, ip: str, policy: LoginPolicy, now: datetime) -> None:
    """Registrations per address (each costs a password hash); calls without an address are the platform's own."""
    if ip:
        message = "Too many registrations from this address; try again later."
        limit(tx, REGISTER, ip, policy.registrations_per_ip, policy.registration_window_seconds, now, message)
