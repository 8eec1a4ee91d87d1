"""The fields the feed reads of each event it handles (its projections and its notification rules together):
``{producer: {event_type: fields}}``.

Checked against the producers' declared schemas (svclib.contracts) by tests/integration/test_event_contracts.py;
the feed imports no other service.
"""

CONSUMES = {
    "identity": {
        "user_followed": ("follower_id", "followee_id", "version"),
        "user_unfollowed": ("follower_id", "followee_id", "version"),
        "user_trust_changed": ("id", "trust", "version"),
        "user_updated": ("id", "username", "display_name"),
        "user_badge_awarded": ("id", "badge"),
    },
}
