"""FeedService: the read model, kept only from events; pages read without asking anyone."""

from __future__ import annotations

import time
from pathlib import Path

from nameko.rpc import RpcProxy
from nameko.timer import timer

from feed import handlers, pages
from feed.exceptions import FeedError
from feed.kept import (
    CHANNEL,
    PAGES_EXCHANGE,
    PAGES_GATHER_SECONDS,
    kept_answers,
    notes_tag,
    pages_changed,
    reader_tag,
    touches,
)
from feed.models import KNOWN_USERS, Base
from feed.notifications import inbox, rules
from svclib import snapshots, users
from svclib.broadcasts import CommitBroadcast
from svclib.db import Database, parse_time, utcnow
from svclib.events import event_handler
from svclib.exceptions import ServiceError
from svclib.faults import FaultLog
from svclib.rpc import Parts, rpc

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
# The lane of the events whose effect a member waits to see (svclib.events: slots of its own,
# EVENT_WORKERS_SEEN): their posts on the feeds, their notifications, their subwikis, follows, mutes and
# blocks. They never wait for a slot behind votes and trust changes, which come in bursts and cost more
# (a trust change reweighs every vote of its person), on the default lane (EVENT_WORKERS); and config.yml
# has the requests process handle them (REQUESTS_LANES, svclib.roles), at its priority: in the niced
# background process, on a busy machine, they waited seconds for the CPU.
SEEN = "seen"
DECLARED = (FeedError, ServiceError)


def registered(tx, user: dict) -> None:
    """A new account: known from now on, and its names as the feed shows them."""
    users.record(tx, KNOWN_USERS, user["id"], user["username"])
    handlers.person_changed(tx, user)


def erased(tx, user_id: str) -> None:
    """An erased person is unknown from now on: their posts leave the feeds, their notifications go,
    and they are nobody in others'."""
    users.erase(tx, KNOWN_USERS, user_id)
    handlers.author_erased(tx, user_id)
    handlers.announce_qualities(tx)
    inbox.erase(tx, user_id)


