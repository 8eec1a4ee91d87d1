"""The fields donations reads of each event it handles: ``{producer: {event_type: fields}}``.

Checked against the producers' declared schemas (svclib.contracts) by tests/integration/test_event_contracts.py;
donations imports no other service.
"""

CONSUMES = {
    "identity": {
        "user_registered": ("id", "username"),  # known_users (svclib.users)
        "user_erased": ("id",),
    },
}
