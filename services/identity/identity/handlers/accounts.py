"""Accounts and sessions: registration, login tokens, authentication and logout."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from datetime import datetime

from sqlalchemy import bindparam, select

from identity import events, passwords, trust
from identity.exceptions import Conflict, Invalid, Unauthenticated
from identity.handlers.common import aware
from identity.handlers.limits import LoginPolicy
from identity.handlers.profiles import MAX_DISPLAY_NAME, private_view
from identity.models import HeldUsername, Session, User
from identity.schemas import CallerSchema
from svclib.db import Read, Transaction, isoformat, utcnow

USERNAME = re.compile(r"^[a-z0-9_]{3,30}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def validate_registration(username: str, email: str, password: str, display_name: str | None) -> dict:
    fields: dict[str, list[str]] = {}
    username = (username or "").strip().lower()
    email = (email or "").strip()
    if not USERNAME.match(username):
        fields["username"] = ["Use 3 to 30 of a-z, 0-9 and _."]
    if len(email) > 254 or not EMAIL.match(email):
        fields["email"] = ["Not a valid email address."]
    display_name = (display_name or "").strip() or username
    if len(display_name) > MAX_DISPLAY_NAME:
        fields["display_name"] = [f"Use at most {MAX_DISPLAY_NAME} characters."]
    password_problems = passwords.problems(password or "", username, email)
    if password_problems:
        fields["password"] = password_problems
    if fields:
        raise Invalid("Some fields are not valid.", fields=fields)
    return {"username": username, "email": email, "display_name": display_name}


def register(tx: Transaction, username: str, email: str, password_hash: str, display_name: str) -> dict:
    """Create an account from validated input and an already computed hash."""
    taken: dict[str, list[str]] = {}
    if tx.session.scalar(select(User.id).where(User.username == username)) or tx.session.scalar(
        select(HeldUsername.username).where(HeldUsername.username == username, HeldUsername.until > utcnow())
    ):
        taken["username"] = ["This username is taken."]
    if tx.session.scalar(select(User.id).where(User.email_normalised == email.lower())):
        taken["email"] = ["An account with this email exists."]
    if taken:
        raise Conflict("Already registered.", fields=taken)
    user = User(
        id=uuid.uuid4().hex,
        username=username,
        email=email,
        email_normalised=email.lower(),
        display_name=display_name,
        bio="",
        password_hash=password_hash,
        trust=trust.CONSTANTS.FLOOR,
        trust_told=trust.CONSTANTS.FLOOR,
        trust_version=0,
        profile_version=1,
        badges=[],
    )
    tx.session.add(user)
    tx.session.flush()
    tx.emit(events.UserRegistered.of(user))
    return private_view(tx, user.id)


def find_login(tx: Transaction, login: str) -> User | None:
    """The live account a login text (a username or an email) names, if any."""
    login = (login or "").strip().lower()
    column = User.email_normalised if "@" in login else User.username
    return tx.session.scalar(select(User).where(column == login, User.erased_at.is_(None)))


def start_session(tx: Transaction, user: User, policy: LoginPolicy, now: datetime) -> dict:
    token = secrets.token_urlsafe(32)
    expires_at = now + policy.session_ttl
    tx.session.add(Session(id=uuid.uuid4().hex, user_id=user.id, token_hash=token_hash(token), expires_at=expires_at))
    return {
        "token": token,
        "expires_at": isoformat(expires_at),
        "user": private_view(tx, user.id),
    }


CALLER_BY_TOKEN = (
    select(User.id, User.username, Session.expires_at)
    .join(User, User.id == Session.user_id)
    .where(Session.token_hash == bindparam("token_hash"), Session.revoked_at.is_(None), User.erased_at.is_(None))
)
CALLER_READ = Read(CALLER_BY_TOKEN)
CALLER = CallerSchema()


def authenticate(tx: Transaction, token: str, now: datetime) -> dict:
    row = tx.first(CALLER_READ, {"token_hash": token_hash(token or "")})
    if row is None or aware(row["expires_at"]) <= now:
        raise Unauthenticated("The token is missing, expired or revoked.")
    return CALLER.dump(row)


def logout(tx: Transaction, token: str, now: datetime) -> dict:
    session = tx.session.scalar(select(Session).where(Session.token_hash == token_hash(token or "")))
    if session is None:
        raise Unauthenticated("The token is missing, expired or revoked.")
    if session.revoked_at is None:
        session.revoked_at = now
    return {"user_id": session.user_id, "token_hash": session.token_hash}
