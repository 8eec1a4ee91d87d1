"""The fields communities reads of each event it handles: ``{producer: {event_type: fields}}``.

Checked against the producers' declared schemas (svclib.contracts) by tests/integration/test_event_contracts.py;
communities imports no other service.
"""

CONSUMES = {
    "identity": {
        "user_registered": ("id", "username"),  # known_users (svclib.users)
        "user_erased": ("id",),
        "user_trust_changed": ("id", "trust", "version"),
    },
    "content": {
        "post_created": ("subwiki_id",),
        "post_removed": ("id", "subwiki_id", "removed_by", "by_moderator", "reason"),
        "comment_created": ("subwiki_id",),
        "comment_removed": ("id", "subwiki_id", "removed_by", "by_moderator"),
        "report_resolved": ("subwiki_id", "resolved_by", "action", "target_type", "target_id"),
    },
}

# The trust identity gives a new account (its floor, identity.trust): what communities assumes for a person
# until identity's user_trust_changed says otherwise. Identity's figure; tests/integration/
# test_trust_assumptions.py checks this copy against it, as the fields above are checked.
NEW_ACCOUNT_TRUST = 0.1
