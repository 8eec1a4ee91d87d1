"""The platform's images and compose file, run on a real container engine.

`make test-containers` installs the engine where it is missing (Debian's podman, as root),
builds the base images from Debian's packages when no image registry answers, builds every
component's image from deploy/Dockerfile, and brings docker-compose.yml up through podman's
Docker-compatible API with Debian's docker-compose. Where no engine can be had the run stops
with a clear message and a non-zero exit: it never counts as passing.

Settings (environment):
  CONTAINER_BASES   auto (default): the public base images if a registry answers, else local
                    ones; `local` or `registry` to choose.
  CONTAINERS_PROJECT  the compose project's name (default wikisocial-test).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests
import yaml

ROOT = Path(__file__).resolve().parents[2]
BASES = ROOT / "deploy" / "bases"
CONTAINERS_CONF = BASES / "containers.conf"
COMPONENTS = ("identity", "communities", "content", "feed", "donations", "gateway", "topology")
SERVICES = ("identity", "communities", "content", "feed", "donations")
PUBLIC_BASES = {
    "PYTHON_IMAGE": "python:3.11-slim",
    "POSTGRES_IMAGE": "postgres:15",
    "RABBITMQ_IMAGE": "rabbitmq:3.13-management",
    "PROMETHEUS_IMAGE": "prom/prometheus:v2.53.0",
}
LOCAL_DEBIAN = "localhost/wikisocial/debian:bookworm"
LOCAL_BASES = {
    "PYTHON_IMAGE": ("localhost/wikisocial/python:3.11", "python.Dockerfile"),
    "POSTGRES_IMAGE": ("localhost/wikisocial/postgres:15", "postgres.Dockerfile"),
    "RABBITMQ_IMAGE": ("localhost/wikisocial/rabbitmq:3", "rabbitmq.Dockerfile"),
    # The observability profile's Prometheus (Grafana has no Debian package: its dashboards are
    # checked as files by tests/deploy/test_observability.py).
    "PROMETHEUS_IMAGE": ("localhost/wikisocial/prometheus:2", "prometheus.Dockerfile"),
}
# Debian packages: the engine, its runtime and networking, the API's client, the base builder.
ENGINE_PACKAGES = (
    "podman",
    "buildah",
    "runc",
    "fuse-overlayfs",
    "slirp4netns",
    "netavark",
    "aardvark-dns",
    "uidmap",
    "debootstrap",
    "catatonit",
    "iptables",
    "docker-compose",
)
NO_ENGINE_EXIT = 3


def log(message: str) -> None:
    print(f"[containers] {message}", flush=True)


def engine_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "CONTAINERS_CONF": str(CONTAINERS_CONF), **extra}


def run(*args: str, timeout: float = 600, check: bool = True, env: dict | None = None, **kwargs):
    done = subprocess.run(
        list(args), env=env or engine_env(), capture_output=True, text=True, timeout=timeout, **kwargs
    )
    if check and done.returncode != 0:
        output = f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        raise AssertionError(f"{' '.join(args)} exited {done.returncode}:\n{output}")
    return done


def podman(*args: str, **kwargs):
    return run("podman", *args, **kwargs)


@contextlib.contextmanager
def image_root(name: str):
    """The image's files, read-only, at a path of this machine (podman as root)."""
    mounted = Path(podman("image", "mount", name).stdout.strip())
    try:
        yield mounted
    finally:
        podman("image", "unmount", name, check=False)


# --- the engine ----------------------------------------------------------------------------------


def missing_packages() -> list[str]:
    if not shutil.which("dpkg-query"):
        return [] if shutil.which("podman") and shutil.which("docker-compose") else list(ENGINE_PACKAGES)
    missing = []
    for package in ENGINE_PACKAGES:
        status = subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True, check=False
        ).stdout
        if "install ok installed" not in status:
            missing.append(package)
    return missing


