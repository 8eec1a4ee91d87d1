"""ContentService: thin entrypoints over the use cases in the handlers package."""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

from nameko.dependency_providers import Config
from nameko.exceptions import RemoteError
from nameko.rpc import RpcProxy
from nameko.timer import timer

from content import images
from content.exceptions import ContentError, Invalid
from content.handlers import (
    accounts,
    comments,
    discussion,
    edits,
    facts,
    held,
    mentions,
    pending,
    posts,
    recent_posts,
    replicas,
    reports,
    spam,
    uploads,
    votes,
)
from content.handlers import search as text_search
from content.kept import (
    CHANNEL,
    PAGES_EXCHANGE,
    PAGES_GATHER_SECONDS,
    discussion_tag,
    kept_answers,
    member_tag,
    names_tag,
    pages_changed,
    post_tag,
    touches,
)
from content.models import KNOWN_USERS, RATE_LIMITS, Base
from svclib import ratelimit, users
from svclib.broadcasts import CommitBroadcast
from svclib.db import Database, parse_time, utcnow
from svclib.events import event_handler
from svclib.exceptions import ServiceError
from svclib.faults import FaultLog
from svclib.rpc import Parts, rpc
from svclib.storage import default_storage

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
DECLARED = (ContentError, ServiceError)
UPLOAD_SWEEP_SECONDS = 3600


