"""The deployment files describe the whole platform.

No Docker engine or cluster here: the files are parsed and checked, and the image's
entrypoint is run against stand-in programs to see which command each component execs.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
SERVICES = ("identity", "communities", "content", "feed", "donations")
COMPONENTS = (*SERVICES, "gateway")
ONE_SHOT = {"topology"}
UPLOADS = "/var/lib/wikisocial/uploads"
AMQP_URI = "amqp://wikisocial:a-broker-password@rabbitmq:5672/"


# --- docker-compose.yml ----------------------------------------------------------------------


# What a developer sets (see the head of docker-compose.yml); nothing else is needed.
ENVIRONMENT = {
    "POSTGRES_PASSWORD": "a-db-password",
    "RABBITMQ_PASSWORD": "a-broker-password",
    "WEB_SECRET_KEY": "a-session-key",
}
_VARIABLE = re.compile(r"\$\$|\$\{(\w+)(?:(:?[-?])([^}]*))?\}")


def interpolate(node, env: dict[str, str]):
    """The file as compose reads it: ${VAR}, ${VAR:-default}, ${VAR:?error}, $$."""

    def substitute(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name, operator, argument = match.groups()
        value = env.get(name)
        unset = value is None or (value == "" and operator and operator.startswith(":"))
        if operator and operator.endswith("?") and unset:
            raise KeyError(f"{name}: {argument}")
        if operator and operator.endswith("-") and unset:
            return argument
        return value or ""

    if isinstance(node, dict):
        return {key: interpolate(value, env) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolate(value, env) for value in node]
    return _VARIABLE.sub(substitute, node) if isinstance(node, str) else node


@pytest.fixture(scope="module")
def raw_compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def compose(raw_compose) -> dict:
    return interpolate(raw_compose, ENVIRONMENT)


def test_compose_refuses_to_start_without_its_secrets(raw_compose):
    for missing in ENVIRONMENT:
        with pytest.raises(KeyError, match=missing):
            interpolate(raw_compose, {k: v for k, v in ENVIRONMENT.items() if k != missing})


@pytest.fixture(scope="module")
def containers(compose) -> dict:
    return compose["services"]


def database_url(containers, service: str) -> str:
    return containers[service]["environment"][f"{service.upper()}_DATABASE_URL"]


def test_every_part_of_the_platform_is_there(containers):
    expected = {"rabbitmq", "gateway", "topology", *SERVICES, *(f"{s}-db" for s in SERVICES)}
    assert expected <= set(containers)
    assert containers["rabbitmq"]["image"] == "rabbitmq:3.13-management"
    for service in SERVICES:
        assert containers[f"{service}-db"]["image"].split(":")[1].startswith("15")


def test_base_images_are_variables_defaulting_to_the_public_ones(raw_compose):
    """Machines that cannot pull build stand-ins from Debian's packages (deploy/bases/)."""
    services = raw_compose["services"]
    assert services["rabbitmq"]["image"] == "${RABBITMQ_IMAGE:-rabbitmq:3.13-management}"
    for service in SERVICES:
        assert services[f"{service}-db"]["image"] == "${POSTGRES_IMAGE:-postgres:15}"
    for component in (*COMPONENTS, "topology"):
        assert services[component]["build"]["args"]["PYTHON_IMAGE"] == "${PYTHON_IMAGE:-python:3.11-slim}"
    local = interpolate(raw_compose, {**ENVIRONMENT, "RABBITMQ_IMAGE": "localhost/r", "POSTGRES_IMAGE": "localhost/p"})
    assert local["services"]["rabbitmq"]["image"] == "localhost/r"
    assert local["services"]["feed-db"]["image"] == "localhost/p"


def test_every_long_running_container_has_a_healthcheck(containers):
    for name, spec in containers.items():
        if name in ONE_SHOT:
            continue
        test = spec.get("healthcheck", {}).get("test")
        assert test and test[0] in ("CMD", "CMD-SHELL"), name
    rabbitmq_check = ["CMD", "rabbitmq-diagnostics", "-q", "check_port_connectivity"]  # ping passes before it listens
    assert containers["rabbitmq"]["healthcheck"]["test"] == rabbitmq_check
    for service in SERVICES:
        assert "pg_isready" in " ".join(containers[f"{service}-db"]["healthcheck"]["test"])
    # Exec form through the image's entrypoint: podman's API splits a `python -c "…"` on spaces.
    for component in COMPONENTS:
        assert containers[component]["healthcheck"]["test"] == ["CMD", "/usr/local/bin/entrypoint", "health"]


