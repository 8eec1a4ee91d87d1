"""``make bench``: the gateway and its RPC path, each beside its baselines, in one run.

1. RPC round trips, serial from one process (measured first, while the machine
   is quiet): the gateway's ``RpcClient``, nameko's reused ``ClusterRpcProxy``,
   and the floor, raw AMQP request/reply with RabbitMQ's direct reply-to.
2. HTTP with wrk at concurrency 8 and 16, every app under the same gunicorn
   settings (``gateway/gunicorn.conf.py``, gthread, 2 workers x 4 threads):
   the gateway's ``GET /api/v1/me``, a plain Flask JSON endpoint (the ceiling),
   the same route opening a new nameko proxy per request (the naive way), and
   a second gateway with tracing on (spans exported over OTLP/HTTP to a receiver
   here that keeps nothing): what tracing costs when on; off, it is one test of
   a module variable per call (``svclib.tracing``).

Everything runs on a fresh stack: its own RabbitMQ vhost and its own
PostgreSQL databases, removed at the end, as is every process started here,
whether the run succeeds, fails or is interrupted. Results go to
``bench/results/gateway-<UTC time>.json`` and a table on stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import operator
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any

import requests

from bench import cpu, raw_rpc
from devstack import infra
from devstack.stack import ROOT, Stack
from gateway.rpc import RPC_EXCHANGE, RpcClient

RESULTS = ROOT / "bench" / "results"
GUNICORN_CONF = ROOT / "gateway" / "gunicorn.conf.py"
PERCENTILES_LUA = ROOT / "bench" / "percentiles.lua"
# Settings from the environment that change what is measured, written into the results when set.
SETTINGS_RECORDED = (
    "IDENTITY_KEPT_ANSWERS_ENTRIES",
    "IDENTITY_KEPT_ANSWERS_SECONDS",
    "TOKEN_CACHE_SECONDS",
    "RPC_TIMEOUT",
)
# The same for every app measured; GATEWAY_WORKERS / GATEWAY_THREADS in the environment override them.
GUNICORN = {
    name: os.environ.get(name, default) for name, default in {"GATEWAY_WORKERS": "2", "GATEWAY_THREADS": "4"}.items()
}
CONCURRENCIES = (8, 16)
WRK_THREADS = 2
WARMUP_SECONDS = 2
TARGETS = {
    "gateway_over_plain_rps": (">=", 0.15),
    "gateway_over_proxy_per_request_rps": (">=", 6.0),
    "gateway_p99_ms_c8": ("<", 30.0),
    "rpc_p50_over_floor": ("<=", 2.0),
}


def say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def safely(step: Callable[..., Any], *args: Any) -> None:
    """Run one clean-up step; a failure is reported and the remaining steps still run."""
    try:
        step(*args)
    except Exception as exc:  # clean-up carries on whatever one step raised
        say(f"clean-up step {getattr(step, '__qualname__', step)}{args} failed: {exc!r}")


# --- processes ---------------------------------------------------------------------


def free_port() -> int:
    """A port nothing listens on now: fixed ports would collide with a devstack or another bench."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def spawn(argv: list[str], log_path: Path, env: dict[str, str] | None = None, **popen: Any) -> subprocess.Popen:
    """Start a child in its own session, so Ctrl-C reaches only us and we stop it as a group."""
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            argv,
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stderr=log,
            stdout=popen.pop("stdout", log),
            start_new_session=True,
            **popen,
        )


def terminate(process: subprocess.Popen, timeout: float = 15) -> None:
    """SIGTERM to the child's process group (gunicorn's workers too), SIGKILL if it outlives the timeout."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def serve_app(app: str, env: dict[str, str], run_dir: Path) -> tuple[subprocess.Popen, str]:
    """A baseline app under the gateway's own gunicorn settings file: the same worker class, workers, threads."""
    name = app.split(":")[0].rsplit(".", 1)[-1]
    port = free_port()
    metrics_dir = run_dir / f"metrics-{name}"
    settings = {
        **env,
        **GUNICORN,
        "GATEWAY_HOST": "127.0.0.1",
        "GATEWAY_PORT": str(port),
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    process = spawn(
        [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), app], run_dir / f"{name}.log", settings
    )
    return process, f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def span_receiver(batches: list[int]) -> Iterator[str]:
    """An OTLP/HTTP endpoint that takes every batch of spans and keeps nothing but their number of
    bytes (in ``batches``): tracing's own cost, without a collector's."""

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (the name http.server calls)
            batches.append(len(self.rfile.read(int(self.headers.get("Content-Length") or 0))))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def wait_listening(process: subprocess.Popen, url: str, timeout: float = 30) -> None:
    def up() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {process.returncode}")
        try:
            requests.get(url, timeout=1)
            return True
        except requests.RequestException:
            return False

    if not infra.wait_for(up, timeout):
        raise RuntimeError(f"{url}: nothing answered within {timeout}s")


