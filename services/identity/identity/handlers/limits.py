"""Attempt limits: signing in, confirming an erasure with the password, registering.

Following OWASP's authentication guidance:

- Failed logins are limited per (account, address) and per address: beyond the limit, 429 with
  ``Retry-After`` until the window ends.
- Per account, from whatever address, only a growing delay before the password is checked, never a
  lock: someone failing elsewhere cannot keep the owner out.
- The account is the account's id, whichever login text (username or email) named it; a text that
  names no account is its own key, so both behave alike.

Every attempt is counted before its password is checked, by one statement (an upsert returning the
new count), so guesses sent at once are each counted: thirty in parallel against a limit of five get
five checks. A success gives its attempt back. Counts live in fixed windows per key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from identity.exceptions import RateLimited
from identity.handlers.common import aware
from identity.models import LimitCounter, User
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
    return user.id if user is not None else "?" + (login or "").strip().lower()


def _insert(tx: Transaction):
    return (postgresql if tx.session.get_bind().dialect.name == "postgresql" else sqlite).insert


def count(tx: Transaction, scope: str, key: str, window_seconds: int, now: datetime) -> tuple[int, datetime]:
    """Count one attempt for ``key``, in one statement; the count in its window and when that began."""
    since = now - timedelta(seconds=window_seconds)
    expired = LimitCounter.window_start <= since
    statement = (
        _insert(tx)(LimitCounter)
        .values(scope=scope, key=key, window_start=now, count=1, created_at=now, updated_at=now)
        .on_conflict_do_update(
            index_elements=[LimitCounter.scope, LimitCounter.key],
            set_={
                "count": case((expired, 1), else_=LimitCounter.count + 1),
                "window_start": case((expired, now), else_=LimitCounter.window_start),
                "updated_at": now,
            },
        )
        .returning(LimitCounter.count, LimitCounter.window_start)
    )
    counted, start = tx.session.execute(statement).one()
    return counted, aware(start)


def limit(tx: Transaction, scope: str, key: str, most: int, window_seconds: int, now: datetime, message: str) -> None:
    """Count an attempt; refuse it (429, ``Retry-After`` until the window ends) beyond ``most`` in the window."""
    counted, start = count(tx, scope, key, window_seconds, now)
    if counted > most:
        retry_after = int((start + timedelta(seconds=window_seconds) - now).total_seconds()) + 1
        raise RateLimited(message, retry_after=max(1, retry_after))


def recent(tx: Transaction, scope: str, key: str, window_seconds: int, now: datetime) -> int:
    """The attempts counted for ``key`` in its current window, without counting one."""
    row = tx.session.execute(
        select(LimitCounter.count, LimitCounter.window_start).where(
            LimitCounter.scope == scope, LimitCounter.key == key
        )
    ).first()
    if row is None or aware(row.window_start) <= now - timedelta(seconds=window_seconds):
        return 0
    return row.count


def give_back(tx: Transaction, scope: str, key: str) -> None:
    tx.session.execute(
        update(LimitCounter)
        .where(LimitCounter.scope == scope, LimitCounter.key == key, LimitCounter.count > 0)
        .values(count=LimitCounter.count - 1)
    )


def forget(tx: Transaction, scope: str, key: str) -> None:
    tx.session.execute(delete(LimitCounter).where(LimitCounter.scope == scope, LimitCounter.key == key))


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