def test_the_topology_job_runs_once_after_the_broker(containers):
    job = containers["topology"]
    assert job["command"] == ["topology"]
    assert job.get("restart", "no") == "no"
    assert "healthcheck" not in job
    assert job["depends_on"] == {"rabbitmq": {"condition": "service_healthy"}}
    assert job["environment"]["AMQP_URI"] == AMQP_URI
    assert job["build"]["args"]["COMPONENT"] == "topology"


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_waits_for_broker_its_database_and_the_queues(containers, service):
    depends = containers[service]["depends_on"]
    assert depends["rabbitmq"]["condition"] == "service_healthy"
    assert depends[f"{service}-db"]["condition"] == "service_healthy"
    assert depends["topology"]["condition"] == "service_completed_successfully"
    other_databases = {f"{other}-db" for other in SERVICES if other != service}
    assert not other_databases & set(depends)


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_gets_its_settings_and_only_its_own_database(containers, service):
    env = containers[service]["environment"]
    assert env["AMQP_URI"] == AMQP_URI
    assert env["PSYCOPG_WAIT_FUNC"] == "wait_select"
    assert "LOG_LEVEL" in env
    assert [key for key in env if key.endswith("_DATABASE_URL")] == [f"{service.upper()}_DATABASE_URL"]
    url = urlsplit(database_url(containers, service))
    assert url.scheme == "postgresql"
    assert (url.hostname, url.port) == (f"{service}-db", 5432)
    db_env = containers[f"{service}-db"]["environment"]
    assert url.path == "/" + db_env["POSTGRES_DB"]
    assert (url.username, url.password) == (db_env["POSTGRES_USER"], db_env["POSTGRES_PASSWORD"])
    assert db_env["POSTGRES_PASSWORD"] == ENVIRONMENT["POSTGRES_PASSWORD"]


def test_no_two_services_share_a_database(containers):
    urls = [urlsplit(database_url(containers, s)) for s in SERVICES]
    assert len({u.hostname for u in urls}) == len(SERVICES)
    assert len({(u.hostname, u.path) for u in urls}) == len(SERVICES)
    data_volumes = [containers[f"{s}-db"]["volumes"][0].split(":")[0] for s in SERVICES]
    assert len(set(data_volumes)) == len(SERVICES)


def test_gateway_waits_for_the_queues_and_publishes_its_port(containers, raw_compose):
    gateway = containers["gateway"]
    depends = gateway["depends_on"]
    assert depends["rabbitmq"]["condition"] == "service_healthy"
    assert depends["topology"]["condition"] == "service_completed_successfully"
    assert gateway["ports"] == ["8000:8000"]
    moved = interpolate(raw_compose, {**ENVIRONMENT, "GATEWAY_PORT": "18000"})["services"]["gateway"]
    assert moved["ports"] == ["18000:8000"]
    env = gateway["environment"]
    assert env["AMQP_URI"] == AMQP_URI and env["PROMETHEUS_MULTIPROC_DIR"] and env["UPLOAD_DIR"]
    assert not [key for key in env if key.endswith("_DATABASE_URL")]


def test_content_writes_uploads_where_the_gateway_reads_them(containers):
    def mounts(name):
        return {v.split(":")[1]: v.split(":")[0] for v in containers[name].get("volumes", [])}

    assert containers["content"]["environment"]["UPLOAD_DIR"] == UPLOADS
    assert containers["gateway"]["environment"]["UPLOAD_DIR"] == UPLOADS
    assert mounts("content")[UPLOADS] == mounts("gateway")[UPLOADS]