class ContentService:
    name = "content"

    db = Database(Base.metadata, MIGRATIONS, changes_channel=CHANNEL, touches=touches)
    kept = kept_answers()  # a post's comment pages, until a change to its discussion (content.kept)
    # What each commit touched, told to the gateways that keep post pages' tags (content.kept, gateway.pagetags).
    changes = CommitBroadcast("db", PAGES_EXCHANGE, pages_changed, gather=PAGES_GATHER_SECONDS)
    faults = FaultLog()  # a worker's unexpected error logged with the caller's request id
    config = Config()
    communities = RpcProxy("communities")
    identity = RpcProxy("identity")

    # Who exists: identity's accounts, kept in known_users (svclib.users); an erased person's
    # contributions stay with no author, what was theirs alone goes (content.handlers.accounts).

    @event_handler("identity", "user_registered")
    def handle_user_registered(self, payload: dict) -> None:
        user = payload["user"]
        self.db.apply_once(payload, "handle_user_registered", _registered, user)

    @event_handler("identity", "user_updated")
    def handle_user_updated(self, payload: dict) -> None:
        user = payload["user"]
        self.db.apply_once(payload, "handle_user_updated", replicas.record_person_name, user, False, self._exists)

    @event_handler("identity", "user_erased")
    def handle_user_erased(self, payload: dict) -> None:
        self.db.apply_once(payload, "handle_user_erased", accounts.erase, payload["user"]["id"])

    @rpc
    def health(self) -> dict:
        return {"service": self.name, "ok": True}

    @rpc
    def export_user(self, user_id: str) -> dict:
        with self.db.reading() as tx:
            return accounts.export(tx, user_id)

    def _exists(self, user_id: str) -> bool:
        """Whether identity has the account (not erased): asked only of a rename of a person content does not know."""
        return bool(self.identity.get_people([user_id]))

    def _ask_membership(self, user_id: str | None, **where: str) -> dict | None:
        """The handlers' membership lookup: communities' own answer, for a join made a moment ago."""
        try:
            return self.communities.get_membership(user_id, **where)
        except RemoteError as exc:
            if exc.exc_type == "NotFound":
                return None
            raise

    def _policy(self) -> edits.EditPolicy:
        return edits.EditPolicy(
            trust_threshold=float(self.config.get("EDIT_TRUST_THRESHOLD", 0.5)),
            edits_per_window=int(self.config.get("EDITS_PER_WINDOW", 20)),
            window_seconds=int(self.config.get("EDIT_WINDOW_SECONDS", 600)),
        )

    # -- facts from other services ----------------------------------------------

    @event_handler("communities", "subwiki_created")
    def handle_subwiki_created(self, payload: dict) -> None:
        self.db.apply_once(payload, "handle_subwiki_created", replicas.record_subwiki_name, payload["subwiki"])

    @event_handler("communities", "subwiki_edited")
    def handle_subwiki_edited(self, payload: dict) -> None:
        self.db.apply_once(payload, "handle_subwiki_edited", replicas.record_subwiki_name, payload["subwiki"])

    @event_handler("communities", "member_joined")
    def handle_member_joined(self, payload: dict) -> None:
        self.db.apply_once(
            payload, "handle_member_joined", replicas.record_membership, payload["membership"], joined=True
        )

    @event_handler("communities", "member_left")
    def handle_member_left(self, payload: dict) -> None:
        self.db.apply_once(
            payload, "handle_member_left", replicas.record_membership, payload["membership"], joined=False
        )

    @event_handler("communities", "moderator_added")
    def handle_moderator_added(self, payload: dict) -> None:
        self.db.apply_once(
            payload, "handle_moderator_added", replicas.record_moderator, payload["membership"], is_moderator=True
        )

    @event_handler("communities", "moderator_removed")
    def handle_moderator_removed(self, payload: dict) -> None:
        self.db.apply_once(
            payload, "handle_moderator_removed", replicas.record_moderator, payload["membership"], is_moderator=False
        )

    @event_handler("identity", "user_trust_changed")
    def handle_user_trust_changed(self, payload: dict) -> None:
        self.db.apply_once(
            payload,
            "handle_user_trust_changed",
            replicas.record_trust,
            payload["user"]["id"],
            float(payload["user"]["trust"]),
            parse_time(payload["occurred_at"]) if payload.get("occurred_at") else None,
            payload["user"].get("version"),
        )

    @event_handler("identity", "user_blocked")
    def handle_user_blocked(self, payload: dict) -> None:
        self.db.apply_once(payload, "handle_user_blocked", replicas.record_block, payload["block"], blocked=True)

    @event_handler("identity", "user_unblocked")
    def handle_user_unblocked(self, payload: dict) -> None:
        self.db.apply_once(payload, "handle_user_unblocked", replicas.record_block, payload["block"], blocked=False)

    @event_handler("feed", "post_quality_changed")
    def handle_post_quality_changed(self, payload: dict) -> None:
        self.db.apply_once(payload, "handle_post_quality_changed", replicas.record_quality, payload["post"])

    @event_handler("feed", "post_qualities_changed")
    def handle_post_qualities_changed(self, payload: dict) -> None:
        posts = payload["qualities"]["posts"]
        self.db.apply_once(payload, "handle_post_qualities_changed", replicas.record_qualities, posts)

    # -- posts ------------------------------------------------------------------

    @rpc(expected_exceptions=DECLARED)
    def create_post(
        self,
        user_id: str,
        slug: str,
        kind: str,
        title: str,
        body: str = "",
        url: str | None = None,
        image_id: str | None = None,
        idempotency_key: str | None = None,
        language: str | None = None,
    ) -> dict:
        with self.db.transaction() as tx:
            return posts.create_post(
                tx, self._ask_membership, user_id, slug, kind, title, body, url, image_id, idempotency_key, language
            )

    @rpc(expected_exceptions=DECLARED)
    def get_post(self, post_id: str, viewer_id: str | None = None) -> dict:
        """The post as its reader sees it, with its author's names as content holds them (``author_names``, None
        when it holds none): the gateway asks identity only for an author content does not name."""
        with self.db.reading() as tx:
            post = posts.get_post(tx, post_id, viewer_id)
            post["author_names"] = discussion.author_names(tx, post["author_id"])
            return post

    @rpc(expected_exceptions=DECLARED)
    def post_page(
        self,
        post_id: str,
        viewer_id: str | None = None,
        sort: str = "new",
        limit: int | None = None,
        cursor: str | None = None,
        tags: bool = False,
    ) -> Parts:
        """A post's page in one answer: the post as ``get_post`` gives it to the reader, and the page of its
        discussion ``list_comments`` gives (the kept one). The page is the answer's last part and goes as the
        text kept with it (``svclib.rpc.Parts``): the gateway knows a page it has shown before by that text,
        while the post beside it differs from reader to reader (their vote). The page carries its commenters' names
        as content holds them, and the post its author's (``author_names``, None when content holds none): the
        gateway asks identity only whom the reader blocked, beside this call, and names whom content does not.
        With ``tags``, a first part ``tags``: what the whole answer was read from (``content.kept``; null for
        anything), for a gateway that keeps the page's tag until a commit touches one of them."""
        post = self.get_post(post_id, viewer_id)
        comments, depends = self._comment_page_tagged(post_id, sort, limit, cursor)
        if not tags:
            return Parts(post=post, comments=comments)
        if depends is not None:
            also = {post_tag(post_id), discussion_tag(post_id)}
            if post["author_id"]:
                also.add(names_tag(post["author_id"]))
            if viewer_id:
                also.add(member_tag(viewer_id))
            depends = sorted(depends | also)
        return Parts(tags=depends, post=post, comments=comments)

    @rpc(expected_exceptions=DECLARED)
    def edit_post(
        self,
        user_id: str,
        post_id: str,
        base_revision: int,
        edit_summary: str = "",
        title: str | None = None,
        body: str | None = None,
        url: str | None = None,
        language: str | None = None,
    ) -> dict:
        with self.db.transaction() as tx:
            return edits.edit_post(
                tx,
                self._ask_membership,
                user_id,
                post_id,
                base_revision,
                edit_summary,
                self._policy(),
                utcnow(),
                title=title,
                body=body,
                url=url,
                language=language,
            )

    @rpc(expected_exceptions=DECLARED)
    def list_pending(self, user_id: str, post_id: str) -> list[dict]:
        with self.db.reading() as tx:
            return pending.list_pending(tx, self._ask_membership, user_id, post_id)

    @rpc(expected_exceptions=DECLARED)
    def list_subwiki_pending(
        self, user_id: str, slug: str, limit: int | None = None, cursor: str | None = None
    ) -> dict:
        with self.db.reading() as tx:
            return pending.list_subwiki_pending(tx, self._ask_membership, user_id, slug, limit, cursor, self._policy())

    @rpc(expected_exceptions=DECLARED)
    def accept_pending(self, user_id: str, post_id: str, change_id: str) -> dict:
        with self.db.transaction() as tx:
            return pending.accept_pending(tx, self._ask_membership, user_id, post_id, change_id, self._policy())

    @rpc(expected_exceptions=DECLARED)
    def reject_pending(self, user_id: str, post_id: str, change_id: str) -> None:
        with self.db.transaction() as tx:
            pending.reject_pending(tx, self._ask_membership, user_id, post_id, change_id, self._policy())

    @rpc(expected_exceptions=DECLARED)
    def set_protection(self, user_id: str, post_id: str, protected: bool) -> None:
        with self.db.transaction() as tx:
            posts.set_protection(tx, self._ask_membership, user_id, post_id, protected)

    @rpc(expected_exceptions=DECLARED)
    def list_revisions(self, post_id: str, limit: int | None = None, cursor: str | None = None) -> dict:
        with self.db.reading() as tx:
            return edits.list_revisions(tx, post_id, limit, cursor)

    @rpc(expected_exceptions=DECLARED)
    def get_revision_diff(self, post_id: str, revision: int) -> dict:
        with self.db.reading() as tx:
            return edits.get_revision_diff(tx, post_id, revision)

    @rpc(expected_exceptions=DECLARED)
    def revert_post(self, user_id: str, post_id: str, revision: int) -> dict:
        with self.db.transaction() as tx:
            return edits.revert_post(tx, self._ask_membership, user_id, post_id, revision, self._policy(), utcnow())

    @rpc(expected_exceptions=DECLARED)
    def remove_post(self, user_id: str, post_id: str) -> None:
        with self.db.transaction() as tx:
            posts.remove_post(tx, self._ask_membership, user_id, post_id)

    @rpc(expected_exceptions=DECLARED)
    def set_first_post_approval(self, user_id: str, slug: str, required: bool) -> None:
        with self.db.transaction() as tx:
            held.set_first_post_approval(tx, self._ask_membership, user_id, slug, bool(required))

    @rpc(expected_exceptions=DECLARED)
    def list_held_posts(self, user_id: str, slug: str, limit: int | None = None, cursor: str | None = None) -> dict:
        with self.db.reading() as tx:
            return held.list_held_posts(tx, self._ask_membership, user_id, slug, limit, cursor)

    @rpc(expected_exceptions=DECLARED)
    def approve_held_post(self, user_id: str, held_id: str) -> dict:
        with self.db.transaction() as tx:
            return held.approve_held_post(tx, self._ask_membership, user_id, held_id)

    @rpc(expected_exceptions=DECLARED)
    def reject_held_post(self, user_id: str, held_id: str) -> None:
        with self.db.transaction() as tx:
            held.reject_held_post(tx, self._ask_membership, user_id, held_id)

    @rpc(expected_exceptions=DECLARED)
    def remove_as_spam(self, user_id: str, post_id: str) -> dict:
        with self.db.transaction() as tx:
            return spam.remove_as_spam(tx, self._ask_membership, user_id, post_id)

    # -- comments and votes -----------------------------------------------------

    @rpc(expected_exceptions=DECLARED)
    def create_comment(
        self,
        user_id: str,
        post_id: str,
        body: str,
        parent_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> dict:
        with self.db.transaction() as tx:
            return comments.create_comment(tx, self._ask_membership, user_id, post_id, body, parent_id, idempotency_key)

    @rpc(expected_exceptions=DECLARED)
    def list_comments(
        self, post_id: str, sort: str = "new", limit: int | None = None, cursor: str | None = None
    ) -> dict:
        """A page of the post's discussion, kept until a change to the post or its comments commits
        (``content.kept``): a busy post's page is read far more often than it changes."""
        return self._comment_page(post_id, sort, limit, cursor)

    def _comment_page(self, post_id: str, sort: str, limit: int | None, cursor: str | None) -> dict:
        """The kept page of a post's discussion, the same whether asked alone or with the post (``post_page``)."""
        return self._comment_page_tagged(post_id, sort, limit, cursor)[0]

    def _comment_page_tagged(
        self, post_id: str, sort: str, limit: int | None, cursor: str | None
    ) -> tuple[dict, frozenset[str] | None]:
        """``_comment_page``'s page and the tags of what it was read from."""

        def read() -> tuple[dict, set[str]]:
            with self.db.reading() as tx:
                page = discussion.list_comments(tx, post_id, sort, limit, cursor)
                named = discussion.name_authors(tx, page)
            return page, {discussion_tag(post_id), *map(names_tag, named)}

        return self.kept.get_or_build_tagged(("comments", post_id, sort, limit, cursor), read)

    @rpc(expected_exceptions=DECLARED)
    def search(
        self,
        q: str,
        kind: str = "post",
        sort: str = "relevance",
        slug: str | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> dict:
        with self.db.reading() as tx:
            return text_search.search(tx, q, kind, sort, slug, limit, cursor)

    @rpc
    def preview_markup(self, body: str) -> str:
        """Markdown as a post or a comment shows it: sanitised HTML, mentions of people who exist linked
        (long texts rendered off the event loop)."""
        with self.db.reading() as tx:
            return mentions.render(tx, body[:100_000], "")[0]

    @rpc(expected_exceptions=DECLARED)
    def comment_thread(self, comment_id: str) -> dict:
        """A whole thread ("continue this thread"), kept as the post's comment pages are, until a change to its
        post's discussion commits."""

        def read() -> tuple[dict, set[str]]:
            with self.db.reading() as tx:
                thread = discussion.comment_thread(tx, comment_id)
                named = discussion.name_authors(tx, thread)
            return thread, {discussion_tag(thread["post_id"]), *map(names_tag, named)}

        return self.kept.get_or_build(("thread", comment_id), read, tagged=True)

    @rpc(expected_exceptions=DECLARED)
    def edit_comment(self, user_id: str, comment_id: str, body: str) -> dict:
        with self.db.transaction() as tx:
            return comments.edit_comment(tx, user_id, comment_id, body)

    @rpc(expected_exceptions=DECLARED)
    def remove_comment(self, user_id: str, comment_id: str) -> None:
        with self.db.transaction() as tx:
            comments.remove_comment(tx, self._ask_membership, user_id, comment_id)

    @rpc(expected_exceptions=DECLARED)
    def vote(self, user_id: str, target_type: str, target_id: str, value: int | None) -> dict:
        if target_type not in ("post", "comment"):
            raise Invalid("Votes go to posts and comments.")

        def cast() -> dict:
            with self.db.transaction() as tx:
                return votes.vote(tx, user_id, target_type, target_id, value)

        # A voter content does not know yet (signed up a moment ago) is asked of identity (svclib.users.as_known).
        return users.as_known(cast, user_id, self.db, KNOWN_USERS, self.identity.get_people)

    # -- reports and uploads ----------------------------------------------------

    @rpc(expected_exceptions=DECLARED)
    def file_report(
        self, user_id: str, target_type: str, target_id: str, reason: str, idempotency_key: str | None = None
    ) -> dict:
        if target_type not in ("post", "comment"):
            raise Invalid("Reports are about posts and comments.")
        with self.db.transaction() as tx:
            return reports.file_report(tx, user_id, target_type, target_id, reason, idempotency_key)

    @rpc(expected_exceptions=DECLARED)
    def list_reports(self, user_id: str, slug: str, limit: int | None = None, cursor: str | None = None) -> dict:
        with self.db.reading() as tx:
            return reports.list_reports(tx, self._ask_membership, user_id, slug, limit, cursor)

    @rpc(expected_exceptions=DECLARED)
    def resolve_report(self, user_id: str, report_id: str, action: str) -> dict:
        with self.db.transaction() as tx:
            return reports.resolve_report(tx, self._ask_membership, user_id, report_id, action)

    @rpc(expected_exceptions=DECLARED)
    def list_facts(self, kind: str, after: str | None = None, limit: int = 500) -> dict:
        with self.db.reading() as tx:
            return facts.list_facts(tx, kind, after, limit)

    @rpc(expected_exceptions=DECLARED)
    def save_upload(self, user_id: str, data_base64: str, idempotency_key: str | None = None) -> dict:
        """A picture, decoded and re-encoded off the event loop with no database connection held meanwhile;
        the same bytes again (a retry) answer with the upload they made, without decoding again."""
        try:
            data = base64.b64decode(data_base64, validate=True)
        except (binascii.Error, TypeError):
            raise Invalid("The upload is not base64.", fields={"file": ["Not readable."]}) from None
        digest = uploads.content_hash(data)
        with self.db.reading() as tx:
            known = uploads.uploaded_before(tx, user_id, digest, idempotency_key)
        if known is not None:
            return known
        with self.db.transaction() as tx:
            uploads.count_upload(tx, user_id)
        picture = images.reencode_off_loop(data)
        with self.db.transaction() as tx:
            return uploads.save_upload(tx, default_storage(), user_id, digest, picture, idempotency_key)

    @timer(interval=UPLOAD_SWEEP_SECONDS)
    def remove_unused_uploads(self) -> None:
        """Uploads never attached to a post go after a day; their files once the rows are gone."""
        with self.db.transaction() as tx:
            names = uploads.remove_unused(tx, utcnow())
            ratelimit.prune(tx, RATE_LIMITS)  # upload and report counts idle for a day
        storage = default_storage()
        for name in names:
            storage.delete(name)

    @timer(interval=recent_posts.ROTATE_SECONDS)
    def rotate_recent_posts_index(self) -> None:
        """PostgreSQL: search's index of the recent posts follows the days (content.handlers.recent_posts)."""
        recent_posts.rotate(self.db.engine)


def _registered(tx, user: dict) -> None:
    """An account content now knows (known_users), with the names its posts are listed under."""
    users.record(tx, KNOWN_USERS, user["id"], user["username"])
    replicas.record_person_name(tx, user, True)
