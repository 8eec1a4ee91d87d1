"""The site's part of the deployment files: a component of its own that speaks only HTTP to the gateway."""

from __future__ import annotations

import re
import stat
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def test_compose_runs_the_site_beside_the_gateway():
    web = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["web"]
    assert web["build"]["args"] == {"COMPONENT": "web", "PYTHON_IMAGE": "${PYTHON_IMAGE:-python:3.11-slim}"}
    assert web["ports"] == ["${WEB_PORT:-8080}:8080"]
    env = web["environment"]
    assert env["GATEWAY_URL"] == "http://gateway:8000"
    assert env["WEB_SECRET_KEY"] == "${WEB_SECRET_KEY:?set WEB_SECRET_KEY}"  # no default: required
    assert not any(name.endswith("_DATABASE_URL") or name == "AMQP_URI" for name in env)  # HTTP only
    assert web["depends_on"] == {"gateway": {"condition": "service_healthy"}}
    assert web["healthcheck"]["test"] == ["CMD", "/usr/local/bin/entrypoint", "health"]


def test_kubernetes_scales_the_site_on_its_own():
    docs = [d for d in yaml.safe_load_all((DEPLOY / "k8s" / "web.yaml").read_text()) if d]
    objects = {(d["kind"], d["metadata"]["name"]): d for d in docs}
    deployment = objects["Deployment", "web"]
    assert "replicas" not in deployment["spec"]
    main = deployment["spec"]["template"]["spec"]["containers"][0]
    env = {item["name"]: item for item in main["env"]}
    assert env["GATEWAY_URL"]["value"].startswith("http://gateway.")
    assert env["WEB_SECRET_KEY"]["valueFrom"]["secretKeyRef"] == {"name": "wikisocial-secrets", "key": "WEB_SECRET_KEY"}
    assert "AMQP_URI" not in env
    assert main["livenessProbe"]["httpGet"]["path"] == "/healthz"
    hpa = objects["HorizontalPodAutoscaler", "web"]
    assert hpa["spec"]["scaleTargetRef"]["name"] == "web"
    assert objects["Service", "web"]["spec"]["selector"] == {"app.kubernetes.io/name": "web"}
    assert ("PodDisruptionBudget", "web") in objects
    secret = yaml.safe_load((DEPLOY / "k8s" / "secret.template.yaml").read_text())["stringData"]
    assert "CHANGE_ME" in secret["WEB_SECRET_KEY"]


def test_the_web_image_runs_the_site_under_gunicorn(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for program in ("python", "gunicorn"):
        stub = bin_dir / program
        stub.write_text(f'#!/bin/sh\necho "$PWD|{program} $*"\n')
        stub.chmod(stub.stat().st_mode | stat.S_IXUSR)
    (tmp_path / "app" / "web").mkdir(parents=True)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "APP_ROOT": str(tmp_path / "app"), "COMPONENT": "web"}

    def run(*args: str) -> str:
        done = subprocess.run(["sh", str(DEPLOY / "entrypoint.sh"), *args], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    where, command = run("serve").split("|")
    assert where == str(tmp_path / "app" / "web")
    assert command.startswith("gunicorn -c gunicorn.conf.py ") and command.endswith(" web.app:create_app()")
    assert "WEB_PORT" in run("health")
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert 'web) sources="./web"' in dockerfile and "COPY web web" in dockerfile


def test_the_web_image_holds_the_sites_wheel_without_svclib():
    """The site is a client of the public API: its image is built from its own package alone."""
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"^\s*libs=\./libs; ", dockerfile, re.MULTILINE)  # the other images get svclib's wheel
    assert re.search(r'^\s*web\) sources="\./web"; libs= ;;', dockerfile, re.MULTILINE)
    assert "--wheel-dir /wheels ${libs} ${sources};" in dockerfile
