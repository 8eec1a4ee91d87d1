"""What people see of each other, and what they change about themselves: profiles and follows.

Also the parts of a profile kept from other services' events: the subwikis a person
joined (communities) and the supporter badge (donations).
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import Row, bindparam, func, select
from sqlalchemy.orm import aliased

from identity import events
from identity.exceptions import Forbidden, Invalid, NotFound
from identity.handlers import versions
from identity.handlers.common import live_user, lock_people, user_by_username
from identity.models import Block, Follow, KeyVersion, SubwikiMembership, User
from identity.schemas import PrivateUserSchema, PublicUserSchema
from svclib import pagination
from svclib.db import Read, Transaction, driver, isoformat, utcnow

MAX_DISPLAY_NAME = 80
MAX_BIO = 2000

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
PEOPLE = select(User.id, User.username, User.display_name).where(User.erased_at.is_(None))


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


def get_me(tx: Transaction, user_id: str) -> dict:
    return private_view(tx, user_id)


def update_me(tx: Transaction, user_id: str, display_name: str | None = None, bio: str | None = None) -> dict:
    """A change of one's profile: the row locked, so that concurrent changes take turns and each announces the
    next ``profile_version``."""
    user = live_user(tx, user_id, lock=True)
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
        user.profile_version += 1
        tx.session.flush()
        tx.emit(events.UserUpdated.of(user))
    return private_view(tx, user.id)


def get_user(tx: Transaction, username: str) -> dict:
    row = tx.first(PROFILE_READ, {"username": (username or "").lower()})
    if row is None:
        raise NotFound("No such user.")
    return public_view(row)


def get_users(tx: Transaction, ids: list[str]) -> dict:
    """Public views keyed by id, for composing lists in a fixed number of calls."""
    rows = tx.connection.execute(PROFILES.where(User.id.in_(list(ids)[:500]))).all()
    return {row.id: public_view(row) for row in rows}


# PEOPLE, and whether ``:seen_by`` blocked each of them, in one statement.
PEOPLE_SEEN = (
    select(User.id, User.username, User.display_name, Block.blocked_id.is_not(None).label("blocked"))
    .outerjoin(Block, (Block.blocker_id == bindparam("seen_by")) & (Block.blocked_id == User.id))
    .where(User.erased_at.is_(None))
)


@cache
def _people_statement(seen: bool, dialect: str):
    """``PEOPLE`` (``PEOPLE_SEEN`` when ``seen``) of the ids bound as ``:ids``, built once (``svclib.db.driver``)."""
    return (PEOPLE_SEEN if seen else PEOPLE).where(driver.one_of(User.id, "ids", dialect))


def get_people(tx: Transaction, ids: list[str], seen_by: str | None = None) -> dict:
    """Names only, keyed by id: what a list of posts or comments shows of their authors; with ``seen_by``, also
    whether that person blocked each of them (``blocked``), read in the same statement."""
    wanted, dialect = list(ids)[:500], tx.connection.dialect.name
    if seen_by is None:
        rows = tx.rows(_people_statement(False, dialect), {"ids": wanted})
        return {row.id: {"username": row.username, "display_name": row.display_name} for row in rows}
    rows = tx.rows(_people_statement(True, dialect), {"ids": wanted, "seen_by": seen_by})
    return {
        row.id: {"username": row.username, "display_name": row.display_name, "blocked": bool(row.blocked)}
        for row in rows
    }


def follow_key(follower_id: str, followee_id: str) -> str:
    return f"{follower_id}:{followee_id}"


def follow_user(tx: Transaction, follower_id: str, username: str) -> None:
    """Follow someone; ``user_followed`` carries the relation's version, one more than the last event's.

    Someone the followee blocked may not (the block is looked at with the follow's key held)."""
    followee = user_by_username(tx, username)
    live_user(tx, follower_id)
    if followee.id == follower_id:
        raise Invalid("You cannot follow yourself.", fields={"username": ["You cannot follow yourself."]})
    held = versions.hold(tx, "follow", follow_key(follower_id, followee.id))
    if tx.session.get(Block, (followee.id, follower_id)) is not None:
        raise Forbidden("This person blocked you.")
    if tx.session.get(Follow, (follower_id, followee.id)) is None:
        tx.session.add(Follow(follower_id=follower_id, followee_id=followee.id))
        held.version += 1
        tx.session.flush()
        tx.emit(events.UserFollowed(follower_id=follower_id, followee_id=followee.id, version=held.version))


def unfollow_user(tx: Transaction, follower_id: str, username: str) -> None:
    followee = user_by_username(tx, username)
    remove_follow(tx, follower_id, followee.id, versions.hold(tx, "follow", follow_key(follower_id, followee.id)))


def remove_follow(tx: Transaction, follower_id: str, followee_id: str, held: KeyVersion) -> None:
    """End a follow if there is one (``held``: its key's version, held by the caller)."""
    existing = tx.session.get(Follow, (follower_id, followee_id))
    if existing is not None:
        tx.session.delete(existing)
        held.version += 1
        tx.emit(events.UserUnfollowed(follower_id=follower_id, followee_id=followee_id, version=held.version))


def list_follows(tx: Transaction, after: str | None, limit: int) -> dict:
    limit = pagination.facts_limit(limit)
    after = pagination.facts_after(after)
    key = Follow.follower_id + ":" + Follow.followee_id
    query = (
        select(key.label("k"), Follow.follower_id, Follow.followee_id, Follow.created_at, KeyVersion.version)
        .outerjoin(KeyVersion, (KeyVersion.kind == "follow") & (KeyVersion.key == key))
        .order_by(key)
        .limit(limit)
    )
    rows = tx.session.execute(query.where(key > after) if after else query).all()
    # Each with the version its latest event carried, so a copy rebuilt from them ignores older events.
    items = [
        {
            "follower_id": r.follower_id,
            "followee_id": r.followee_id,
            "created_at": isoformat(r.created_at),
            "version": r.version,
        }
        for r in rows
    ]
    return pagination.facts_page(items, [r.k for r in rows], limit)


def record_membership(tx: Transaction, membership: dict, joined: bool) -> None:
    """Keep the profile's subwiki list from communities' member_joined / member_left.

    Joins and leaves of one membership may arrive in any order and more than once: only a newer
    ``version`` than the one applied changes anything.
    """
    key = (membership["user_id"], membership["subwiki"])
    if not versions.newer(tx, "membership", ":".join(key), membership.get("version")):
        return
    existing = tx.session.get(SubwikiMembership, key)
    if joined and existing is None and tx.session.get(User, key[0]) is not None:
        tx.session.add(SubwikiMembership(user_id=key[0], subwiki_slug=key[1]))
    elif not joined and existing is not None:
        tx.session.delete(existing)


SUPPORTER = "supporter"


def award_supporter_badge(tx: Transaction, donor_id: str | None) -> None:
    """A paid donation earns a badge on the profile; it buys nothing else (trust and ranking ignore it)."""
    user = lock_people(tx, [donor_id]).get(donor_id) if donor_id else None
    if user is not None and SUPPORTER not in (user.badges or []):
        user.badges = [*(user.badges or []), SUPPORTER]
        tx.emit(events.UserBadgeAwarded(id=user.id, badge=SUPPORTER))