def test_every_secret_comes_from_the_environment(raw_compose):
    """The file holds no password: each is an interpolated variable, required or empty by default."""
    found = []

    def walk(node, path):
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{path}.{key}")
        elif isinstance(node, list):
            for value in node:
                walk(value, path)
        elif isinstance(node, str):
            if re.search(r"(PASSWORD|PASS|SECRET|_KEY)$", path.rsplit(".", 1)[-1]):
                found.append((path, node))
            for password in re.findall(r"\w+://(?:\$\{[^}]*\}|[^:/@]*):([^@]*)@", node):
                found.append((path, password))

    walk(raw_compose, "")
    assert len(found) >= 10
    for path, value in found:
        assert re.fullmatch(r"\$\{[A-Z_]+(:\?[^}]*|:-)\}", value), (path, value)
    rabbitmq = raw_compose["services"]["rabbitmq"]
    assert rabbitmq["environment"]["RABBITMQ_DEFAULT_PASS"] == "${RABBITMQ_PASSWORD:?set RABBITMQ_PASSWORD}"
    # Published host ports are variables: the host's own broker may hold 15672.
    assert rabbitmq["ports"] == ["127.0.0.1:${RABBITMQ_MANAGEMENT_PORT:-15673}:15672"]
    donations = raw_compose["services"]["donations"]["environment"]
    assert donations["WIKISOCIAL_DEV_MODE"] == "${WIKISOCIAL_DEV_MODE:-}"


def test_named_volumes_are_declared(compose, containers):
    declared = set(compose["volumes"])
    for name, spec in containers.items():
        for volume in spec.get("volumes", []):
            source = volume.split(":")[0]
            if not source.startswith((".", "/")):
                assert source in declared, (name, source)
    assert {f"{s}-db-data" for s in SERVICES} | {"uploads"} <= declared


@pytest.mark.parametrize("component", (*COMPONENTS, "topology"))
def test_every_image_is_built_from_the_one_dockerfile(containers, component):
    spec = containers[component]
    assert spec["build"]["context"] == "."
    assert spec["build"]["dockerfile"] == "deploy/Dockerfile"
    assert spec["build"]["args"]["COMPONENT"] == component
    assert spec["build"]["args"]["PYTHON_IMAGE"] == "python:3.11-slim"
    assert spec["image"] == f"wikisocial/{component}:latest"


# --- deploy/Dockerfile and its entrypoint -------------------------------------------------------