def ensure_engine() -> str | None:
    """None when podman runs containers here, else why not."""
    missing = missing_packages()
    if missing:
        if os.geteuid() != 0 or not shutil.which("apt-get"):
            return f"missing {' '.join(missing)}, and installing needs root and apt-get"
        log(f"installing {' '.join(missing)} from Debian's packages")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False, capture_output=True)
        install = subprocess.run(
            ["apt-get", "install", "-y", "-qq", *missing], env=env, check=False, capture_output=True, text=True
        )
        if install.returncode != 0:
            return f"apt-get install {' '.join(missing)} failed:\n{install.stderr[-2000:]}"
    if os.geteuid() != 0:
        return "the tests run podman as root (rootless podman needs subordinate ids set up by hand)"
    try:
        info = podman("info", "--format", "json", check=False, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"podman does not answer: {error}"
    if info.returncode != 0:
        return f"podman info failed:\n{info.stderr[-2000:]}"
    return None


@pytest.fixture(scope="session")
def engine():
    started = time.monotonic()
    reason = ensure_engine()
    if reason:
        pytest.exit(
            f"NOT TESTED: no container engine could be installed on this machine ({reason}). "
            "The images and docker-compose.yml were not run; this is not a pass.",
            returncode=NO_ENGINE_EXIT,
        )
    REPORT["engine ready (s)"] = round(time.monotonic() - started, 1)


@pytest.fixture(scope="session")
def api_socket(engine, tmp_path_factory):
    """podman's Docker-compatible API, for docker-compose."""
    path = Path(tempfile.mkdtemp(prefix="podman-api-")) / "podman.sock"
    service = subprocess.Popen(
        ["podman", "system", "service", "--time=0", f"unix://{path}"],
        env=engine_env(),
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path_factory.mktemp("podman") / "service.log", "w"),  # noqa: SIM115
    )
    deadline = time.monotonic() + 60
    while not path.exists() and time.monotonic() < deadline:
        assert service.poll() is None, "podman system service exited"
        time.sleep(0.2)
    assert path.exists(), "podman's API socket did not appear"
    yield f"unix://{path}"
    service.terminate()
    try:
        service.wait(timeout=20)
    except subprocess.TimeoutExpired:
        service.kill()
    shutil.rmtree(path.parent, ignore_errors=True)


# --- base images ---------------------------------------------------------------------------------


def image_exists(name: str) -> bool:
    return podman("image", "exists", name, check=False).returncode == 0


def registry_answers() -> bool:
    if image_exists(PUBLIC_BASES["PYTHON_IMAGE"]):
        return True
    try:
        pulled = podman("pull", "-q", f"docker.io/library/{PUBLIC_BASES['PYTHON_IMAGE']}", check=False, timeout=45)
    except subprocess.TimeoutExpired:
        return False
    return pulled.returncode == 0


def debian_mirror() -> str:
    """The Debian mirror apt uses on this machine (debootstrap's default elsewhere)."""
    for path in [Path("/etc/apt/sources.list"), *sorted(Path("/etc/apt/sources.list.d").glob("*"))]:
        try:
            text = path.read_text()
        except OSError:
            continue
        for line in text.splitlines():
            words = line.split()
            if line.startswith("deb ") and len(words) > 2 and words[1].rstrip("/").endswith("/debian"):
                return words[1]
            if line.startswith("URIs:") and len(words) > 1 and words[1].rstrip("/").endswith("/debian"):
                return words[1]
    return "http://deb.debian.org/debian"


def build_local_debian() -> None:
    with tempfile.TemporaryDirectory(prefix="debootstrap-") as target:
        log(f"debootstrap --variant=minbase bookworm from {debian_mirror()}")
        run("debootstrap", "--variant=minbase", "bookworm", target, debian_mirror(), timeout=1800)
        for leftover in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for item in (Path(target) / leftover).glob("*"):
                if item.is_file():
                    item.unlink()
        tar = subprocess.Popen(["tar", "-C", target, "-c", "."], stdout=subprocess.PIPE)
        imported = subprocess.run(
            ["podman", "import", "--change", 'CMD ["/bin/bash"]', "-", LOCAL_DEBIAN],
            stdin=tar.stdout,
            env=engine_env(),
            capture_output=True,
            text=True,
            timeout=600,
        )
        tar.wait()
        assert imported.returncode == 0, imported.stderr


