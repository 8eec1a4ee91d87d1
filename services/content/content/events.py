"""Events the content service publishes: one declared type each (svclib.contracts), emitted through it.

``mentions``: the ids of the people the text mentions (``@username`` of someone registered, not its
author), at most ``markup.MENTION_LIMIT``, in order of appearance.
"""

from __future__ import annotations

from dataclasses import dataclass

from content.schemas import PostEventSchema
from svclib.contracts import ABSENT, Event

POST = PostEventSchema()


class PostFields(Event):
    """A post as other services show it (``PostEventSchema``, which the rebuild's facts use too);
    ``subwiki`` is its subwiki's slug."""

    id: str
    kind: str
    title: str
    url: str | None
    author_id: str | None
    subwiki_id: str
    subwiki: str
    revision: int
    created_at: str

    @classmethod
    def of(cls, post, **extra) -> PostFields:
        return cls(**POST.dump(post), **extra)


class PostCreated(PostFields, event_type="post_created", entity="post"):
    """A post was made (``image_file``: its picture's file, for a picture post)."""

    image_file: str | None
    mentions: list[str]


class PostEdited(PostFields, event_type="post_edited", entity="post"):
    """An edit was applied: by its editor, or a held edit accepted (then with ``accepted_by`` and ``change_id``)."""

    editor_id: str | None
    edit_summary: str
    mentions: list[str]
    accepted_by: str = ABSENT
    change_id: str = ABSENT


@dataclass
class RevertedEdit:
    """An edit a revert undid."""

    revision: int
    editor_id: str | None


class PostReverted(PostFields, event_type="post_reverted", entity="post"):
    """Revision ``reverted_to`` was restored as a new revision; the edits after it no longer stand."""

    editor_id: str
    reverted_to: int
    reverted_edits: list[RevertedEdit]


class PostRemoved(PostFields, event_type="post_removed", entity="post"):
    """A post was removed by its author or (``by_moderator``) a moderator, with a ``reason``."""

    removed_by: str
    by_moderator: bool
    reason: str


class SpamRemoved(Event, event_type="spam_removed", entity="spam"):
    """A moderator removed a post as spam (``post_id``): with it went its author's other recent posts in the
    subwikis that moderator moderates (``removed_post_ids``, each also announced as ``post_removed``).
    Identity counts it against the author's trust as an upheld report."""

    post_id: str
    subwiki_id: str
    author_id: str
    removed_by: str
    removed_post_ids: list[str]


class ChangeFields(Event):
    """A held edit of a post."""

    id: str
    post_id: str
    subwiki_id: str
    editor_id: str | None


class PostEditPending(ChangeFields, event_type="post_edit_pending", entity="change"):
    """An edit waits for review by the post's author or its subwiki's moderators (``reviewer_ids``)."""

    post_author_id: str | None
    reviewer_ids: list[str]


class PostEditRejected(ChangeFields, event_type="post_edit_rejected", entity="change"):
    """A held edit was rejected."""

    rejected_by: str


class HeldPostFields(Event):
    """A new member's first post held for a moderator's approval (``subwiki``: its subwiki's slug); it is
    in no feed: these events tell only its author and the subwiki's moderators."""

    id: str
    subwiki_id: str
    subwiki: str
    author_id: str
    title: str

    @classmethod
    def of(cls, held, **extra) -> HeldPostFields:
        return cls(
            id=held.id,
            subwiki_id=held.subwiki_id,
            subwiki=held.subwiki_slug,
            author_id=held.author_id,
            title=held.title,
            **extra,
        )


class PostHeld(HeldPostFields, event_type="post_held", entity="held_post"):
    """A first post waits for the subwiki's moderators (``reviewer_ids``)."""

    reviewer_ids: list[str]


class HeldPostApproved(HeldPostFields, event_type="held_post_approved", entity="held_post"):
    """A moderator approved a held post: it is now the post of the same id (announced as ``post_created``)."""

    approved_by: str


class HeldPostRejected(HeldPostFields, event_type="held_post_rejected", entity="held_post"):
    """A moderator rejected a held post: it will never be shown."""

    rejected_by: str


class CommentCreated(Event, event_type="comment_created", entity="comment"):
    """A comment was made; ``parent_author_id`` is None for a top-level comment or a removed parent."""

    id: str
    post_id: str
    subwiki_id: str
    author_id: str
    parent_id: str | None
    length: int
    post_author_id: str | None
    parent_author_id: str | None
    mentions: list[str]


class CommentEdited(Event, event_type="comment_edited", entity="comment"):
    """A comment's text changed."""

    id: str
    post_id: str
    subwiki_id: str
    author_id: str
    length: int
    mentions: list[str]


class CommentRemoved(Event, event_type="comment_removed", entity="comment"):
    """A comment was removed by its author or (``by_moderator``) a moderator, with a ``reason``."""

    id: str
    post_id: str
    subwiki_id: str
    author_id: str | None
    removed_by: str
    by_moderator: bool
    reason: str


class VoteFields(Event):
    """A person's vote on a post or comment: ``value`` 1, -1 or None (withdrawn), ``previous`` likewise;
    ``version`` is the (target, voter) pair's, higher for a newer vote. ``subwiki_id`` for a post only."""

    target_type: str
    target_id: str
    voter_id: str
    value: int | None
    previous: int | None
    target_author_id: str | None
    version: int
    subwiki_id: str = ABSENT


class VoteCast(VoteFields, event_type="vote_cast", entity="vote"):
    """A vote was cast or changed."""


class VoteRemoved(VoteFields, event_type="vote_removed", entity="vote"):
    """A vote was withdrawn."""


class ReportFiled(Event, event_type="report_filed", entity="report"):
    """Someone reported a post or comment to its subwiki's moderators."""

    id: str
    subwiki_id: str
    target_type: str
    target_id: str


class ReportResolved(Event, event_type="report_resolved", entity="report"):
    """A moderator upheld (the target removed) or dismissed a report. ``post_id``: the post, or the commented
    post; ``reporter_ids``: the reporter, and those whose reports of the same target an upheld one closed."""

    id: str
    subwiki_id: str
    action: str
    target_type: str
    target_id: str
    target_author_id: str | None
    resolved_by: str
    reporter_ids: list[str | None]
    post_id: str | None