@pytest.fixture(scope="module")
def dockerfile() -> list[str]:
    """Instructions, with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", (DEPLOY / "Dockerfile").read_text())
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_image_is_multi_stage_on_python_311_slim(dockerfile):
    args = dict(line.split(None, 1)[1].split("=", 1) for line in dockerfile if line.startswith("ARG ") and "=" in line)
    stages = [line.split()[1] for line in dockerfile if line.startswith("FROM ")]
    assert len(stages) >= 2
    for image in stages:
        resolved = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], image)
        assert resolved == "python:3.11-slim"
    assert any("pip wheel" in line for line in dockerfile)
    assert any(line.startswith("COPY --from=") for line in dockerfile)


def test_image_runs_as_a_non_root_user(dockerfile):
    last_from = max(i for i, line in enumerate(dockerfile) if line.startswith("FROM "))
    users = [line.split()[1] for line in dockerfile[last_from:] if line.startswith("USER ")]
    assert users, "the runtime stage sets no USER"
    assert users[-1].split(":")[0] == "10001"
    assert any("--uid 10001" in line for line in dockerfile)
    assert any(line.startswith("WORKDIR /app/${COMPONENT}") for line in dockerfile[last_from:])


def test_image_bakes_in_no_secret(dockerfile):
    for line in dockerfile:
        assert not re.search(r"(PASSWORD|SECRET|TOKEN)\s*=", line, re.IGNORECASE), line
        assert not re.search(r"\w+://[^/\s]*:[^/\s]*@", line), line  # a URL with credentials


def test_build_context_leaves_out_local_state():
    ignored = set((DEPLOY / "Dockerfile.dockerignore").read_text().split())
    assert {".git", ".venv", "var", "bench/results"} <= ignored
    assert ignored & {"__pycache__", "**/__pycache__"}


def stages(dockerfile: list[str]) -> dict[str, list[str]]:
    """Each stage's instructions, by the stage's name."""
    found: dict[str, list[str]] = {}
    for line in dockerfile:
        if line.startswith("FROM "):
            current = found.setdefault(line.split()[-1], [])
        elif found:
            current.append(line)
    return found


def bind_mounts(instruction: str) -> list[dict[str, str]]:
    mounts = [dict(part.split("=", 1) for part in m.split(",")) for m in re.findall(r"--mount=(\S+)", instruction)]
    return [mount for mount in mounts if mount.get("type") == "bind" and "from" in mount]


def test_a_cached_layer_never_holds_stale_code(dockerfile):
    """podman's --layers cache keys a RUN on its command, not on the files it bind-mounts from
    another stage (COPY is keyed on what it copies): every such RUN must follow, in its stage,
    a COPY of that stage's manifest, the sha256 of every file the mount shows. Without it, an
    image built after a code change installed the wheels of an earlier build."""
    recipe = stages(dockerfile)
    checked = 0
    for name, instructions in recipe.items():
        copied: set[str] = set()
        for instruction in instructions:
            copy = re.match(r"COPY --from=(\S+) (\S+\.sha256) ", instruction)
            if copy:
                copied.add(copy.group(1))
            for mount in bind_mounts(instruction) if instruction.startswith("RUN ") else ():
                source_stage = mount["from"]
                assert source_stage in copied, (name, instruction[:120])
                # The manifest covers what is mounted: that stage hashes the mounted folder.
                assert any(
                    re.search(rf"cd {re.escape(mount['source'])} && sha256sum .* > \S+\.sha256", line)
                    for line in recipe[source_stage]
                ), (source_stage, mount["source"])
                checked += 1
    assert checked >= 3, "the installs no longer bind-mount the wheels: revisit this test"


def test_the_dependencies_stage_is_shared_by_every_component(dockerfile, containers):
    """The dependencies' wheels are built once: their stage reads no code and no COMPONENT, and
    sees the pyproject.toml of every package an image installs (a missing one fails the build)."""
    deps = stages(dockerfile)["deps"]
    assert not any(line.startswith("ARG ") for line in deps), deps
    copied = {line.split()[1] for line in deps if line.startswith("COPY ")}
    components = {spec["build"]["args"]["COMPONENT"] for spec in containers.values() if "build" in spec} - ONE_SHOT
    sources = {"libs"} | {f"services/{c}" if c in SERVICES else c for c in components}
    assert {f"{source}/pyproject.toml" for source in sources} <= copied, copied
    assert copied <= {f"{source}/pyproject.toml" for source in sources} | {
        "requirements/lock.txt",
        "deploy/dependencies.py",
    }, copied


@pytest.fixture
def run_entrypoint(tmp_path):
    """Runs deploy/entrypoint.sh with stand-ins for python, nameko and gunicorn that print
    the directory they were started in and their arguments."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for program in ("python", "nameko", "gunicorn"):
        stub = bin_dir / program
        stub.write_text(f'#!/bin/sh\necho "$PWD|{program} $*"\n')
        stub.chmod(stub.stat().st_mode | stat.S_IXUSR)
    app = tmp_path / "app"
    for component in COMPONENTS:
        (app / component).mkdir(parents=True)

    def run(component: str | None, *args: str) -> subprocess.CompletedProcess:
        env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "APP_ROOT": str(app)}
        if component is not None:
            env["COMPONENT"] = component
        return subprocess.run(
            ["sh", str(DEPLOY / "entrypoint.sh"), *args], env=env, capture_output=True, text=True, timeout=10
        )

    run.app = app
    return run


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_image_runs_nameko_from_its_source_folder(run_entrypoint, service):
    done = run_entrypoint(service)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        f"{run_entrypoint.app / service}|python -m svclib.serve --config config.yml {service}.service"
    )
    health = run_entrypoint(service, "health")
    assert health.stdout.strip().endswith(f"|python -m svclib.healthcheck {service}")


def test_the_gateway_image_runs_gunicorn(run_entrypoint):
    done = run_entrypoint("gateway", "serve")
    assert done.returncode == 0, done.stderr
    where, command = done.stdout.strip().split("|")
    assert where == str(run_entrypoint.app / "gateway")
    assert command.startswith("gunicorn -c gunicorn.conf.py ")
    assert command.endswith(" gateway.app:create_app()")
    assert "/healthz" in run_entrypoint("gateway", "health").stdout


