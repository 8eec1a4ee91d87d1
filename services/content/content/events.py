"""Events the content service publishes; what each payload's entity carries.

- post_created [post + image_file]
- post_edited [post + editor_id, edit_summary; accepted_by when a held edit was accepted]
- post_edit_pending [change: id, post_id, subwiki_id, editor_id]
- post_reverted [post + editor_id, reverted_to, reverted_edits: [{revision, editor_id}]]
- post_removed [post + removed_by, by_moderator, reason]
- comment_created [comment: id, post_id, subwiki_id, author_id, parent_id, length, post_author_id]
- comment_edited [comment: id, post_id, author_id, length]
- comment_removed [comment: id, post_id, subwiki_id, author_id, removed_by, by_moderator]
- vote_cast / vote_removed [vote: target_type, target_id, voter_id, value, previous, target_author_id, version;
  subwiki_id for a post]
- report_filed [report: id, subwiki_id, target_type, target_id]
- report_resolved [report: id, subwiki_id, action, target_type, target_id, target_author_id, resolved_by]

"post" is ``PostEventSchema`` (schemas.py) plus the fields named.
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
