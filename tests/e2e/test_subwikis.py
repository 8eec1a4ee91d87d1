"""Subwikis through the public API: communities, their wiki page, members, moderators."""

import uuid


def new_slug(prefix="topic"):
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def create(api, token, slug, **fields):
    body = {"slug": slug, "name": fields.pop("name", slug.title()), **fields}
    response = api.post("/api/v1/subwikis", token=token, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_create_join_and_see_it_on_my_profile(api, wait_until):
    founder, founder_token = api.register("founder")
    member, member_token = api.register("member")
    slug = new_slug()
    created = create(api, founder_token, slug, summary="Where rivers are discussed.", description="# Rivers")
    assert created["moderators"] == [
        {"id": founder["id"], "username": founder["username"], "display_name": founder["display_name"]}
    ]
    assert created["member_count"] == 1

    assert api.put(f"/api/v1/subwikis/{slug}/membership", token=member_token).status_code == 204
    assert api.put(f"/api/v1/subwikis/{slug}/membership", token=member_token).status_code == 204
    seen = api.get(f"/api/v1/subwikis/{slug}", token=member_token).json()
    assert seen["member_count"] == 2 and seen["is_member"] is True
    anonymous = api.get(f"/api/v1/subwikis/{slug}").json()
    assert anonymous["is_member"] is False and anonymous["is_moderator"] is False

    assert wait_until(lambda: slug in api.get("/api/v1/me", token=member_token).json()["subwikis"])
    assert api.delete(f"/api/v1/subwikis/{slug}/membership", token=member_token).status_code == 204
    assert wait_until(lambda: slug not in api.get("/api/v1/me", token=member_token).json()["subwikis"])


def test_duplicate_slug_is_409_and_bad_slug_400(api):
    _, token = api.register("slugger")
    slug = new_slug()
    create(api, token, slug)
    again = api.post("/api/v1/subwikis", token=token, json={"slug": slug.upper(), "name": "Again"})
    assert again.status_code == 409
    bad = api.post("/api/v1/subwikis", token=token, json={"slug": "no-dashes!", "name": "Bad"})
    assert bad.status_code == 400 and "slug" in bad.json()["error"]["fields"]
    anonymous = api.post("/api/v1/subwikis", json={"slug": new_slug(), "name": "Anon"})
    assert anonymous.status_code == 401


def test_wiki_edit_conflict_history_diff_and_revert(api):
    _, owner = api.register("owner")
    editor, editor_token = api.register("editor")
    _, outsider = api.register("outsider")
    slug = new_slug("wiki")
    create(api, owner, slug, summary="Old summary.", description="Line one.")
    api.put(f"/api/v1/subwikis/{slug}/membership", token=editor_token)

    refused = api.patch(
        f"/api/v1/subwikis/{slug}", token=outsider, json={"summary": "Spam", "base_revision": 1, "edit_summary": "x"}
    )
    assert refused.status_code == 403

    edited = api.patch(
        f"/api/v1/subwikis/{slug}",
        token=editor_token,
        json={"description": "Line one.\nLine two.", "base_revision": 1, "edit_summary": "more"},
    )
    assert edited.status_code == 200 and edited.json()["revision"] == 2
    stale = api.patch(
        f"/api/v1/subwikis/{slug}", token=owner, json={"summary": "Lost", "base_revision": 1, "edit_summary": "stale"}
    )
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "conflict"

    history = api.get(f"/api/v1/subwikis/{slug}/revisions").json()
    assert [(r["revision"], r["editor"]["username"], r["edit_summary"]) for r in history["items"]][0] == (
        2,
        editor["username"],
        "more",
    )
    diff = api.get(f"/api/v1/subwikis/{slug}/revisions/2").json()
    assert "+Line two." in diff["changes"][0]["diff"]

    reverted = api.post(f"/api/v1/subwikis/{slug}/revisions/1/revert", token=owner)
    assert reverted.status_code == 200
    assert reverted.json()["revision"] == 3 and reverted.json()["description"] == "Line one."


def test_moderators_and_the_public_modlog(api):
    owner, owner_token = api.register("mod")
    helper, helper_token = api.register("helper")
    slug = new_slug("mods")
    create(api, owner_token, slug)
    assert api.put(f"/api/v1/subwikis/{slug}/moderators/{owner['username']}", token=helper_token).status_code == 403
    assert api.put(f"/api/v1/subwikis/{slug}/moderators/{helper['username']}", token=owner_token).status_code == 204
    mods = {m["username"] for m in api.get(f"/api/v1/subwikis/{slug}").json()["moderators"]}
    assert mods == {owner["username"], helper["username"]}
    assert api.delete(f"/api/v1/subwikis/{slug}/moderators/{owner['username']}", token=helper_token).status_code == 204
    log = api.get(f"/api/v1/subwikis/{slug}/modlog").json()["items"]
    assert [(e["action"], e["actor"]["username"]) for e in log] == [
        ("remove_moderator", helper["username"]),
        ("appoint_moderator", owner["username"]),
    ]
    missing = api.put(f"/api/v1/subwikis/{slug}/moderators/nobody_{uuid.uuid4().hex[:6]}", token=helper_token)
    assert missing.status_code == 404


def test_search_sort_and_pagination(api):
    _, token = api.register("searcher")
    marker = uuid.uuid4().hex[:8]
    slugs = [create(api, token, new_slug("s"), name=f"Estuaries {marker} {n}")["slug"] for n in range(3)]
    first = api.get(f"/api/v1/subwikis?q={marker}&sort=new&limit=2").json()
    assert [s["slug"] for s in first["items"]] == [slugs[2], slugs[1]]
    second = api.get(f"/api/v1/subwikis?q={marker}&sort=new&limit=2&cursor={first['next_cursor']}").json()
    assert [s["slug"] for s in second["items"]] == [slugs[0]] and second["next_cursor"] is None
    assert api.get("/api/v1/subwikis?sort=hot").status_code == 400
    assert api.get("/api/v1/subwikis?limit=1000").status_code == 400
    assert api.get("/api/v1/subwikis/no_such_subwiki_here").status_code == 404


def test_members_list_and_a_persons_subwikis(api):
    founder, founder_token = api.register("founder")
    member, member_token = api.register("member")
    slug = new_slug("people")
    create(api, founder_token, slug)
    assert api.put(f"/api/v1/subwikis/{slug}/membership", token=member_token).status_code == 204

    first = api.get(f"/api/v1/subwikis/{slug}/members", params={"limit": 1})
    assert first.status_code == 200, first.text
    page = first.json()
    assert [m["person"]["username"] for m in page["items"]] == [member["username"]]
    assert page["items"][0]["is_moderator"] is False and page["next_cursor"]
    rest = api.get(f"/api/v1/subwikis/{slug}/members", params={"limit": 1, "cursor": page["next_cursor"]}).json()
    assert [(m["person"]["username"], m["is_moderator"]) for m in rest["items"]] == [(founder["username"], True)]
    assert rest["next_cursor"] is None
    assert api.get(f"/api/v1/subwikis/{slug}/members", params={"cursor": "nonsense"}).status_code == 400
    assert api.get("/api/v1/subwikis/no_such_subwiki_here/members").status_code == 404

    theirs = api.get(f"/api/v1/users/{founder['username']}/subwikis").json()
    assert [(s["slug"], s["is_moderator"], s["member_count"]) for s in theirs["items"]] == [(slug, True, 2)]
    assert api.get("/api/v1/users/nobody_by_this_name/subwikis").status_code == 404
