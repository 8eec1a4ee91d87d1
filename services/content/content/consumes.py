"""The fields content reads of each event it handles: ``{producer: {event_type: fields}}``.

Checked against the producers' declared schemas (svclib.contracts) by tests/integration/test_event_contracts.py;
content imports no other service.
"""

CONSUMES = {
    "identity": {
        "user_trust_changed": ("id", "trust", "version"),
        "user_blocked": ("blocker_id", "blocked_id", "version"),
        "user_unblocked": ("blocker_id", "blocked_id", "version"),
    },
}
