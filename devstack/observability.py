"""What deploy/observability reads, and what a process serves, as sets of metric names (for tests).

``metric_names`` reads the names a PromQL expression uses; ``served_names`` those a /metrics page
declares (every series each family can have: a histogram's ``_bucket``, ``_sum`` and ``_count``, a
counter's ``_total``), whether or not a series has been counted yet.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
OBSERVABILITY = ROOT / "deploy" / "observability"
# Series Prometheus makes itself for every target.
SYNTHETIC = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool", "offset"}
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("", "_sum", "_count", "_created"),
    "gauge": ("",),
    "untyped": ("",),
    "info": ("_info",),
}


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


def alert_rules() -> list[dict]:
    groups = yaml.safe_load((OBSERVABILITY / "alerts.yml").read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def dashboards() -> dict[str, dict]:
    return {path.name: json.loads(path.read_text()) for path in sorted((OBSERVABILITY / "grafana").glob("*.json"))}


def dashboard_exprs(dashboard: dict) -> list[str]:
    return [target["expr"] for panel in dashboard["panels"] for target in panel.get("targets", [])]


def named_by_deploy() -> dict[str, set[str]]:
    """Every metric the alert rules and dashboards read, by rule or dashboard."""
    named = {f"alert {rule['alert']}": metric_names(rule["expr"]) for rule in alert_rules()}
    for name, dashboard in dashboards().items():
        for expr in dashboard_exprs(dashboard):
            named.setdefault(f"dashboard {name}", set()).update(metric_names(expr))
    return named


def served_names(page: str) -> tuple[set[str], set[str]]:
    """(every series name a /metrics page declares, the names it has samples of)."""
    declared, sampled = set(), set()
    for line in page.splitlines():
        if line.startswith("# TYPE "):
            _, _, family, kind = line.split(maxsplit=3)
            base = family[: -len("_total")] if kind == "counter" and family.endswith("_total") else family
            declared.update(base + suffix for suffix in SUFFIXES.get(kind, ("",)))
        elif line and not line.startswith("#"):
            sampled.add(re.split(r"[{\s]", line, maxsplit=1)[0])
    return declared | sampled, sampled
