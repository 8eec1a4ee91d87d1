"""Identity use cases as plain functions over one transaction.

Each takes a :class:`svclib.db.Transaction` and plain values and returns plain
data; the service entrypoints stay thin, and tests call these directly.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Row, bindparam, delete, func, select
from sqlalchemy.orm import aliased

from identity import events, passwords, trust
from identity.exceptions import (
    Conflict,
    Invalid,
    NotFound,
    RateLimited,
    Unauthenticated,
)
from identity.models import Follow, LoginFailure, ReceivedVote, Session, SubwikiMembership, TrustStats, User
from identity.schemas import (
    CallerSchema,
    FollowEventSchema,
    PrivateUserSchema,
    PublicUserSchema,
    SessionExportSchema,
    UserEventSchema,
)
from svclib.db import Read, Transaction, isoformat, utcnow

USERNAME = re.compile(r"^[a-z0-9_]{3,30}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
MAX_DISPLAY_NAME = 80
MAX_BIO = 2000


@dataclass(frozen=True)
class LoginPolicy:
    window_seconds: int = 900
    max_failures_per_account: int = 5
    max_failures_per_ip: int = 20
    session_ttl: timedelta = timedelta(days=30)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _user_by_username(tx: Transaction, username: str) -> User:
    user = tx.session.scalar(select(User).where(User.username == username.lower(), User.erased_at.is_(None)))
    if user is None:
        raise NotFound("No such user.")
    return user


def _live_user(tx: Transaction, user_id: str) -> User:
    user = tx.session.get(User, user_id)
    if user is None or user.erased_at is not None:
        raise NotFound("No such user.")
    return user


_FOLLOWERS = select(func.count()).select_from(Follow).where(Follow.followee_id == User.id).scalar_subquery()
_FOLLOWING = select(func.count()).select_from(Follow).where(Follow.follower_id == User.id).scalar_subquery()
# Built once: profiles are read on nearly every request, and building statements costs more than running them.
PROFILES = select(
    User.id,
    User.username,
    User.display_name,
    User.bio,
    User.email,
    User.created_at,
    User.trust,
    User.badges,
    _FOLLOWERS.label("follower_count"),
    _FOLLOWING.label("following_count"),
).where(User.erased_at.is_(None))
PROFILE_BY_ID = PROFILES.where(User.id == bindparam("user_id"))
PROFILE_BY_USERNAME = PROFILES.where(User.username == bindparam("username"))
_FOLLOWEE = aliased(User)
# The owner's view in the same single query: whom they follow and their subwikis, as lists.
PRIVATE_BY_ID = PROFILE_BY_ID.add_columns(
    select(func.aggregate_strings(_FOLLOWEE.username, " "))
    .join(Follow, Follow.followee_id == _FOLLOWEE.id)
    .where(Follow.follower_id == User.id)
    .scalar_subquery()
    .label("following_names"),
    select(func.aggregate_strings(SubwikiMembership.subwiki_slug, " "))
    .where(SubwikiMembership.user_id == User.id)
    .scalar_subquery()
    .label("subwiki_slugs"),
)
PROFILE_READ = Read(PROFILE_BY_USERNAME)
PRIVATE_READ = Read(PRIVATE_BY_ID)
PUBLIC = PublicUserSchema()
PRIVATE = PrivateUserSchema()


def _profile(tx: Transaction, username: str) -> dict:
    row = tx.first(PROFILE_READ, {"username": (username or "").lower()})
    if row is None:
        raise NotFound("No such user.")
    return row


def public_view(row: Row | dict) -> dict:
    return PUBLIC.dump(row)


def private_view(tx: Transaction, user_id: str) -> dict:
    """The owner's view: the public one plus email, whom they follow and their subwikis."""
    row = tx.first(PRIVATE_READ, {"user_id": user_id})
    if row is None:
        raise NotFound("No such user.")
    data = PRIVATE.dump(row)
    data["following"] = sorted((row["following_names"] or "").split())
    data["subwikis"] = sorted((row["subwiki_slugs"] or "").split())
    return data


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
    if tx.session.scalar(select(User.id).where(User.username == username)):
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
        trust=0.1,
        badges=[],
    )
    tx.session.add(user)
    tx.session.flush()
    tx.emit(events.USER_REGISTERED, "user", UserEventSchema().dump(user))
    return private_view(tx, user.id)


