"""Notifications: a read model in the feed's database, kept from the same events as the feeds.

- :mod:`.rules`: which event tells whom what (one function per event, also used by the rebuild);
- :mod:`.inbox`: writing them (grouping, once-only keys), pages, the unread count, marking read,
  each person's settings, erasure; and :func:`.inbox.hidden`, the one place that decides what a
  reader does not want to see (kinds turned off; mutes and blocks add their conditions there).
"""

KINDS = (
    "reply_to_post",
    "reply_to_comment",
    "mention",
    "edit_applied",
    "edit_held",
    "edit_accepted",
    "edit_rejected",
    "post_held",
    "post_approved",
    "post_rejected",
    "report_resolved",
    "content_removed",
    "follower",
    "donation",
    "badge",
)
