"""Every consumer's expectations against every producer's declared events (svclib.contracts).

Producers declare their events in ``services/<name>/<name>/events.py``; consumers name the fields they read in
``services/<name>/<name>/consumes.py``. A producer that drops or renames a field a consumer reads fails here,
and so does a consumer that reads an event nobody declares.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from svclib import contracts

SERVICES = Path(__file__).resolve().parents[2] / "services"
PRODUCERS = sorted(f"{path.parent.name}.events" for path in SERVICES.glob("*/*/events.py"))
CONSUMERS = sorted(path.parent.name for path in SERVICES.glob("*/*/consumes.py"))


def declared() -> dict:
    return contracts.load(PRODUCERS)


@pytest.mark.parametrize("consumer", CONSUMERS)
def test_a_consumer_reads_only_fields_its_producers_declare(consumer):
    consumes = importlib.import_module(f"{consumer}.consumes").CONSUMES
    assert contracts.mismatches(consumer, consumes, declared()) == []
