"""IdentityService: thin RPC entrypoints over the use cases in the handlers package."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import eventlet
from eventlet import tpool
from kombu import Exchange
from nameko.dependency_providers import Config
from nameko.messaging import Publisher
from nameko.timer import timer

from identity import passwords, trust
from identity.exceptions import Forbidden, IdentityError, Invalid, Unauthenticated
from identity.handlers import accounts, erasure, limits, mutes, profiles, trust_inputs
from identity.kept import blocks_tag, people_tags, touches
from identity.models import RATE_LIMITS, Base, User
from svclib import ratelimit, settings
from svclib.db import Database, utcnow
from svclib.events import event_handler
from svclib.faults import FaultLog
from svclib.kept import KeptAnswers
from svclib.rpc import rpc

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"

# Gateways keep a short cache of token checks; a revocation reaches all of them here.
# Revocations are published straight after the commit, not through the outbox: they are a hint
# to drop a cached check sooner, not a fact anyone rebuilds state from. The revoked session is
# gone from the database when the commit returns, and a gateway that misses the broadcast (it
# was down, or identity died between commit and publish) stops accepting the token when its
# cached check expires, within the gateway's TOKEN_CACHE_SECONDS. The outbox's guarantee (sent
# at least once, even after a crash, however late) buys nothing for a message useful for seconds.
SESSIONS_EXCHANGE = Exchange("identity.sessions", type="fanout", durable=True)
# Every committed change announces itself here; processes keep answers read since the last one.
CHANGES = "identity_changed"
# How often the trust of people who received votes is computed again: at most once per interval per
# person, however many votes they received meanwhile (identity.handlers.trust_inputs). 0: in each
# vote's own transaction, one recomputation and one user_trust_changed per vote (marks left from
# before are still taken every minute).
TRUST_RECOMPUTE_SECONDS = float(settings.env("TRUST_RECOMPUTE_SECONDS", "1"))
COALESCE_VOTES = TRUST_RECOMPUTE_SECONDS > 0
TRUST_RECOMPUTE_BATCH = 500
# People recomputed in one transaction: their locks are held until it commits (a vote for one of them waits).
TRUST_RECOMPUTE_CHUNK = 50


class IdentityService:
    name = "identity"

    db = Database(Base.metadata, MIGRATIONS, changes_channel=CHANGES, touches=touches)
    faults = FaultLog()  # a worker's unexpected error logged with the caller's request id
    kept = KeptAnswers("db", "IDENTITY_KEPT_ANSWERS", entries=10000, seconds=10.0)  # _ENTRIES, _SECONDS
    config = Config()
    revocations = Publisher(exchange=SESSIONS_EXCHANGE)

    def _policy(self) -> limits.LoginPolicy:
        config = self.config
        return limits.LoginPolicy(
            window_seconds=int(config.get("LOGIN_WINDOW_SECONDS", 900)),
            max_failures_per_account=int(config.get("LOGIN_MAX_FAILURES_PER_ACCOUNT", 5)),
            max_failures_per_ip=int(config.get("LOGIN_MAX_FAILURES_PER_IP", 20)),
            delay_after_failures=int(config.get("LOGIN_DELAY_AFTER_FAILURES", 5)),
            max_delay_seconds=float(config.get("LOGIN_MAX_DELAY_SECONDS", 2.0)),
            registrations_per_ip=int(config.get("REGISTRATIONS_PER_IP", 10)),
            registration_window_seconds=int(config.get("REGISTRATION_WINDOW_SECONDS", 3600)),
            session_ttl=timedelta(hours=float(config.get("SESSION_TTL_HOURS", 720))),
        )

    @rpc
    def health(self) -> dict:
        return {"service": self.name, "ok": True, "kept_answers": self.kept.stats()}

    @rpc(expected_exceptions=IdentityError)
    def register(self, username: str, email: str, password: str, display_name: str | None = None, ip: str = "") -> dict:
        data = accounts.validate_registration(username, email, password, display_name)
        with self.db.transaction() as tx:
            limits.registration(tx, ip, self._policy(), utcnow())
        password_hash = tpool.execute(passwords.hash_password, password)
        with self.db.transaction() as tx:
            return accounts.register(tx, password_hash=password_hash, **data)

    @rpc(expected_exceptions=IdentityError)
    def login(self, login: str, password: str, ip: str = "") -> dict:
        """Sign in; the attempt is counted before the password is checked (see identity.handlers.limits).

        Its transactions change only attempt counts and sessions, which no kept answer shows: they are not
        announced, so a sign-in makes no process forget what it keeps, and its commits skip PostgreSQL's
        NOTIFY (which every notifying commit of the cluster waits its turn for: a burst of votes' commits)."""
        policy, now = self._policy(), utcnow()
        with self.db.transaction(announce=False) as tx:
            user = accounts.find_login(tx, login)
            account = limits.account_key(user, login)
            delay = limits.login_attempt(tx, account, ip, policy, now)
            user_id, password_hash = (user.id, user.password_hash) if user else (None, passwords.DUMMY_HASH)
        if delay:
            eventlet.sleep(delay)
        valid = tpool.execute(passwords.verify_password, password_hash, password or "") and user_id is not None
        with self.db.transaction(announce=False) as tx:
            if valid:
                limits.login_succeeded(tx, account, ip)
                return accounts.start_session(tx, tx.session.get(User, user_id), policy, now)
            limits.login_failed(tx, account, policy, now)
        raise Unauthenticated("Wrong login or password.")

    @rpc(expected_exceptions=IdentityError)
    def authenticate(self, token: str) -> dict:
        """The caller a token is for, with whom they blocked (``blocks``: ``blocked_ids``' answer, which a page of
        comments marks for its reader). The gateway keeps the answer briefly; a change to the caller's blocks is
        broadcast as a revocation of their tokens (``block_user``), so a block shows on the next page."""
        with self.db.reading() as tx:
            caller = accounts.authenticate(tx, token, utcnow())
        return {**caller, "blocks": self.blocked_ids(caller["id"])}

    @rpc(expected_exceptions=IdentityError)
    def logout(self, token: str) -> None:
        with self.db.transaction() as tx:
            revoked = accounts.logout(tx, token, utcnow())
        self.revocations({"token_hashes": [revoked["token_hash"]], "user_id": revoked["user_id"]})

    @rpc(expected_exceptions=IdentityError)
    def get_me(self, user_id: str) -> dict:
        """The caller's own view; kept until anything in identity's database changes."""

        def read() -> dict:
            with self.db.reading() as tx:
                return profiles.get_me(tx, user_id)

        return self.kept.get_or_build(("me", user_id), read)

    @rpc(expected_exceptions=IdentityError)
    def update_me(self, user_id: str, display_name: str | None = None, bio: str | None = None) -> dict:
        with self.db.transaction() as tx:
            return profiles.update_me(tx, user_id, display_name=display_name, bio=bio)

    @rpc(expected_exceptions=IdentityError)
    def erase_me(self, user_id: str, password: str) -> None:
        with self.db.transaction() as tx:
            password_hash = erasure.get_password_hash(tx, user_id)
            limits.erase_attempt(tx, user_id, self._policy(), utcnow())
        if not tpool.execute(passwords.verify_password, password_hash, password or ""):
            raise Forbidden("The password is not correct.")
        with self.db.transaction() as tx:
            revoked = erasure.erase(tx, user_id, utcnow())
        self.revocations({"token_hashes": revoked, "user_id": user_id})

    @rpc(expected_exceptions=IdentityError)
    def export_user(self, user_id: str) -> dict:
        with self.db.reading() as tx:
            return erasure.export(tx, user_id)

    @rpc(expected_exceptions=IdentityError)
    def get_user(self, username: str) -> dict:
        with self.db.reading() as tx:
            return profiles.get_user(tx, username)

    @rpc(expected_exceptions=IdentityError)
    def get_users(self, ids: list[str]) -> dict:
        if not isinstance(ids, list):
            raise Invalid("ids must be a list.")
        with self.db.reading() as tx:
            return profiles.get_users(tx, ids)

    @event_handler("identity", "user_erased")
    def handle_user_erased(self, payload: dict) -> None:
        self.db.apply_once(
            payload, "handle_user_erased", erasure.forget_announcement, payload["user"]["id"], payload["event_id"]
        )

    @event_handler("communities", "member_joined")
    def handle_member_joined(self, payload: dict) -> None:
        self.db.apply_once(
            payload, "handle_member_joined", profiles.record_membership, payload["membership"], joined=True
        )

    @event_handler("communities", "member_left")
    def handle_member_left(self, payload: dict) -> None:
        self.db.apply_once(
            payload, "handle_member_left", profiles.record_membership, payload["membership"], joined=False
        )

    def _apply_for_trust(self, payload: dict, handler: str, record, fact: dict, coalesce: bool = False) -> None:
        """Apply a fact about someone's contributions once, then recompute their trust; with ``coalesce``,
        mark it due instead, for :meth:`recompute_due_trust` to recompute once for many such facts."""

        def apply(tx):
            affected, now = record(tx, fact), utcnow()
            if coalesce:
                trust_inputs.mark_due(tx, affected, now)
                return
            for user_id in affected:
                trust_inputs.recompute_trust(tx, user_id, now)

        if coalesce:
            # Only the rows trust is computed from change, which no kept answer shows: nothing to announce
            # (the recomputation that changes trust is announced).
            self.db.apply_once_quietly(payload, handler, apply)
        else:
            self.db.apply_once(payload, handler, apply)

    @event_handler("content", "post_edited")
    def handle_post_edited(self, payload: dict) -> None:
        self._apply_for_trust(payload, "handle_post_edited", trust_inputs.record_edit, payload["post"])

    @event_handler("content", "post_reverted")
    def handle_post_reverted(self, payload: dict) -> None:
        self._apply_for_trust(payload, "handle_post_reverted", trust_inputs.record_revert, payload["post"])

    @event_handler("content", "report_resolved")
    def handle_report_resolved(self, payload: dict) -> None:
        self._apply_for_trust(payload, "handle_report_resolved", trust_inputs.record_report, payload["report"])

    @event_handler("content", "spam_removed")
    def handle_spam_removed(self, payload: dict) -> None:
        self._apply_for_trust(payload, "handle_spam_removed", trust_inputs.record_spam, payload["spam"])

    @event_handler("content", "vote_cast")
    def handle_vote_cast(self, payload: dict) -> None:
        self._apply_for_trust(payload, "handle_vote_cast", trust_inputs.record_vote, payload["vote"], COALESCE_VOTES)

    @event_handler("content", "vote_removed")
    def handle_vote_removed(self, payload: dict) -> None:
        self._apply_for_trust(payload, "handle_vote_removed", trust_inputs.record_vote, payload["vote"], COALESCE_VOTES)

    @event_handler("donations", "donation_completed")
    def handle_donation_completed(self, payload: dict) -> None:
        self.db.apply_once(
            payload, "handle_donation_completed", profiles.award_supporter_badge, payload["donation"].get("donor_id")
        )

    @timer(interval=3600)
    def forget_idle_limits(self) -> None:
        """Attempt counts idle for a day are forgotten (svclib.ratelimit.prune)."""
        with self.db.transaction() as tx:
            ratelimit.prune(tx, RATE_LIMITS)

    @timer(interval=TRUST_RECOMPUTE_SECONDS or 60)
    def recompute_due_trust(self) -> None:
        """The trust of everyone votes marked due since the last tick, each once, up to ``TRUST_RECOMPUTE_CHUNK`` of
        them in a transaction (trust_inputs.recompute_due_many): a tick's work is a few statements a chunk, not a
        few a person (votes under load go to many authors, each marked due by one or two)."""
        with self.db.reading() as tx:
            due = trust_inputs.due(tx, TRUST_RECOMPUTE_BATCH)
        for start in range(0, len(due), TRUST_RECOMPUTE_CHUNK):
            with self.db.transaction() as tx:
                trust_inputs.recompute_due_many(tx, due[start : start + TRUST_RECOMPUTE_CHUNK], utcnow())

    @timer(interval=3600)
    def refresh_young_accounts_trust(self) -> None:
        """Trust grows with account age; accounts younger than the full age are revisited hourly."""
        now = utcnow()
        with self.db.reading() as tx:
            young = trust_inputs.users_younger_than(tx, trust.CONSTANTS.AGE_FULL_DAYS + 1, now)
        for user_id in young:
            with self.db.transaction() as tx:
                trust_inputs.recompute_trust(tx, user_id, now)

    @rpc(expected_exceptions=IdentityError)
    def list_follows(self, after: str | None = None, limit: int = 500) -> dict:
        with self.db.reading() as tx:
            return profiles.list_follows(tx, after, limit)

    @rpc(expected_exceptions=IdentityError)
    def list_trust(self, after: str | None = None, limit: int = 500) -> dict:
        with self.db.reading() as tx:
            return trust_inputs.list_trust(tx, after, limit)

    @rpc(expected_exceptions=IdentityError)
    def get_people(self, ids: list[str], seen_by: str | None = None) -> dict:
        """Names (and whom ``seen_by`` blocked) for a page of posts or comments; kept until someone's names
        change (a registration, a rename, an erasure) or ``seen_by``'s blocks do (identity.kept), not when trust
        or anything else changes."""
        if not isinstance(ids, list):
            raise Invalid("ids must be a list.")

        def read() -> tuple[dict, set[str]]:
            with self.db.reading() as tx:
                return profiles.get_people(tx, ids, seen_by), people_tags(seen_by)

        return self.kept.get_or_build(("people", tuple(ids), seen_by), read, tagged=True)

    @rpc(expected_exceptions=IdentityError)
    def follow_user(self, follower_id: str, username: str) -> None:
        with self.db.transaction() as tx:
            profiles.follow_user(tx, follower_id, username)

    @rpc(expected_exceptions=IdentityError)
    def unfollow_user(self, follower_id: str, username: str) -> None:
        with self.db.transaction() as tx:
            profiles.unfollow_user(tx, follower_id, username)

    # -- mutes and blocks (identity.handlers.mutes)

    @rpc(expected_exceptions=IdentityError)
    def mute_user(self, user_id: str, username: str, muted: bool = True) -> None:
        with self.db.transaction() as tx:
            mutes.mute_user(tx, user_id, username, muted)

    @rpc(expected_exceptions=IdentityError)
    def mute_subwiki(self, user_id: str, subwiki_id: str, slug: str, muted: bool = True) -> None:
        with self.db.transaction() as tx:
            mutes.mute_subwiki(tx, user_id, subwiki_id, slug, muted)

    @rpc(expected_exceptions=IdentityError)
    def block_user(self, user_id: str, username: str) -> None:
        with self.db.transaction() as tx:
            mutes.block_user(tx, user_id, username)
        self._blocks_changed(user_id)

    @rpc(expected_exceptions=IdentityError)
    def unblock_user(self, user_id: str, username: str) -> None:
        with self.db.transaction() as tx:
            mutes.unblock_user(tx, user_id, username)
        self._blocks_changed(user_id)

    def _blocks_changed(self, user_id: str) -> None:
        """Every gateway process drops the callers it keeps for ``user_id`` (who come with their blocks,
        ``authenticate``): their tokens' revocation without a token named, each asked of identity again."""
        self.revocations({"token_hashes": [], "user_id": user_id})

    @rpc(expected_exceptions=IdentityError)
    def muted_people(self, user_id: str, limit: int | None = None, cursor: str | None = None) -> dict:
        with self.db.reading() as tx:
            return mutes.muted_people(tx, user_id, limit, cursor)

    @rpc(expected_exceptions=IdentityError)
    def muted_subwikis(self, user_id: str, limit: int | None = None, cursor: str | None = None) -> dict:
        with self.db.reading() as tx:
            return mutes.muted_subwikis(tx, user_id, limit, cursor)

    @rpc(expected_exceptions=IdentityError)
    def blocked_people(self, user_id: str, limit: int | None = None, cursor: str | None = None) -> dict:
        with self.db.reading() as tx:
            return mutes.blocked_people(tx, user_id, limit, cursor)

    @rpc(expected_exceptions=IdentityError)
    def blocked_ids(self, user_id: str) -> dict:
        """Whom ``user_id`` blocked, by id (``mutes.blocked_ids``): what a page of comments marks for its reader,
        answered with the caller (``authenticate``); kept until the reader's blocks change (identity.kept)."""

        def read() -> tuple[dict, set[str]]:
            with self.db.reading() as tx:
                return mutes.blocked_ids(tx, user_id), {blocks_tag(user_id)}

        return self.kept.get_or_build(("blocked", user_id), read, tagged=True)

    @rpc(expected_exceptions=IdentityError)
    def list_mutes(self, after: str | None = None, limit: int = 500) -> dict:
        with self.db.reading() as tx:
            return mutes.list_mutes(tx, after, limit)

    @rpc(expected_exceptions=IdentityError)
    def list_blocks(self, after: str | None = None, limit: int = 500) -> dict:
        with self.db.reading() as tx:
            return mutes.list_blocks(tx, after, limit)
