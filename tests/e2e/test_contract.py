"""Every operation of the OpenAPI document, played through the gateway, answers as the document says.

Each answer's status must be one the operation declares, and its body must validate against the
schema declared for that status; at the end every operation in the document must have been played.
"""

from __future__ import annotations

import io
import math
import re
import uuid

import pytest
from jsonschema.validators import extend
from openapi_schema_validator import OAS30Validator
from PIL import Image

from devstack.client import PASSWORD, Api

API = "/api/v1"


def _number(_checker, value) -> bool:
    """One way to print a number: a ``number`` is always written with a fraction (0.0, never 0) and never -0."""
    return isinstance(value, float) and not (value == 0 and math.copysign(1.0, value) < 0)


def _integer(_checker, value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


Validator = extend(
    OAS30Validator,
    type_checker=OAS30Validator.TYPE_CHECKER.redefine("number", _number).redefine("integer", _integer),
)


class Contract:
    """The gateway's OpenAPI document and what was checked against it."""

    def __init__(self, document: dict):
        self.document = document
        self.operations: list[tuple[re.Pattern, str, str, dict]] = []
        for template, item in document["paths"].items():
            pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$")
            for method, operation in item.items():
                if method in {"get", "put", "post", "patch", "delete"}:
                    self.operations.append((pattern, template, method, operation))
        # literal paths win over templated ones (/me/export before /me/{x})
        self.operations.sort(key=lambda entry: entry[1].count("{"))
        self.played: set[tuple[str, str]] = set()
        self.breaks: list[str] = []

    def operation(self, method: str, path: str) -> tuple[str, dict]:
        for pattern, template, op_method, operation in self.operations:
            if op_method == method.lower() and pattern.match(path):
                return template, operation
        raise AssertionError(f"{method} {path} is not in the OpenAPI document")

    def check(self, method: str, path: str, response) -> None:
        template, operation = self.operation(method, path.split("?", 1)[0])
        self.played.add((method.lower(), template))
        status = str(response.status_code)
        declared = operation["responses"]
        if status not in declared:
            self.breaks.append(f"{method} {template} answered {status}, declares {sorted(declared)}")
            return
        content = declared[status].get("content")
        if not content:
            if response.content:
                self.breaks.append(f"{method} {template} {status} declares no body but sent one")
            return
        media = response.headers.get("Content-Type", "").split(";")[0].strip()
        if media not in content:
            self.breaks.append(f"{method} {template} {status} sent {media}, declares {sorted(content)}")
            return
        schema = content[media].get("schema")
        if media != "application/json" or schema is None:
            return
        validator = Validator({**schema, "components": self.document["components"]})
        errors = sorted(validator.iter_errors(response.json()), key=lambda e: list(e.absolute_path))
        self.breaks.extend(
            f"{method} {template} {status} at {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message[:300]}"
            for e in errors[:10]
        )


class CheckedApi(Api):
    def __init__(self, base_url: str, contract: Contract):
        super().__init__(base_url)
        self.contract = contract

    def request(self, method, path, token=None, **kwargs):
        response = super().request(method, path, token=token, **kwargs)
        self.contract.check(method, path, response)
        return response

    def ok(self, method, path, status=200, **kwargs):
        response = self.request(method, path, **kwargs)
        assert response.status_code == status, f"{method} {path}: {response.status_code} {response.text[:500]}"
        return response.json() if response.content and "json" in response.headers.get("Content-Type", "") else None


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (6, 4), (40, 120, 200)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def contract(api):
    document = api.get(f"{API}/openapi.json").json()
    return Contract(document)


def person(api: CheckedApi, prefix: str) -> tuple[dict, str]:
    username = f"{prefix}_{uuid.uuid4().hex[:10]}"
    registered = api.ok(
        "POST",
        f"{API}/auth/register",
        201,
        json={"username": username, "email": f"{username}@example.com", "password": PASSWORD},
    )
    session = api.ok("POST", f"{API}/auth/login", json={"login": username, "password": PASSWORD})
    assert session["user"]["id"] == registered["user"]["id"]
    return registered["user"], registered["token"]


def test_every_operation_answers_as_documented(stack, contract, wait_until):
    api = CheckedApi(stack.gateway_url, contract)
    play(api, wait_until)
    assert not contract.breaks, "answers that break the document:\n" + "\n".join(contract.breaks)
    missing = {
        f"{method.upper()} {template}"
        for _, template, method, _ in contract.operations
        if (method, template) not in contract.played
    }
    assert not missing, f"operations never played: {sorted(missing)}"


def play(api: CheckedApi, wait_until) -> None:  # noqa: PLR0915 - one story through every operation
    # operations and documents
    api.ok("GET", "/healthz")
    api.ok("GET", "/readyz")
    api.ok("GET", f"{API}/openapi.json")
    assert api.request("GET", f"{API}/docs").status_code == 200
    assert api.request("GET", f"{API}/docs/swagger-ui-bundle.js").status_code == 200
    api.ok("GET", API)

    # identity
    mod, mod_token = person(api, "mod")
    author, author_token = person(api, "author")
    newbie, newbie_token = person(api, "newbie")
    api.ok("GET", f"{API}/me", 401)
    api.ok("POST", f"{API}/auth/login", 401, json={"login": mod["username"], "password": "wrong password!"})
    api.ok("POST", f"{API}/auth/register", 400, json={"username": "x", "email": "no", "password": "short"})
    me = api.ok("GET", f"{API}/me", token=mod_token)
    assert me["username"] == mod["username"]
    api.ok("PATCH", f"{API}/me", token=mod_token, json={"display_name": "The Moderator", "bio": "Hello."})
    api.ok("GET", f"{API}/users/{mod['username']}")
    api.ok("GET", f"{API}/users/nobody_{uuid.uuid4().hex[:8]}", 404)
    api.ok("PUT", f"{API}/users/{mod['username']}/follow", 204, token=author_token)
    api.ok("DELETE", f"{API}/users/{mod['username']}/follow", 204, token=newbie_token)
    extra = api.ok("POST", f"{API}/auth/login", json={"login": mod["username"], "password": PASSWORD})
    api.ok("POST", f"{API}/auth/logout", 204, token=extra["token"])

    # subwikis
    slug = f"contract_{uuid.uuid4().hex[:8]}"
    api.ok("POST", f"{API}/subwikis", 201, token=mod_token, json={"slug": slug, "name": "Contract", "summary": "S"})
    api.ok("POST", f"{API}/subwikis", 409, token=mod_token, json={"slug": slug, "name": "Again"})
    api.ok("GET", f"{API}/subwikis", params={"q": "Contract", "sort": "new", "limit": 5})
    api.ok("GET", f"{API}/subwikis", 400, params={"colour": "blue"})
    for token in (author_token, newbie_token):
        api.ok("PUT", f"{API}/subwikis/{slug}/membership", 204, token=token)
    api.ok("DELETE", f"{API}/subwikis/{slug}/membership", 204, token=newbie_token)
    api.ok("PUT", f"{API}/subwikis/{slug}/membership", 204, token=newbie_token)
    api.ok("GET", f"{API}/subwikis/{slug}", token=author_token)
    api.ok("GET", f"{API}/subwikis/{slug}")
    edited = api.ok(
        "PATCH",
        f"{API}/subwikis/{slug}",
        token=author_token,
        json={"summary": "Better", "base_revision": 1, "edit_summary": "clearer"},
    )
    api.ok("PATCH", f"{API}/subwikis/{slug}", 409, token=author_token, json={"summary": "Old", "base_revision": 1})
    api.ok("GET", f"{API}/subwikis/{slug}/revisions")
    api.ok("GET", f"{API}/subwikis/{slug}/revisions/{edited['revision']}")
    api.ok("POST", f"{API}/subwikis/{slug}/revisions/1/revert", token=author_token)
    api.ok("PUT", f"{API}/subwikis/{slug}/moderators/{author['username']}", 204, token=mod_token)
    api.ok("DELETE", f"{API}/subwikis/{slug}/moderators/{author['username']}", 204, token=mod_token)
    api.ok("PUT", f"{API}/subwikis/{slug}/moderators/{author['username']}", 403, token=newbie_token)
    api.ok("GET", f"{API}/subwikis/{slug}/modlog")
    api.ok("GET", f"{API}/subwikis/{slug}/members", params={"limit": 2})
    api.ok("GET", f"{API}/users/{mod['username']}/subwikis")
    api.ok("GET", f"{API}/subwikis/nowhere_{uuid.uuid4().hex[:6]}", 404)

    # uploads and posts
    upload = api.ok("POST", f"{API}/uploads", 201, token=author_token, files={"file": ("p.png", png(), "image/png")})
    api.ok("POST", f"{API}/uploads", 400, token=author_token, files={"file": ("p.png", b"not a picture", "image/png")})
    assert api.request("GET", upload["url"]).status_code == 200
    api.ok("GET", f"{API}/uploads/missing.png", 404)
    picture = api.ok(
        "POST",
        f"{API}/subwikis/{slug}/posts",
        201,
        token=author_token,
        json={"kind": "image", "title": "A picture", "image_id": upload["image_id"]},
    )
    essay = api.ok(
        "POST",
        f"{API}/subwikis/{slug}/posts",
        201,
        token=author_token,
        json={"kind": "article", "title": "An essay", "body": "Some *Markdown* text."},
    )
    api.ok("POST", f"{API}/subwikis/{slug}/posts", 400, token=author_token, json={"kind": "poem", "title": "x"})
    posts = f"{API}/posts/{essay['id']}"
    api.ok("GET", posts, token=author_token)
    api.ok("GET", posts)
    api.ok("GET", f"{API}/posts/nope", 404)
    api.ok("PATCH", posts, token=author_token, json={"body": "Better text.", "base_revision": 1, "edit_summary": "x"})
    api.ok("PATCH", posts, 409, token=author_token, json={"body": "Stale.", "base_revision": 1})
    held = api.ok("PATCH", posts, 202, token=newbie_token, json={"title": "Held title", "base_revision": 2})
    api.ok("GET", f"{posts}/pending", token=author_token)
    api.ok("GET", f"{API}/subwikis/{slug}/pending", token=mod_token)
    api.ok("GET", f"{API}/subwikis/{slug}/pending", 403, token=newbie_token)
    api.ok("POST", f"{API}/preview", token=author_token, json={"body": "Some *Markdown*."})
    api.ok("POST", f"{API}/preview", 401, json={"body": "x"})
    api.ok("POST", f"{posts}/pending/{held['change_id']}/accept", 403, token=newbie_token)
    api.ok("POST", f"{posts}/pending/{held['change_id']}/accept", token=mod_token)
    held = api.ok("PATCH", posts, 202, token=newbie_token, json={"title": "Another title", "base_revision": 3})
    api.ok("POST", f"{posts}/pending/{held['change_id']}/reject", 204, token=mod_token)
    api.ok("PUT", f"{posts}/protection", 204, token=mod_token)
    api.ok("DELETE", f"{posts}/protection", 204, token=mod_token)
    api.ok("GET", f"{posts}/revisions")
    api.ok("GET", f"{posts}/revisions/2")
    api.ok("GET", f"{posts}/revisions", 400, params={"diff": 2})
    api.ok("POST", f"{posts}/revisions/1/revert", token=author_token)
    api.ok("PUT", f"{posts}/vote", token=mod_token, json={"value": 1})
    api.ok("PUT", f"{posts}/vote", 400, token=mod_token, json={"value": 2})
    api.ok("PUT", f"{posts}/vote", token=newbie_token, json={"value": -1})
    api.ok("DELETE", f"{posts}/vote", token=newbie_token)

    # discussion
    comment = api.ok("POST", f"{posts}/comments", 201, token=mod_token, json={"body": "A first comment."})
    reply = api.ok(
        "POST", f"{posts}/comments", 201, token=newbie_token, json={"body": "A reply.", "parent_id": comment["id"]}
    )
    assert comment["body"] == "A first comment."  # the Markdown source, for an edit box
    edited = api.ok("PATCH", f"{API}/comments/{comment['id']}", token=mod_token, json={"body": "A *first* comment."})
    assert edited["body"] == "A *first* comment." and "<em>first</em>" in edited["body_html"]
    api.ok("PUT", f"{API}/comments/{comment['id']}/vote", token=author_token, json={"value": 1})
    api.ok("DELETE", f"{API}/comments/{comment['id']}/vote", token=author_token)
    api.ok("GET", f"{posts}/comments", params={"sort": "quality"})
    api.ok("GET", f"{API}/comments/{reply['id']}/thread")
    api.ok("GET", f"{API}/search", params={"q": "comment", "kind": "comment"})
    api.ok("GET", f"{API}/search", params={"q": "text", "subwiki": slug, "sort": "new"})
    api.ok("GET", f"{API}/search", 400, params={"q": ""})
    api.ok("POST", f"{API}/comments/{reply['id']}/reports", 202, token=author_token, json={"reason": "Rude."})
    report = api.ok("POST", f"{posts}/reports", 202, token=newbie_token, json={"reason": "Wrong."})
    reports = api.ok("GET", f"{API}/subwikis/{slug}/reports", token=mod_token)
    api.ok("GET", f"{API}/subwikis/{slug}/reports", 403, token=newbie_token)
    report_id = report.get("id") or report.get("report_id") or reports["items"][0]["id"]
    api.ok("POST", f"{API}/reports/{report_id}/resolve", token=mod_token, json={"action": "dismiss"})
    pills = {"kind": "text", "title": "Cheap pills", "body": "Buy."}
    spam = api.ok("POST", f"{API}/subwikis/{slug}/posts", 201, token=newbie_token, json=pills)
    api.ok("POST", f"{API}/posts/{spam['id']}/spam", 403, token=author_token)
    assert spam["id"] in api.ok("POST", f"{API}/posts/{spam['id']}/spam", token=mod_token)["removed_post_ids"]
    first_posts = f"{API}/subwikis/{slug}/first-post-approval"
    api.ok("PUT", first_posts, 403, token=newbie_token)
    api.ok("PUT", first_posts, 204, token=mod_token)
    _, late_token = person(api, "late")
    api.ok("PUT", f"{API}/subwikis/{slug}/membership", 204, token=late_token)
    hello = {"kind": "text", "title": "Hello", "body": "My first post."}
    first = api.ok("POST", f"{API}/subwikis/{slug}/posts", 202, token=late_token, json=hello)["held_post"]
    assert [h["id"] for h in api.ok("GET", f"{API}/subwikis/{slug}/held-posts", token=late_token)["items"]] == [
        first["id"]
    ]
    api.ok("GET", f"{API}/subwikis/{slug}/held-posts", token=mod_token, params={"limit": 5})
    api.ok("POST", f"{API}/held-posts/{first['id']}/approve", 403, token=late_token)
    assert api.ok("POST", f"{API}/held-posts/{first['id']}/approve", token=mod_token)["id"] == first["id"]
    again = {"kind": "text", "title": "Hello again", "body": "Also mine."}
    _, later_token = person(api, "later")
    api.ok("PUT", f"{API}/subwikis/{slug}/membership", 204, token=later_token)
    second = api.ok("POST", f"{API}/subwikis/{slug}/posts", 202, token=later_token, json=again)["held_post"]
    api.ok("POST", f"{API}/held-posts/{second['id']}/reject", 204, token=mod_token)
    api.ok("DELETE", first_posts, 204, token=mod_token)
    api.ok("DELETE", f"{API}/comments/{reply['id']}", 204, token=newbie_token)
    api.ok("DELETE", f"{API}/posts/{picture['id']}", 204, token=author_token)

    # feeds
    wait_until(lambda: api.ok("GET", f"{API}/feed/public", params={"window": "all", "sort": "new"})["items"])
    api.ok("GET", f"{API}/feed/public", 400, params={"window": "year"})
    api.ok("GET", f"{API}/feed/public", token=newbie_token, params={"window": "all"})
    api.ok("GET", f"{API}/feed", token=author_token, params={"sort": "new", "limit": 10})
    api.ok("GET", f"{API}/subwikis/{slug}/posts", params={"sort": "top"})
    api.ok("GET", f"{API}/users/{author['username']}/posts")

    # mutes and blocks
    api.ok("PUT", f"{API}/me/mutes/users/{author['username']}", 204, token=newbie_token)
    api.ok("PUT", f"{API}/me/mutes/users/{newbie['username']}", 400, token=newbie_token)
    api.ok("GET", f"{API}/me/mutes/users", token=newbie_token, params={"limit": 5})
    api.ok("DELETE", f"{API}/me/mutes/users/{author['username']}", 204, token=newbie_token)
    api.ok("PUT", f"{API}/me/mutes/subwikis/{slug}", 204, token=newbie_token)
    api.ok("PUT", f"{API}/me/mutes/subwikis/nowhere_{uuid.uuid4().hex[:6]}", 404, token=newbie_token)
    api.ok("GET", f"{API}/me/mutes/subwikis", token=newbie_token)
    api.ok("DELETE", f"{API}/me/mutes/subwikis/{slug}", 204, token=newbie_token)
    api.ok("PUT", f"{API}/me/blocks/{author['username']}", 204, token=newbie_token)
    api.ok("GET", f"{API}/me/blocks", token=newbie_token)
    api.ok("GET", f"{API}/me/blocks", 401)
    api.ok("PUT", f"{API}/users/{newbie['username']}/follow", 403, token=author_token)
    api.ok("DELETE", f"{API}/me/blocks/{author['username']}", 204, token=newbie_token)

    # donations
    api.ok("GET", f"{API}/donations/campaign")
    gift = {"amount_cents": 2500, "currency": "EUR", "recipient": f"@{author['username']}", "public": True}
    started = api.ok(
        "POST", f"{API}/donations", 201, token=mod_token, json=gift, headers={"Idempotency-Key": uuid.uuid4().hex}
    )
    api.ok("POST", f"{API}/donations", 400, json=gift)
    checkout = started["checkout_url"].split("://", 1)[-1].split("/", 1)[1]
    page = api.request("GET", "/" + checkout)
    assert page.status_code == 200
    token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)
    api.request("POST", f"/donations/checkout/{started['donation_id']}/confirm", data={"token": token})
    pledge = api.ok(
        "POST",
        f"{API}/donations",
        201,
        token=mod_token,
        json={**gift, "recipient": "platform", "recurring": "monthly"},
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    page = api.request("GET", "/" + pledge["checkout_url"].split("://", 1)[-1].split("/", 1)[1])
    token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)
    api.request("POST", f"/donations/checkout/{pledge['donation_id']}/cancel", data={"token": token})
    api.ok(
        "POST",
        f"{API}/donations/webhooks/offline",
        400,
        data=b'{"id": "evt", "type": "paid"}',
        headers={"Stripe-Signature": "t=1,v1=00", "Content-Type": "application/json"},
    )
    api.ok("GET", f"{API}/donations/ledger", params={"limit": 5})
    mine = api.ok("GET", f"{API}/me/donations", token=mod_token)
    pledges = mine.get("pledges") or []
    if pledges:
        api.ok("DELETE", f"{API}/me/donations/pledges/{pledges[0]['id']}", 204, token=mod_token)
    else:
        api.ok("DELETE", f"{API}/me/donations/pledges/{uuid.uuid4().hex}", 404, token=mod_token)
    api.ok("GET", f"{API}/users/{author['username']}/support")

    # the caller's data, and leaving
    # notifications (the moderator has a follower)
    wait_until(lambda: api.ok("GET", f"{API}/notifications", token=mod_token, params={"limit": 5})["items"])
    api.ok("GET", f"{API}/notifications/unread", token=mod_token)
    api.ok("POST", f"{API}/notifications/read", token=mod_token, json={})
    api.ok("POST", f"{API}/notifications/read", 400, token=mod_token, json={"up_to": "all"})
    api.ok("GET", f"{API}/me/notification-settings", token=mod_token)
    api.ok("PATCH", f"{API}/me/notification-settings", token=mod_token, json={"mention": False})
    api.ok("PATCH", f"{API}/me/notification-settings", 400, token=mod_token, json={"poke": True})
    api.ok("GET", f"{API}/me/export", token=newbie_token)
    api.ok("DELETE", f"{API}/me", 403, token=newbie_token, json={"password": "not the password"})
    api.ok("DELETE", f"{API}/me", 204, token=newbie_token, json={"password": PASSWORD})
    api.ok("GET", f"{API}/me", 401, token=newbie_token)
