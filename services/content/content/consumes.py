"""The fields content reads of each event it handles: ``{producer: {event_type: fields}}``.

Checked against the producers' declared schemas (svclib.contracts) by tests/integration/test_event_contracts.py;
content imports no other service.
"""

MEMBERSHIP = ("user_id", "subwiki", "subwiki_id", "is_moderator", "version")

CONSUMES = {
    "identity": {
        "user_registered": ("id", "username"),  # svclib.users.kept_from
        "user_erased": ("id",),
        "user_trust_changed": ("id", "trust", "version"),
        "user_blocked": ("blocker_id", "blocked_id", "version"),
        "user_unblocked": ("blocker_id", "blocked_id", "version"),
    },
    "communities": {
        "member_joined": MEMBERSHIP,
        "member_left": MEMBERSHIP,
        "moderator_added": MEMBERSHIP,
        "moderator_removed": MEMBERSHIP,
    },
}
