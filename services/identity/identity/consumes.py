"""The fields identity reads of each event it handles: ``{producer: {event_type: fields}}``.

Checked against the producers' declared schemas (svclib.contracts) by tests/integration/test_event_contracts.py;
identity imports no other service.
"""

VOTE = ("target_type", "target_id", "voter_id", "value", "target_author_id", "version")

CONSUMES = {
    "identity": {
        "user_erased": ("id",),  # identity's own: forgets the announcement once published
    },
    "communities": {
        "member_joined": ("user_id", "subwiki", "version"),
        "member_left": ("user_id", "subwiki", "version"),
    },
    "content": {
        "post_edited": ("editor_id",),
        "post_reverted": ("reverted_edits", "reverted_edits.editor_id"),
        "report_resolved": ("action", "target_author_id"),
        "spam_removed": ("author_id",),
        "vote_cast": VOTE,
        "vote_removed": VOTE,
    },
    "donations": {
        "donation_completed": ("donor_id",),
    },
}