def build_local_bases() -> dict[str, str]:
    """Debian from debootstrap, then Python, PostgreSQL and RabbitMQ on it from Debian's packages."""
    if not image_exists(LOCAL_DEBIAN):
        build_local_debian()
    with tempfile.TemporaryDirectory(prefix="bases-") as context:
        for item in BASES.iterdir():
            shutil.copy2(item, context)
        # Where the package index is reached through a TLS proxy, the builds must trust its CA.
        ca = Path(context) / "ca"
        ca.mkdir()
        for cert in Path("/usr/local/share/ca-certificates").glob("**/*.crt"):
            shutil.copy2(cert, ca / cert.name)
        for name, recipe in LOCAL_BASES.values():
            started = time.monotonic()
            podman(
                "build",
                "--format",
                "docker",
                "--layers",
                "-f",
                str(Path(context) / recipe),
                "--build-arg",
                f"DEBIAN_IMAGE={LOCAL_DEBIAN}",
                "-t",
                name,
                context,
                timeout=1800,
            )
            REPORT[f"base {name} (s)"] = round(time.monotonic() - started, 1)
    return {variable: name for variable, (name, _) in LOCAL_BASES.items()}


@pytest.fixture(scope="session")
def bases(engine) -> dict[str, str]:
    choice = os.environ.get("CONTAINER_BASES", "auto")
    if choice == "registry" or (choice == "auto" and registry_answers()):
        REPORT["base images"] = "public"
        return dict(PUBLIC_BASES)
    REPORT["base images"] = "local (debootstrap and Debian's packages)"
    return build_local_bases()


# --- the component images ------------------------------------------------------------------------


@dataclass
class Images:
    names: dict[str, str]
    seconds: dict[str, float] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)


def build_image(component: str, name: str, python_image: str, context: Path = ROOT, revision: str = "unknown"):
    """deploy/Dockerfile for one component, as compose would build it, with podman's layer cache."""
    podman(
        "build",
        "--format",
        "docker",  # the OCI format has no HEALTHCHECK
        "--layers",
        "-f",
        str(context / "deploy" / "Dockerfile"),
        "--ignorefile",
        str(context / "deploy" / "Dockerfile.dockerignore"),
        "--build-arg",
        f"COMPONENT={component}",
        "--build-arg",
        f"PYTHON_IMAGE={python_image}",
        "--build-arg",
        f"REVISION={revision}",
        "-t",
        name,
        str(context),
        timeout=1800,
    )


@pytest.fixture(scope="session")
def images(bases) -> Images:
    revision = run("git", "-C", str(ROOT), "rev-parse", "--short", "HEAD", check=False).stdout.strip() or "unknown"
    # Every service of docker-compose.yml that compose would build, under the name compose uses.
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    built = Images({spec["build"]["args"]["COMPONENT"]: spec["image"] for spec in services.values() if "build" in spec})
    assert set(COMPONENTS) <= set(built.names), built.names
    for component, name in built.names.items():
        started = time.monotonic()
        build_image(component, name, bases["PYTHON_IMAGE"], revision=revision)
        built.seconds[component] = round(time.monotonic() - started, 1)
        built.sizes[component] = int(podman("image", "inspect", name, "--format", "{{.Size}}").stdout.strip())
        log(f"built {name} in {built.seconds[component]} s, {built.sizes[component] / 1e6:.0f} MB")
    REPORT["images"] = {
        component: f"{built.sizes[component] / 1e6:.0f} MB, built in {built.seconds[component]} s"
        for component in built.names
    }
    return built


# --- the code inside an image --------------------------------------------------------------------

# What deploy/Dockerfile.dockerignore keeps out of every image, and what Python or setuptools
# write beside the code.
NOT_CODE = {"__pycache__", "tests", "build", ".pytest_cache"}


def files_and_hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file under folder, by path relative to it (caches and tests left out)."""
    found = {}
    for path in folder.rglob("*"):
        relative = path.relative_to(folder)
        if any(part in NOT_CODE or part.endswith(".egg-info") for part in relative.parts) or path.suffix == ".pyc":
            continue
        if path.is_file() and not path.is_symlink():
            found[str(relative)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def code_of(component: str, tree: Path) -> tuple[dict[str, Path], Path | None]:
    """The packages a component's image installs (name: folder in the tree), and its source folder."""
    if component in SERVICES:
        return {"svclib": tree / "libs" / "svclib", component: tree / "services" / component / component}, (
            tree / "services" / component
        )
    if component == "topology":
        return {"svclib": tree / "libs" / "svclib"} | {s: tree / "services" / s / s for s in SERVICES}, None
    if component == "web":  # a client of the public API: no svclib
        return {"web": tree / "web" / "web"}, tree / "web"
    return {"svclib": tree / "libs" / "svclib", component: tree / component / component}, tree / component


