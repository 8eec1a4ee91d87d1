"""Events the content service publishes. Payload entity in brackets.

post_created [post], post_edited [post + editor_id, edit_summary], post_edit_pending
[change], post_reverted [post + editor_id, reverted_revisions], post_removed [post +
removed_by, by_moderator], comment_created / comment_edited / comment_removed [comment],
vote_cast / vote_removed [vote: target_type, target_id, voter_id, value, target_author_id],
report_filed / report_resolved [report].
"""

POST_CREATED = "post_created"
POST_EDITED = "post_edited"
POST_EDIT_PENDING = "post_edit_pending"
POST_REVERTED = "post_reverted"
POST_REMOVED = "post_removed"
COMMENT_CREATED = "comment_created"
COMMENT_EDITED = "comment_edited"
COMMENT_REMOVED = "comment_removed"
VOTE_CAST = "vote_cast"
VOTE_REMOVED = "vote_removed"
REPORT_FILED = "report_filed"
REPORT_RESOLVED = "report_resolved"