def find_login(tx: Transaction, login: str) -> User | None:
    login = (login or "").strip().lower()
    column = User.email_normalised if "@" in login else User.username
    return tx.session.scalar(select(User).where(column == login, User.erased_at.is_(None)))


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
            retry_after = int((_aware(recent[1]) - since).total_seconds()) + 1
            raise RateLimited("Too many failed logins; try again later.", retry_after=max(1, retry_after))


def record_failure(tx: Transaction, login: str, ip: str) -> None:
    tx.session.add(LoginFailure(account=(login or "").strip().lower(), ip=ip or "", created_at=utcnow()))


def start_session(tx: Transaction, user: User, policy: LoginPolicy, now: datetime) -> dict:
    token = secrets.token_urlsafe(32)
    expires_at = now + policy.session_ttl
    tx.session.add(Session(id=uuid.uuid4().hex, user_id=user.id, token_hash=token_hash(token), expires_at=expires_at))
    tx.session.execute(delete(LoginFailure).where(LoginFailure.account.in_([user.username, user.email_normalised])))
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
    if row is None or _aware(row["expires_at"]) <= now:
        raise Unauthenticated("The token is missing, expired or revoked.")
    return CALLER.dump(row)


def logout(tx: Transaction, token: str, now: datetime) -> dict:
    session = tx.session.scalar(select(Session).where(Session.token_hash == token_hash(token or "")))
    if session is None:
        raise Unauthenticated("The token is missing, expired or revoked.")
    if session.revoked_at is None:
        session.revoked_at = now
    return {"user_id": session.user_id, "token_hash": session.token_hash}


def get_me(tx: Transaction, user_id: str) -> dict:
    return private_view(tx, user_id)


def update_me(tx: Transaction, user_id: str, display_name: str | None = None, bio: str | None = None) -> dict:
    user = _live_user(tx, user_id)
    fields: dict[str, list[str]] = {}
    if display_name is not None:
        display_name = display_name.strip()
        if not 1 <= len(display_name) <= MAX_DISPLAY_NAME:
            fields["display_name"] = [f"Use 1 to {MAX_DISPLAY_NAME} characters."]
    if bio is not None and len(bio) > MAX_BIO:
        fields["bio"] = [f"Use at most {MAX_BIO} characters."]
    if fields:
        raise Invalid("Some fields are not valid.", fields=fields)
    changed = False
    if display_name is not None and display_name != user.display_name:
        user.display_name, changed = display_name, True
    if bio is not None and bio != user.bio:
        user.bio, changed = bio, True
    if changed:
        user.updated_at = utcnow()
        tx.session.flush()
        tx.emit(events.USER_UPDATED, "user", UserEventSchema().dump(user))
    return private_view(tx, user.id)


def get_user(tx: Transaction, username: str) -> dict:
    return public_view(_profile(tx, username))


def get_users(tx: Transaction, ids: list[str]) -> dict:
    """Public views keyed by id, for composing lists in a fixed number of calls."""
    rows = tx.connection.execute(PROFILES.where(User.id.in_(list(ids)[:500]))).all()
    return {row.id: public_view(row) for row in rows}


PEOPLE = select(User.id, User.username, User.display_name).where(User.erased_at.is_(None))


def get_people(tx: Transaction, ids: list[str]) -> dict:
    """Names only, keyed by id: what a list of posts or comments shows of their authors."""
    rows = tx.connection.execute(PEOPLE.where(User.id.in_(list(ids)[:500]))).all()
    return {row.id: {"username": row.username, "display_name": row.display_name} for row in rows}


