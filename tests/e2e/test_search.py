"""Search through the public API: stemmed words in English and French, removed posts never found, pages."""

import uuid


def test_search_finds_stemmed_words_in_both_languages_and_pages(api):
    _, token = api.register("searcher")
    slug = f"search_{uuid.uuid4().hex[:8]}"
    assert api.post("/api/v1/subwikis", token=token, json={"slug": slug, "name": "Search"}).status_code == 201
    word = uuid.uuid4().hex[:8]  # this test's posts alone carry it

    def post(title, body):
        response = api.post(
            f"/api/v1/subwikis/{slug}/posts", token=token, json={"kind": "text", "title": title, "body": body}
        )
        assert response.status_code == 201, response.text
        return response.json()["id"]

    english = post("Salmon swimming upstream", f"They were jumping the weirs {word}.")
    french = post("Les saumons des rivières", f"Ils nageaient vers les sources {word}.")
    removed = post("Swimming salmon, removed", f"Gone {word}.")
    assert api.delete(f"/api/v1/posts/{removed}", token=token).status_code == 204

    def found(**params):
        response = api.get("/api/v1/search", params={"subwiki": slug, **params})
        assert response.status_code == 200, response.text
        return response.json()

    page = found(q="swims")
    assert [item["post"]["id"] for item in page["items"]] == [english]
    assert page["items"][0]["post"]["author"]["username"].startswith("searcher_")
    assert [item["post"]["id"] for item in found(q="saumon")["items"]] == [french]
    assert [item["post"]["id"] for item in found(q="nager")["items"]] == [french]

    seen, cursor = [], None
    for _ in range(3):
        page = found(q=word, sort="new", limit=1, **({"cursor": cursor} if cursor else {}))
        seen += [item["post"]["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [french, english] and cursor is None

    for bad in ({}, {"q": ""}, {"q": "x" * 201}, {"q": "x", "kind": "user"}, {"q": "x", "sort": "old"}):
        response = api.get("/api/v1/search", params=bad)
        assert response.status_code == 400, (bad, response.text)
