"""docker-compose.yml and the images, run: healthy, a journey through the gateway, the feed
scaled to two replicas, and nothing left after `down -v`. The tests run in this order."""

from __future__ import annotations

import collections
import json
import re
import shutil
import uuid
from pathlib import Path

import requests
import yaml

COMPONENTS = ("identity", "communities", "content", "feed", "donations", "gateway", "topology")
SERVICES = ("identity", "communities", "content", "feed", "donations")
PASSWORD = "a long enough password"
OCI_LABELS = ("title", "description", "version", "revision", "base.name")
ROOT = Path(__file__).resolve().parents[2]
ALERTS = ROOT / "deploy" / "observability" / "alerts.yml"
FORBIDDEN_PATH = re.compile(
    r"/(tests|build|\.venv|\.git|__pycache__|\.pytest_cache|[^/]+\.egg-info)(/|$)|/\.env$|\.(pem|key|pyc)$"
)


def test_every_image_runs_as_a_user_has_a_healthcheck_labels_and_no_secret(images, tools):
    assert set(COMPONENTS) <= set(images.names)
    for component in images.names:
        image = json.loads(tools.podman("image", "inspect", images.names[component]).stdout)[0]
        config = image["Config"]
        assert config["User"] == "10001:10001", component
        healthcheck = image.get("Healthcheck") or config.get("Healthcheck")  # podman's place, Docker's
        assert healthcheck["Test"] == ["CMD", "/usr/local/bin/entrypoint", "health"], component
        labels = config["Labels"]
        for label in OCI_LABELS:
            assert labels.get(f"org.opencontainers.image.{label}"), (component, label)
        assert labels["org.opencontainers.image.title"] == f"wikisocial-{component}"
        for variable in config["Env"]:
            name, _, value = variable.partition("=")
            assert not re.search(r"PASSWORD|SECRET|TOKEN|_KEY$", name), (component, name)
            assert not re.search(r"\w+://[^/\s]*:[^/\s]*@", value), (component, name)
        assert f"COMPONENT={component}" in config["Env"]
        history = tools.podman("image", "history", "--no-trunc", "--format", "{{.CreatedBy}}", images.names[component])
        assert not re.search(r"(PASSWORD|SECRET|TOKEN|_KEY)=", history.stdout), (component, history.stdout)


def test_images_hold_only_what_the_ignore_file_lets_in_and_no_key(images, tools):
    """deploy/Dockerfile.dockerignore is applied: no tests, build leftovers, caches, virtualenv,
    git history, environment file or private key reaches an image."""
    for component, name in images.names.items():
        with tools.image_root(name) as root:
            app = root / "app" / component
            assert app.is_dir() and (component == "topology" or any(app.iterdir())), component
            found = []
            for folder in (root / "app", root / "usr" / "local" / "bin", root / "root", root / "home"):
                for path in folder.rglob("*") if folder.is_dir() else ():
                    relative = "/" + str(path.relative_to(root))
                    if FORBIDDEN_PATH.search(relative):
                        found.append(relative)
                    elif path.is_file() and not path.is_symlink() and b"PRIVATE KEY-----" in path.read_bytes():
                        found.append(relative)
            assert not found, (component, found[:20])


def test_every_image_holds_this_trees_code(images, tools):
    """Byte for byte: svclib and the component's packages installed in each image, and the source
    folder it runs from, are the working tree's files (no module missing, none left over)."""
    stale = {}
    for component, name in images.names.items():
        with tools.image_root(name) as root:
            found = tools.stale_code(root, component)
        if found:
            stale[component] = found[:20]
    assert not stale, stale


def test_a_rebuild_after_a_code_change_holds_the_new_code(images, bases, tools, tmp_path):
    """The layer cache of the builds above never stands in for new code: the identity image built
    again from a copy of the tree where svclib and identity changed (a module edited, one added)
    holds the changed code. podman reused the install layer of an earlier build here, whose
    wheels held the old svclib, until the install followed a COPY of the wheels' hashes."""
    tree = tmp_path / "tree"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", ".pytest_cache", "tests")
    for folder in ("requirements", "deploy", "libs", "services", "gateway", "web"):
        shutil.copytree(ROOT / folder, tree / folder, ignore=ignore)
    token = uuid.uuid4().hex
    for module in (tree / "libs" / "svclib" / "logs.py", tree / "services" / "identity" / "identity" / "service.py"):
        module.write_text(module.read_text() + f"# rebuilt {token}\n")
    (tree / "libs" / "svclib" / f"rebuilt_{token[:8]}.py").write_text(f'TOKEN = "{token}"\n')
    name = f"localhost/wikisocial/identity:rebuilt-{token[:8]}"
    tools.build_image("identity", name, bases["PYTHON_IMAGE"], context=tree)
    try:
        with tools.image_root(name) as root:
            assert tools.stale_code(root, "identity", tree) == []
    finally:
        tools.podman("rmi", name, check=False)