def test_the_topology_mode_declares_the_queues_of_every_service(run_entrypoint):
    expected = "python -m svclib.topology " + " ".join(f"{s}.service" for s in SERVICES)
    assert run_entrypoint("topology").stdout.strip().split("|")[1] == expected
    assert run_entrypoint("identity", "topology").stdout.strip().split("|")[1] == expected


def test_the_entrypoint_refuses_an_unknown_component(run_entrypoint):
    assert run_entrypoint("mailer").returncode != 0
    assert run_entrypoint(None).returncode != 0
    assert os.access(DEPLOY / "entrypoint.sh", os.X_OK)


# --- deploy/k8s ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def manifests() -> dict[str, list[dict]]:
    found = {}
    for path in sorted(K8S.glob("*.yaml")):
        found[path.name] = [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    return found


@pytest.fixture(scope="module")
def objects(manifests) -> dict[tuple[str, str], dict]:
    return {
        (doc["kind"], doc["metadata"]["name"]): doc
        for docs in manifests.values()
        for doc in docs
        if doc["kind"] != "Kustomization"
    }


def container(deployment: dict) -> dict:
    return deployment["spec"]["template"]["spec"]["containers"][0]


def test_every_manifest_parses_and_names_its_object(manifests):
    assert manifests
    for name, docs in manifests.items():
        assert docs, name
        for doc in docs:
            assert doc["apiVersion"] and doc["kind"], name
            if doc["kind"] != "Kustomization":
                assert doc["metadata"]["name"], name
                if doc["kind"] != "Namespace":
                    assert doc["metadata"]["namespace"] == "wikisocial", (name, doc["kind"])


def test_kustomization_lists_every_manifest_but_the_secret_template(manifests):
    listed = yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"]
    assert sorted(listed) == sorted(set(manifests) - {"kustomization.yaml", "secret.template.yaml"})


def test_there_is_a_deployment_per_service_and_for_the_gateway(objects):
    deployments = {name for kind, name in objects if kind == "Deployment"}
    assert deployments == {*COMPONENTS, "web"}
    for component in (*COMPONENTS, "web"):
        deployment = objects["Deployment", component]
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
        assert container(deployment)["image"] == f"wikisocial/{component}:latest"
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] == 10001


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_deployment_scales_probes_and_reads_only_its_database(objects, service):
    deployment = objects["Deployment", service]
    assert "replicas" not in deployment["spec"]  # its autoscaler owns it
    main = container(deployment)
    assert {"cpu", "memory"} <= set(main["resources"]["requests"])
    assert {"cpu", "memory"} <= set(main["resources"]["limits"])
    for probe in ("livenessProbe", "readinessProbe"):
        assert main[probe]["exec"]["command"] == ["python", "-m", "svclib.healthcheck", service]
    env = {item["name"]: item for item in main["env"]}
    assert [name for name in env if name.endswith("_DATABASE_URL")] == [f"{service.upper()}_DATABASE_URL"]
    assert env[f"{service.upper()}_DATABASE_URL"]["valueFrom"]["secretKeyRef"]["key"] == (
        f"{service.upper()}_DATABASE_URL"
    )
    assert "AMQP_URI" in env


def test_every_pod_starts_after_the_queues_are_declared(objects):
    job = objects["Job", "topology"]
    job_container = job["spec"]["template"]["spec"]["containers"][0]
    assert job_container["image"] == "wikisocial/topology:latest"
    assert job_container["args"] == ["topology"]
    for component in COMPONENTS:
        init = objects["Deployment", component]["spec"]["template"]["spec"]["initContainers"]
        assert [(c["image"], c["args"]) for c in init] == [("wikisocial/topology:latest", ["topology"])]