def follow(tx: Transaction, follower_id: str, username: str) -> None:
    followee = _user_by_username(tx, username)
    _live_user(tx, follower_id)
    if followee.id == follower_id:
        raise Invalid("You cannot follow yourself.", fields={"username": ["You cannot follow yourself."]})
    if tx.session.get(Follow, (follower_id, followee.id)) is None:
        tx.session.add(Follow(follower_id=follower_id, followee_id=followee.id))
        tx.session.flush()
        tx.emit(
            events.USER_FOLLOWED,
            "follow",
            FollowEventSchema().dump({"follower_id": follower_id, "followee_id": followee.id}),
        )


def unfollow(tx: Transaction, follower_id: str, username: str) -> None:
    followee = _user_by_username(tx, username)
    existing = tx.session.get(Follow, (follower_id, followee.id))
    if existing is not None:
        tx.session.delete(existing)
        tx.emit(
            events.USER_UNFOLLOWED,
            "follow",
            FollowEventSchema().dump({"follower_id": follower_id, "followee_id": followee.id}),
        )


def get_password_hash(tx: Transaction, user_id: str) -> str:
    return _live_user(tx, user_id).password_hash


def erase(tx: Transaction, user_id: str, now: datetime) -> list[str]:
    """Erase an account: personal data gone, the id kept so content can be anonymised."""
    user = _live_user(tx, user_id)
    revoked = tx.session.scalars(
        select(Session.token_hash).where(Session.user_id == user_id, Session.revoked_at.is_(None))
    ).all()
    tx.session.execute(delete(Session).where(Session.user_id == user_id))
    tx.session.execute(delete(Follow).where((Follow.follower_id == user_id) | (Follow.followee_id == user_id)))
    tx.session.execute(delete(SubwikiMembership).where(SubwikiMembership.user_id == user_id))
    user.username = f"deleted_{user.id[:20]}"
    user.email = user.email_normalised = f"{user.id}@erased.invalid"
    user.display_name = "Deleted account"
    user.bio = ""
    user.password_hash = ""
    user.badges = []
    user.erased_at = now
    tx.emit(events.USER_ERASED, "user", {"id": user.id})
    return list(revoked)


def export(tx: Transaction, user_id: str) -> dict:
    user = _live_user(tx, user_id)
    followers = tx.session.scalars(
        select(User.username).join(Follow, Follow.follower_id == User.id).where(Follow.followee_id == user_id)
    ).all()
    sessions = tx.session.scalars(select(Session).where(Session.user_id == user_id).order_by(Session.created_at)).all()
    return {
        "profile": private_view(tx, user.id),
        "followers": list(followers),
        "sessions": SessionExportSchema(many=True).dump(sessions),
    }


def record_membership(tx: Transaction, membership: dict, joined: bool) -> None:
    """Keep the profile's subwiki list from communities' member_joined / member_left."""
    key = (membership["user_id"], membership["subwiki"])
    existing = tx.session.get(SubwikiMembership, key)
    if joined and existing is None and tx.session.get(User, key[0]) is not None:
        tx.session.add(SubwikiMembership(user_id=key[0], subwiki_slug=key[1]))
    elif not joined and existing is not None:
        tx.session.delete(existing)


# --- trust ---------------------------------------------------------------------------


def _stats(tx: Transaction, user_id: str) -> TrustStats | None:
    if tx.session.get(User, user_id) is None:
        return None
    stats = tx.session.scalar(select(TrustStats).where(TrustStats.user_id == user_id).with_for_update())
    if stats is None:
        stats = TrustStats(user_id=user_id, edits_stood=0, edits_reverted=0, upheld_reports=0)
        tx.session.add(stats)
        tx.session.flush()
    return stats


def recompute_trust(tx: Transaction, user_id: str, now: datetime) -> float | None:
    """Recompute one person's trust; emits ``user_trust_changed`` when it moved.

    The person's row is locked first, so that two facts arriving at once are both counted.
    """
    user = tx.session.scalar(select(User).where(User.id == user_id).with_for_update())
    if user is None or user.erased_at is not None:
        return None
    stats = _stats(tx, user_id)
    upvotes = tx.session.scalar(
        select(func.coalesce(func.sum(ReceivedVote.weight), 0.0)).where(ReceivedVote.author_id == user_id)
    )
    value = trust.trust(
        age_days=(now - _aware(user.created_at)).total_seconds() / 86400,
        edits_stood=stats.edits_stood,
        edits_reverted=stats.edits_reverted,
        upvote_weight=float(upvotes),
        upheld_reports=stats.upheld_reports,
    )
    if abs(value - user.trust) >= 0.001:
        user.trust = value
        tx.emit(events.USER_TRUST_CHANGED, "user", {"id": user.id, "trust": value})
    return value


