"""The key that signs sessions has no default outside development mode."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from web import app as site
from web import secret_key

WEB = Path(__file__).resolve().parents[1]


@pytest.fixture
def environment(monkeypatch):
    monkeypatch.delenv("WEB_SECRET_KEY", raising=False)
    monkeypatch.delenv("WIKISOCIAL_DEV_MODE", raising=False)
    monkeypatch.setattr(secret_key, "_DEVELOPMENT_KEY", [])
    return monkeypatch


def test_without_a_key_the_site_is_not_made(environment):
    with pytest.raises(secret_key.MissingSecret, match="WEB_SECRET_KEY"):
        site.create_app({"GATEWAY": object()})
    environment.setenv("WIKISOCIAL_DEV_MODE", "0")
    with pytest.raises(secret_key.MissingSecret):
        site.create_app({"GATEWAY": object()})


def test_the_key_from_the_environment_signs_sessions(environment):
    environment.setenv("WEB_SECRET_KEY", "a" * 64)
    assert site.create_app({"GATEWAY": object()}).config["SECRET_KEY"] == "a" * 64


def test_development_mode_makes_one_key_for_the_process(environment):
    environment.setenv("WIKISOCIAL_DEV_MODE", "1")
    first = site.create_app({"GATEWAY": object()}).config["SECRET_KEY"]
    assert len(first) == 64 and site.create_app({"GATEWAY": object()}).config["SECRET_KEY"] == first


def _gunicorn_config(**env: str) -> subprocess.CompletedProcess:
    """gunicorn's settings file read as gunicorn reads it, in a process of its own."""
    kept = {k: v for k, v in os.environ.items() if k not in ("WEB_SECRET_KEY", "WIKISOCIAL_DEV_MODE")}
    code = "import os, runpy; runpy.run_path('gunicorn.conf.py'); print(len(os.environ['WEB_SECRET_KEY']))"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=WEB, env={**kept, **env}, capture_output=True, text=True, timeout=60
    )


def test_gunicorn_does_not_start_the_site_without_a_key_outside_development_mode(tmp_path):
    metrics = str(tmp_path)
    refused = _gunicorn_config(PROMETHEUS_MULTIPROC_DIR=metrics)
    assert refused.returncode != 0 and "WEB_SECRET_KEY is not set" in refused.stderr
    made = _gunicorn_config(PROMETHEUS_MULTIPROC_DIR=metrics, WIKISOCIAL_DEV_MODE="1")
    assert made.returncode == 0 and made.stdout.strip() == "64", made.stderr[-2000:]
    given = _gunicorn_config(PROMETHEUS_MULTIPROC_DIR=metrics, WEB_SECRET_KEY="b" * 40)
    assert given.returncode == 0 and given.stdout.strip() == "40", given.stderr[-2000:]


def test_a_site_worker_freezes_what_its_start_up_made(tmp_path):
    """Each of the site's workers, once started, freezes its objects out of the garbage collector's full walks;
    ``GC_FREEZE_ON_START=false`` leaves them."""
    code = (
        "import gc, runpy, types; hooks = runpy.run_path('gunicorn.conf.py');"
        " hooks['post_worker_init'](types.SimpleNamespace(pid=1)); print(gc.get_freeze_count())"
    )
    kept = {k: v for k, v in os.environ.items() if k not in ("WEB_SECRET_KEY", "WIKISOCIAL_DEV_MODE")}
    for setting, frozen in (("true", lambda n: n > 1000), ("false", lambda n: n == 0)):
        env = {**kept, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "WEB_SECRET_KEY": "b" * 40}
        done = subprocess.run(
            [sys.executable, "-c", code],
            cwd=WEB,
            env={**env, "GC_FREEZE_ON_START": setting},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert frozen(int(done.stdout.strip())), (setting, done.stdout)
