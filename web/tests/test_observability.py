"""The site on its own: it runs where the platform's plumbing (svclib) cannot be imported, and still
gives operators what every process gives them: JSON log lines bound to the request's ids (text with
LOG_FORMAT=text), a span per request continued from the caller's traceparent and passed on to the
gateway, and its workers' counts summed on the metrics port of gunicorn's master."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from devstack.otlp import Receiver

WEB = Path(__file__).resolve().parents[1]
BLOCKED = "svclib was imported"

# Builds the site as gunicorn's workers do, with gunicorn.conf.py's log settings, plus one page that
# writes a log line and calls the gateway (a fake that keeps what it was sent); prints what it sent.
CHILD = f"""
import json, logging.config, runpy, sys
conf = runpy.run_path({str(WEB / "gunicorn.conf.py")!r})
logging.config.dictConfig(conf["logconfig_dict"])
from opentelemetry import trace
from web.app import create_app
from web.views import api_get

class Gateway:
    sent = []
    def request(self, method, path, token=None, **kwargs):
        self.sent.append(kwargs)
        return {{}}

app = create_app({{"TESTING": True, "GATEWAY": Gateway(), "SECRET_KEY": "test"}})

@app.get("/said")
def said():
    logging.getLogger("web.said").warning("said %s", "hello")
    api_get("/anything")
    return "ok"

client = app.test_client()
assert client.get("/healthz").status_code == 200
answer = client.get("/said", headers={{"traceparent": sys.argv[1]}} if len(sys.argv) > 1 else {{}})
assert answer.status_code == 200, answer.status_code
shutdown = getattr(trace.get_tracer_provider(), "shutdown", None)
if shutdown:
    shutdown()  # sends the spans still waiting in the batch
