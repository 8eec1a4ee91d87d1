"""The fields the feed reads of each event it handles: ``{producer: {event_type: fields}}``, its projections
(feed.handlers) and its notification rules (feed.notifications.rules) together.

Checked against the producers' declared schemas (svclib.contracts) by tests/integration/test_event_contracts.py;
the feed imports no other service.
"""

FOLLOW = ("follower_id", "followee_id", "version")
MUTE = ("user_id", "target_type", "target_id", "version")
BLOCK = ("blocker_id", "blocked_id", "version")
MEMBERSHIP = ("user_id", "subwiki_id", "version")
VOTE = ("target_type", "target_id", "voter_id", "value", "version")
HELD_POST = ("id", "subwiki_id", "subwiki", "author_id", "title")

CONSUMES = {
    "identity": {
        "user_registered": ("id", "username", "display_name", "profile_version"),  # known_users (svclib.users)
        "user_erased": ("id",),
        "user_followed": FOLLOW,
        "user_unfollowed": FOLLOW,
        "user_muted": MUTE,
        "user_unmuted": MUTE,
        "user_blocked": BLOCK,
        "user_unblocked": BLOCK,
        "user_trust_changed": ("id", "trust", "version"),
        "user_updated": ("id", "username", "display_name", "profile_version"),
        "user_badge_awarded": ("id", "badge"),
    },
    "communities": {
        "subwiki_created": ("id", "slug", "name", "revision"),
        "subwiki_edited": ("id", "slug", "name", "revision"),
        "member_joined": MEMBERSHIP,
        "member_left": MEMBERSHIP,
    },
    "content": {
        "post_created": (
            "id",
            "author_id",
            "subwiki_id",
            "subwiki",
            "kind",
            "title",
            "url",
            "image_file",
            "created_at",
            "mentions",
        ),
        "post_edited": (
            "id",
            "author_id",
            "subwiki_id",
            "title",
            "url",
            "editor_id",
            "accepted_by",
            "change_id",
            "mentions",
        ),
        "post_reverted": ("id", "title", "url", "reverted_edits", "reverted_edits.editor_id"),
        "post_removed": ("id", "author_id", "subwiki_id", "by_moderator", "reason"),
        "post_edit_pending": ("id", "post_id", "subwiki_id", "editor_id", "post_author_id", "reviewer_ids"),
        "post_edit_rejected": ("id", "post_id", "subwiki_id", "editor_id", "rejected_by"),
        "post_held": HELD_POST + ("reviewer_ids",),
        "held_post_approved": HELD_POST + ("approved_by",),
        "held_post_rejected": HELD_POST + ("rejected_by",),
        "comment_created": (
            "id",
            "post_id",
            "subwiki_id",
            "author_id",
            "parent_id",
            "length",
            "post_author_id",
            "parent_author_id",
            "mentions",
        ),
        "comment_edited": ("id", "post_id", "subwiki_id", "author_id", "mentions"),
        "comment_removed": ("id", "post_id", "subwiki_id", "author_id", "by_moderator", "reason"),
        "vote_cast": VOTE,
        "vote_removed": VOTE,
        "report_resolved": ("id", "subwiki_id", "action", "target_type", "target_id", "post_id", "reporter_ids"),
    },
    "donations": {
        "donation_completed": ("id", "donor_id", "recipient_id", "public", "amount_cents", "currency"),
    },
}

# The trust identity gives a new account (its floor, identity.trust): what the feed assumes for a person
# until identity's user_trust_changed says otherwise. Identity's figure; tests/integration/
# test_trust_assumptions.py checks this copy against it, as the fields above are checked.
NEW_ACCOUNT_TRUST = 0.1
