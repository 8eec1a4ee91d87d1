"""deploy/observability as files: complete alert rules and dashboards, and a Prometheus that loads the
rules and scrapes every process on the port it serves its metrics on (compose and Kubernetes agree).

That every metric they name is served by a process: tests/e2e/test_observability.py (a real stack)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from devstack.observability import OBSERVABILITY, ROOT, alert_rules, dashboard_exprs, dashboards, metric_names

SERVICES = ("identity", "communities", "content", "feed", "donations")


def test_the_expression_reader_finds_metrics_not_functions_or_labels():
    expr = 'histogram_quantile(0.99, sum by (le, endpoint) (rate(a_bucket{status=~"5.."}[5m]))) / clamp_min(b, 1e-9)'
    assert metric_names(expr) == {"a_bucket", "b"}
    assert metric_names("max by (queue) (c) > 0 and sum by (service) (rate(d_total[5m])) > 0.1") == {"c", "d_total"}


@pytest.fixture(scope="module")
def rules() -> list[dict]:
    return alert_rules()


def test_alert_rules_are_complete(rules):
    assert len({rule["alert"] for rule in rules}) == len(rules)
    for rule in rules:
        assert rule["expr"].strip() and rule["for"], rule["alert"]
        assert rule["labels"]["severity"] in ("page", "ticket"), rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]
        assert rule["expr"].count("(") == rule["expr"].count(")"), rule["alert"]
        assert metric_names(rule["expr"]), rule["alert"]


def test_the_alerts_cover_the_event_pipeline_and_every_services_golden_signals(rules):
    read = set().union(*(metric_names(rule["expr"]) for rule in rules))
    assert {
        "svc_outbox_oldest_age_seconds",  # outbox backlog age
        "svc_event_dead_letters",  # dead letters > 0
        "svc_rpc_errors_total",  # RPC error rate
        "svc_rpc_seconds_bucket",  # p99 latency
        "svc_event_lag_seconds_bucket",  # consumer lag
        "gateway_requests_total",
    } <= read


def test_dashboards_are_complete():
    boards = dashboards()
    assert {"gateway.json", "services.json"} <= set(boards)
    assert len({board["uid"] for board in boards.values()}) == len(boards)
    for name, board in boards.items():
        panels = board["panels"]
        assert board["uid"] and board["title"] and len(panels) >= 4, name
        assert len({panel["id"] for panel in panels}) == len(panels), name
        for panel in panels:
            if panel["type"] != "row":
                assert panel["targets"], (name, panel["title"])
        for expr in dashboard_exprs(board):
            assert expr.count("(") == expr.count(")"), (name, expr)
    read = set().union(*(metric_names(expr) for expr in dashboard_exprs(boards["services.json"])))
    # Golden signals per service (traffic, errors, latency, saturation) and the event pipeline.
    assert {
        "svc_rpc_calls_total",
        "svc_rpc_errors_total",
        "svc_rpc_seconds_bucket",
        "svc_db_pool_in_use",
        "svc_db_pool_waiting",
        "svc_outbox_backlog",
        "svc_event_lag_seconds_bucket",
        "svc_event_dead_letters",
    } <= read


def _k8s(name: str) -> list[dict]:
    return [doc for doc in yaml.safe_load_all((ROOT / "deploy" / "k8s" / f"{name}.yaml").read_text()) if doc]


def test_prometheus_loads_the_rules_and_scrapes_every_process_on_its_metrics_port():
    config = yaml.safe_load((OBSERVABILITY / "prometheus.yml").read_text())
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    prometheus = compose["services"]["prometheus"]
    assert prometheus["profiles"] == ["observability"]
    mounts = {v.split(":")[1]: v.split(":")[0] for v in prometheus["volumes"]}
    for rule_file in config["rule_files"]:
        assert (ROOT / mounts[rule_file]).resolve() == OBSERVABILITY / Path(rule_file).name
    assert (ROOT / mounts["/etc/prometheus/prometheus.yml"]).resolve() == OBSERVABILITY / "prometheus.yml"

    scraped = {}
    for job in config["scrape_configs"]:
        assert job["metrics_path"] == "/metrics"
        for sd in job["dns_sd_configs"]:
            for name in sd["names"]:
                scraped.setdefault(name, set()).add(str(sd["port"]))
    env = {name: service.get("environment", {}) for name, service in compose["services"].items()}
    expected = {name: str(env[name]["METRICS_PORT"]) for name in SERVICES}
    expected.update(gateway=str(env["gateway"]["GATEWAY_METRICS_PORT"]), web=str(env["web"]["WEB_METRICS_PORT"]))
    # A service's two processes (svclib.serve), each on its own port, are both scraped.
    background = {name: str(env[name]["BACKGROUND_METRICS_PORT"]) for name in SERVICES}
    assert scraped == {name: {port, *filter(None, [background.get(name)])} for name, port in expected.items()}

    # The same ports in the cluster: annotated for scraping, declared on the container.
    configmap = _k8s("configmap")[0]["data"]
    for name in (*SERVICES, "gateway", "web"):
        deployment = next(doc for doc in _k8s(name) if doc["kind"] == "Deployment")
        pod = deployment["spec"]["template"]
        annotations = pod["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true", name
        assert annotations["prometheus.io/port"] == expected[name], name
        container = pod["spec"]["containers"][0]
        assert {"name": "metrics", "containerPort": int(expected[name])} in container["ports"], name
        given = {e["name"]: e.get("value") for e in container.get("env", [])}
        if name in SERVICES:
            assert configmap["METRICS_PORT"] == expected[name]
            assert configmap["BACKGROUND_METRICS_PORT"] == background[name]
            assert {"name": "bg-metrics", "containerPort": int(background[name])} in container["ports"], name
        else:
            assert given[f"{name.upper()}_METRICS_PORT"] == expected[name], name


def test_grafana_in_the_profile_shows_the_dashboards_from_the_profiles_prometheus():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    grafana = compose["services"]["grafana"]
    assert grafana["profiles"] == ["observability"]
    mounts = {v.split(":")[1]: (ROOT / v.split(":")[0]).resolve() for v in grafana["volumes"] if v.startswith("./")}
    assert mounts["/var/lib/grafana/dashboards"] == OBSERVABILITY / "grafana"
    provisioning = mounts["/etc/grafana/provisioning"]
    (source,) = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())["datasources"]
    assert source["type"] == "prometheus" and source["isDefault"]
    assert source["url"] == "http://prometheus:9090" and "prometheus" in compose["services"]
    (provider,) = yaml.safe_load((provisioning / "dashboards" / "wikisocial.yml").read_text())["providers"]
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"
    # Every dashboard picks its Prometheus from a variable: the provisioned default answers it.
    for name, board in dashboards().items():
        variables = {v["name"]: v for v in board["templating"]["list"]}
        assert variables["datasource"]["query"] == "prometheus", name
