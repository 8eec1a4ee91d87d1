"""Communities' use cases as plain functions over one transaction, one module per concern.

- ``access``: finding subwikis and people, and who may act on a subwiki
- ``subwikis``: creating, showing and finding subwikis
- ``history``: a subwiki's wiki page, its edits, history and restores
- ``members``: members, moderators and the moderators' log
- ``erasure``: a person's export, and what erasing their account leaves
- ``facts``: facts from content's events, and pages of facts for services rebuilding their copies

Each function is named after the RPC that calls it.
"""

from communities.handlers.access import seen_by
from communities.handlers.erasure import erase_person, export_user
from communities.handlers.facts import (
    list_memberships,
    list_subwiki_names,
    record_activity,
    record_moderation,
    record_post,
)
from communities.handlers.history import edit_subwiki, get_revision_diff, list_revisions, restore_revision
from communities.handlers.members import (
    add_moderator,
    get_membership,
    get_modlog,
    join_subwiki,
    leave_subwiki,
    list_member_subwikis,
    list_members,
    memberships_of,
    remove_moderator,
)
from communities.handlers.subwikis import create_subwiki, get_subwiki, get_subwikis, list_subwikis, record_trust

__all__ = [
    "add_moderator",
    "create_subwiki",
    "edit_subwiki",
    "erase_person",
    "export_user",
    "get_membership",
    "get_modlog",
    "get_revision_diff",
    "get_subwiki",
    "get_subwikis",
    "join_subwiki",
    "leave_subwiki",
    "list_member_subwikis",
    "list_members",
    "list_memberships",
    "list_revisions",
    "list_subwiki_names",
    "list_subwikis",
    "memberships_of",
    "record_activity",
    "record_moderation",
    "record_post",
    "record_trust",
    "remove_moderator",
    "restore_revision",
    "seen_by",
]