class FeedService:
    name = "feed"

    db = Database(Base.metadata, MIGRATIONS, changes_channel=CHANNEL, touches=touches)
    faults = FaultLog()  # a worker's unexpected error logged with the caller's request id
    kept = kept_answers()
    # Each commit that changed pages, told to the gateway's processes, which answer a client holding a page's
    # tag (ETag) that it has not changed without asking (``feed.kept.pages_changed``).
    changes = CommitBroadcast("db", PAGES_EXCHANGE, pages_changed, gather=PAGES_GATHER_SECONDS)
    identity = RpcProxy("identity")  # asked only whether a person it does not know still has an account

    # Who exists: identity's accounts, kept in known_users (svclib.users) with the names the feed shows.

    @event_handler("identity", "user_registered")
    def handle_user_registered(self, payload: dict) -> None:
        self.db.apply_once(payload, "handle_user_registered", registered, payload["user"])

    @event_handler("identity", "user_erased")
    def handle_user_erased(self, payload: dict) -> None:
        self.db.apply_once(payload, "handle_user_erased", erased, payload["user"]["id"])

    @rpc
    def export_user(self, user_id: str) -> dict:
        with self.db.reading() as tx:
            return {
                "account": users.export(tx, KNOWN_USERS, user_id),
                **handlers.kept_about(tx, user_id),
                "notifications": inbox.export(tx, user_id),
            }

    def _exists(self, user_id: str) -> bool:
        """Whether identity has the account (not erased): asked only of a rename of a person the feed does not know."""
        return bool(self.identity.get_people([user_id]))

    def _apply(self, payload: dict, handler: str, apply, *args) -> None:
        """Apply an event once, announcing the qualities it changed; feed processes drop the kept answers it
        touched when it commits."""

        def apply_and_announce(tx, *args) -> None:
            apply(tx, *args)
            handlers.announce_qualities(tx)

        self.db.apply_once(payload, handler, apply_and_announce, *args)

    @event_handler("content", "post_created", lane=SEEN)
    def handle_post_created(self, payload: dict) -> None:
        self._apply(payload, "handle_post_created", handlers.post_created, payload["post"], utcnow())

    @event_handler("content", "post_edited", lane=SEEN)
    def handle_post_edited(self, payload: dict) -> None:
        self._apply(payload, "handle_post_edited", handlers.post_edited, payload["post"], utcnow())

    @event_handler("content", "post_reverted", lane=SEEN)
    def handle_post_reverted(self, payload: dict) -> None:
        self._apply(payload, "handle_post_reverted", handlers.post_reverted, payload["post"], utcnow())

    @event_handler("content", "post_removed", lane=SEEN)
    def handle_post_removed(self, payload: dict) -> None:
        self._apply(payload, "handle_post_removed", handlers.post_removed, payload["post"])

    @event_handler("content", "comment_created")
    def handle_comment_created(self, payload: dict) -> None:
        self._apply(payload, "handle_comment_created", handlers.comment_changed, payload["comment"], True, utcnow())

    @event_handler("content", "comment_removed")
    def handle_comment_removed(self, payload: dict) -> None:
        self._apply(payload, "handle_comment_removed", handlers.comment_changed, payload["comment"], False, utcnow())

    @event_handler("content", "vote_cast")
    def handle_vote_cast(self, payload: dict) -> None:
        self._apply(payload, "handle_vote_cast", handlers.vote_changed, payload["vote"], utcnow())

    @event_handler("content", "vote_removed")
    def handle_vote_removed(self, payload: dict) -> None:
        self._apply(payload, "handle_vote_removed", handlers.vote_changed, payload["vote"], utcnow())

    @event_handler("content", "report_resolved")
    def handle_report_resolved(self, payload: dict) -> None:
        self._apply(payload, "handle_report_resolved", handlers.report_resolved, payload["report"], utcnow())

    @event_handler("communities", "member_joined", lane=SEEN)
    def handle_member_joined(self, payload: dict) -> None:
        self._apply(payload, "handle_member_joined", handlers.membership_changed, payload["membership"], True)

    @event_handler("communities", "member_left", lane=SEEN)
    def handle_member_left(self, payload: dict) -> None:
        self._apply(payload, "handle_member_left", handlers.membership_changed, payload["membership"], False)

    @event_handler("identity", "user_followed", lane=SEEN)
    def handle_user_followed(self, payload: dict) -> None:
        self._apply(payload, "handle_user_followed", handlers.follow_changed, payload["follow"], True)

    @event_handler("identity", "user_unfollowed", lane=SEEN)
    def handle_user_unfollowed(self, payload: dict) -> None:
        self._apply(payload, "handle_user_unfollowed", handlers.follow_changed, payload["follow"], False)

    @event_handler("identity", "user_muted", lane=SEEN)
    def handle_user_muted(self, payload: dict) -> None:
        self._apply(payload, "handle_user_muted", handlers.mute_changed, payload["mute"], True)

    @event_handler("identity", "user_unmuted", lane=SEEN)
    def handle_user_unmuted(self, payload: dict) -> None:
        self._apply(payload, "handle_user_unmuted", handlers.mute_changed, payload["mute"], False)

    @event_handler("identity", "user_blocked", lane=SEEN)
    def handle_user_blocked(self, payload: dict) -> None:
        self._apply(payload, "handle_user_blocked", handlers.block_changed, payload["block"], True)

    @event_handler("identity", "user_unblocked", lane=SEEN)
    def handle_user_unblocked(self, payload: dict) -> None:
        self._apply(payload, "handle_user_unblocked", handlers.block_changed, payload["block"], False)

    @event_handler("identity", "user_trust_changed")
    def handle_user_trust_changed(self, payload: dict) -> None:
        user = payload["user"]
        self._apply(
            payload,
            "handle_user_trust_changed",
            handlers.trust_changed,
            user["id"],
            float(user["trust"]),
            utcnow(),
            parse_time(payload["occurred_at"]) if payload.get("occurred_at") else None,
            user.get("version"),
        )

    @event_handler("identity", "user_updated")
    def handle_user_updated(self, payload: dict) -> None:
        self._apply(payload, "handle_user_updated", handlers.person_renamed, payload["user"], self._exists)

    @event_handler("communities", "subwiki_created")
    def handle_subwiki_created(self, payload: dict) -> None:
        self._apply(payload, "handle_subwiki_created", handlers.subwiki_named, payload["subwiki"])

    @event_handler("communities", "subwiki_edited")
    def handle_subwiki_edited(self, payload: dict) -> None:
        """A new revision of the subwiki: its name, when changed, reaches every post and page that shows it."""
        self._apply(payload, "handle_subwiki_edited", handlers.subwiki_named, payload["subwiki"])

    # --- notifications: each event's own queue, so that they never wait behind the feed's work; their
    # transactions change no kept page: they announce only their recipients' unread counts (``n:`` tags).

    def _notify(self, payload: dict, handler: str, rule, entity: str) -> None:
        occurred_at = parse_time(payload["occurred_at"]) if payload.get("occurred_at") else utcnow()
        self.db.apply_once(payload, handler, inbox.notify_all, rule(payload[entity]), occurred_at)

    @event_handler("content", "post_created", lane=SEEN)
    def notify_post_created(self, payload: dict) -> None:
        self._notify(payload, "notify_post_created", rules.post_created, "post")

    @event_handler("content", "post_edited", lane=SEEN)
    def notify_post_edited(self, payload: dict) -> None:
        self._notify(payload, "notify_post_edited", rules.post_edited, "post")

    @event_handler("content", "post_edit_pending", lane=SEEN)
    def notify_post_edit_pending(self, payload: dict) -> None:
        self._notify(payload, "notify_post_edit_pending", rules.post_edit_pending, "change")

    @event_handler("content", "post_edit_rejected", lane=SEEN)
    def notify_post_edit_rejected(self, payload: dict) -> None:
        self._notify(payload, "notify_post_edit_rejected", rules.post_edit_rejected, "change")

    @event_handler("content", "post_held", lane=SEEN)
    def notify_post_held(self, payload: dict) -> None:
        self._notify(payload, "notify_post_held", rules.post_held, "held_post")

    @event_handler("content", "held_post_approved", lane=SEEN)
    def notify_held_post_approved(self, payload: dict) -> None:
        self._notify(payload, "notify_held_post_approved", rules.held_post_approved, "held_post")

    @event_handler("content", "held_post_rejected", lane=SEEN)
    def notify_held_post_rejected(self, payload: dict) -> None:
        self._notify(payload, "notify_held_post_rejected", rules.held_post_rejected, "held_post")

    @event_handler("content", "post_removed", lane=SEEN)
    def notify_post_removed(self, payload: dict) -> None:
        self._notify(payload, "notify_post_removed", rules.post_removed, "post")

    @event_handler("content", "comment_created", lane=SEEN)
    def notify_comment_created(self, payload: dict) -> None:
        self._notify(payload, "notify_comment_created", rules.comment_created, "comment")

    @event_handler("content", "comment_edited", lane=SEEN)
    def notify_comment_edited(self, payload: dict) -> None:
        self._notify(payload, "notify_comment_edited", rules.comment_edited, "comment")

    @event_handler("content", "comment_removed", lane=SEEN)
    def notify_comment_removed(self, payload: dict) -> None:
        self._notify(payload, "notify_comment_removed", rules.comment_removed, "comment")

    @event_handler("content", "report_resolved", lane=SEEN)
    def notify_report_resolved(self, payload: dict) -> None:
        self._notify(payload, "notify_report_resolved", rules.report_resolved, "report")

    @event_handler("identity", "user_followed", lane=SEEN)
    def notify_user_followed(self, payload: dict) -> None:
        self._notify(payload, "notify_user_followed", rules.user_followed, "follow")

    @event_handler("identity", "user_badge_awarded", lane=SEEN)
    def notify_user_badge_awarded(self, payload: dict) -> None:
        self._notify(payload, "notify_user_badge_awarded", rules.user_badge_awarded, "user")

    @event_handler("donations", "donation_completed", lane=SEEN)
    def notify_donation_completed(self, payload: dict) -> None:
        self._notify(payload, "notify_donation_completed", rules.donation_completed, "donation")

    @rpc(expected_exceptions=DECLARED)
    def notifications(self, user_id: str, limit: int | None = None, cursor: str | None = None) -> dict:
        """The person's notifications, newest first: ``{"items", "next_cursor"}``."""
        with self.db.reading() as tx:
            return inbox.page(tx, user_id, limit, cursor)

    @rpc(expected_exceptions=DECLARED)
    def unread_notifications(self, user_id: str) -> int:
        """The count every page of the site shows: kept until a change to the person's notifications,
        settings or mutes (``feed.kept``: ``n:`` and ``u:`` tags)."""

        def read() -> tuple[int, set[str]]:
            with self.db.reading() as tx:
                return inbox.unread(tx, user_id), {notes_tag(user_id), reader_tag(user_id)}

        return self.kept.get_or_build(("unread", user_id), read, tagged=True)

    @rpc(expected_exceptions=DECLARED)
    def mark_notifications_read(self, user_id: str, up_to: int | None = None) -> int:
        with self.db.transaction() as tx:
            return inbox.mark_read(tx, user_id, up_to)

    @rpc(expected_exceptions=DECLARED)
    def notification_settings(self, user_id: str) -> dict:
        with self.db.reading() as tx:
            return inbox.settings(tx, user_id)

    @rpc(expected_exceptions=DECLARED)
    def change_notification_settings(self, user_id: str, changes: dict) -> dict:
        with self.db.transaction() as tx:
            return inbox.change_settings(tx, user_id, changes)

    @timer(interval=handlers.scores.QUALITY_ANNOUNCE_SECONDS or 60)
    def announce_due_qualities(self) -> int:
        """The qualities marked due since the last tick, announced in as few messages as they fill
        (``feed.handlers.scores.announce_due``); nothing to do when each transaction announces its own."""
        if handlers.scores.QUALITY_ANNOUNCE_SECONDS <= 0:
            return 0
        announced = 0
        while True:
            with self.db.transaction() as tx:
                taken = handlers.announce_due(tx)
            announced += taken
            if taken < handlers.scores.ANNOUNCE_BATCH:
                return announced

    @timer(interval=60)
    def refresh_decay(self) -> int:
        """Age decay moves slowly; recent posts are rescored in batches, never on a read."""
        refreshed = 0
        while True:
            with self.db.transaction() as tx:
                count = handlers.refresh_decay(tx, utcnow())
            refreshed += count
            if count < 500:
                return refreshed

    @rpc
    def health(self) -> dict:
        """Alive, and how this process's kept answers are doing (hits are pages answered without a query)."""
        return {"service": self.name, "ok": True, "kept_answers": self.kept.stats()}

    # Each page RPC answers the read model's entries as plain data (feed.pages.items.item); the gateway
    # presents them.

    @rpc(expected_exceptions=DECLARED)
    def public_feed(
        self,
        sort: str = "quality",
        window: str = "week",
        limit: int | None = None,
        cursor: str | None = None,
        viewer_id: str | None = None,
        tags: bool = False,
    ) -> dict:
        """The front page; for a ``viewer_id`` who muted or blocked anyone, without what they muted (kept
        per reader), else the page every reader shares. With ``tags``, the answer's parts are ``tags`` (what
        the page was read from, ``feed.kept``'s tags, null for everything), ``age`` (seconds since its read
        began), for a viewer who sees every reader's page ``shared`` (the tags that decide it: a change to them
        may change which page they see), and the ``page``."""
        mutes = bool(viewer_id) and self._mutes_anything(viewer_id)
        if mutes:
            read, args = pages.public_feed_for, (viewer_id, sort, window, limit, cursor)
        else:
            read, args = pages.public_feed, (sort, window, limit, cursor)
        (page, snapshot), depends, began = self._dated_page(read, *args, snapshot=True)
        if not tags:
            return page
        # Whether the viewer muted anyone (which page they see) is read from their own tag. A viewer who mutes
        # nobody sees every reader's page: ``shared`` says so, with the tags that decide it.
        decides = {reader_tag(viewer_id)} if viewer_id else set()
        if viewer_id and not mutes:
            return _tagged(page, depends, decides, age=_age(began), snapshot=snapshot, shared=sorted(decides))
        return _tagged(page, depends, decides, age=_age(began), snapshot=snapshot)

    def _mutes_anything(self, viewer_id: str) -> bool:
        def read() -> tuple[bool, set[str]]:
            with self.db.reading() as tx:
                return pages.mutes_anything(tx, viewer_id), {reader_tag(viewer_id)}

        return self.kept.get_or_build(("mutes_anything", viewer_id), read, tagged=True)

    @rpc(expected_exceptions=DECLARED)
    def subwiki_feed(
        self, slug: str, sort: str = "quality", limit: int | None = None, cursor: str | None = None
    ) -> dict:
        return self._page(pages.subwiki_feed, slug, sort, limit, cursor)

    @rpc(expected_exceptions=DECLARED)
    def user_posts(self, author_id: str, limit: int | None = None, cursor: str | None = None) -> dict:
        return self._page(pages.user_posts, author_id, limit, cursor)

    @rpc(expected_exceptions=DECLARED)
    def home_feed(
        self,
        user_id: str,
        sort: str = "quality",
        limit: int | None = None,
        cursor: str | None = None,
        tags: bool = False,
    ) -> dict:
        """A person's home page; with ``tags``, in parts as ``public_feed``'s."""
        (page, snapshot), depends, began = self._dated_page(
            pages.home_feed, user_id, sort, limit, cursor, snapshot=True
        )
        return _tagged(page, depends, age=_age(began), snapshot=snapshot) if tags else page

    @rpc
    def post_scores(self, post_ids: list[str]) -> dict[str, dict]:
        """What the feed counted for each of these posts it holds (votes, comments, quality), by id:
        a post in a write's answer shows the same numbers as its feed items (a post's own page shows
        content's, which commit with each vote and comment). Kept until a change to a post of one of
        their subwikis (``feed.kept``), or to any post while one of them is not held yet."""
        wanted = list(post_ids)[:100]

        def build() -> tuple[dict, set[str]]:
            depends: set[str] = set()
            with self.db.reading() as tx:
                return pages.post_scores(tx, wanted, depends), depends

        return self.kept.get_or_build(("post_scores", tuple(wanted)), build, tagged=True)

    @rpc
    def post_cards(self, post_ids: list[str]) -> dict[str, dict]:
        """Names and numbers of each of these posts the feed holds, by id: what a list of posts found
        elsewhere (search) shows of them, as the feed's own items show it."""
        with self.db.reading() as tx:
            return pages.post_cards(tx, list(post_ids)[:100])

    def _page(self, read, *args) -> dict:
        """``read``'s page for ``args``, kept under the page function and its arguments, with the tags of
        what it was read from (``feed.kept``)."""
        return self._dated_page(read, *args)[0][0]

    def _dated_page(
        self, read, *args, snapshot: bool = False
    ) -> tuple[tuple[dict, str | None], frozenset[str] | None, float]:
        """``_page``'s page with, for a page the gateway holds (``snapshot``), the snapshot its read began with on
        PostgreSQL (``svclib.snapshots``: which commits it holds; else None); the tags of what it was read from,
        and when its read began (``time.monotonic()``)."""

        def build() -> tuple[tuple[dict, str | None], set[str]]:
            depends: set[str] = set()
            with self.db.reading() as tx:
                began = snapshots.current(tx.connection) if snapshot else None
                return (read(tx, *args, utcnow(), depends=depends), began), depends

        return self.kept.get_or_build_dated((read.__name__, *args), build)


def _age(began: float) -> float:
    """Seconds since a page's read began: it holds every change committed before then, and a gateway process that
    heard of a change that touches it since may not keep it (``gateway.pagetags``)."""
    return round(time.monotonic() - began, 4)


def _tagged(page: dict, depends: frozenset[str] | None, also: set[str] = frozenset(), **parts) -> Parts:
    """A page with the tags of what it was read from (None: everything), ``tags`` (then any other ``parts``, such as
    its ``age`` and ``snapshot``, those that are None left out) then ``page``: the page, a kept answer, written as it
    is kept (``svclib.rpc.Parts``)."""
    told = {name: value for name, value in parts.items() if value is not None}
    return Parts(tags=None if depends is None else sorted(depends | also), **told, page=page)
