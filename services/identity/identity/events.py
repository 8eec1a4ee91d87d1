"""Events the identity service publishes, and their payloads."""

from identity.schemas import FollowEventSchema, UserEventSchema

USER_REGISTERED = "user_registered"  # {"user": UserEventSchema}
USER_UPDATED = "user_updated"  # {"user": UserEventSchema}
USER_ERASED = "user_erased"  # {"user": {"id"}}
USER_FOLLOWED = "user_followed"  # {"follow": FollowEventSchema}
USER_UNFOLLOWED = "user_unfollowed"  # {"follow": FollowEventSchema}
USER_TRUST_CHANGED = "user_trust_changed"  # {"user": {"id", "trust"}}

PAYLOADS = {
    USER_REGISTERED: UserEventSchema,
    USER_UPDATED: UserEventSchema,
    USER_FOLLOWED: FollowEventSchema,
    USER_UNFOLLOWED: FollowEventSchema,
}

# Consumed: communities' member_joined / member_left, {"membership": {"user_id", "subwiki"}},
# keep the subwiki list of each profile; content's post_edited, post_reverted, vote_cast,
# vote_removed and report_resolved feed trust (identity/trust.py).
