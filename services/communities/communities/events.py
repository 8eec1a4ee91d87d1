"""Events the communities service publishes, and their payloads.

``subwiki_created`` / ``subwiki_edited``: ``{"subwiki": SubwikiEventSchema}``
(``subwiki_edited`` adds ``editor_id`` and ``edit_summary``).
``member_joined`` / ``member_left`` / ``moderator_added`` / ``moderator_removed``:
``{"membership": MembershipEventSchema}`` (moderator events add ``actor_id``).
"""

SUBWIKI_CREATED = "subwiki_created"
SUBWIKI_EDITED = "subwiki_edited"
MEMBER_JOINED = "member_joined"
MEMBER_LEFT = "member_left"
MODERATOR_ADDED = "moderator_added"
MODERATOR_REMOVED = "moderator_removed"
