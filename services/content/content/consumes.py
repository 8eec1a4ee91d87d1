"""The fields content reads of each event it handles: ``{producer: {event_type: fields}}``.

Checked against the producers' declared schemas (svclib.contracts) by tests/integration/test_event_contracts.py;
content imports no other service.
"""

MEMBERSHIP = ("user_id", "subwiki", "subwiki_id", "is_moderator", "version")

CONSUMES = {
    "identity": {
        "user_registered": ("id", "username", "display_name", "profile_version"),  # known_users, person_names
        "user_updated": ("id", "username", "display_name", "profile_version"),  # person_names
        "user_erased": ("id",),
        "user_trust_changed": ("id", "trust", "version"),
        "user_blocked": ("blocker_id", "blocked_id", "version"),
        "user_unblocked": ("blocker_id", "blocked_id", "version"),
    },
    "communities": {
        "subwiki_created": ("id", "slug", "name", "revision"),  # subwiki_names
        "subwiki_edited": ("id", "slug", "name", "revision"),
        "member_joined": MEMBERSHIP,
        "member_left": MEMBERSHIP,
        "moderator_added": MEMBERSHIP,
        "moderator_removed": MEMBERSHIP,
    },
    "feed": {
        "post_quality_changed": ("id", "quality", "version"),
        "post_qualities_changed": ("posts", "posts.id", "posts.quality", "posts.version"),
    },
}

# The trust identity gives a new account (its floor, identity.trust): what content assumes for a person
# until identity's user_trust_changed says otherwise. Identity's figure; tests/integration/
# test_trust_assumptions.py checks this copy against it, as the fields above are checked.
NEW_ACCOUNT_TRUST = 0.1
