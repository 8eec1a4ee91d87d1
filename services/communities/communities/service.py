"""CommunitiesService: thin entrypoints over the use cases in the handlers package."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from nameko.rpc import RpcProxy

from communities import handlers
from communities.exceptions import CommunitiesError
from communities.kept import (
    CHANNEL,
    SUMMARIES_EXCHANGE,
    kept_answers,
    page_tag,
    summaries_changed,
    summary_tag,
    touches,
)
from communities.models import KNOWN_USERS, Base
from svclib import users
from svclib.broadcasts import CommitBroadcast
from svclib.db import Database
from svclib.events import event_handler
from svclib.exceptions import ServiceError
from svclib.faults import FaultLog
from svclib.rpc import rpc

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
DECLARED = (CommunitiesError, ServiceError)


class CommunitiesService:
    name = "communities"

    db = Database(Base.metadata, MIGRATIONS, changes_channel=CHANNEL, touches=touches)
    kept = kept_answers()  # subwikis' summaries and pages, until a change to the subwiki commits (communities.kept)
    # Each commit that changed summaries, told to the gateway's processes, which keep summaries too.
    summaries = CommitBroadcast("db", SUMMARIES_EXCHANGE, summaries_changed)
    faults = FaultLog()  # a worker's unexpected error logged with the caller's request id
    identity = RpcProxy("identity")  # asked only about a person whose registration has not arrived yet

    # Who exists: identity's accounts, kept in known_users (svclib.users).

    @event_handler("identity", "user_registered")
    def handle_user_registered(self, payload: dict) -> None:
        user = payload["user"]
        self.db.apply_once(payload, "handle_user_registered", users.record, KNOWN_USERS, user["id"], user["username"])

    @event_handler("identity", "user_erased")
    def handle_user_erased(self, payload: dict) -> None:
        self.db.apply_once(payload, "handle_user_erased", handlers.erase_person, payload["user"]["id"])

    def _as_known(self, user_id: str, act: Callable[[], Any]) -> Any:
        """``act()``, asking identity about ``user_id`` only if communities does not know them yet
        (``svclib.users.as_known``)."""
        return users.as_known(act, user_id, self.db, KNOWN_USERS, self.identity.get_people)

    @rpc
    def health(self) -> dict:
        return {"service": self.name, "ok": True}

    @rpc(expected_exceptions=DECLARED)
    def create_subwiki(
        self,
        user_id: str,
        slug: str,
        name: str,
        summary: str = "",
        description: str = "",
        idempotency_key: str | None = None,
    ) -> dict:
        def create() -> dict:
            with self.db.transaction() as tx:
                return handlers.create_subwiki(tx, user_id, slug, name, summary, description, idempotency_key)

        return self._as_known(user_id, create)

    @rpc(expected_exceptions=DECLARED)
    def get_subwiki(self, slug: str, viewer_id: str | None = None) -> dict:
        """A subwiki's page, kept as anyone sees it until a change to the subwiki or its memberships commits
        (``communities.kept``): a subwiki's page asks for it twice. Whether the viewer belongs to it is read
        each time."""

        def read() -> tuple[dict, set[str]]:
            with self.db.reading() as tx:
                page = handlers.get_subwiki(tx, slug)
            return page, {page_tag(page["id"])}

        page = self.kept.get_or_build(("subwiki", (slug or "").lower()), read, tagged=True)
        if not viewer_id:
            return page
        with self.db.reading() as tx:
            return handlers.seen_by(tx, page, viewer_id)

    @rpc(expected_exceptions=DECLARED)
    def get_subwikis(self, slugs: list[str]) -> dict:
        """Summaries by slug, kept until a change to one of them commits (``communities.kept``): every post
        page and most lists of posts ask for their subwikis'."""
        wanted = frozenset(slug.lower() for slug in slugs[:500])

        def read() -> tuple[dict, set[str]]:
            with self.db.reading() as tx:
                return handlers.get_subwikis(tx, sorted(wanted)), {summary_tag(slug) for slug in wanted}

        return self.kept.get_or_build(("subwikis", wanted), read, tagged=True)

    @rpc(expected_exceptions=DECLARED)
    def list_subwikis(
        self, q: str | None = None, sort: str = "members", limit: int | None = None, cursor: str | None = None
    ) -> dict:
        with self.db.transaction() as tx:
            return handlers.list_subwikis(tx, q, sort, limit, cursor)

    @rpc(expected_exceptions=DECLARED)
    def edit_subwiki(
        self,
        user_id: str,
        slug: str,
        base_revision: int,
        edit_summary: str = "",
        summary: str | None = None,
        description: str | None = None,
    ) -> dict:
        with self.db.transaction() as tx:
            return handlers.edit_subwiki(tx, user_id, slug, base_revision, edit_summary, summary, description)

    @rpc(expected_exceptions=DECLARED)
    def list_revisions(self, slug: str, limit: int | None = None, cursor: str | None = None) -> dict:
        with self.db.reading() as tx:
            return handlers.list_revisions(tx, slug, limit, cursor)

    @rpc(expected_exceptions=DECLARED)
    def get_revision_diff(self, slug: str, revision: int) -> dict:
        with self.db.reading() as tx:
            return handlers.get_revision_diff(tx, slug, revision)

    @rpc(expected_exceptions=DECLARED)
    def restore_revision(self, user_id: str, slug: str, revision: int) -> dict:
        with self.db.transaction() as tx:
            return handlers.restore_revision(tx, user_id, slug, revision)

    @rpc(expected_exceptions=DECLARED)
    def join_subwiki(self, user_id: str, slug: str) -> None:
        def join() -> None:
            with self.db.transaction() as tx:
                handlers.join_subwiki(tx, user_id, slug)

        self._as_known(user_id, join)

    @rpc(expected_exceptions=DECLARED)
    def leave_subwiki(self, user_id: str, slug: str) -> None:
        with self.db.transaction() as tx:
            handlers.leave_subwiki(tx, user_id, slug)

    @rpc(expected_exceptions=DECLARED)
    def add_moderator(self, actor_id: str, slug: str, user_id: str) -> None:
        def appoint() -> None:
            with self.db.transaction() as tx:
                handlers.add_moderator(tx, actor_id, slug, user_id)

        self._as_known(user_id, appoint)

    @rpc(expected_exceptions=DECLARED)
    def remove_moderator(self, actor_id: str, slug: str, user_id: str) -> None:
        with self.db.transaction() as tx:
            handlers.remove_moderator(tx, actor_id, slug, user_id)

    @rpc(expected_exceptions=DECLARED)
    def get_modlog(self, slug: str, limit: int | None = None, cursor: str | None = None) -> dict:
        with self.db.reading() as tx:
            return handlers.get_modlog(tx, slug, limit, cursor)

    @rpc(expected_exceptions=DECLARED)
    def get_membership(self, user_id: str, slug: str | None = None, subwiki_id: str | None = None) -> dict:
        with self.db.reading() as tx:
            return handlers.get_membership(tx, user_id, slug, subwiki_id)

    @event_handler("identity", "user_trust_changed")
    def handle_user_trust_changed(self, payload: dict) -> None:
        user = payload["user"]
        self.db.apply_once(
            payload,
            "handle_user_trust_changed",
            handlers.record_trust,
            user["id"],
            float(user["trust"]),
            user["version"],
        )

    @event_handler("content", "post_created")
    def handle_post_created(self, payload: dict) -> None:
        self.db.apply_once(payload, "handle_post_created", handlers.record_post, payload["post"], +1)

    @event_handler("content", "post_removed")
    def handle_post_removed(self, payload: dict) -> None:
        post = payload["post"]
        with self.db.transaction() as tx:
            if tx.once(payload["event_id"], "handle_post_removed"):
                handlers.record_post(tx, post, -1)
                if post.get("by_moderator"):
                    handlers.record_moderation(
                        tx,
                        post["subwiki_id"],
                        post["removed_by"],
                        "remove_post",
                        "post",
                        post["id"],
                        post.get("reason", ""),
                    )

    @event_handler("content", "comment_created")
    def handle_comment_created(self, payload: dict) -> None:
        self.db.apply_once(
            payload, "handle_comment_created", handlers.record_activity, payload["comment"]["subwiki_id"]
        )

    @event_handler("content", "comment_removed")
    def handle_comment_removed(self, payload: dict) -> None:
        comment = payload["comment"]
        with self.db.transaction() as tx:
            if tx.once(payload["event_id"], "handle_comment_removed") and comment.get("by_moderator"):
                handlers.record_moderation(
                    tx, comment["subwiki_id"], comment["removed_by"], "remove_comment", "comment", comment["id"]
                )

    @event_handler("content", "report_resolved")
    def handle_report_resolved(self, payload: dict) -> None:
        report = payload["report"]
        with self.db.transaction() as tx:
            if tx.once(payload["event_id"], "handle_report_resolved"):
                handlers.record_moderation(
                    tx,
                    report["subwiki_id"],
                    report["resolved_by"],
                    f"{report['action']}_report",
                    report["target_type"],
                    report["target_id"],
                )

    @rpc(expected_exceptions=DECLARED)
    def list_subwiki_names(self, after: str | None = None, limit: int = 500) -> dict:
        with self.db.reading() as tx:
            return handlers.list_subwiki_names(tx, after, limit)

    @rpc(expected_exceptions=DECLARED)
    def list_members(self, slug: str, limit: int | None = None, cursor: str | None = None) -> dict:
        with self.db.reading() as tx:
            return handlers.list_members(tx, slug, limit, cursor)

    @rpc(expected_exceptions=DECLARED)
    def list_member_subwikis(self, user_id: str, limit: int | None = None, cursor: str | None = None) -> dict:
        with self.db.reading() as tx:
            return handlers.list_member_subwikis(tx, user_id, limit, cursor)

    @rpc(expected_exceptions=DECLARED)
    def list_memberships(self, after: str | None = None, limit: int = 500) -> dict:
        with self.db.reading() as tx:
            return handlers.list_memberships(tx, after, limit)

    @rpc
    def export_user(self, user_id: str) -> dict:
        with self.db.reading() as tx:
            return handlers.export_user(tx, user_id)
