"""Demo data, created through the public API: people, subwikis, posts, comments and votes.

Each part is made only when it is missing, so a platform seeded by an older version gets the rest.
"""

from __future__ import annotations

import time

import requests

DEMO_PASSWORD = "demo-password-2026"
PEOPLE = [
    ("ada", "Ada Lovelace", "Notes on engines and poetry."),
    ("grace", "Grace Hopper", "Compilers, nanoseconds, and plain speaking."),
    ("tim", "Tim Berners-Lee", "Links between documents."),
]
# slug, name, summary, the person who starts it; everyone joins every subwiki.
SUBWIKIS = [
    ("computing_history", "Computing history", "Machines, people and ideas that made computing.", "ada"),
    ("open_web", "The open web", "Links, standards and keeping the web open.", "tim"),
    ("cartoons", "Cartoons", "Drawn jokes, original or credited.", "grace"),
]
# subwiki, author, body of the post; comments and up-votes follow.
POSTS = [
    (
        "computing_history",
        "ada",
        {"kind": "article", "title": "Note G, explained", "body": "The first published program, line by line."},
    ),
    (
        "computing_history",
        "grace",
        {"kind": "text", "title": "The first actual bug", "body": "A moth, taped into the log book, 1947."},
    ),
    (
        "open_web",
        "tim",
        {"kind": "link", "title": "The first web page", "url": "https://info.cern.ch/hypertext/WWW/TheProject.html"},
    ),
    (
        "open_web",
        "ada",
        {"kind": "text", "title": "Why links should not break", "body": "A link is a promise; keep the old address."},
    ),
    (
        "cartoons",
        "grace",
        {
            "kind": "text",
            "title": "Compiler humour",
            "body": "Two nanoseconds walk into a bar. 30 centimetres later...",
        },
    ),
]
# One comment on each post, each in its own words: the same text twice from one person is refused
# as a repeat (the spam defences, on in `make run` as in production).
COMMENT = "Thank you for “{title}”: it is clearer than the textbook I learned it from."


def seed(base_url: str) -> str:
    api = f"{base_url}/api/v1"
    made = []
    if requests.get(f"{api}/users/{PEOPLE[0][0]}", timeout=10).status_code != 200:
        _people(api)
        made.append(f"{len(PEOPLE)} people (password {DEMO_PASSWORD!r}) following each other")
    try:
        tokens = {username: _login(api, username) for username, _, _ in PEOPLE}
    except LoginLimited as limited:
        # Someone failed logins from this machine lately: the demo data waits, the stack runs on.
        return f"demo data not checked: {limited}"
    if requests.get(f"{api}/subwikis/{SUBWIKIS[0][0]}", timeout=10).status_code != 200:
        made.append(_places(api, tokens))
    return "; ".join(made) or f"already present (people {', '.join(p[0] for p in PEOPLE)}, password {DEMO_PASSWORD!r})"


class LoginLimited(Exception):
    pass


def _login(api: str, username: str) -> str:
    """A demo account's token; waits out a short login limit, and says so when it is long."""
    for _ in range(3):
        login = requests.post(f"{api}/auth/login", json={"login": username, "password": DEMO_PASSWORD}, timeout=10)
        if login.status_code != 429:
            login.raise_for_status()
            return login.json()["token"]
        wait = int(login.headers.get("Retry-After", "60"))
        if wait > 10:
            raise LoginLimited(f"logins from this address are limited for {wait} s")
        time.sleep(wait)
    raise LoginLimited("logins from this address are limited")


def _places(api: str, tokens: dict[str, str]) -> str:
    for slug, name, summary, founder in SUBWIKIS:
        requests.post(
            f"{api}/subwikis",
            json={"slug": slug, "name": name, "summary": summary},
            headers=_auth(tokens[founder]),
            timeout=10,
        ).raise_for_status()
        for username in tokens:
            requests.put(
                f"{api}/subwikis/{slug}/membership", headers=_auth(tokens[username]), timeout=10
            ).raise_for_status()
    for slug, author, body in POSTS:
        made = requests.post(f"{api}/subwikis/{slug}/posts", json=body, headers=_auth(tokens[author]), timeout=10)
        made.raise_for_status()
        post_id = made.json()["id"]
        for username in tokens:
            if username != author:
                requests.put(
                    f"{api}/posts/{post_id}/vote", json={"value": 1}, headers=_auth(tokens[username]), timeout=10
                ).raise_for_status()
        commenter = next(username for username in tokens if username != author)
        requests.post(
            f"{api}/posts/{post_id}/comments",
            json={"body": COMMENT.format(title=body["title"])},
            headers=_auth(tokens[commenter]),
            timeout=10,
        ).raise_for_status()
    return f"{len(SUBWIKIS)} subwikis with {len(POSTS)} posts, comments and votes"


def _people(api: str) -> None:
    tokens = {}
    for username, name, bio in PEOPLE:
        requests.post(
            f"{api}/auth/register",
            json={
                "username": username,
                "email": f"{username}@demo.invalid",
                "password": DEMO_PASSWORD,
                "display_name": name,
            },
            timeout=10,
        ).raise_for_status()
        tokens[username] = _login(api, username)
        requests.patch(f"{api}/me", json={"bio": bio}, headers=_auth(tokens[username]), timeout=10).raise_for_status()
    for follower, followee in (("ada", "grace"), ("grace", "tim"), ("tim", "ada")):
        requests.put(f"{api}/users/{followee}/follow", headers=_auth(tokens[follower]), timeout=10).raise_for_status()


def _auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}
