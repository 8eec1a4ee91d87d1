"""The notifications a rebuild writes again, from the source services' facts (``feed.rebuild``).

Each fact becomes the notes its event gave (through :mod:`.rules`), at the time it happened; they
are written in time order once every fact is read, so that groups form as they did. What each
person had read (by time) is read again; their settings were never dropped.

Not rebuilt: a removal's reason (content keeps it in the event only).
"""

from __future__ import annotations

from datetime import datetime

from feed.notifications import inbox, rules
from feed.notifications.inbox import Note
from svclib.db import Transaction, parse_time


class Notes:
    """Collects ``(when, note)`` while the rebuild reads facts; ``write`` puts them in the inbox."""

    def __init__(self, now: datetime):
        self.now = now
        self.notes: list[tuple[datetime, int, Note]] = []

    def _add(self, when: str | None, notes: list[Note]) -> None:
        at = parse_time(when) if when else self.now
        self.notes.extend((at, len(self.notes) + i, note) for i, note in enumerate(notes))

    def person(self, user: dict) -> None:
        for badge in user.get("badges") or []:
            self._add(user.get("created_at"), rules.user_badge_awarded({"id": user["id"], "badge": badge}))

    def follow(self, follow: dict) -> None:
        self._add(follow.get("created_at"), rules.user_followed(follow))

    def post(self, post: dict) -> None:
        self._add(post.get("created_at"), rules.post_created(post))
        if post.get("removed"):
            self._add(post.get("removed_at"), rules.post_removed(post))

    def comment(self, comment: dict) -> None:
        self._add(comment.get("created_at"), rules.comment_created(comment))
        if comment.get("removed"):
            self._add(comment.get("removed_at"), rules.comment_removed(comment))

    def revision(self, edit: dict) -> None:
        self._add(edit.get("created_at"), rules.post_edited(edit))

    def held_edit(self, change: dict) -> None:
        self._add(change.get("created_at"), rules.post_edit_pending(change))
        if change.get("status") == "accepted" and change.get("decided_by"):
            accepted = Note(
                change["editor_id"],
                "edit_accepted",
                actor_id=change["decided_by"],
                once=f"accepted:{change['id']}",
                post_id=change["post_id"],
                subwiki_id=change.get("subwiki_id"),
            )
            self._add(change.get("decided_at"), [accepted])
        elif change.get("status") == "rejected":
            self._add(
                change.get("decided_at"), rules.post_edit_rejected({**change, "rejected_by": change["decided_by"]})
            )

    def held_post(self, held: dict) -> None:
        """A first post held: its moderators were told; decided, its author too."""
        self._add(held.get("created_at"), rules.post_held(held))
        if held.get("status") == "approved":
            self._add(held.get("decided_at"), rules.held_post_approved({**held, "approved_by": held["decided_by"]}))
        elif held.get("status") == "rejected":
            self._add(held.get("decided_at"), rules.held_post_rejected({**held, "rejected_by": held["decided_by"]}))

    def gift(self, donation: dict) -> None:
        """A paid donation to a creator."""
        self._add(donation.get("paid_at"), rules.donation_completed(donation))

    def report(self, report: dict) -> None:
        self._add(report.get("resolved_at"), rules.report_resolved(report))

    def write(self, tx: Transaction) -> int:
        """Write every note in time order; then what each person had read is read. How many were written."""
        written = 0
        for at, _, note in sorted(self.notes, key=lambda n: (n[0], n[1])):
            written += inbox.notify(tx, note, at) is not None
        inbox.mark_read_through(tx)
        return written