# Each record_* applies one fact and returns whose trust it may change.


def record_edit(tx: Transaction, post: dict) -> list[str]:
    stats = _stats(tx, post["editor_id"])
    if stats is None:
        return []
    stats.edits_stood += 1
    return [post["editor_id"]]


def record_revert(tx: Transaction, post: dict) -> list[str]:
    affected = []
    for edit in post.get("reverted_edits", []):
        stats = _stats(tx, edit["editor_id"])
        if stats is not None:
            stats.edits_stood = max(0, stats.edits_stood - 1)
            stats.edits_reverted += 1
            affected.append(edit["editor_id"])
    return affected


def record_report(tx: Transaction, report: dict) -> list[str]:
    author_id = report.get("target_author_id")
    stats = _stats(tx, author_id) if report.get("action") == "uphold" and author_id else None
    if stats is None:
        return []
    stats.upheld_reports += 1
    return [author_id]


def record_vote(tx: Transaction, vote: dict) -> list[str]:
    """Keep the up-votes a person received, weighted by each voter's trust at the time."""
    author_id = vote.get("target_author_id")
    if not author_id or author_id == vote["voter_id"] or tx.session.get(User, author_id) is None:
        return []
    key = (vote["target_type"], vote["target_id"], vote["voter_id"])
    existing = tx.session.get(ReceivedVote, key)
    if vote.get("value") == 1:
        voter = tx.session.get(User, vote["voter_id"])
        weight = voter.trust if voter is not None else trust.CONSTANTS.FLOOR
        if existing is None:
            tx.session.add(
                ReceivedVote(target_type=key[0], target_id=key[1], voter_id=key[2], author_id=author_id, weight=weight)
            )
        else:
            existing.weight = weight
    elif existing is not None:
        tx.session.delete(existing)
    return [author_id]


def users_younger_than(tx: Transaction, days: float, now: datetime) -> list[str]:
    since = now - timedelta(days=days)
    return list(tx.session.scalars(select(User.id).where(User.created_at > since, User.erased_at.is_(None))))


SUPPORTER = "supporter"


def award_supporter_badge(tx: Transaction, donor_id: str | None) -> None:
    """A paid donation earns a badge on the profile; it buys nothing else (trust and ranking ignore it)."""
    user = tx.session.get(User, donor_id) if donor_id else None
    if user is not None and user.erased_at is None and SUPPORTER not in (user.badges or []):
        user.badges = [*(user.badges or []), SUPPORTER]


def list_follows(tx: Transaction, after: str | None, limit: int) -> dict:
    limit = max(1, min(1000, int(limit)))
    key = Follow.follower_id + ":" + Follow.followee_id
    query = select(key.label("k"), Follow.follower_id, Follow.followee_id).order_by(key).limit(limit)
    rows = tx.session.execute(query.where(key > after) if after else query).all()
    items = [{"follower_id": r.follower_id, "followee_id": r.followee_id} for r in rows]
    return {"items": items, "next": rows[-1].k if len(rows) == limit else None}


def list_trust(tx: Transaction, after: str | None, limit: int) -> dict:
    """Every live account's names and trust, in id order, for a service rebuilding its copy."""
    limit = max(1, min(1000, int(limit)))
    query = select(User.id, User.username, User.display_name, User.trust).where(User.erased_at.is_(None))
    rows = tx.session.execute((query.where(User.id > after) if after else query).order_by(User.id).limit(limit)).all()
    items = [{"id": r.id, "username": r.username, "display_name": r.display_name, "trust": r.trust} for r in rows]
    return {"items": items, "next": rows[-1].id if len(rows) == limit else None}
