"""The member's visit that ``make load`` plays with Locust (run by bench/load.py in var/load-venv).

The whole mix is written here, in ``MIX`` and ``ANONYMOUS_SHARE``; bench/README.md explains it.
This file runs inside Locust's own virtualenv: it imports nothing from the project. What it
needs from the seeded stack (accounts, subwikis, posts) comes as JSON named by ``LOAD_DATA``.
"""

from __future__ import annotations

import json
import os
import random
import uuid

from locust import FastHttpUser, between, constant, constant_throughput, task

# Weights per request type, out of 100 requests of a signed-in member: 90 reads, 10 writes
# (one write per ten reads, see bench/README.md). Anonymous readers only do the read part.
MIX = {
    # reads
    "front": 20,  # GET /feed/public
    "subwiki": 15,  # GET /subwikis/<slug>/posts
    "home": 15,  # GET /feed (signed in only; anonymous readers read the front page instead)
    "post": 15,  # GET /posts/<id>
    "comments": 15,  # GET /posts/<id>/comments
    "profile": 10,  # GET /users/<name>
    # writes
    "vote": 5,  # PUT /posts/<id>/vote
    "comment": 2,  # POST /posts/<id>/comments
    "join": 1,  # PUT /subwikis/<slug>/membership
    "new_post": 1,  # POST /subwikis/<slug>/posts
    "wiki_edit": 1,  # PATCH /posts/<id> (after reading it for its revision)
}
WRITES = ("vote", "comment", "join", "new_post", "wiki_edit")
# Share of visits by someone not signed in. Each of Locust's users plays one visit after another, each a
# visitor's (reads only) or a member's as drawn at its start, so the share of requests holds whatever each kind
# costs. Until 2026-12-07 it was the share of Locust's users (5 of 16 read anonymously all run long): a user
# whose requests were answered faster made more of them, and the mix drifted with latency (writes per read
# 0.045 in one run against 0.07 to 0.085 in the others).
ANONYMOUS_SHARE = 0.3
# Requests a visit makes before leaving; the next visit is another visitor's or account's.
VISIT_LENGTH = 20
# Share of members' visits that begin by signing in with a password. A session lasts 30 days
# (SESSION_TTL_HOURS, 720) and the site keeps its token in its cookie, so a member who comes back
# within that time is still signed in: the others hold a session made before the run (bench/load.py
# writes their tokens into LOAD_DATA). One visit in ten (a new device, after signing out, a session
# past its 30 days) is an assumption, not a measured figure; until 2026-12-06 every visit signed in.
SIGN_IN_SHARE = float(os.environ.get("LOAD_SIGN_IN_SHARE") or 0.1)
# One request type only (``make load-costs``: what each costs the stack), or the whole mix.
ONLY = os.environ.get("LOAD_ONLY") or None

# Share of a member's comments, wiki edits and new posts written in a subwiki they are not a member of (joining it
# first). The others are where they belong, as a member reading their home feed writes: on a post of one of their
# subwikis (seeded memberships, bench/seed.py: 5 to 50 each) or in one. An assumption, not a measured figure;
# until 2026-12-07 every such write drew a post or subwiki from all of them and joined it first, which made joins
# 36 % of the writes (a third of a member's writes) instead of MIX's one in ten.
ELSEWHERE_SHARE = 0.1

# Seconds a user pauses between two requests, on average (LOAD_THINK_MS). No pause by default: "concurrency 16" is
# sixteen requests in flight, the stack's capacity under the mix. Until 2026-12-06 every user paused 0 to
# 200 ms, which capped a run at 16 / (0.1 s + latency), about 140 req/s, whatever the stack could do.
THINK_SECONDS = float(os.environ.get("LOAD_THINK_MS") or 0) / 1000
# Requests a second over all of Locust's users (LOAD_RATE, shared among LOAD_USERS of them), for ``make load``'s
# paced phase: the latency members see at a rate the stack keeps up with, not at its capacity (16 requests always
# in flight queue behind each other: p50 is about 16 / throughput, whatever a request costs alone).
RATE = float(os.environ.get("LOAD_RATE") or 0)
USERS = int(os.environ.get("LOAD_USERS") or 16)

API = "/api/v1"
DATA = json.loads(open(os.environ["LOAD_DATA"]).read())  # noqa: SIM115 (read once at import)


def _post() -> tuple[str, str]:
    post_id, slug = random.choice(DATA["posts"])
    return post_id, slug


POSTS_BY_SLUG: dict[str, list[str]] = {}
for _id, _slug in DATA["posts"]:
    POSTS_BY_SLUG.setdefault(_slug, []).append(_id)