def stale_code(root: Path, component: str, tree: Path = ROOT) -> list[str]:
    """How the image's code (mounted at root) differs from the tree's, file by file and byte for
    byte: its installed packages (every module of the tree, and nothing the tree does not hold; no
    svclib in the site's) and the source folder it runs from. Empty when the image holds exactly this tree's code."""
    packages, source = code_of(component, tree)
    found = []
    for package, folder in packages.items():
        installed = next(root.glob(f"usr/local/lib/python3*/*-packages/{package}"), None)
        if installed is None:
            found.append(f"{package}: not installed")
            continue
        have, want = files_and_hashes(installed), files_and_hashes(folder)
        for relative, digest in sorted(want.items()):
            if (relative.endswith(".py") or relative in have) and have.get(relative) != digest:
                found.append(f"{package}/{relative}: {'differs' if relative in have else 'missing'}")
        found += [f"{package}/{relative}: not in the tree" for relative in sorted(have.keys() - want.keys())]
    if "svclib" not in packages and next(root.glob("usr/local/lib/python3*/*-packages/svclib"), None):
        found.append("svclib: installed in an image whose component does not use it")
    if source is not None:
        have, want = files_and_hashes(root / "app" / component), files_and_hashes(source)
        for relative in sorted(have.keys() | want.keys()):
            if have.get(relative) != want.get(relative):
                state = "missing" if relative not in have else "not in the tree" if relative not in want else "differs"
                found.append(f"/app/{component}/{relative}: {state}")
    return found


# --- the stack -----------------------------------------------------------------------------------

