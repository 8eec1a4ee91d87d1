"""A person's own data through the public API: the export holds one of everything they made or
did, and after their erasure nothing public, and no row in any service's database, names them."""

import io
import json
import re
import uuid

import pytest
from PIL import Image
from sqlalchemy import String, Text, create_engine, inspect, text
from sqlalchemy.types import JSON

from devstack.client import PASSWORD, Api
from devstack.infra import SERVICES, wait_for
from tests.e2e.test_contract import Contract

API = "/api/v1"


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (5, 5), (20, 90, 200)).save(out, "PNG")
    return out.getvalue()


def ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def confirm(api, checkout_url):
    page = api.session.get(checkout_url, timeout=10)
    form = re.search(r'action="([^"]+/confirm)".*?name="token" value="([^"]+)"', page.text, re.S)
    assert api.session.post(api.base + form.group(1), data={"token": form.group(2)}, timeout=10).status_code == 200


@pytest.fixture(scope="module")
def everything(stack):
    """X, an account with one of everything the platform keeps about a person, among others' things."""
    api = Api(stack.gateway_url)
    mod, mod_token = api.register("keeper")
    other, other_token = api.register("other")
    me, token = api.register("whole")
    # Subwikis: S (the keeper's, X a member), X's own (X moderates it).
    shared, mine = f"s_{uuid.uuid4().hex[:8]}", f"x_{uuid.uuid4().hex[:8]}"
    ok(api.post(f"{API}/subwikis", token=mod_token, json={"slug": shared, "name": "Shared"}), 201)
    ok(api.post(f"{API}/subwikis", token=token, json={"slug": mine, "name": "Mine"}), 201)
    for who in (token, other_token):
        assert api.put(f"{API}/subwikis/{shared}/membership", token=who).status_code == 204
    assert api.put(f"{API}/subwikis/{mine}/membership", token=other_token).status_code == 204
    # G (the keeper's, approving first posts): X's first post there waits for the keeper.
    gated = f"g_{uuid.uuid4().hex[:8]}"
    ok(api.post(f"{API}/subwikis", token=mod_token, json={"slug": gated, "name": "Gated"}), 201)
    assert api.put(f"{API}/subwikis/{gated}/first-post-approval", token=mod_token).status_code == 204
    assert api.put(f"{API}/subwikis/{gated}/membership", token=token).status_code == 204
    held_post = ok(
        api.post(f"{API}/subwikis/{gated}/posts", token=token, json={"kind": "text", "title": "Hello", "body": "Hi"}),
        202,
    )["held_post"]
    page = ok(api.get(f"{API}/subwikis/{shared}"))
    page_edit = ok(
        api.patch(
            f"{API}/subwikis/{shared}",
            token=token,
            json={"summary": "Edited by the whole person", "base_revision": page["revision"]},
        )
    )
    # A post with an uploaded picture, then edited by its author: two revisions they wrote.
    upload = ok(api.post(f"{API}/uploads", token=token, files={"file": ("x.png", png(), "image/png")}), 201)
    post = ok(
        api.post(
            f"{API}/subwikis/{shared}/posts",
            token=token,
            json={"kind": "image", "title": "My picture", "image_id": upload["image_id"]},
        ),
        201,
    )
    ok(api.patch(f"{API}/posts/{post['id']}", token=token, json={"title": "My picture, renamed", "base_revision": 1}))
    # Others' posts: one in X's subwiki (X moderates: the edit applies), one in S (X is new: held).
    theirs = ok(
        api.post(
            f"{API}/subwikis/{mine}/posts", token=other_token, json={"kind": "text", "title": "Theirs", "body": "a"}
        ),
        201,
    )
    edited = api.patch(f"{API}/posts/{theirs['id']}", token=token, json={"body": "a, improved", "base_revision": 1})
    assert edited.status_code == 200, edited.text
    elsewhere = ok(
        api.post(
            f"{API}/subwikis/{shared}/posts", token=other_token, json={"kind": "text", "title": "Other", "body": "b"}
        ),
        201,
    )
    held = ok(api.patch(f"{API}/posts/{elsewhere['id']}", token=token, json={"body": "b?", "base_revision": 1}), 202)
    comment = ok(
        api.post(f"{API}/posts/{elsewhere['id']}/comments", token=token, json={"body": "A *thought* " + "x" * 90}), 201
    )
    reply = ok(
        api.post(
            f"{API}/posts/{elsewhere['id']}/comments",
            token=other_token,
            json={"body": "A reply to it", "parent_id": comment["id"]},
        ),
        201,
    )
    assert ok(api.put(f"{API}/posts/{elsewhere['id']}/vote", token=token, json={"value": 1}))["up"] == 1
    assert api.put(f"{API}/posts/{post['id']}/vote", token=other_token, json={"value": 1}).status_code == 200
    report = ok(api.post(f"{API}/posts/{elsewhere['id']}/reports", token=token, json={"reason": "A test report"}), 202)
    assert api.put(f"{API}/users/{other['username']}/follow", token=token).status_code == 204
    assert api.put(f"{API}/users/{me['username']}/follow", token=other_token).status_code == 204
    # Donations: one paid (public, in the ledger; a supporter badge), one monthly pledge waiting.
    gift = ok(
        api.post(
            f"{API}/donations",
            token=token,
            json={"amount_cents": 1337, "currency": "EUR", "public": True},
            headers={"Idempotency-Key": uuid.uuid4().hex},
        ),
        201,
    )
    confirm(api, gift["checkout_url"])
    pledge = ok(
        api.post(
            f"{API}/donations",
            token=token,
            json={"amount_cents": 500, "currency": "EUR", "recurring": "monthly"},
            headers={"Idempotency-Key": uuid.uuid4().hex},
        ),
        201,
    )
    return {
        "api": api,
        "password": PASSWORD,
        "me": me,
        "token": token,
        "other": other,
        "mod_token": mod_token,
        "shared": shared,
        "mine": mine,
        "page_revision": page_edit["revision"],
        "upload": upload,
        "post": post,
        "theirs": theirs,
        "elsewhere": elsewhere,
        "held": held,
        "held_post": held_post,
        "gated": gated,
        "comment": comment,
        "reply": reply,
        "report": report,
        "gift": gift,
        "pledge": pledge,
    }


