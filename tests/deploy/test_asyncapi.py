"""docs/asyncapi.yaml is what the services' declared events make it (``make asyncapi`` writes it), and valid."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "docs" / "asyncapi.yaml"


def generated() -> str:
    modules = sorted(f"{path.parent.name}.events" for path in (ROOT / "services").glob("*/*/events.py"))
    command = [sys.executable, "-m", "svclib.asyncapi", *modules]
    return subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT).stdout


def test_the_asyncapi_document_is_current():
    assert DOCUMENT.read_text() == generated(), "docs/asyncapi.yaml is stale: run make asyncapi"


def test_the_asyncapi_document_is_complete_and_its_schemas_valid():
    document = yaml.safe_load(DOCUMENT.read_text())
    assert document["asyncapi"] == "2.6.0"
    components = document["components"]
    for name, channel in document["channels"].items():
        producer, event_type = name.split(".events/")
        assert channel["bindings"]["amqp"]["exchange"]["name"] == f"{producer}.events"
        message = components["messages"][channel["subscribe"]["message"]["$ref"].rsplit("/", 1)[1]]
        assert message["name"] == event_type
        assert message["headers"]["required"] == ["schema_version"]
        entity = [key for key in message["payload"]["required"] if key not in ("event_id", "occurred_at")]
        assert len(entity) == 1 and entity[0] in message["payload"]["properties"]
    for schema in (*components["schemas"].values(), *(m["payload"] for m in components["messages"].values())):
        jsonschema.Draft202012Validator.check_schema(schema)
    assert document["channels"], "no event declared"