print(json.dumps({{"sent": Gateway.sent, "svclib": "svclib" in sys.modules}}))
"""

CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    """The environment of a process in which ``import svclib`` fails (and says so on stderr)."""
    shadow = tmp_path / "shadow" / "svclib"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text(
        f"import sys\nsys.stderr.write({BLOCKED!r} + '\\n')\nraise ImportError('no svclib')\n"
    )
    metrics = tmp_path / "metrics"
    metrics.mkdir()
    path = os.pathsep.join(filter(None, [str(tmp_path / "shadow"), os.environ.get("PYTHONPATH")]))
    drop = ("OTEL_", "LOG_", "WEB_", "PROMETHEUS_MULTIPROC_DIR")
    kept = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    return {**kept, "PYTHONPATH": path, "PROMETHEUS_MULTIPROC_DIR": str(metrics), "WEB_SECRET_KEY": "k" * 64}


def run_site(env: dict[str, str], *args: str) -> tuple[dict, list[str]]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *args], cwd=WEB, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert BLOCKED not in done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr.splitlines()


def test_the_site_declares_no_dependency_on_svclib():
    declared = tomllib.loads((WEB / "pyproject.toml").read_text())["project"]["dependencies"]
    names = {re.match(r"[A-Za-z0-9._-]+", requirement).group(0).lower() for requirement in declared}
    assert "svclib" not in names
    assert all("==" in requirement for requirement in declared), declared  # exact versions, as the lock file's


def test_the_site_builds_and_answers_where_svclib_cannot_be_imported_with_json_log_lines(env):
    answer, stderr = run_site(env)
    assert answer["svclib"] is False
    (line,) = [json.loads(line) for line in stderr if '"said hello"' in line]
    assert list(line) == ["time", "level", "service", "request_id", "trace_id", "logger", "message"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["time"]), line["time"]
    assert (line["level"], line["service"], line["logger"]) == ("WARNING", "web", "web.said")
    assert re.fullmatch(r"[0-9a-f]{32}", line["request_id"]) and line["trace_id"] is None
    (sent,) = answer["sent"]
    assert sent["request_id"] == line["request_id"] and sent["traceparent"] is None  # no tracing: no context


def test_log_lines_are_text_for_people_with_log_format_text(env):
    _, stderr = run_site({**env, "LOG_FORMAT": "text"})
    (line,) = [line for line in stderr if "said hello" in line]
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} web WARNING web\.said: said hello \[request_id=[0-9a-f]{32}\]", line
    ), line


def test_a_page_is_a_span_continuing_the_callers_trace_and_the_gateway_continues_it(env):
    receiver = Receiver().start()
    try:
        traced = {**env, "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url, "OTEL_BSP_SCHEDULE_DELAY": "100"}
        answer, stderr = run_site(traced, f"00-{CALLER_TRACE}-{CALLER_SPAN}-01")
        spans = receiver.spans(CALLER_TRACE)
    finally:
        receiver.stop()
    (span,) = [s for s in spans if s["name"] == "GET /said"]
    assert span["service"] == "web" and span["parent_span_id"] == CALLER_SPAN
    assert span["kind"] == 2  # SPAN_KIND_SERVER
    (sent,) = answer["sent"]
    assert sent["traceparent"] == f"00-{CALLER_TRACE}-{span['span_id']}-01"  # the gateway's parent is the page
    (line,) = [json.loads(line) for line in stderr if '"said hello"' in line]
    assert line["trace_id"] == CALLER_TRACE and line["request_id"] == sent["request_id"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def counted(metrics_url: str) -> float:
    page = requests.get(metrics_url, timeout=5).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(page)
        if family.name == "web_requests"
        for sample in family.samples
        if sample.name == "web_requests_total" and sample.labels["endpoint"] == "/healthz"
    )


def workers_of(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def test_under_gunicorn_the_metrics_port_sums_every_workers_counts_even_a_dead_ones(env, tmp_path):
    port, metrics_port = free_port(), free_port()
    site = f"http://127.0.0.1:{port}"
    server_env = {
        **env,
        "WEB_HOST": "127.0.0.1",
        "WEB_PORT": str(port),
        "WEB_METRICS_PORT": str(metrics_port),
        "WEB_WORKERS": "2",
        "WEB_THREADS": "2",
        "GATEWAY_URL": f"http://127.0.0.1:{free_port()}",  # no page here calls it
    }
    log = tmp_path / "gunicorn.log"
    with log.open("w") as stderr:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "web.app:create_app()"],
            cwd=WEB,
            env=server_env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    metrics = f"http://127.0.0.1:{metrics_port}/metrics"

    def health() -> bool:
        try:
            return requests.get(f"{site}/healthz", timeout=10).status_code == 200
        except requests.RequestException:
            return False

    def wait(predicate, what: str) -> None:
        deadline = time.monotonic() + 30
        while not predicate():
            assert server.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, f"{what}: {log.read_text()[-3000:]}"
            time.sleep(0.1)

    def counting_workers() -> list[int]:
        return [pid for pid in workers_of(server.pid) if (tmp_path / "metrics" / f"counter_{pid}.db").exists()]

    try:
        wait(lambda: health() and len(workers_of(server.pid)) == 2, "the site did not start")
        before = counted(metrics)
        for _ in range(20):
            assert health()
        after = counted(metrics)
        assert after - before == 20
        assert requests.get(f"{site}/metrics", timeout=5).status_code == 404  # never on the public port

        dead = counting_workers()[0]  # a worker that answered some of them
        os.kill(dead, signal.SIGKILL)  # its counts stay; child_exit marks it dead
        wait(lambda: dead not in workers_of(server.pid) and len(workers_of(server.pid)) == 2, "no new worker")
        assert counted(metrics) == after
        wait(health, "the site did not answer again")
        assert counted(metrics) >= after + 1
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    lines = log.read_text().splitlines()
    assert BLOCKED not in lines
    said = [json.loads(line) for line in lines if line.startswith("{")]
    assert said and all(line["service"] == "web" for line in said)
    assert any(line["message"] == f"metrics on http://127.0.0.1:{metrics_port}/metrics" for line in said), lines


def test_gunicorns_settings_choose_the_metrics_folder_before_anything_imports_prometheus_client(tmp_path):
    # prometheus_client keeps the mode it found when first imported: imported by the settings before the
    # folder is chosen, the workers would count in their own memory and the master's port serve nothing.
    kept = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    code = (
        "import runpy; runpy.run_path('gunicorn.conf.py'); "
        "import prometheus_client.values as values; print(values.ValueClass.__name__)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=WEB,
        env={**kept, "WEB_SECRET_KEY": "k" * 64, "TMPDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "MmapedValue"  # prometheus_client's multiprocess value (MutexValue otherwise)