def test_the_export_holds_one_of_everything(everything, wait_until):
    api, token, x = everything["api"], everything["token"], everything

    def complete():
        export = ok(api.get(f"{API}/me/export", token=token))
        profile, feed = export["identity"]["profile"], export["feed"]
        arrived = (  # what other services learn from events
            "supporter" in profile["badges"],
            len(profile["subwikis"]) == 3,
            feed["votes"] and feed["following"] and len(feed["subwikis"]) == 3,
        )
        return all(arrived) and export

    export = wait_until(complete)
    # One of everything, read as the OpenAPI document declares it: each section's records typed.
    contract = Contract(api.get(f"{API}/openapi.json").json())
    contract.check("GET", f"{API}/me/export", api.get(f"{API}/me/export", token=token))
    assert not contract.breaks, contract.breaks
    identity, communities, content = export["identity"], export["communities"], export["content"]
    assert identity["profile"]["id"] == x["me"]["id"]
    assert identity["profile"]["following"] == [x["other"]["username"]]
    assert identity["followers"] == [x["other"]["username"]]
    assert sorted(identity["profile"]["subwikis"]) == sorted([x["shared"], x["mine"], x["gated"]])
    assert identity["sessions"]
    # Communities: memberships, the moderator role, the subwiki started, the page edit.
    assert {m["subwiki"] for m in communities["memberships"]} == {x["shared"], x["mine"], x["gated"]}
    assert communities["moderator_of"] == [x["mine"]]
    assert communities["subwikis_started"] == [x["mine"]]
    assert [(e["subwiki"], e["revision"]) for e in communities["subwiki_edits"]] == [
        (x["mine"], 1),
        (x["shared"], x["page_revision"]),
    ]
    # Content: the post with both its revisions, the edit to another's post, the comment, the
    # vote, the held edit, the report, the upload as a link.
    (post,) = content["posts"]
    assert post["id"] == x["post"]["id"] and [r["revision"] for r in post["revisions"]] == [1, 2]
    assert post["revisions"][1]["title"] == "My picture, renamed"
    assert [(e["post_id"], e["revision"]) for e in content["edits_to_others_posts"]] == [(x["theirs"]["id"], 2)]
    (comment,) = content["comments"]
    assert comment["id"] == x["comment"]["id"] and comment["body"].startswith("A *thought*")
    assert content["votes"] == [{"target_type": "post", "target_id": x["elsewhere"]["id"], "value": 1}]
    (held,) = content["held_edits"]
    assert held["id"] == x["held"]["change_id"] and held["status"] == "pending" and held["body"] == "b?"
    (waiting,) = content["held_posts"]
    assert waiting["id"] == x["held_post"]["id"] and waiting["status"] == "waiting" and waiting["body"] == "Hi"
    (report,) = content["reports"]
    assert report["id"] == x["report"]["id"] and report["reason"] == "A test report"
    (upload,) = content["uploads"]
    assert upload["image_id"] == x["upload"]["image_id"] and upload["url"] == x["upload"]["url"]
    assert api.get(upload["url"]).status_code == 200
    # The feed's copies: whom they follow, their subwikis, their vote as the feed weighs it.
    feed = export["feed"]
    assert feed["following"] == [x["other"]["username"]]
    assert sorted(feed["subwikis"]) == sorted([x["shared"], x["mine"], x["gated"]])
    assert [v["post_id"] for v in feed["votes"]] == [x["elsewhere"]["id"]]
    # Donations: the paid gift and the pledge.
    donations = export["donations"]
    assert {d["donation_id"]: d["status"] for d in donations["donations"]} == {
        x["gift"]["donation_id"]: "paid",
        x["pledge"]["donation_id"]: "pending",
    }
    assert [p["status"] for p in donations["pledges"]] == ["pending"]


