"""Every consumer's expectations against every producer's declared events (svclib.contracts).

Producers declare their events in ``services/<name>/<name>/events.py``; consumers name the fields they read in
``services/<name>/<name>/consumes.py``. A producer that drops or renames a field a consumer reads fails here,
and so does a consumer that reads an event nobody declares, or handles one it does not list.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from svclib import contracts
from svclib.topology import service_classes

SERVICES = Path(__file__).resolve().parents[2] / "services"
NAMES = sorted(path.parent.name for path in SERVICES.glob("*/*/service.py"))
PRODUCERS = sorted(f"{path.parent.name}.events" for path in SERVICES.glob("*/*/events.py"))


def declared() -> dict:
    return contracts.load(PRODUCERS)


def consumed(name: str) -> dict:
    try:
        return importlib.import_module(f"{name}.consumes").CONSUMES
    except ModuleNotFoundError:
        return {}


def handled(name: str) -> set[tuple[str, str]]:
    return set().union(*(contracts.handled(cls) for cls in service_classes([f"{name}.service"])))


@pytest.mark.parametrize("consumer", NAMES)
def test_a_consumer_reads_only_fields_its_producers_declare(consumer):
    problems = contracts.mismatches(consumer, consumed(consumer), declared())
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("consumer", NAMES)
def test_a_consumer_lists_exactly_the_events_it_handles(consumer):
    listed = {(producer, event_type) for producer, events in consumed(consumer).items() for event_type in events}
    assert handled(consumer), f"{consumer} handles no event"
    assert listed == handled(consumer)


def test_every_service_declares_what_it_publishes():
    assert {producer for producer, _ in declared()} == {module.split(".")[0] for module in PRODUCERS}
    assert set(NAMES) <= {module.split(".")[0] for module in PRODUCERS} | {"feed"}  # the feed publishes nothing
