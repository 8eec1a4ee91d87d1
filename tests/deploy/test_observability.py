"""deploy/observability: Prometheus' settings, alert rules and the Grafana dashboard name only
metrics that a process of the platform serves on /metrics."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
OBSERVABILITY = ROOT / "deploy" / "observability"
# Series Prometheus makes itself for every target.
SYNTHETIC = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset"}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)  # strings
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # ranges
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)  # label lists
    text = re.sub(r"(?<![A-Za-z0-9_:])\d+(?:\.\d+)?(?:[eE][+-]?\d+)?", "", text)  # numbers
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", text):
        following = text[match.end() :].lstrip()
        if following.startswith("(") or match.group(0) in KEYWORDS:
            continue  # a function or aggregation
        if match.group(0) in ("Inf", "NaN"):
            continue
        names.add(match.group(0))
    return names


def test_the_expression_reader_finds_metrics_not_functions_or_labels():
    expr = 'histogram_quantile(0.99, sum by (le, endpoint) (rate(a_bucket{status=~"5.."}[5m]))) / clamp_min(b, 1e-9)'
    assert metric_names(expr) == {"a_bucket", "b"}


@pytest.fixture(scope="module")
def served() -> set[str]:
    """Every series name the gateway's /metrics serves, after it answered a request."""
    from gateway.app import create_app

    class NoServices:
        """/healthz and /metrics call no service."""

    from gateway import metrics

    client = create_app({"SERVICES": NoServices(), "TESTING": False}).test_client()
    assert client.get("/healthz").status_code == 200
    body = metrics.render()[0].decode()  # what the metrics port serves
    return {line.split("{")[0].split()[0] for line in body.splitlines() if line and not line.startswith("#")}


@pytest.fixture(scope="module")
def rules() -> list[dict]:
    groups = yaml.safe_load((OBSERVABILITY / "alerts.yml").read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


@pytest.fixture(scope="module")
def dashboard() -> dict:
    return json.loads((OBSERVABILITY / "grafana" / "gateway.json").read_text())


def test_alert_rules_are_complete(rules):
    assert len(rules) >= 4
    assert len({rule["alert"] for rule in rules}) == len(rules)
    for rule in rules:
        assert rule["expr"].strip() and rule["for"], rule["alert"]
        assert rule["labels"]["severity"] in ("page", "ticket"), rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        assert rule["expr"].count("(") == rule["expr"].count(")"), rule["alert"]


def test_every_metric_an_alert_reads_is_served(rules, served):
    for rule in rules:
        names = metric_names(rule["expr"])
        assert names, rule["alert"]
        assert names <= served | SYNTHETIC, (rule["alert"], names - served)


def test_every_metric_the_dashboard_reads_is_served(dashboard, served):
    panels = dashboard["panels"]
    assert dashboard["uid"] and dashboard["title"] and len(panels) >= 4
    assert len({panel["id"] for panel in panels}) == len(panels)
    read = set()
    for panel in panels:
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["expr"].count("(") == target["expr"].count(")"), panel["title"]
            read |= metric_names(target["expr"])
    assert read <= served | SYNTHETIC, read - served
    # The golden signals: traffic, errors, latency.
    assert {"gateway_requests_total", "gateway_request_seconds_bucket", "gateway_unavailable_total"} <= read


def test_prometheus_loads_the_rules_and_scrapes_the_gateway():
    config = yaml.safe_load((OBSERVABILITY / "prometheus.yml").read_text())
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    prometheus = compose["services"]["prometheus"]
    assert prometheus["profiles"] == ["observability"]
    mounts = {v.split(":")[1]: v.split(":")[0] for v in prometheus["volumes"]}
    for rule_file in config["rule_files"]:
        assert (ROOT / mounts[rule_file]).resolve() == OBSERVABILITY / Path(rule_file).name
    assert (ROOT / mounts["/etc/prometheus/prometheus.yml"]).resolve() == OBSERVABILITY / "prometheus.yml"
    (job,) = config["scrape_configs"]
    assert job["job_name"] == "gateway" and job["metrics_path"] == "/metrics"
    host, port = job["static_configs"][0]["targets"][0].split(":")
    assert host in compose["services"] and port == compose["services"]["gateway"]["environment"]["GATEWAY_METRICS_PORT"]
