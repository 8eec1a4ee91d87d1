"""Events the communities service publishes: one declared type each (svclib.contracts), emitted through it."""

from __future__ import annotations

from svclib.contracts import Event


class SubwikiFields(Event):
    """A subwiki as other services show it; ``created_by`` is None once its creator is erased. ``revision`` is
    its version (1 at creation, one more each edit, in the edit's transaction): a copy of these fields applies
    an event only when newer than the one it holds (its name and slug never change after creation)."""

    id: str
    slug: str
    name: str
    summary: str
    revision: int
    created_by: str | None

    @classmethod
    def of(cls, subwiki, **extra) -> SubwikiFields:
        return cls(
            id=subwiki.id,
            slug=subwiki.slug,
            name=subwiki.name,
            summary=subwiki.summary,
            revision=subwiki.revision,
            created_by=subwiki.created_by,
            **extra,
        )


class SubwikiCreated(SubwikiFields, event_type="subwiki_created", entity="subwiki"):
    """A subwiki was created (its creator joins it as a moderator: member_joined and moderator_added follow)."""


class SubwikiEdited(SubwikiFields, event_type="subwiki_edited", entity="subwiki"):
    """A member edited the subwiki's wiki fields: a new revision."""

    editor_id: str
    edit_summary: str


class MembershipFields(Event):
    """A membership's state; ``version`` is the membership's: every event about it carries the next one."""

    user_id: str
    subwiki: str  # the subwiki's slug
    subwiki_id: str
    is_moderator: bool
    version: int


class MemberJoined(MembershipFields, event_type="member_joined", entity="membership"):
    """Someone joined a subwiki."""


class MemberLeft(MembershipFields, event_type="member_left", entity="membership"):
    """Someone left a subwiki."""


class ModeratorAdded(MembershipFields, event_type="moderator_added", entity="membership"):
    """A member was made a moderator, by ``actor_id``."""

    actor_id: str


class ModeratorRemoved(MembershipFields, event_type="moderator_removed", entity="membership"):
    """A moderator stopped being one (dismissed by ``actor_id``, or leaving)."""

    actor_id: str