# --- HTTP ------------------------------------------------------------------------


def ensure_wrk() -> str:
    """wrk's path, installing Debian's package when it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    if not infra.apt_install("wrk") or not shutil.which("wrk"):
        raise RuntimeError("wrk is not installed and could not be installed (apt-get install -y wrk, as root)")
    return shutil.which("wrk") or "wrk"


def wrk_version(wrk_path: str) -> str:
    output = subprocess.run([wrk_path, "--version"], capture_output=True, text=True).stdout
    return output.splitlines()[0].split(" Copyright")[0] if output else "unknown"


def check_answers(url: str, headers: dict[str, str]) -> None:
    """One request by hand first: a benchmark of 401s or 500s would look fast and mean nothing."""
    response = requests.get(url, headers=headers, timeout=10)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url} -> {response.status_code}: {response.text[:300]}")


def wrk(
    wrk_path: str, url: str, connections: int, seconds: int, headers: dict[str, str], groups: dict[str, int]
) -> dict[str, Any]:
    """req/s, latency percentiles (ms) and each component's CPU ms per request from one wrk run.

    A warm-up run comes first and its figures are dropped. ``groups`` names
    the process groups whose CPU time is counted besides the broker's, the
    database's and wrk's own.
    """
    header_args = [arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")]
    options = [f"-t{WRK_THREADS}", f"-c{connections}", "-s", str(PERCENTILES_LUA), *header_args, url]
    subprocess.run([wrk_path, f"-d{WARMUP_SECONDS}s", *options], capture_output=True, check=True)
    before, machine_before, children_before = cpu.snapshot(), cpu.machine_ticks(), cpu.children_seconds()
    output = subprocess.run([wrk_path, f"-d{seconds}s", *options], capture_output=True, text=True, check=True).stdout
    after, machine_after, children_after = cpu.snapshot(), cpu.machine_ticks(), cpu.children_seconds()
    summary = next((line for line in reversed(output.splitlines()) if line.startswith("{")), None)
    if summary is None:
        raise RuntimeError(f"wrk printed no summary for {url}:\n{output}")
    figures = json.loads(summary)
    requests_served = max(1, figures["requests"])
    spent = {**cpu.used(before, after, groups), "wrk": children_after - children_before}
    total = sum(spent.values()) or 1.0
    # Services idle during this run (their heartbeats only) would only clutter the table.
    per_request = {
        component: round(seconds_used * 1e3 / requests_served, 3)
        for component, seconds_used in sorted(spent.items(), key=lambda kv: -kv[1])
        if seconds_used / total >= 0.01
    }
    return {
        "rps": figures["rps"],
        "p50_ms": figures["p50_ms"],
        "p99_ms": figures["p99_ms"],
        "requests": figures["requests"],
        "errors": figures["errors"],
        "cpu_ms_per_request": per_request,
        "machine_busy": round(cpu.busy(machine_before, machine_after), 2),
    }


def measure_http(
    wrk_path: str, targets: dict[str, str], headers: dict[str, str], seconds: int, groups: dict[str, int], rounds: int
) -> dict[str, dict[str, dict[str, Any]]]:
    """Each concurrency in turn, every target at it, ``rounds`` times over, so that drift in the machine
    (a shared host's neighbours, frequency changes) hits all of them alike. Each target's figures are
    those of its median round by req/s; every round's req/s is kept beside them."""
    for url in targets.values():
        check_answers(url, headers)
    runs: dict[str, dict[str, list[dict[str, Any]]]] = {f"c{c}": {name: [] for name in targets} for c in CONCURRENCIES}
    for round_number in range(1, rounds + 1):
        for connections in CONCURRENCIES:
            for name, url in targets.items():
                say(f"round {round_number}/{rounds}: wrk -t{WRK_THREADS} -c{connections} {seconds}s: {name}")
                runs[f"c{connections}"][name].append(wrk(wrk_path, url, connections, seconds, headers, groups))
    results: dict[str, dict[str, dict[str, Any]]] = {}
    for level, by_target in runs.items():
        results[level] = {}
        for name, measured in by_target.items():
            ordered = sorted(measured, key=operator.itemgetter("rps"))
            results[level][name] = {**ordered[len(ordered) // 2], "rounds_rps": [run["rps"] for run in measured]}
    return results


# --- RPC -------------------------------------------------------------------------


def summarise(seconds: list[float]) -> dict[str, float]:
    """p50/p90/p99 and mean, in ms."""
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    return {
        "p50_ms": round(cuts[49] * 1e3, 3),
        "p90_ms": round(cuts[89] * 1e3, 3),
        "p99_ms": round(cuts[98] * 1e3, 3),
        "mean_ms": round(statistics.fmean(seconds) * 1e3, 3),
        "calls": len(seconds),
    }


def serial(call: Callable[[], Any], calls: int, warmup: int) -> list[float]:
    """Seconds per call, one after the other, ``warmup`` calls first left out."""
    times = []
    for n in range(warmup + calls):
        started = time.perf_counter()
        call()
        elapsed = time.perf_counter() - started
        if n >= warmup:
            times.append(elapsed)
    return times


@contextlib.contextmanager
def echo_server(amqp_uri: str, run_dir: Path, quorum: bool = False) -> Iterator[str]:
    """The raw-AMQP echo server in its own process; yields the queue it consumes (a quorum queue
    with ``quorum``, else a classic one).

    The queue is also bound on nameko's RPC exchange, as ``<queue>.*``, so the
    gateway's client can call it like a service.
    """
    queue = f"bench-floor-{uuid.uuid4().hex[:8]}"
    argv = [sys.executable, "-m", "bench.raw_rpc", "serve", amqp_uri, queue, "--rpc-exchange", RPC_EXCHANGE]
    argv += ["--quorum"] if quorum else []
    process = spawn(argv, run_dir / "raw_rpc.log", stdout=subprocess.PIPE, text=True)
    try:
        if process.stdout is None or process.stdout.readline().strip() != "ready":
            raise RuntimeError(f"the echo server did not start; see {run_dir / 'raw_rpc.log'}")
        yield queue
    finally:
        terminate(process)


def measure_rpc(amqp_uri: str, calls: int, warmup: int, run_dir: Path) -> dict[str, dict[str, float]]:
    """Serial round trips three ways, plus the gateway's client against the echo server.

    That fourth figure has no nameko service behind it: set beside the first,
    it splits the gateway client's distance from the floor into the client's
    share and the service's.
    """
    # nameko drags in eventlet (and its deprecation warning); only this measurement needs it.
    from nameko.standalone.rpc import ClusterRpcProxy

    say(f"RPC round trips: {calls} serial calls after {warmup} warm-up each")
    client = RpcClient(amqp_uri, timeout=5.0)
    try:
        ours = serial(lambda: client.call("identity", "health"), calls, warmup)
        with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=5.0) as rpc:
            nameko = serial(rpc.identity.health, calls, warmup)
        with echo_server(amqp_uri, run_dir) as queue:
            floor = raw_rpc.measure(amqp_uri, queue, calls, warmup)
            ours_to_echo = serial(lambda: client.call(queue, "health"), calls, warmup)
        with echo_server(amqp_uri, run_dir, quorum=True) as queue:
            floor_quorum = raw_rpc.measure(amqp_uri, queue, calls, warmup)
    finally:
        client.close()
    return {
        "gateway_rpc_client": summarise(ours),
        "nameko_proxy_reused": summarise(nameko),
        "raw_direct_reply_to": summarise(floor),
        "gateway_rpc_client_to_echo_server": summarise(ours_to_echo),
        "raw_direct_reply_to_quorum_request_queue": summarise(floor_quorum),
    }


# --- the run ---------------------------------------------------------------------


@dataclass
class Account:
    username: str
    token: str


def sign_up(api: str) -> Account:
    """A new account and a session token for it, through the gateway as a client would get them."""
    name = f"bench_{uuid.uuid4().hex[:8]}"
    password = "bench password " + uuid.uuid4().hex[:8]
    register = requests.post(
        f"{api}/auth/register",
        json={"username": name, "email": f"{name}@example.com", "password": password},
        timeout=10,
    )
    if register.status_code != 201:
        raise RuntimeError(f"register -> {register.status_code}: {register.text[:300]}")
    login = requests.post(f"{api}/auth/login", json={"login": name, "password": password}, timeout=10)
    if login.status_code != 200:
        raise RuntimeError(f"login -> {login.status_code}: {login.text[:300]}")
    return Account(name, login.json()["token"])


def git_state() -> dict[str, Any]:
    """HEAD, and whether tracked files differ from it."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    # Others edit the tree while benches run: a dirty tree means HEAD alone does not say what was measured.
    return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain", "--untracked-files=no"))}


def ratios(http: dict[str, dict[str, dict[str, Any]]], rpc: dict[str, dict[str, float]]) -> dict[str, float]:
    figures: dict[str, float] = {}
    for level in http:
        row = http[level]
        figures[f"gateway_over_plain_rps_{level}"] = round(row["gateway_me"]["rps"] / row["plain_flask"]["rps"], 3)
        figures[f"gateway_over_proxy_per_request_rps_{level}"] = round(
            row["gateway_me"]["rps"] / row["proxy_per_request_me"]["rps"], 2
        )
        figures[f"gateway_traced_over_untraced_rps_{level}"] = round(
            row["gateway_traced"]["rps"] / row["gateway_me"]["rps"], 3
        )
    figures["gateway_p99_ms_c8"] = http["c8"]["gateway_me"]["p99_ms"]
    floor = rpc["raw_direct_reply_to"]["p50_ms"]
    figures["rpc_p50_over_floor"] = round(rpc["gateway_rpc_client"]["p50_ms"] / floor, 2)
    figures["nameko_proxy_p50_over_floor"] = round(rpc["nameko_proxy_reused"]["p50_ms"] / floor, 2)
    figures["rpc_client_to_echo_p50_over_floor"] = round(rpc["gateway_rpc_client_to_echo_server"]["p50_ms"] / floor, 2)
    # What a quorum request queue would cost every call (the services' RPC queues are classic).
    figures["quorum_over_classic_request_queue_p50"] = round(
        rpc["raw_direct_reply_to_quorum_request_queue"]["p50_ms"] / floor, 2
    )
    return figures


def verdicts(figures: dict[str, float]) -> dict[str, dict[str, Any]]:
    """Each target against the figure(s) it applies to; the rps ratios must hold at every concurrency."""
    compare = {">=": operator.ge, "<=": operator.le, "<": operator.lt}
    checks: dict[str, dict[str, Any]] = {}
    for name, (relation, bound) in TARGETS.items():
        for key, value in figures.items():
            if key == name or key.startswith(name + "_c"):
                met = bool(compare[relation](value, bound))
                checks[key] = {"value": value, "target": f"{relation} {bound:g}", "met": met}
    return checks


def _interrupted(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace, run_id: str, run_dir: Path) -> dict[str, Any]:
    """The whole bench; every process, database and vhost it makes is gone when it returns or raises."""
    wrk_path = ensure_wrk()
    cpus = len(os.sched_getaffinity(0))
    load_before = os.getloadavg()
    started = datetime.now(UTC)
    broker = infra.find_broker()
    postgres = infra.find_postgres()
    if postgres is None:
        raise RuntimeError("PostgreSQL is not available: the services must run on it as in production")

    cleanup = contextlib.ExitStack()
    span_batches: list[int] = []
    try:
        vhost = broker.create_vhost(f"bench-gateway-{run_id}")
        cleanup.callback(safely, broker.delete_vhost, vhost)
        amqp_uri = broker.uri(vhost)
        # Every process started with this environment counts in the directory, the topology job included.
        (run_dir / "metrics-gateway").mkdir(parents=True, exist_ok=True)
        env = {
            "AMQP_URI": amqp_uri,
            "DATA_DIR": str(run_dir / "data"),
            "UPLOAD_DIR": str(run_dir / "data" / "uploads"),
            "PROMETHEUS_MULTIPROC_DIR": str(run_dir / "metrics-gateway"),
            "REGISTRATIONS_PER_IP": "1000000",  # every benchmark account registers from this machine
            **GUNICORN,
        }
        for service in infra.SERVICES:
            database = f"bench_gateway_{service}_{run_id}"
            env[f"{service.upper()}_DATABASE_URL"] = postgres.create(database)
            cleanup.callback(safely, postgres.drop, database)

        stack = Stack(env, free_port(), run_dir)
        cleanup.callback(safely, stack.stop_all)
        say(f"starting the stack on vhost {vhost!r} (gateway {stack.gateway_url}, {GUNICORN})")
        stack.start_all()
        api = f"{stack.gateway_url}/api/v1"
        account = sign_up(api)
        headers = {"Authorization": f"Bearer {account.token}"}

        rpc = measure_rpc(amqp_uri, args.rpc_calls, args.rpc_warmup, run_dir)

        baselines: dict[str, tuple[str, dict[str, str]]] = {
            "plain_flask": ("bench.apps.plain:create_app()", {}),
            "proxy_per_request_me": ("bench.apps.proxy_per_request:create_app()", {"AMQP_URI": amqp_uri}),
        }
        targets = {"gateway_me": f"{api}/me"}
        groups = {name: process.pid for name, process in stack.processes.items()}
        # The same gateway with tracing on, beside the stack's (whose services trace nothing: the
        # figure is the gateway's share, a span per request and its context sent with the RPC).
        traced_env = {
            **stack.env,
            "OTEL_EXPORTER_OTLP_ENDPOINT": cleanup.enter_context(span_receiver(span_batches)),
            "OTEL_SERVICE_NAME": "gateway-traced",
            "GATEWAY_METRICS_PORT": str(free_port()),
        }
        baselines["gateway_traced"] = ("gateway.app:create_app()", traced_env)
        for name, (app, app_env) in baselines.items():
            process, base_url = serve_app(app, app_env, run_dir)
            cleanup.callback(safely, terminate, process)
            wait_listening(process, base_url)
            targets[name] = f"{base_url}/api/v1/me"
            groups[name] = process.pid
        http = measure_http(wrk_path, targets, headers, args.seconds, groups, args.rounds)
    finally:
        # A second Ctrl-C must not cut the clean-up short: it is what drops the databases and the vhost.
        previous = {signum: signal.signal(signum, signal.SIG_IGN) for signum in (signal.SIGINT, signal.SIGTERM)}
        say("stopping processes, dropping the databases and the vhost")
        cleanup.close()
        for signum, handler in previous.items():
            signal.signal(signum, handler)

    figures = ratios(http, rpc)
    return {
        "bench": "gateway",
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "git": git_state(),
        "machine": {
            "nproc": cpus,
            "cpu_count": os.cpu_count(),
            "loadavg_before": [round(x, 2) for x in load_before],
            "loadavg_after": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(),
            "kernel": platform.release(),
            "wrk": wrk_version(wrk_path),
        },
        "gunicorn": {
            "config": str(GUNICORN_CONF.relative_to(ROOT)),
            "worker_class": "gthread",
            "workers": int(GUNICORN["GATEWAY_WORKERS"]),
            "threads": int(GUNICORN["GATEWAY_THREADS"]),
        },
        "wrk": {"threads": WRK_THREADS, "warmup_s": WARMUP_SECONDS, "duration_s": args.seconds, "rounds": args.rounds},
        "settings": {name: os.environ[name] for name in SETTINGS_RECORDED if name in os.environ},
        "http": http,
        "rpc": {"calls": args.rpc_calls, "warmup": args.rpc_warmup, **rpc},
        "ratios": figures,
        "targets": verdicts(figures),
        "spans_exported": {"batches": len(span_batches), "bytes": sum(span_batches)},
        "notes": [
            "GET /me on the gateway = token check from a 10 s per-process cache + one identity.get_me RPC;"
            " the proxy-per-request app authenticates every request (authenticate + get_me, one new proxy).",
            "wrk runs on the same machine as every server, the broker and the database.",
            "RPC round trips were measured before the HTTP runs, with the stack idle.",
            "cpu_ms_per_request: CPU time of each component during the measured run / requests served;"
            " machine_busy: share of all cores' time spent busy during the run (/proc/stat).",
            "gateway_traced: a second gateway process with OTEL_EXPORTER_OTLP_ENDPOINT set (spans batched over"
            " OTLP/HTTP to a receiver in the bench that keeps nothing); the services it calls trace nothing.",
        ],
    }


def table(result: dict[str, Any]) -> str:
    lines = [f"{'HTTP GET /api/v1/me (wrk)':30} {'conc':>4} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}"]
    for level, row in result["http"].items():
        for name, figures in row.items():
            lines.append(
                f"{name:30} {level[1:]:>4} {figures['rps']:>9.1f} {figures['p50_ms']:>8.2f}"
                f" {figures['p99_ms']:>8.2f} {figures['errors']:>6}"
            )
    rpc = result["rpc"]
    lines += ["", f"{'RPC round trip, serial (' + str(rpc['calls']) + ' calls)':42} {'p50 ms':>8} {'p99 ms':>8}"]
    for name, figures in rpc.items():
        if isinstance(figures, dict):
            lines.append(f"{name:42} {figures['p50_ms']:>8.3f} {figures['p99_ms']:>8.3f}")
    lines += ["", "CPU ms per request by component (machine busy: share of all cores)"]
    for level, row in result["http"].items():
        for name, figures in row.items():
            parts = ", ".join(f"{component} {ms:.3f}" for component, ms in figures["cpu_ms_per_request"].items())
            lines.append(f"  {name} {level}: {parts}; busy {figures['machine_busy']:.0%}")
    lines += ["", f"{'target':42} {'value':>8}  {'target':>7}  met"]
    for name, check in result["targets"].items():
        lines.append(f"{name:42} {check['value']:>8g}  {check['target']:>7}  {'yes' if check['met'] else 'NO'}")
    machine, git, gunicorn = result["machine"], result["git"], result["gunicorn"]
    lines += [
        "",
        f"p50 / floor: nameko reused proxy {result['ratios']['nameko_proxy_p50_over_floor']},"
        f" gateway client to the echo server {result['ratios']['rpc_client_to_echo_p50_over_floor']}",
        f"gunicorn: {gunicorn['worker_class']}, {gunicorn['workers']} workers x {gunicorn['threads']} threads"
        f" ({gunicorn['config']}); wrk -t{result['wrk']['threads']}, {result['wrk']['warmup_s']} s warm-up"
        f" + {result['wrk']['duration_s']} s",
        f"machine: nproc {machine['nproc']}, load average {machine['loadavg_before']} before,"
        f" {machine['loadavg_after']} after",
        f"spans exported by gateway_traced: {result['spans_exported']['batches']} batches,"
        f" {result['spans_exported']['bytes']} bytes",
        f"commit {git['commit'][:12]}{' (tree has uncommitted changes)' if git['dirty'] else ''}",
    ]
    return "\n".join(lines)


def record(
    kind: str,
    run: Callable[[argparse.Namespace, str, Path], dict[str, Any]],
    args: argparse.Namespace,
    table: Callable[[dict[str, Any]], str],
) -> int:
    """Run one benchmark in a directory of its own, write its result to bench/results/<kind>-<time>.json
    and print its table; whatever it started is stopped by ``run`` itself, and its logs are kept on failure."""
    signal.signal(signal.SIGTERM, _interrupted)
    run_id = uuid.uuid4().hex[:8]
    run_dir = Path(tempfile.mkdtemp(prefix=f"bench-{kind}-{run_id}-"))
    say(f"logs in {run_dir}")
    try:
        result = run(args, run_id, run_dir)
    except KeyboardInterrupt:
        say(f"interrupted; everything started was stopped and removed; logs kept in {run_dir}")
        return 130
    except Exception:
        say(f"failed; everything started was stopped and removed; logs kept in {run_dir}")
        raise
    shutil.rmtree(run_dir, ignore_errors=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{kind}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(table(result))
    print(f"\nwritten to {path.relative_to(ROOT)}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="length of each measured wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="times every wrk run is repeated; the median counts")
    parser.add_argument("--rpc-calls", type=int, default=2000)
    parser.add_argument("--rpc-warmup", type=int, default=200)
    args = parser.parse_args()
    return record("gateway", run, args, table)


if __name__ == "__main__":
    sys.exit(main())
