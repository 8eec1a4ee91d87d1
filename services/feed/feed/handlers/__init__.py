"""The feed's read model, kept from events (its pages are read in feed.pages), one module per concern.

- ``rows``: finding and locking rows, in the one order every event takes its locks, and state versions
- ``scores``: a post's scores, recomputed on every change and as the post ages (``refresh_decay``)
- ``posts``: posts, their authors' counts, edits, comments and upheld reports
- ``votes``: votes weighed by their voters' trust, reweighed when it changes
- ``people``: names, subwikis, memberships, follows, mutes and blocks
- ``erasure``: an erased person leaves no id in the model; what it keeps about a person, for their export

Writes (events) update a post's facts and recompute its scores at once; a timer
refreshes the age decay of recent posts in batches. Reads never compute scores
and never scan all posts: every page is an indexed range scan from a cursor.
``feed.rebuild`` applies every fact through these same functions.
"""

from feed.handlers.erasure import author_erased, kept_about
from feed.handlers.people import (
    block_changed,
    follow_changed,
    membership_changed,
    mute_changed,
    person_changed,
    person_renamed,
    subwiki_named,
)
from feed.handlers.posts import (
    comment_changed,
    edits_stood,
    post_created,
    post_edited,
    post_removed,
    post_reverted,
    report_resolved,
    reports_upheld,
)
from feed.handlers.scores import announce_due, announce_qualities, announce_rebuilt, refresh_decay, rescore
from feed.handlers.votes import trust_changed, vote_changed

__all__ = [
    "announce_due",
    "announce_qualities",
    "announce_rebuilt",
    "author_erased",
    "block_changed",
    "comment_changed",
    "edits_stood",
    "follow_changed",
    "kept_about",
    "membership_changed",
    "mute_changed",
    "person_changed",
    "person_renamed",
    "post_created",
    "post_edited",
    "post_removed",
    "post_reverted",
    "refresh_decay",
    "report_resolved",
    "reports_upheld",
    "rescore",
    "subwiki_named",
    "trust_changed",
    "vote_changed",
]
