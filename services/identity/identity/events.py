"""Events the identity service publishes, and their payloads."""

USER_REGISTERED = "user_registered"  # {"user": UserEventSchema}
USER_UPDATED = "user_updated"  # {"user": UserEventSchema}
USER_ERASED = "user_erased"  # {"user": {"id"}}
# A follow's events carry the relation's version: apply one only when newer than the one applied.
USER_FOLLOWED = "user_followed"  # {"follow": FollowEventSchema}
USER_UNFOLLOWED = "user_unfollowed"  # {"follow": FollowEventSchema}
USER_TRUST_CHANGED = "user_trust_changed"  # {"user": {"id", "trust", "version"}}: newer trust, higher version
USER_BADGE_AWARDED = "user_badge_awarded"  # {"user": {"id", "badge"}}: once per person and badge

# Consumed: communities' member_joined / member_left, {"membership": {"user_id", "subwiki", "version"}},
# keep the subwiki list of each profile; content's post_edited, post_reverted, vote_cast,
# vote_removed (each vote with its "version") and report_resolved feed trust (identity/trust.py);
# donations' donation_completed gives the supporter badge. Versions: identity.handlers.versions.
