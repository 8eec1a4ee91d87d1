"""``make bench-web``: the site's pages beside the same API calls made directly, and the weight
of the front page.

On a fresh stack (its own vhost and databases, removed at the end) with the demo data and a
post with 200 comments, signed in as a demo account:

1. the front page through the site, beside the call it makes (``GET /api/v1/feed/public``);
2. the post page through the site, beside the call it makes (the post with a page of its comments,
   ``GET /api/v1/posts/{id}?comments=quality``; its held edits only when the post says some are held,
   and here none are);
3. with wrk, each of those calls revalidated as the site makes it (``If-None-Match`` with the answer's tag as
   it stands before each round: 304s), so the site's page is also compared with the call it actually makes
   (``overhead_p50_beside_revalidated``), what the site adds to a client app that keeps answers itself.

The header's unread count is asked at most once every ``WEB_UNREAD_SECONDS`` (15) by a member's
session (``web.views.notifications``), so in a run each page makes one call; the direct rows make
that call. Each is run for ``--seconds`` (12) at concurrency 8, in ``--rounds`` (3) of equal length, the four
rows taking turns so that a page and its API call are measured at the same speed of a machine whose speed
drifts, giving requests per second over the rounds, the median round's p50/p95 latency, and the site's
overhead as the ratio of its p50 to the direct call's p50 (the median rounds', and round by round). What asks
is wrk (``--client wrk``, the default; as ``make bench-feed`` asks): the site's rows as browsers signed in,
each of wrk's two threads sending the session cookie the site last set (``bench/session.lua``), the API's with
the bearer token. wrk costs a few percent of what a page costs the stack; the client of the runs before
2026-12-06's late evening (``--client python``: threads of this process, each with its own pooled ``requests``
session) spent about as much CPU a page as the site itself on the same two cores, and its threads queued
on its GIL, both counted in its latencies. Beside each, the CPU time per page of the site's
processes and of the rest of the stack (gateway and services; RabbitMQ and PostgreSQL are not counted):
on a machine shared with other work, latencies move with the load but the CPU a page costs much less.
Every page asks the API afresh, with the tag of the answer the site last wrote that page from
(``If-None-Match``): as nothing changes here, the API answers 304 without a body (for these two calls without
asking the feed or content again, ``gateway.pagetags``); the site then gives the page it wrote from that
answer for the same reader, language, address and ages in words (``web.views.answer_page``). So the site's rows
measure its kept pages revalidated against the API (a reader reading a page again between changes), the direct
rows the API's full answer, body included, and the revalidated rows the call the site makes. A changed answer
is a page written anew (its feed cards kept by what each was written from: ``web.fragments``). Behind the
API some answers are kept (``KEPT`` below, written into the result): the load here only reads, so once read
they are answered kept throughout, as they would be between changes under real traffic (each is dropped the
moment a change touching it commits). Then the front page's weight: its HTML, CSS and JavaScript uncompressed
(pictures excluded), and how many of its references point at another host. Results go to
``bench/results/web-<UTC time>.json`` and a table on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests

from bench.gateway import ensure_wrk
from devstack import infra, seed
from devstack.stack import ROOT, Stack

RESULTS = ROOT / "bench" / "results"
CONCURRENCY = 8
# What the services keep of these pages' answers while nothing changes (svclib.kept), so what this bench measures
# of them between changes: a change drops them, and the next read costs what it did before they were kept.
KEPT = {
    "feed": "the front page (per sort and window) and each reader's unread count, until a change touching them",
    "web": "each page it wrote, by the API answer's tag (revalidated with If-None-Match on every page: a 304 here),"
    " the reader, language, address and ages in words; the feed cards it wrote, by the item (its JSON), the"
    " language and the post's age in words; a changed answer's page is written anew",
    "identity": "the names of a page's authors (and whom the reader blocked), until someone's names or the reader's"
    " blocks change",
}
PASSWORD = "demo-password-2026"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (gunicorn's master and workers), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        found.append(todo.pop())
        todo.extend(children.get(found[-1], []))
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time of these processes so far (0 where /proc cannot tell)."""
    ticks = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return ticks / os.sysconf("SC_CLK_TCK")


