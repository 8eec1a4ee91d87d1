"""How many failed logins an account and a client address may have within a window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from identity.exceptions import RateLimited
from identity.handlers.common import aware
from identity.models import LoginFailure
from svclib.db import Transaction, utcnow


@dataclass(frozen=True)
class LoginPolicy:
    window_seconds: int = 900
    max_failures_per_account: int = 5
    max_failures_per_ip: int = 20
    session_ttl: timedelta = timedelta(days=30)


def check_rate(tx: Transaction, login: str, ip: str, policy: LoginPolicy, now: datetime) -> None:
    """Refuse a login attempt when the account or the address failed too often lately."""
    since = now - timedelta(seconds=policy.window_seconds)
    for column, value, limit in (
        (LoginFailure.account, (login or "").strip().lower(), policy.max_failures_per_account),
        (LoginFailure.ip, ip or "", policy.max_failures_per_ip),
    ):
        recent = tx.session.execute(
            select(func.count(), func.min(LoginFailure.created_at)).where(
                column == value, LoginFailure.created_at > since
            )
        ).one()
        if recent[0] >= limit:
            retry_after = int((aware(recent[1]) - since).total_seconds()) + 1
            raise RateLimited("Too many failed logins; try again later.", retry_after=max(1, retry_after))


def record_failure(tx: Transaction, login: str, ip: str) -> None:
    tx.session.add(LoginFailure(account=(login or "").strip().lower(), ip=ip or "", created_at=utcnow()))


def forget_failures(tx: Transaction, logins: list[str]) -> None:
    """A successful login clears the account's failures."""
    tx.session.execute(delete(LoginFailure).where(LoginFailure.account.in_(logins)))
