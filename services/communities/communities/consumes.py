"""The fields communities reads of each event it handles: ``{producer: {event_type: fields}}``.

Checked against the producers' declared schemas (svclib.contracts) by tests/integration/test_event_contracts.py;
communities imports no other service.
"""

CONSUMES = {
    "identity": {
        "user_registered": ("id", "username"),  # svclib.users.kept_from
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
