"""Events the content service publishes; what each payload's entity carries.

- post_created [post + image_file, mentions]
- post_edited [post + editor_id, edit_summary, mentions; accepted_by and change_id when a held edit was accepted]
- post_edit_pending [change: id, post_id, subwiki_id, editor_id, post_author_id, reviewer_ids (its subwiki's
  moderators)]
- post_edit_rejected [change: id, post_id, subwiki_id, editor_id, rejected_by]
- post_reverted [post + editor_id, reverted_to, reverted_edits: [{revision, editor_id}]]
- post_removed [post + removed_by, by_moderator, reason]
- comment_created [comment: id, post_id, subwiki_id, author_id, parent_id, length, post_author_id,
  parent_author_id (None for a top-level comment or a removed parent), mentions]
- comment_edited [comment: id, post_id, author_id, length, mentions]
- comment_removed [comment: id, post_id, subwiki_id, author_id, removed_by, by_moderator, reason]
- vote_cast / vote_removed [vote: target_type, target_id, voter_id, value, previous, target_author_id, version;
  subwiki_id for a post]
- report_filed [report: id, subwiki_id, target_type, target_id]
- report_resolved [report: id, subwiki_id, action, target_type, target_id, target_author_id, resolved_by,
  post_id (the post, or the commented post), reporter_ids (the reporter, and those whose reports of the
  same target an upheld one closed)]

``mentions``: the ids of the people the text mentions (``@username`` of someone registered, not its
author), at most ``markup.MENTION_LIMIT``, in order of appearance.

"post" is ``PostEventSchema`` (schemas.py) plus the fields named.
"""

POST_CREATED = "post_created"
POST_EDITED = "post_edited"
POST_EDIT_PENDING = "post_edit_pending"
POST_EDIT_REJECTED = "post_edit_rejected"
POST_REVERTED = "post_reverted"
POST_REMOVED = "post_removed"
COMMENT_CREATED = "comment_created"
COMMENT_EDITED = "comment_edited"
COMMENT_REMOVED = "comment_removed"
VOTE_CAST = "vote_cast"
VOTE_REMOVED = "vote_removed"
REPORT_FILED = "report_filed"
REPORT_RESOLVED = "report_resolved"