class Reader(FastHttpUser):
    """Reads as anyone may: the front page, subwikis, posts with their comments, profiles.

    Locust's FastHttpUser (geventhttpclient) spends a fraction of the CPU per request its HttpUser (requests)
    does, CPU the stack it loads shares on one machine."""

    weight = round(ANONYMOUS_SHARE * 100)
    if RATE:
        wait_time = constant_throughput(RATE / USERS)
    else:
        wait_time = between(0.0, 2 * THINK_SECONDS) if THINK_SECONDS else constant(0)
    headers: dict[str, str] = {}

    def front(self):
        self.client.get(f"{API}/feed/public", headers=self.headers, name="front")

    def subwiki(self):
        slug = random.choice(DATA["slugs"])
        self.client.get(f"{API}/subwikis/{slug}/posts", headers=self.headers, name="subwiki")

    def post(self):
        self.client.get(f"{API}/posts/{_post()[0]}", headers=self.headers, name="post")

    def comments(self):
        self.client.get(f"{API}/posts/{_post()[0]}/comments", headers=self.headers, name="comments")

    def profile(self):
        name = random.choice(DATA["authors"])
        self.client.get(f"{API}/users/{name}", headers=self.headers, name="profile")

    def home(self):
        self.front()

    @task
    def visit(self):
        self.one_request()

    def one_request(self):
        if ONLY:
            getattr(self, ONLY)()
            return
        reads = [(name, weight) for name, weight in MIX.items() if name not in WRITES]
        name = random.choices([n for n, _ in reads], [w for _, w in reads])[0]
        getattr(self, name)()


class Member(Reader):
    """Visits one after another: a visitor's, reading as ``Reader`` does (``ANONYMOUS_SHARE`` of them), or a
    signed-in member's from the seed, who reads their home feed and writes at MIX's share. ``make load`` plays
    only this class; ``Reader`` alone is ``make load-costs``' anonymous front page."""

    weight = 100 - round(ANONYMOUS_SHARE * 100)

    def on_start(self):
        self.begin_visit()

    def begin_visit(self):
        self.left = VISIT_LENGTH
        self.anonymous = not ONLY and random.random() < ANONYMOUS_SHARE
        if self.anonymous:
            self.headers, self.joined, self.own_posts = {}, set(), []
            return
        self.account = random.choice(DATA["readers"])
        kept = DATA["sessions"].get(self.account)
        if kept and random.random() >= SIGN_IN_SHARE:
            self.headers = {"Authorization": f"Bearer {kept}"}
        else:
            self.sign_in()
        self.joined: set[str] = {DATA["slugs"][i] for i in DATA.get("memberships", {}).get(self.account, ())}
        # The posts drawn for the visits that are in the member's subwikis.
        self.own_posts = [(p, slug) for slug in self.joined for p in POSTS_BY_SLUG.get(slug, ())]

    def sign_in(self):
        self.headers = {}
        response = self.client.post(
            f"{API}/auth/login", json={"login": self.account, "password": DATA["password"]}, name="login"
        )
        if response.ok:
            self.headers = {"Authorization": f"Bearer {response.json()['token']}"}

    def home(self):
        if self.anonymous:
            self.front()
        else:
            self.client.get(f"{API}/feed", headers=self.headers, name="home")

    def _member_of(self, slug: str) -> None:
        if slug not in self.joined:
            self.client.put(f"{API}/subwikis/{slug}/membership", headers=self.headers, name="join")
            self.joined.add(slug)

    def join(self):
        self._member_of(random.choice(DATA["slugs"]))

    def vote(self):
        post_id, _ = _post()
        self.client.put(
            f"{API}/posts/{post_id}/vote",
            json={"value": random.choice((1, 1, 1, -1))},
            headers=self.headers,
            name="vote",
        )

    def _write_on(self) -> tuple[str, str]:
        """A post to write on: in one of the member's subwikis (``ELSEWHERE_SHARE`` aside), else any."""
        if self.own_posts and random.random() >= ELSEWHERE_SHARE:
            return random.choice(self.own_posts)
        return _post()

    def comment(self):
        post_id, slug = self._write_on()
        self._member_of(slug)
        self.client.post(
            f"{API}/posts/{post_id}/comments",
            json={"body": "A comment under load."},
            headers=self.headers,
            name="comment",
        )

    def new_post(self):
        mine = sorted(self.joined)
        slug = random.choice(mine) if mine and random.random() >= ELSEWHERE_SHARE else random.choice(DATA["slugs"])
        self._member_of(slug)
        self.client.post(
            f"{API}/subwikis/{slug}/posts",
            json={"kind": "text", "title": f"Load {uuid.uuid4().hex[:8]}", "body": "Written under load."},
            headers=self.headers,
            name="new_post",
        )

    def wiki_edit(self):
        post_id, slug = self._write_on()
        self._member_of(slug)
        current = self.client.get(f"{API}/posts/{post_id}", headers=self.headers, name="post")
        if not current.ok:
            return
        # A stale base (409) is the answer a concurrent edit deserves, not a failure of the stack.
        with self.client.patch(
            f"{API}/posts/{post_id}",
            json={
                "body": f"Edited under load {uuid.uuid4().hex[:8]}.",
                "base_revision": current.json()["revision"],
                "edit_summary": "load",
            },
            headers=self.headers,
            name="wiki_edit",
            catch_response=True,
        ) as response:
            if response.status_code == 409:
                response.success()

    def one_request(self):
        if self.anonymous:
            Reader.one_request(self)
        else:
            getattr(self, ONLY or random.choices(list(MIX), list(MIX.values()))[0])()
        self.left -= 1
        if self.left <= 0:
            self.begin_visit()
