"""The fields identity reads of each event it handles: ``{producer: {event_type: fields}}``.

Checked against the producers' declared schemas (svclib.contracts) by tests/integration/test_event_contracts.py;
identity imports no other service.
"""

CONSUMES = {
    "identity": {
        "user_erased": ("id",),
    },
}