def _rows_naming(url: str, value: str) -> list[str]:
    """Every table.column of a database where some row holds ``value`` in its text."""
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    found = []
    try:
        with engine.connect() as connection:
            inspector = inspect(connection)
            for table in inspector.get_table_names():
                for column in inspector.get_columns(table):
                    if not isinstance(column["type"], String | Text | JSON) and "JSON" not in str(column["type"]):
                        continue
                    hits = connection.execute(
                        text(f'SELECT count(*) FROM "{table}" WHERE CAST("{column["name"]}" AS TEXT) LIKE :v'),
                        {"v": f"%{value}%"},
                    ).scalar()
                    if hits:
                        found.append(f"{table}.{column['name']}")
    finally:
        engine.dispose()
    return found


def test_after_erasure_nothing_names_the_person(everything, stack, wait_until):
    api, x = everything["api"], everything
    old_id, username = x["me"]["id"], x["me"]["username"]
    wait_until(lambda: "supporter" in ok(api.get(f"{API}/users/{username}"))["badges"])
    databases = {service: stack.env[f"{service.upper()}_DATABASE_URL"] for service in SERVICES}
    assert all(_rows_naming(url, old_id) for url in databases.values())  # every service knew them
    assert api.delete(f"{API}/me", token=x["token"], json={"password": x["password"]}).status_code == 204

    # Every service forgets the id: no row of any table in any of the five databases holds it.
    left: dict[str, list[str]] = {}

    def forgotten():
        left.update({service: _rows_naming(url, old_id) for service, url in databases.items()})
        return not any(left.values())

    wait_for(forgotten, 30, interval=0.5)
    assert not any(left.values()), left

    # What stays is the community's, under no name; nothing public holds the id or a prefix of it.
    answers = []

    def get(path, **kwargs):
        response = api.get(f"{API}{path}", **kwargs)
        answers.append((path, response.text))
        return response

    assert get(f"/users/{username}").status_code == 404
    shown = ok(get(f"/posts/{x['post']['id']}"))
    assert shown["author"] is None and shown["score"]["up"] == 1
    assert ok(get(f"/posts/{x['post']['id']}/revisions"))["items"][0]["editor"] is None
    assert ok(get(f"/posts/{x['post']['id']}/revisions/1"))["editor"] is None
    theirs = ok(get(f"/posts/{x['theirs']['id']}/revisions"))["items"]
    assert [r["editor"] for r in theirs][0] is None and theirs[1]["editor"]["username"] == x["other"]["username"]
    assert ok(get(f"/posts/{x['elsewhere']['id']}"))["score"]["up"] == 0  # the vote went with them
    (comment,) = ok(get(f"/posts/{x['elsewhere']['id']}/comments"))["items"]
    assert comment["id"] == x["comment"]["id"] and comment["author"] is None
    assert comment["children"][0]["author"]["username"] == x["other"]["username"]
    assert ok(get(f"/posts/{x['elsewhere']['id']}/pending", token=x["mod_token"]))["items"] == []
    reports = ok(get(f"/subwikis/{x['shared']}/reports", token=x["mod_token"]))["items"]
    assert [r["reporter"] for r in reports if r["id"] == x["report"]["id"]] == [None]
    page = ok(get(f"/subwikis/{x['shared']}/revisions"))["items"]
    assert [r["editor"] for r in page if r["revision"] == x["page_revision"]] == [None]
    mine = ok(get(f"/subwikis/{x['mine']}"))
    assert mine["moderators"] == [] and mine["member_count"] == 1
    get(f"/subwikis/{x['mine']}/modlog")
    get(f"/subwikis/{x['shared']}/posts?sort=new")
    get("/feed/public?sort=new&window=all")
    ledger = ok(get("/donations/ledger?limit=100"))["items"]
    assert [e["donor"] for e in ledger if e["amount_cents"] == 1337] == [None]
    other = ok(get(f"/users/{x['other']['username']}"))
    assert other["follower_count"] == 0 and other["following_count"] == 0
    for path, body in answers:
        for trace in (old_id, old_id[:8], f"deleted_{old_id[:6]}"):
            assert trace not in body, (path, trace)
    assert "deleted_" not in json.dumps([body for _, body in answers])