def load(
    unit: Callable[[requests.Session], None],
    seconds: float,
    make_session: Callable[[], requests.Session],
    processes: dict[str, int] | None = None,
) -> dict:
    """``unit`` run by CONCURRENCY threads for ``seconds`` (after a warm-up): its latencies in ms, the time
    measured, the errors, and the CPU seconds of each group of ``processes`` (name: a root pid) meanwhile."""
    latencies: list[list[float]] = [[] for _ in range(CONCURRENCY)]
    errors = [0] * CONCURRENCY
    stop = threading.Event()
    measuring = threading.Event()

    def worker(index: int) -> None:
        session = make_session()
        while not stop.is_set():
            started = time.perf_counter()
            try:
                unit(session)
            except Exception:  # noqa: BLE001 (counted, not hidden)
                errors[index] += 1
                continue
            if measuring.is_set():
                latencies[index].append((time.perf_counter() - started) * 1000)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(CONCURRENCY)]
    for thread in threads:
        thread.start()
    time.sleep(2)
    groups = {name: [p for root in roots for p in process_tree(root)] for name, roots in (processes or {}).items()}
    cpu_before = {name: cpu_seconds(pids) for name, pids in groups.items()}
    measuring.set()
    began = time.perf_counter()
    time.sleep(seconds)
    measuring.clear()
    elapsed = time.perf_counter() - began
    cpu_used = {name: cpu_seconds(pids) - cpu_before[name] for name, pids in groups.items()}
    stop.set()
    for thread in threads:
        thread.join(10)
    values = [v for per in latencies for v in per]
    return {"latencies": values, "elapsed": elapsed, "errors": sum(errors), "cpu_used": cpu_used}


def wrk_load(
    url: str, seconds: float, processes: dict[str, list[int]], cookie: str = "", token: str = "", etag: str = ""
) -> dict:
    """``url`` asked by wrk at CONCURRENCY connections for ``seconds`` (after a warm-up of 2), as a browser
    signed in with the session ``cookie`` (``bench/session.lua``: the cookie the site last set, per thread) or an
    app with the bearer ``token`` (revalidating the answer tagged ``etag``, when given): wrk's p50/p95/p99 and
    rate, and the CPU seconds of each group of
    ``processes`` (name: a root pid) meanwhile. wrk is written in C and spends a few percent of what the stack
    spends a request, where a Python client's threads took as much CPU as the site and queued on their GIL."""
    scripts = ROOT / "bench"
    env = {**os.environ, "WRK_PERCENTILES": str(scripts / "percentiles.lua"), "WRK_COOKIE": cookie}
    script = scripts / ("session.lua" if cookie else "percentiles.lua")
    headers = ["-H", f"Authorization: Bearer {token}"] if token else []
    headers += ["-H", f"If-None-Match: {etag}"] if etag else []
    base = [ensure_wrk(), "-t2", f"-c{CONCURRENCY}", "-s", str(script), *headers, url]
    subprocess.run([base[0], "-d2s", *base[1:]], capture_output=True, check=True, env=env)
    groups = {name: [p for root in roots for p in process_tree(root)] for name, roots in processes.items()}
    cpu_before = {name: cpu_seconds(pids) for name, pids in groups.items()}
    run = subprocess.run(
        [base[0], f"-d{max(1, round(seconds))}s", *base[1:]], capture_output=True, text=True, check=True, env=env
    )
    cpu_used = {name: cpu_seconds(pids) - cpu_before[name] for name, pids in groups.items()}
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    return {**figures, "elapsed": figures["requests"] / figures["rps"] if figures["rps"] else 0, "cpu_used": cpu_used}


def cpu_over(rounds: list[dict]) -> dict[str, float]:
    """The CPU seconds each group of processes used over all of a row's rounds."""
    cpu_used: dict[str, float] = {}
    for sample in rounds:
        for name, used in sample["cpu_used"].items():
            cpu_used[name] = cpu_used.get(name, 0.0) + used
    return cpu_used


