"""``make bench``: the gateway and the RPC path, each beside its baselines, in one run.

1. HTTP, with wrk at concurrency 8 and 16 under the same gunicorn settings:
   the gateway's ``GET /api/v1/me`` (cached token check + one identity answer),
   a plain Flask JSON endpoint (the ceiling), and the same route opening a new
   nameko proxy for every request (the naive way).
2. RPC round trips, serial from one process, measured first on a quiet machine: the gateway's client, nameko's
   reused ``ClusterRpcProxy``, and the floor, raw AMQP request/reply with
   RabbitMQ's direct reply-to (pika at both ends).

Results go to ``bench/results/gateway-<time>.json`` and a table on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import requests

from devstack import infra
from devstack.stack import ROOT, Stack

RESULTS = ROOT / "bench" / "results"
GUNICORN = {"GATEWAY_WORKERS": "2", "GATEWAY_THREADS": "4"}
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1e3, 3)

    return {"p50_ms": at(0.50), "p99_ms": at(0.99), "calls": len(ordered)}


def wrk(url: str, connections: int, seconds: int, headers: dict[str, str]) -> dict:
    """req/s, p50 and p99 (ms) from one wrk run, after a short warm-up."""
    header_args = [arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")]
    base = ["wrk", "-t2", f"-c{connections}", "--latency", *header_args, url]
    subprocess.run([*base[:1], "-d2s", *base[1:]], capture_output=True, check=True)
    output = subprocess.run([*base[:1], f"-d{seconds}s", *base[1:]], capture_output=True, text=True, check=True).stdout

    def latency(label: str) -> float:
        value, unit = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M).groups()
        return round(float(value) * UNITS[unit], 3)

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": round(float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)), 1),
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


def serve(app: str, port: int, env: dict, log_dir: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gateway" / "gunicorn.conf.py"), app],
        cwd=ROOT,
        env={**os.environ, **env, **GUNICORN, "GATEWAY_HOST": "127.0.0.1", "GATEWAY_PORT": str(port)},
        stdout=open(log_dir / f"{port}.log", "ab"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/api/v1/me"
    if not infra.wait_for(lambda: _answers(url), 30):
        raise RuntimeError(f"{app} did not start on port {port}")
    return process


def _answers(url: str) -> bool:
    try:
        requests.get(url, timeout=1)
        return True
    except requests.RequestException:
        return False


def rpc_round_trips(amqp_uri: str, calls: int, warmup: int, log_dir: Path) -> dict:
    from nameko.standalone.rpc import ClusterRpcProxy

    from bench import raw_rpc
    from gateway.rpc import RpcClient

    def serial(call) -> list[float]:
        times = []
        for n in range(warmup + calls):
            started = time.perf_counter()
            call()
            if n >= warmup:
                times.append(time.perf_counter() - started)
        return times

    client = RpcClient(amqp_uri)
    ours = serial(lambda: client.call("identity", "health"))
    client.close()
    with ClusterRpcProxy({"AMQP_URI": amqp_uri}) as proxy:
        nameko = serial(proxy.identity.health)
    queue = f"bench-floor-{uuid.uuid4().hex[:8]}"
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.raw_rpc", "serve", amqp_uri, queue],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=open(log_dir / "raw_rpc.log", "ab"),
    )  # noqa: SIM115
    try:
        server.stdout.readline()
        floor = raw_rpc.measure(amqp_uri, queue, calls, warmup)
    finally:
        server.terminate()
        server.wait()
    return {
        "gateway_client": percentiles(ours),
        "nameko_proxy_reused": percentiles(nameko),
        "raw_direct_reply_to": percentiles(floor),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rpc-calls", type=int, default=2000)
    args = parser.parse_args()

    broker, postgres = infra.find_broker(), infra.find_postgres()
    vhost = broker.create_vhost(f"bench-{uuid.uuid4().hex[:8]}")
    run = uuid.uuid4().hex[:8]
    databases = {s: f"bench_{s}_{run}" for s in infra.SERVICES}
    env = {f"{s.upper()}_DATABASE_URL": postgres.create(db) for s, db in databases.items()}
    amqp_uri = broker.uri(vhost)
    env.update(AMQP_URI=amqp_uri, **GUNICORN)
    log_dir = ROOT / "var" / "bench" / run
    stack = Stack(env, 18400, log_dir)
    extras: list[subprocess.Popen] = []
    load_before = os.getloadavg()
    try:
        stack.start_all()
        api = f"{stack.gateway_url}/api/v1"
        credentials = {"username": f"bench_{run}", "email": f"bench_{run}@example.com", "password": "benchmark pass"}
        requests.post(f"{api}/auth/register", json=credentials, timeout=10).raise_for_status()
        token = requests.post(
            f"{api}/auth/login",
            json={"login": credentials["username"], "password": credentials["password"]},
            timeout=10,
        ).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        rpc = rpc_round_trips(amqp_uri, args.rpc_calls, 200, log_dir)
        extras.append(serve("bench.apps.plain:create_app()", 18401, {}, log_dir))
        extras.append(serve("bench.apps.proxy_per_request:create_app()", 18402, {"AMQP_URI": amqp_uri}, log_dir))
        targets = {
            "gateway_me": f"{api}/me",
            "plain_flask": "http://127.0.0.1:18401/api/v1/me",
            "proxy_per_request_me": "http://127.0.0.1:18402/api/v1/me",
        }
        http = {f"{name}_c{c}": wrk(url, c, args.seconds, headers) for c in (8, 16) for name, url in targets.items()}
        rpc = rpc_round_trips(amqp_uri, args.rpc_calls, 200, log_dir)
    finally:
        for process in extras:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait()
        stack.stop_all()
        for db in databases.values():
            postgres.drop(db)
        broker.delete_vhost(vhost)

    ratios = {
        f"c{c}": {
            "gateway_over_plain_rps": round(http[f"gateway_me_c{c}"]["rps"] / http[f"plain_flask_c{c}"]["rps"], 3),
            "gateway_over_proxy_per_request_rps": round(
                http[f"gateway_me_c{c}"]["rps"] / http[f"proxy_per_request_me_c{c}"]["rps"], 2
            ),
        }
        for c in (8, 16)
    }
    ratios["rpc_p50_over_floor"] = round(rpc["gateway_client"]["p50_ms"] / rpc["raw_direct_reply_to"]["p50_ms"], 2)
    result = {
        "when": datetime.now(UTC).isoformat(),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip(),
        "machine": {"cpus": os.cpu_count(), "loadavg_before": load_before, "loadavg_after": os.getloadavg()},
        "gunicorn": {"worker_class": "gthread", **GUNICORN},
        "http": http,
        "rpc": rpc,
        "ratios": ratios,
        "targets": {
            "gateway_over_plain_rps": ">= 0.15",
            "gateway_over_proxy_per_request_rps": ">= 6",
            "gateway_p99_ms_c8": "< 30",
            "rpc_p50_over_floor": "<= 2.0",
        },
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"gateway-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(table(result))
    print(f"\nwritten to {path.relative_to(ROOT)}")
    return 0


def table(result: dict) -> str:
    lines = [f"{'HTTP (wrk, 2 threads)':34} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}"]
    for name, row in result["http"].items():
        lines.append(f"{name:34} {row['rps']:>9.1f} {row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f}")
    lines.append(f"\n{'RPC round trip (serial)':34} {'p50 ms':>9} {'p99 ms':>8}")
    for name, row in result["rpc"].items():
        lines.append(f"{name:34} {row['p50_ms']:>9.3f} {row['p99_ms']:>8.3f}")
    lines.append("\nratios: " + json.dumps(result["ratios"]))
    lines.append("load average before/after: " + json.dumps(result["machine"]))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
