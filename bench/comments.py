"""``make bench-comments``: what a post page's discussion costs through the gateway.

The targets it checks (issue 15: a post with 2,000 comments, its first comment page p95 at most 30 ms
through the gateway; issue 13: the site's post page with 200 comments signed in at concurrency 8,
p95 at most 60 ms, of which the API calls are the bulk) are about the gateway and the services, so
this bench drives the API alone, not the site (``make bench-web`` measures the site beside it).

On a fresh stack (its own vhost and databases, dropped at the end) seeded small with ``bench.seed``
(a thousand accounts; the discussion's authors are many people, as on a busy post, so a page names
dozens of them), one post gets 2,000 comments and another 200, shaped as ``bench.feed.discussion``
writes them (a fifth start a thread, the rest reply, nesting down to 8 levels). Then, each for
``--seconds`` at concurrency 8 (threads of this process, each with its own pooled HTTP session,
after a 2 s warm-up):

1. the 2,000-comment post's first comment page by date (the API's default), anonymous;
2. the same page by score (the site's default sort), signed in;
3. the post page's API calls for the 200-comment post, signed in, made at once as the site makes them
   (the post with its comments by score, ``GET /posts/{id}?comments=quality``, and the unread count);
4. beside it, the three calls a post page made before the API answered a post with its comments (the post,
   its comments by score, the unread count), for comparison in the same run.

Each gives req/s, p50/p95 latency, errors and the CPU milliseconds per request of each service's
processes and the gateway's (RabbitMQ and PostgreSQL are shared with whatever else the machine runs
and are not counted). The load average is written beside the figures: on a shared machine the
latencies move with it, the CPU per request much less. Results go to
``bench/results/comments-<UTC time>.json`` and a table on stdout.
"""

from __future__ import annotations

import argparse
import os
import socket
from datetime import UTC, datetime

import psycopg
import requests

from bench.feed import discussion
from bench.seed import fresh_databases, seed
from bench.web import at_once, check, load, print_rows, write_report
from devstack import infra
from devstack.stack import ROOT, Stack

SCALE = 0.002  # 1,000 accounts, 2,000 posts: enough people and posts around the two discussions measured
PASSWORD = "benchmark password"  # bench.seed's, for every seeded account


def _two_posts(content_url: str) -> tuple[str, str]:
    """The two newest seeded posts: the first gets 2,000 comments, the second 200."""
    with psycopg.connect(content_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        rows = conn.execute("SELECT id FROM posts WHERE removed_at IS NULL ORDER BY created_at DESC LIMIT 2").fetchall()
    return rows[0][0], rows[1][0]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.comments")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()

    broker, postgres = infra.find_broker(), infra.find_postgres()
    if postgres is None:
        raise SystemExit("PostgreSQL is needed")
    load_before = [round(x, 2) for x in os.getloadavg()]
    with fresh_databases(broker, postgres, "comments") as (vhost, urls):
        seeded = seed(urls, SCALE)
        big, small = _two_posts(urls["content"])
        shapes = {
            "2000": discussion(urls["content"], big, seeded.users),
            "200": discussion(urls["content"], small, seeded.users, count=200, rng_seed=13),
        }
        env = {f"{s.upper()}_DATABASE_URL": url for s, url in urls.items()}
        env.update(AMQP_URI=broker.uri(vhost), GATEWAY_WORKERS="2", GATEWAY_THREADS="4")
        stack = Stack(env, _free_port(), ROOT / "var" / "bench" / f"comments-{vhost}")
        try:
            stack.start_all()
            api = f"{stack.gateway_url}/api/v1"
            login = requests.post(f"{api}/auth/login", json={"login": "user0", "password": PASSWORD}, timeout=30)
            login.raise_for_status()
            token = login.json()["token"]

            def anonymous() -> requests.Session:
                return requests.Session()

            def signed_in() -> requests.Session:
                session = requests.Session()
                session.headers["Authorization"] = f"Bearer {token}"
                return session

            groups = {name: [process.pid] for name, process in stack.processes.items()}
            page = requests.get(f"{api}/posts/{big}/comments", timeout=30).json()
            shown, todo = 0, list(page["items"])
            while todo:
                shown += 1
                todo.extend(todo.pop()["children"])
            post_calls = (
                (f"{api}/posts/{small}", {"comments": "quality"}),
                (f"{api}/notifications/unread", None),
            )
            separate_calls = (
                (f"{api}/posts/{small}", None),
                (f"{api}/posts/{small}/comments", {"sort": "quality"}),
                (f"{api}/notifications/unread", None),
            )
            results = {
                "2,000 comments: first page by date, anonymous": load(
                    lambda s: check(s.get(f"{api}/posts/{big}/comments", timeout=30)), args.seconds, anonymous, groups
                ),
                "2,000 comments: first page by score, signed in": load(
                    lambda s: check(s.get(f"{api}/posts/{big}/comments", params={"sort": "quality"}, timeout=30)),
                    args.seconds,
                    signed_in,
                    groups,
                ),
                "200 comments: the post page's 2 API calls, signed in": load(
                    lambda s: at_once(s, *post_calls), args.seconds, signed_in, groups
                ),
                "200 comments: the 3 calls it made before, signed in": load(
                    lambda s: at_once(s, *separate_calls), args.seconds, signed_in, groups
                ),
            }
        finally:
            stack.stop_all()
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average_before": load_before,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "concurrency": 8,
        "seconds": args.seconds,
        "discussions": shapes,
        "first_page_by_date": {"top_level": len(page["items"]), "comments": shown},
        "results": results,
    }
    out = write_report("comments", report)
    print_rows(results, 56)
    print(f"\nload average before {load_before}, after {report['load_average_after']}\nwritten to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
