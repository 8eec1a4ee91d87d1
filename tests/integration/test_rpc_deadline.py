"""Requests whose caller gave up are never run: a service frozen while they waited drops them on resuming."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import yaml

from gateway.rpc import RpcClient, ServiceUnavailable

RECORDER = textwrap.dedent(
    """
    import os

    from svclib.rpc import rpc


    class Recorder:
        name = "recorder"

        @rpc
        def record(self, n):
            with open(os.environ["RECORDED"], "a") as applied:
                applied.write(f"{n}\\n")
            return n
    """
)


@pytest.fixture
def recorder(tmp_path, amqp_uri):
    (tmp_path / "recorder.py").write_text(RECORDER)
    (tmp_path / "config.yml").write_text(yaml.safe_dump({"AMQP_URI": amqp_uri, "max_workers": 10}))
    recorded = tmp_path / "recorded.txt"
    env = {**os.environ, "RECORDED": str(recorded)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tmp_path), env.get("PYTHONPATH")]))
    process = subprocess.Popen(
        [sys.executable, "-m", "nameko", "run", "--config", "config.yml", "recorder"],
        cwd=tmp_path,
        env=env,
        start_new_session=True,
    )
    yield process, recorded
    os.killpg(process.pid, signal.SIGCONT)
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def applied(recorded: Path) -> list[int]:
    return [int(line) for line in recorded.read_text().split()] if recorded.exists() else []


def test_calls_that_timed_out_while_the_service_was_frozen_are_not_applied(recorder, amqp_uri):
    process, recorded = recorder
    client = RpcClient(amqp_uri, timeout=5.0)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                assert client.call("recorder", "record", 0, _timeout=2.0) == 0
                break
            except ServiceUnavailable:
                if time.monotonic() > deadline:
                    raise
        os.killpg(process.pid, signal.SIGSTOP)
        calls = [client.call_async("recorder", "record", n, _timeout=0.5) for n in range(1, 9)]
        for call in calls:
            with pytest.raises(ServiceUnavailable):
                client.result(call)
        time.sleep(0.5)
        os.killpg(process.pid, signal.SIGCONT)
        # Answered after everything sent before it was taken from the queue and handled.
        assert client.call("recorder", "record", 99, _timeout=10.0) == 99
        time.sleep(0.5)
        assert applied(recorded) == [0, 99]
    finally:
        client.close()