def test_gateway_has_a_service_an_autoscaler_and_a_disruption_budget(objects):
    deployment = objects["Deployment", "gateway"]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert "replicas" not in deployment["spec"]  # the autoscaler owns it
    service = objects["Service", "gateway"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert service["spec"]["ports"][0]["targetPort"] in ("http", 8000)
    hpa = objects["HorizontalPodAutoscaler", "gateway"]
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "gateway"}
    assert 1 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu"]
    assert {"cpu", "memory"} <= set(container(deployment)["resources"]["requests"])
    pdb = objects["PodDisruptionBudget", "gateway"]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    main = container(deployment)
    assert main["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert main["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_configuration_and_secrets_match_what_pods_read(objects):
    config = objects["ConfigMap", "wikisocial-config"]["data"]
    assert config["PSYCOPG_WAIT_FUNC"] == "wait_select"
    assert all(isinstance(value, str) for value in config.values())  # ConfigMap values are strings
    assert not any("://" in value for value in config.values())  # URLs carry credentials: Secret only
    secret = objects["Secret", "wikisocial-secrets"]["stringData"]
    assert all("CHANGE_ME" in value for value in secret.values())  # a template: placeholders only
    assert {"AMQP_URI", *(f"{s.upper()}_DATABASE_URL" for s in SERVICES)} <= set(secret)
    assert {"STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET"} <= set(secret)
    hosts = {urlsplit(secret[f"{s.upper()}_DATABASE_URL"]).hostname for s in SERVICES}
    assert len(hosts) == len(SERVICES)
    pods = [objects["Job", "topology"]["spec"]["template"]["spec"]]
    pods += [objects["Deployment", c]["spec"]["template"]["spec"] for c in COMPONENTS]
    for pod in pods:
        for box in pod["containers"] + pod.get("initContainers", []):
            for source in box.get("envFrom", []):
                assert ("ConfigMap", source["configMapRef"]["name"]) in objects
            for item in box.get("env", []):
                ref = item.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["name"] == "wikisocial-secrets" and ref["key"] in secret


def test_uploads_are_shared_by_content_and_the_gateway(objects):
    claim = objects["PersistentVolumeClaim", "uploads"]
    assert "ReadWriteMany" in claim["spec"]["accessModes"]
    for component in ("content", "gateway"):
        pod = objects["Deployment", component]["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in pod["volumes"]}
        mounts = {m["mountPath"]: m["name"] for m in pod["containers"][0]["volumeMounts"]}
        assert volumes[mounts[UPLOADS]]["persistentVolumeClaim"]["claimName"] == "uploads"


# --- what the images install ------------------------------------------------------------------


@pytest.mark.parametrize("folder", [*(f"services/{s}" for s in SERVICES), "gateway", "libs"])
def test_every_subpackage_goes_into_the_wheel(folder):
    """Images install wheels, not the source tree: a package left out of the wheel imports
    locally (editable install) and fails in the image."""
    import fnmatch
    import tomllib

    root = ROOT / folder
    settings = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = {
        ".".join(init.parent.relative_to(root).parts)
        for init in root.glob("*/**/__init__.py")
        if "tests" not in init.parts and not init.parent.relative_to(root).parts[0].startswith(("build", "."))
    }
    assert packages
    if isinstance(settings.get("packages"), list):
        shipped = set(settings["packages"])
    else:
        include = settings["packages"]["find"]["include"]
        shipped = {name for name in packages if any(fnmatch.fnmatchcase(name, pattern) for pattern in include)}
    assert packages <= shipped, packages - shipped


@pytest.mark.parametrize("component", (*COMPONENTS, "web", "topology"))
def test_only_gunicorn_components_count_metrics_in_files(tmp_path, component):
    """The images set PROMETHEUS_MULTIPROC_DIR (gunicorn's master makes the folder); a service or the
    topology job would die counting in files of a folder nobody made, so the entrypoint drops it."""
    env = {"PATH": "/usr/bin:/bin", "APP_ROOT": str(tmp_path), "COMPONENT": component}
    env["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path / "metrics")
    done = subprocess.run(
        ["sh", str(DEPLOY / "entrypoint.sh"), "sh", "-c", 'echo "${PROMETHEUS_MULTIPROC_DIR:-none}"'],
        env=env,
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert done.returncode == 0, done.stderr
    expected = env["PROMETHEUS_MULTIPROC_DIR"] if component in ("gateway", "web") else "none"
    assert done.stdout.strip() == expected