def test_every_container_is_healthy(stack, tools):
    def all_healthy():
        health = stack.health()
        waiting = {name: state for name, state in health.items() if "topology" not in name and state != "healthy"}
        return not waiting and health

    health = tools.wait_until(all_healthy, 300, what="every container healthy")
    expected = {"rabbitmq", "gateway", *SERVICES, *(f"{s}-db" for s in SERVICES)} | (
        {"web"} if stack.has("web") else set()
    )
    assert expected <= {re.sub(r"^.*?_(.+)_\d+$", r"\1", name) for name in health}, health
    topology = [state for name, state in health.items() if "topology" in name]
    assert topology == ["exited (0)"], health
    ready = requests.get(stack.url + "/readyz", timeout=10).json()
    assert ready, ready


def register(session: requests.Session, base: str) -> tuple[str, str]:
    username = f"box_{uuid.uuid4().hex[:10]}"
    created = session.post(
        base + "/api/v1/auth/register",
        json={"username": username, "email": f"{username}@example.com", "password": PASSWORD},
        timeout=30,
    )
    assert created.status_code == 201, created.text
    login = session.post(base + "/api/v1/auth/login", json={"login": username, "password": PASSWORD}, timeout=30)
    assert login.status_code == 200, login.text
    return username, login.json()["token"]


def journey(base: str, wait_until) -> tuple[str, str]:
    """Register, sign in, open a subwiki, post, and read the post back from the feeds."""
    session = requests.Session()
    username, token = register(session, base)
    auth = {"Authorization": f"Bearer {token}"}
    slug = f"box_{uuid.uuid4().hex[:8]}"
    made = session.post(base + "/api/v1/subwikis", headers=auth, json={"slug": slug, "name": "Boxes"}, timeout=30)
    assert made.status_code == 201, made.text
    joined = session.put(base + f"/api/v1/subwikis/{slug}/membership", headers=auth, timeout=30)
    assert joined.status_code < 300, joined.text
    posted = session.post(
        base + f"/api/v1/subwikis/{slug}/posts",
        headers=auth,
        json={"kind": "text", "title": "From a container", "body": "Built, started and read back."},
        timeout=30,
    )
    assert posted.status_code == 201, posted.text
    post_id = posted.json()["id"]

    def in_subwiki():
        page = session.get(base + f"/api/v1/subwikis/{slug}/posts?sort=new", timeout=30).json()
        return post_id in {item["post"]["id"] for item in page["items"]}

    def in_home_feed():
        page = session.get(base + "/api/v1/feed?sort=new", headers=auth, timeout=30).json()
        return post_id in {item["post"]["id"] for item in page["items"]}

    wait_until(in_subwiki, 60, 1, what="the post in its subwiki's feed")
    wait_until(in_home_feed, 60, 1, what="the post in its author's home feed")
    return username, post_id


def csrf_token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html[:2000]
    return found.group(1)


def test_a_journey_through_the_gateway_and_the_site(stack, tools):
    username, post_id = journey(stack.url, tools.wait_until)
    assert requests.get(stack.url + "/api/v1/feed", timeout=30).status_code == 401
    # The site, a client of the gateway over the compose network: the same member signs in with
    # the form, finds the post on their home page and opens it.
    site = f"http://127.0.0.1:{stack.web_port}"
    browser = requests.Session()
    front = browser.get(site + "/", timeout=30)
    assert front.status_code == 200 and "<html" in front.text.lower(), front.status_code
    form = browser.get(site + "/signin", timeout=30)
    assert form.status_code == 200, form.status_code
    signed_in = browser.post(
        site + "/signin",
        data={"login": username, "password": PASSWORD, "csrf_token": csrf_token(form.text)},
        timeout=30,
    )
    assert signed_in.status_code == 200 and signed_in.url.endswith("/home"), (signed_in.status_code, signed_in.url)
    assert "From a container" in signed_in.text and f"/posts/{post_id}" in signed_in.text, signed_in.text[-3000:]
    post = browser.get(site + f"/posts/{post_id}", timeout=30)
    assert post.status_code == 200 and "Built, started and read back." in post.text, post.status_code