# `down` with the profiles a test starts services of, so that theirs go too.
PROFILES = ("--profile", "observability")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Stack:
    """docker-compose.yml under one project name, through podman's API."""

    def __init__(self, socket_url: str, bases: dict[str, str], workdir: Path):
        self.project = os.environ.get("CONTAINERS_PROJECT", "wikisocial-test")
        self.gateway_port = free_port()
        self.web_port = free_port()
        self.prometheus_port = free_port()
        self.workdir = workdir
        self.env = engine_env(
            DOCKER_HOST=socket_url,
            COMPOSE_PROJECT_NAME=self.project,
            COMPOSE_HTTP_TIMEOUT="600",
            GATEWAY_PORT=str(self.gateway_port),
            WEB_PORT=str(self.web_port),
            RABBITMQ_MANAGEMENT_PORT=str(free_port()),
            PROMETHEUS_PORT=str(self.prometheus_port),
            PUBLIC_URL=f"http://127.0.0.1:{self.gateway_port}",
            # Every secret from the environment, made for this run.
            POSTGRES_PASSWORD=secrets.token_hex(16),
            RABBITMQ_PASSWORD=secrets.token_hex(16),
            WEB_SECRET_KEY=secrets.token_hex(32),
            # The offline payment provider runs only in development mode.
            WIKISOCIAL_DEV_MODE="1",
            OFFLINE_WEBHOOK_SECRET=secrets.token_hex(16),
            **bases,
        )
        self.healthchecks: subprocess.Popen | None = None
        self.down_done = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    def compose(self, *args: str, timeout: float = 900, check: bool = True):
        command = ("docker-compose", "-f", str(ROOT / "docker-compose.yml"), *args)
        return run(*command, env=self.env, timeout=timeout, check=check)

    def has(self, service: str) -> bool:
        return service in yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]

    def start_healthchecks(self) -> None:
        """No systemd here, so podman runs no healthcheck by itself: run them while the stack lives.
        Containers still starting (or unhealthy) are checked every few seconds, healthy ones now and then."""
        label = f"label=com.docker.compose.project={self.project}"
        script = f"""
        n=0
        while :; do
          if [ $((n % 10)) = 0 ]; then filter=""; else filter="--filter health=starting --filter health=unhealthy"; fi
          for id in $(podman ps -q --filter {label} $filter); do podman healthcheck run "$id" >/dev/null 2>&1; done
          n=$((n + 1)); sleep 3
        done
        """
        self.healthchecks = subprocess.Popen(
            ["sh", "-c", script],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def stop_healthchecks(self) -> None:
        if self.healthchecks and self.healthchecks.poll() is None:
            os.killpg(self.healthchecks.pid, 15)
            self.healthchecks.wait(timeout=20)

    def containers(self, *filters: str) -> list[dict]:
        args = ["ps", "-a", "--format", "json", "--filter", f"label=com.docker.compose.project={self.project}"]
        for extra in filters:
            args += ["--filter", extra]
        return json.loads(podman(*args).stdout or "[]")

    def health(self) -> dict[str, str]:
        """Container name: its health while it runs with a healthcheck, else its state and exit code."""
        found = {}
        for box in self.containers():
            name = box["Names"][0]
            inspected = json.loads(podman("inspect", name).stdout)[0]["State"]
            health = (inspected.get("Health") or inspected.get("Healthcheck") or {}).get("Status")
            # An exited container keeps its last health: its state says more.
            if inspected["Status"] != "running" or not health:
                health = f"{inspected['Status']} ({inspected.get('ExitCode')})"
            found[name] = health
        return found

    def leftovers(self) -> dict[str, list[str]]:
        label = f"label=com.docker.compose.project={self.project}"
        return {
            "containers": [c["Names"][0] for c in self.containers()],
            "volumes": podman("volume", "ls", "-q", "--filter", label).stdout.split(),
            "networks": podman("network", "ls", "-q", "--filter", label).stdout.split(),
            "pods": podman("pod", "ps", "-q", "--filter", f"name={self.project}").stdout.split(),
        }

    def logs(self) -> str:
        return self.compose("logs", "--no-color", "--tail", "60", check=False, timeout=120).stdout[-20000:]

    def down(self) -> None:
        self.compose(*PROFILES, "down", "-v", "--remove-orphans", "--timeout", "20", timeout=600)
        self.down_done = True


def wait_until(check, timeout: float, interval: float = 2.0, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except (requests.RequestException, ValueError, KeyError) as error:
            last = error
        else:
            if last and not isinstance(last, Exception):
                return last
        time.sleep(interval)
    raise AssertionError(f"{what} did not happen in {timeout} s (last: {last!r})")


@pytest.fixture(scope="session")
def stack(api_socket, bases, images, tmp_path_factory):
    stack = Stack(api_socket, bases, tmp_path_factory.mktemp("compose"))
    stack.compose(
        *PROFILES, "down", "-v", "--remove-orphans", "--timeout", "5", check=False, timeout=600
    )  # a past run's
    stack.start_healthchecks()
    started = time.monotonic()
    try:
        up = stack.compose("up", "-d", "--no-build", timeout=1200, check=False)
        assert up.returncode == 0, f"docker-compose up failed:\n{up.stderr[-4000:]}\n{stack.logs()}"

        def ready():
            response = requests.get(stack.url + "/readyz", timeout=10)
            return response.status_code == 200 and response.json()

        wait_until(ready, 300, what="the gateway's /readyz")
        REPORT["compose up until /readyz (s)"] = round(time.monotonic() - started, 1)
        yield stack
    finally:
        if not stack.down_done:
            log(stack.logs())
            stack.compose(*PROFILES, "down", "-v", "--remove-orphans", "--timeout", "10", check=False, timeout=600)
        stack.stop_healthchecks()


REPORT: dict[str, object] = {}


@pytest.fixture(scope="session")
def tools():
    """This module's helpers, for the tests (a test module cannot import a conftest by name)."""
    return sys.modules[__name__]


def pytest_terminal_summary(terminalreporter):
    if REPORT:
        terminalreporter.section("containers")
        for key, value in REPORT.items():
            if isinstance(value, dict):
                terminalreporter.write_line(f"{key}:")
                for inner, text in value.items():
                    terminalreporter.write_line(f"  {inner}: {text}")
            else:
                terminalreporter.write_line(f"{key}: {value}")