def wrk_figures(rounds: list[dict]) -> dict:
    """One row of the table from its wrk rounds (``wrk_load``'s): the rate over all of them, the median round's
    p50 and p95 (wrk gives each round's percentiles, not its samples), the errors and the CPU ms a request of each
    group of processes; each round's figures beside them."""
    served = sum(sample["requests"] for sample in rounds)
    elapsed = sum(sample["elapsed"] for sample in rounds)
    cpu_used = cpu_over(rounds)
    return {
        "requests": served,
        "per_second": round(served / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(statistics.median(sample["p50_ms"] for sample in rounds), 2),
        "p95_ms": round(statistics.median(sample["p95_ms"] for sample in rounds), 2),
        "errors": sum(sample["errors"] for sample in rounds),
        "cpu_ms_per_request": {name: round(1000 * used / max(1, served), 2) for name, used in cpu_used.items()},
        "rounds": [{k: sample[k] for k in ("rps", "p50_ms", "p95_ms", "p99_ms", "errors")} for sample in rounds],
    }


def figures(rounds: list[dict]) -> dict:
    """One row of the table from its rounds (``load``'s samples): rate and latencies in ms over all of them,
    and the CPU ms per request of each group of processes."""
    values = [v for sample in rounds for v in sample["latencies"]]
    elapsed = sum(sample["elapsed"] for sample in rounds)
    cpu_used = cpu_over(rounds)
    return {
        "requests": len(values),
        "per_second": round(len(values) / elapsed, 1),
        "p50_ms": round(statistics.median(values), 2) if values else None,
        "p95_ms": round(percentile(values, 0.95), 2) if values else None,
        "errors": sum(sample["errors"] for sample in rounds),
        "cpu_ms_per_request": {name: round(1000 * used / max(1, len(values)), 2) for name, used in cpu_used.items()},
    }


def median_of(sample: dict) -> float | None:
    """A round's p50 in ms: wrk's, or the median of the Python client's latencies."""
    if "latencies" in sample:
        return statistics.median(sample["latencies"]) if sample["latencies"] else None
    return sample["p50_ms"]


def check(response: requests.Response) -> None:
    if response.status_code != 200:
        raise RuntimeError(f"{response.request.url}: {response.status_code}")


AT_ONCE = ThreadPoolExecutor(max_workers=CONCURRENCY * 5, thread_name_prefix="direct")


def at_once(session: requests.Session, *calls: tuple[str, dict | None]) -> None:
    """GET each ``(url, params)`` at once, as the site does, and wait for all of them."""
    futures = [AT_ONCE.submit(session.get, url, params=params, timeout=30) for url, params in calls]
    for future in futures:
        check(future.result())


def post_with_comments(api: str, token: str, count: int) -> str:
    """A post in a demo subwiki with ``count`` comments, a third of them replies."""
    auth = {"Authorization": f"Bearer {token}"}
    post = requests.post(
        f"{api}/subwikis/computing_history/posts",
        json={"kind": "article", "title": "A long discussion", "body": "Talk about the *Analytical Engine*."},
        headers=auth,
        timeout=30,
    ).json()
    parents: list[str] = []
    for n in range(count):
        parent = parents[n // 3] if n % 3 == 2 and parents else None
        body = {
            "body": f"Comment {n}: the engine's store held a thousand numbers of fifty digits.",
            "parent_id": parent,
        }
        made = requests.post(f"{api}/posts/{post['id']}/comments", json=body, headers=auth, timeout=30)
        made.raise_for_status()
        parents.append(made.json()["id"])
    return post["id"]


def signed_in_site(web: str) -> Callable[[], requests.Session]:
    """Sessions signed in to the site as ada (one sign-in: logins are rate-limited), each with its own pool."""
    first = requests.Session()
    page = first.get(f"{web}/signin", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = first.post(f"{web}/signin", data={"login": "ada", "password": PASSWORD, "csrf_token": token}, timeout=30)
    answer.raise_for_status()

    def make() -> requests.Session:
        session = requests.Session()
        session.cookies.update(first.cookies)
        return session

    return make


def page_weight(web: str, session: requests.Session) -> dict:
    html = session.get(f"{web}/?window=all", timeout=30)
    text = html.text
    references = re.findall(r'(?:src|href)="([^"]+)"', text)
    origin = urlsplit(web).netloc
    other_hosts = [r for r in references if urlsplit(urljoin(web, r)).netloc not in ("", origin)]
    assets = [r for r in references if re.search(r"/static/.+\.(css|js)$", r)]
    sizes = {r: len(session.get(urljoin(web, r), timeout=30).content) for r in assets}
    return {
        "html_bytes": len(html.content),
        "assets_bytes": sizes,
        "total_bytes": len(html.content) + sum(sizes.values()),
        "references_to_other_hosts": other_hosts,
    }


def write_report(kind: str, report: dict) -> Path:
    """The run's report written to ``bench/results/<kind>-<UTC time>.json``; its path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{kind}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    return out


def print_rows(results: dict, width: int) -> None:
    """A table of what was asked: req/s, p50/p95, errors and the CPU each process spent a request."""
    print(f"\n{'what':{width}} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7}  CPU ms a request")
    for name, row in results.items():
        cpu = ", ".join(f"{k} {v}" for k, v in row["cpu_ms_per_request"].items() if v)
        print(
            f"{name:{width}} {row['per_second']:>8} {row['p50_ms']!s:>8} {row['p95_ms']!s:>8} {row['errors']:>7}  {cpu}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.web")
    parser.add_argument("--seconds", type=float, default=12.0, help="measured seconds a row, over all its rounds")
    parser.add_argument("--rounds", type=int, default=3, help="rounds a row is measured in, the rows taking turns")
    parser.add_argument("--comments", type=int, default=200)
    parser.add_argument(
        "--client",
        choices=("wrk", "python"),
        default="wrk",
        help="what asks: wrk (C, a few percent of the stack's CPU), or threads of this Python process with requests"
        " (the client of the runs before 2026-12-06's late evening, which spent about as much CPU as the site)",
    )
    args = parser.parse_args()

    broker, postgres = infra.find_broker(), infra.find_postgres()
    if postgres is None:
        raise SystemExit("PostgreSQL is needed")
    vhost, run = broker.create_vhost(), uuid.uuid4().hex[:8]
    databases = {service: f"bench_web_{service}_{run}" for service in infra.SERVICES}
    env = {f"{s.upper()}_DATABASE_URL": postgres.create(db) for s, db in databases.items()}
    port, web_port = free_port(), free_port()
    env.update(AMQP_URI=broker.uri(vhost), PUBLIC_URL=f"http://127.0.0.1:{web_port}", GATEWAY_WORKERS="2")
    env.update(GATEWAY_THREADS="4", WEB_WORKERS="2", WEB_THREADS="4", UPLOAD_DIR=str(ROOT / "var" / f"bench-{run}"))
    log_dir = ROOT / "var" / "log" / f"bench-web-{run}"
    stack = Stack(env, port, log_dir, web_port=web_port)
    try:
        stack.start_all()
        stack.start_web(WEB_SECRET_KEY=uuid.uuid4().hex)
        stack.wait_web()
        seed.seed(stack.gateway_url)
        api, web = f"{stack.gateway_url}/api/v1", stack.web_url
        token = requests.post(f"{api}/auth/login", json={"login": "ada", "password": PASSWORD}, timeout=30).json()
        token = token["token"]
        post_id = post_with_comments(api, token, args.comments)
        time.sleep(2)  # the feed applies the new post's events

        def api_session() -> requests.Session:
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {token}"
            return session

        site_session = signed_in_site(web)
        site = {"site": [stack.processes["web"].pid]}
        rest = {"gateway and services": [stack.processes[name].pid for name in (*infra.SERVICES, "gateway")]}
        site_page = {**site, **rest}
        front_api = f"{api}/feed/public?sort=quality&window=week&limit=25"
        post_api = f"{api}/posts/{post_id}?comments=quality"
        cookie = "; ".join(f"{c.name}={c.value}" for c in site_session().cookies)
        plan = {
            "front page, site": (f"{web}/", site_page, "site"),
            "front page, API (1 call)": (front_api, rest, "api"),
            "post with 200 comments, site": (f"{web}/posts/{post_id}", site_page, "site"),
            "post with 200 comments, API (1 call)": (post_api, rest, "api"),
        }
        if args.client == "wrk":  # the same calls revalidated, as the site makes them: 304s, most without a call
            plan["front page, API revalidated"] = (front_api, rest, "revalidating")
            plan["post with 200 comments, API revalidated"] = (post_api, rest, "revalidating")

        def measure(url: str, processes: dict, who: str, seconds: float) -> dict:
            if args.client == "wrk":
                asking = {"cookie": cookie} if who == "site" else {"token": token}
                if who == "revalidating":  # the answer's tag as it is now (a feed page's changes as its ages move)
                    asking["etag"] = api_session().get(url, timeout=30).headers["ETag"]
                return wrk_load(url, seconds, processes, **asking)
            sessions = site_session if who == "site" else api_session
            return load(lambda s: check(s.get(url, timeout=30)), seconds, sessions, processes)

        # Each row is measured in rounds, the rows taking turns: the machine's speed drifts over a run, and a
        # page and its API call measured minutes apart would be compared at different speeds.
        samples: dict[str, list[dict]] = {name: [] for name in plan}
        for _ in range(args.rounds):
            for name, row in plan.items():
                samples[name].append(measure(*row, args.seconds / args.rounds))
        summed = wrk_figures if args.client == "wrk" else figures
        results = {name: summed(rounds) for name, rounds in samples.items()}
        weight = page_weight(web, site_session())
    finally:
        stack.stop_all()
        for database in databases.values():
            postgres.drop(database)
        broker.delete_vhost(vhost)

    def ratio(site: str, direct: str) -> float | None:
        a, b = results[site]["p50_ms"], results[direct]["p50_ms"]
        return round(a / b, 2) if a and b else None

    def round_ratio(site: str, direct: str, index: int) -> float | None:
        a, b = (median_of(samples[row][index]) for row in (site, direct))
        return round(a / b, 2) if a and b else None

    pages = {
        "front page": ("front page, site", "front page, API (1 call)"),
        "post page": ("post with 200 comments, site", "post with 200 comments, API (1 call)"),
    }
    # The site's page beside the call it makes as it makes it (revalidated, a 304): what the site adds to a client
    # that keeps answers itself.
    beside_revalidated = {
        page: (site, f"{site.split(', ')[0]}, API revalidated")
        for page, (site, _) in pages.items()
        if f"{site.split(', ')[0]}, API revalidated" in results
    }

    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "concurrency": CONCURRENCY,
        "client": args.client,
        "seconds": args.seconds,
        "rounds": args.rounds,
        "comments": args.comments,
        "kept": KEPT,
        "results": results,
        "overhead_p50": {page: ratio(*rows) for page, rows in pages.items()},
        "overhead_p50_by_round": {
            page: [round_ratio(*rows, index) for index in range(args.rounds)] for page, rows in pages.items()
        },
        "overhead_p50_beside_revalidated": {page: ratio(*rows) for page, rows in beside_revalidated.items()},
        "front_page_weight": weight,
    }
    out = write_report("web", report)
    print_rows(results, 44)
    print(f"\nsite overhead (p50 ratio): {report['overhead_p50']}, by round: {report['overhead_p50_by_round']}")
    print(f"beside the API call revalidated (p50 ratio): {report['overhead_p50_beside_revalidated']}")
    total = weight["total_bytes"] / 1024
    print(f"front page weight: {total:.1f} KiB (HTML {weight['html_bytes'] / 1024:.1f} KiB; target at most 80 KiB)")
    print(f"load average (1, 5, 15 min) at the end: {report['load_average']}")
    print(f"references to other hosts: {len(weight['references_to_other_hosts'])}\nwritten to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
