"""Writing, reading and marking notifications; each person's settings.

A notification with a ``group_key`` joins the recipient's unread notification of that key: it is
written again under a new id with one more event and, if new, one more person (newest first). Once
read, the next one starts a new group. A ``once`` key notifies its recipient once ever.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Text, cast, delete, func, not_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from feed.exceptions import Invalid
from feed.models import MUTED_PEOPLE, FeedMute
from feed.notifications import KINDS
from feed.notifications.models import Inbox, Notification, Notified
from svclib import pagination
from svclib.db import Transaction, isoformat

MAX_ACTORS = 50  # people kept by name in a group; the count goes on
UNREAD_CAP = 100  # the unread count stops there ("99+")


@dataclass
class Note:
    """What one event tells one person."""

    recipient_id: str
    kind: str
    actor_id: str | None = None
    group_key: str | None = None
    once: str | None = None
    post_id: str | None = None
    comment_id: str | None = None
    subwiki_id: str | None = None
    detail: dict = field(default_factory=dict)


def _inbox(tx: Transaction, user_id: str, lock: bool = False) -> Inbox:
    """The person's inbox row (made if missing), locked with ``lock``."""
    query = select(Inbox).where(Inbox.user_id == user_id)
    row = tx.session.scalar(query.with_for_update() if lock else query)
    if row is None:
        insert = postgresql.insert if tx.session.get_bind().dialect.name == "postgresql" else sqlite.insert
        tx.session.execute(insert(Inbox).values(user_id=user_id, off=[]).on_conflict_do_nothing())
        query = query.execution_options(populate_existing=True)
        row = tx.session.scalar(query.with_for_update() if lock else query)
    return row


def muted(tx: Transaction, note: Note) -> bool:
    """Whether the recipient muted or blocked the note's actor, or muted the subwiki it happened in."""
    kept_away = []
    if note.actor_id is not None:
        kept_away.append(FeedMute.kind.in_(MUTED_PEOPLE) & (FeedMute.target_id == note.actor_id))
    if note.subwiki_id is not None:
        kept_away.append((FeedMute.kind == "subwiki") & (FeedMute.target_id == note.subwiki_id))
    if not kept_away:
        return False
    query = select(FeedMute.kind).where(FeedMute.user_id == note.recipient_id, or_(*kept_away)).limit(1)
    return tx.session.scalar(query) is not None


def notify(tx: Transaction, note: Note, occurred_at: datetime) -> Notification | None:
    """Write ``note``; None when it says nothing new (its own actor, or a ``once`` key already used) or
    the recipient does not want it (a muted or blocked actor, a muted subwiki)."""
    if note.actor_id is not None and note.actor_id == note.recipient_id:
        return None
    if muted(tx, note):
        return None
    _inbox(tx, note.recipient_id, lock=True)
    if note.once is not None:
        if tx.session.get(Notified, (note.recipient_id, note.once)) is not None:
            return None
        tx.session.add(Notified(recipient_id=note.recipient_id, key=note.once))
    actors, actor_count, count = [note.actor_id] if note.actor_id else [], 1 if note.actor_id else 0, 1
    if note.group_key is not None:
        group = tx.session.scalar(
            select(Notification).where(
                Notification.recipient_id == note.recipient_id,
                Notification.group_key == note.group_key,
                Notification.read.is_(False),
            )
        )
        if group is not None:
            known = list(group.actor_ids or [])
            if note.actor_id in known:
                known.remove(note.actor_id)
                actor_count = group.actor_count
            else:
                actor_count = group.actor_count + (1 if note.actor_id else 0)
            actors = (actors + known)[:MAX_ACTORS]
            count = group.count + 1
            occurred_at = max(occurred_at, group.occurred_at)
            tx.session.delete(group)
            tx.session.flush()
    row = Notification(
        recipient_id=note.recipient_id,
        kind=note.kind,
        group_key=note.group_key,
        actor_ids=actors,
        actor_count=actor_count,
        count=count,
        post_id=note.post_id,
        comment_id=note.comment_id,
        subwiki_id=note.subwiki_id,
        detail=note.detail,
        read=False,
        occurred_at=occurred_at,
    )
    tx.session.add(row)
    tx.session.flush()
    return row


def notify_all(tx: Transaction, notes: list[Note], occurred_at: datetime) -> None:
    """Write each of an event's notes (recipients in id order: one lock order for all events)."""
    for note in sorted(notes, key=lambda n: n.recipient_id):
        notify(tx, note, occurred_at)


# --- reading ----------------------------------------------------------------------------


def hidden(tx: Transaction, reader_id: str) -> list:
    """Conditions on ``Notification`` that keep out what ``reader_id`` does not want to see.

    Kinds turned off in the reader's settings, and what happened in a subwiki the reader muted (also
    what was written before the mute; notes by a muted or blocked person are never written, see
    ``muted``): the page, the unread count and the web's badge all read through this one function.
    """
    inbox = tx.session.get(Inbox, reader_id)
    off = list(inbox.off or []) if inbox is not None else []
    conditions = [Notification.kind.not_in(off)] if off else []
    subwikis = select(FeedMute.target_id).where(FeedMute.user_id == reader_id, FeedMute.kind == "subwiki")
    if tx.session.scalar(subwikis.limit(1)) is not None:
        conditions.append(or_(Notification.subwiki_id.is_(None), Notification.subwiki_id.not_in(subwikis)))
    return conditions