def test_the_feed_scales_to_two_replicas(stack, tools):
    scaled = stack.compose("up", "-d", "--no-build", "--no-recreate", "--scale", "feed=2", timeout=900, check=False)
    assert scaled.returncode == 0, scaled.stderr[-4000:]

    def two_healthy_feeds():
        feeds = [name for name, state in stack.health().items() if re.search(r"_feed_\d+$", name)]
        healthy = [name for name, state in stack.health().items() if name in feeds and state == "healthy"]
        return len(feeds) == 2 and len(healthy) == 2 and feeds

    tools.wait_until(two_healthy_feeds, 300, what="two healthy feed replicas")
    rabbit = next(name for name in stack.health() if re.search(r"_rabbitmq_\d+$", name))
    queues = tools.podman("exec", rabbit, "rabbitmqctl", "-q", "list_queues", "name", "consumers").stdout
    rows = [line.split() for line in queues.splitlines()]
    consumers = {row[0]: int(row[1]) for row in rows if len(row) == 2 and row[1].isdigit()}  # not the header
    assert consumers.get("rpc-feed") == 2, queues
    journey(stack.url, tools.wait_until)  # the feed still answers, whichever replica takes each message


def test_prometheus_scrapes_every_process_and_evaluates_the_alert_rules(stack, tools):
    """The observability profile's Prometheus (Debian's, where no registry answers) beside the running
    stack: every process's /metrics, each feed replica's included, is a target that is up; every alert
    rule of deploy/observability/alerts.yml is loaded and evaluated without error; the journeys'
    requests are counted by the gateway and the services."""
    started = stack.compose(
        *tools.PROFILES, "up", "-d", "--no-build", "--no-deps", "prometheus", timeout=600, check=False
    )
    assert started.returncode == 0, started.stderr[-4000:]
    api = f"http://127.0.0.1:{stack.prometheus_port}/api/v1"
    feeds = len([name for name in stack.health() if re.search(r"_feed_\d+$", name)])
    replicas = len(SERVICES) - 1 + feeds  # each replica's requests and background processes (svclib.serve)
    expected = {"services": replicas, "services-background": replicas, "gateway": 1}
    expected |= {"web": 1} if stack.has("web") else {}

    def every_target_up():
        targets = requests.get(api + "/targets", timeout=10).json()["data"]["activeTargets"]
        jobs = collections.Counter(target["labels"]["job"] for target in targets)
        down = [(target["scrapeUrl"], target["lastError"]) for target in targets if target["health"] != "up"]
        return jobs == expected and not down and targets

    tools.wait_until(every_target_up, 240, what=f"Prometheus scraping {expected}, every target up")
    declared = {rule["alert"] for group in yaml.safe_load(ALERTS.read_text())["groups"] for rule in group["rules"]}

    def rules_evaluated():
        groups = requests.get(api + "/rules", timeout=10).json()["data"]["groups"]
        rules = {rule["name"]: rule for group in groups for rule in group["rules"]}
        return set(rules) == declared and all(
            r["health"] == "ok" and r["lastEvaluation"][:4] != "0001" for r in rules.values()
        )

    tools.wait_until(rules_evaluated, 120, what="every alert rule loaded and evaluated")

    def counted(expr: str) -> float:
        result = requests.get(api + "/query", params={"query": expr}, timeout=10).json()["data"]["result"]
        return float(result[0]["value"][1]) if result else 0.0

    tools.wait_until(lambda: counted("sum(gateway_requests_total)") > 0, 60, what="the gateway's requests counted")
    tools.wait_until(lambda: counted("sum(svc_rpc_calls_total)") > 0, 60, what="the services' RPCs counted")
    tools.wait_until(lambda: counted("sum(svc_events_handled_total)") > 0, 60, what="the services' events counted")


def test_down_leaves_nothing(stack):
    stack.down()
    assert stack.leftovers() == {"containers": [], "volumes": [], "networks": [], "pods": []}
