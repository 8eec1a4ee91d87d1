"""Declared event types: made, checked, written to the outbox as before, compared with consumers' needs."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import MetaData, select

from svclib import asyncapi, contracts
from svclib.contracts import ABSENT, Event
from svclib.db import plumbing_tables
from svclib.testing import memory_database

metadata = MetaData()
OUTBOX, _ = plumbing_tables(metadata)


@dataclass
class Step:
    revision: int
    editor_id: str


class ThingFields(Event):
    id: str
    title: str


class ThingDone(ThingFields, event_type="thing_done", entity="thing", schema_version=2, producer="things"):
    """A thing was done."""

    url: str | None
    steps: list[Step]
    reason: str = ""
    accepted_by: str = ABSENT


def thing(**changes) -> ThingDone:
    return ThingDone(**{"id": "t1", "title": "T", "url": None, "steps": [Step(1, "e1")], **changes})


def test_an_event_is_its_entity_on_the_wire_without_the_fields_left_absent():
    assert thing().wire() == {
        "id": "t1",
        "title": "T",
        "url": None,
        "steps": [{"revision": 1, "editor_id": "e1"}],
        "reason": "",
    }
    accepted = thing(accepted_by="m1")
    assert accepted.wire()["accepted_by"] == accepted.accepted_by == "m1"
    assert accepted.steps == [Step(1, "e1")]


def test_an_event_with_a_missing_unknown_or_mistyped_field_is_not_made():
    with pytest.raises(TypeError):
        ThingDone(id="t1", title="T", steps=[])  # no url
    with pytest.raises(TypeError):
        thing(colour="red")
    with pytest.raises(TypeError, match="thing_done.title"):
        thing(title=3)
    with pytest.raises(TypeError, match="thing_done.steps"):
        thing(steps=[{"revision": 1}])
    with pytest.raises(TypeError):
        ThingFields(id="t1", title="T")  # fields shared by types, not an event


def test_declared_types_are_registered_by_producer_and_type():
    assert contracts.registry()[("things", "thing_done")] is ThingDone
    assert ThingDone.schema_version == 2 and ThingDone.entity == "thing"


def test_emit_writes_the_entity_as_before_and_the_schema_version_in_the_headers():
    db = memory_database(metadata)
    try:
        with db.transaction() as tx:
            event_id = tx.emit(thing())
        with db.transaction() as tx:
            row = tx.session.execute(select(OUTBOX)).one()
    finally:
        db.dispose()
    assert row.event_type == "thing_done"
    assert set(row.payload) == {"event_id", "occurred_at", "thing"}
    assert row.payload["event_id"] == event_id and row.payload["thing"] == thing().wire()
    assert row.headers["schema_version"] == 2


def test_a_consumer_reading_a_field_the_producer_does_not_carry_is_a_mismatch():
    producers = {("things", "thing_done"): ThingDone}
    fine = {"things": {"thing_done": ("id", "accepted_by", "steps.editor_id")}}
    assert contracts.mismatches("reader", fine, producers) == []
    renamed = {"things": {"thing_done": ("id", "name", "steps.author_id")}}
    assert contracts.mismatches("reader", renamed, producers) == [
        "reader reads thing_done.name, which things's ThingDone does not carry",
        "reader reads thing_done.steps.author_id, which things's ThingDone does not carry",
    ]
    unknown = {"elsewhere": {"thing_done": ("id",)}}
    assert contracts.mismatches("reader", unknown, producers) == [
        "reader reads elsewhere's thing_done, which elsewhere does not declare"
    ]


def test_the_asyncapi_document_describes_each_type():
    document = asyncapi.asyncapi({("things", "thing_done"): ThingDone})
    channel = document["channels"]["things.events/thing_done"]
    assert channel["bindings"]["amqp"]["exchange"]["name"] == "things.events"
    message = document["components"]["messages"]["ThingDone"]
    assert message["headers"]["properties"]["schema_version"]["const"] == 2
    schema = document["components"]["schemas"]["ThingDone"]
    assert schema["required"] == ["id", "title", "url", "steps", "reason"]
    assert schema["properties"]["url"] == {"type": ["string", "null"]}
    assert schema["properties"]["steps"]["items"]["properties"]["revision"] == {"type": "integer"}


def test_a_producer_declares_an_event_type_once():
    with pytest.raises(TypeError, match="declares thing_done twice"):
        type(
            "Again",
            (Event,),
            {"__annotations__": {"id": "str"}},
            event_type="thing_done",
            entity="thing",
            producer="things",
        )
