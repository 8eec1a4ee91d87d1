"""Demo data, created through the public API when the platform is empty."""

from __future__ import annotations

import requests

DEMO_PASSWORD = "demo-password-2026"
PEOPLE = [
    ("ada", "Ada Lovelace", "Notes on engines and poetry."),
    ("grace", "Grace Hopper", "Compilers, nanoseconds, and plain speaking."),
    ("tim", "Tim Berners-Lee", "Links between documents."),
]


def seed(base_url: str) -> str:
    api = f"{base_url}/api/v1"
    if requests.get(f"{api}/users/{PEOPLE[0][0]}", timeout=10).status_code == 200:
        return "already present"
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
        login = requests.post(f"{api}/auth/login", json={"login": username, "password": DEMO_PASSWORD}, timeout=10)
        login.raise_for_status()
        tokens[username] = login.json()["token"]
        requests.patch(f"{api}/me", json={"bio": bio}, headers=_auth(tokens[username]), timeout=10).raise_for_status()
    for follower, followee in (("ada", "grace"), ("grace", "tim"), ("tim", "ada")):
        requests.put(f"{api}/users/{followee}/follow", headers=_auth(tokens[follower]), timeout=10).raise_for_status()
    return f"{len(PEOPLE)} people (password {DEMO_PASSWORD!r}) following each other"


def _auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}