def dump(row: Notification) -> dict:
    return {
        "id": row.id,
        "kind": row.kind,
        "actor_ids": list(row.actor_ids or []),
        "actor_count": row.actor_count,
        "count": row.count,
        "post_id": row.post_id,
        "comment_id": row.comment_id,
        "subwiki_id": row.subwiki_id,
        "detail": dict(row.detail or {}),
        "read": row.read,
        "occurred_at": isoformat(row.occurred_at),
    }


def page(tx: Transaction, reader_id: str, limit: int | None, cursor: str | None) -> dict:
    """The reader's notifications, newest first, with the titles of the posts they are about."""
    query = select(Notification).where(Notification.recipient_id == reader_id, *hidden(tx, reader_id))
    result = pagination.newest_first(
        tx.session, query, Notification.id, limit, cursor, lambda rows: [dump(row) for row in rows]
    )
    from feed.models import FeedPost  # the posts' titles, from the feed's own copy

    post_ids = sorted({item["post_id"] for item in result["items"] if item["post_id"]})
    titles = (
        dict(tx.session.execute(select(FeedPost.id, FeedPost.title).where(FeedPost.id.in_(post_ids))).all())
        if post_ids
        else {}
    )
    for item in result["items"]:
        item["post_title"] = titles.get(item["post_id"])
    return result


def unread(tx: Transaction, reader_id: str) -> int:
    """How many notifications the reader has not read (at most UNREAD_CAP): one indexed count."""
    unread_rows = (
        select(Notification.id)
        .where(Notification.recipient_id == reader_id, Notification.read.is_(False), *hidden(tx, reader_id))
        .limit(UNREAD_CAP)
        .subquery()
    )
    return tx.session.scalar(select(func.count()).select_from(unread_rows))


def mark_read(tx: Transaction, reader_id: str, up_to: int | None) -> int:
    """Mark read every notification of the reader up to id ``up_to`` (all with None); how many changed."""
    inbox = _inbox(tx, reader_id, lock=True)
    condition = [Notification.recipient_id == reader_id, Notification.read.is_(False)]
    if up_to is not None:
        condition.append(Notification.id <= up_to)
    newest = tx.session.scalar(select(func.max(Notification.occurred_at)).where(*condition))
    changed = tx.session.execute(update(Notification).where(*condition).values(read=True)).rowcount
    if newest is not None and (inbox.read_through is None or newest > inbox.read_through):
        inbox.read_through = newest
    return changed


# --- settings and erasure ---------------------------------------------------------------


def settings(tx: Transaction, user_id: str) -> dict[str, bool]:
    inbox = tx.session.get(Inbox, user_id)
    off = set(inbox.off or []) if inbox is not None else set()
    return {kind: kind not in off for kind in KINDS}


def change_settings(tx: Transaction, user_id: str, changes: dict) -> dict[str, bool]:
    """Turn kinds on (True) or off (False); the kinds not named keep their setting."""
    if not isinstance(changes, dict):
        raise Invalid("Settings are an object of kinds.")
    unknown = sorted(str(k) for k in changes if k not in KINDS)
    wrong = sorted(str(k) for k, v in changes.items() if k in KINDS and not isinstance(v, bool))
    if unknown or wrong:
        fields = {k: [f"Not a kind of notification: use {', '.join(KINDS)}."] for k in unknown}
        fields.update({k: ["Use true or false."] for k in wrong})
        raise Invalid("Unknown settings.", fields=fields)
    inbox = _inbox(tx, user_id, lock=True)
    off = set(inbox.off or [])
    off |= {kind for kind, on in changes.items() if not on}
    off -= {kind for kind, on in changes.items() if on}
    inbox.off = sorted(off)
    return {kind: kind not in off for kind in KINDS}


def export(tx: Transaction, user_id: str) -> dict:
    """What the notifications hold about the person, for their export: settings and notifications."""
    rows = tx.session.scalars(
        select(Notification).where(Notification.recipient_id == user_id).order_by(Notification.id)
    ).all()
    return {"settings": settings(tx, user_id), "notifications": [dump(row) for row in rows]}


def erase(tx: Transaction, user_id: str) -> None:
    """The person's notifications and settings go; in others' notifications they become None (shown as
    "a deleted member")."""
    tx.session.execute(delete(Notification).where(Notification.recipient_id == user_id))
    tx.session.execute(
        delete(Notified).where(or_(Notified.recipient_id == user_id, Notified.key.contains(user_id, autoescape=True)))
    )
    tx.session.execute(delete(Inbox).where(Inbox.user_id == user_id))
    naming = select(Notification).where(cast(Notification.actor_ids, Text).like(f"%{user_id}%"))
    for row in tx.session.scalars(naming.with_for_update()).all():
        row.actor_ids = [None if actor == user_id else actor for actor in row.actor_ids]


def clear(tx: Transaction) -> None:
    """Forget every notification (a rebuild writes them again); settings stay."""
    for model in (Notification, Notified):
        tx.session.execute(delete(model))


def mark_read_through(tx: Transaction) -> None:
    """After a rebuild: what each person had read (by time) is read again."""
    for inbox in tx.session.scalars(select(Inbox).where(Inbox.read_through.is_not(None))).all():
        tx.session.execute(
            update(Notification)
            .where(
                Notification.recipient_id == inbox.user_id,
                Notification.occurred_at <= inbox.read_through,
                not_(Notification.read),
            )
            .values(read=True)
        )
