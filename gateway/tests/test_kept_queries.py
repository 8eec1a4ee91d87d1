"""A query string is read by its schema once per process and kept by its text: every request still gets
what its query says, a copy of its own, and a query refused is refused every time."""

from gateway.app import create_app
from gateway.openapi.checking import read_query
from gateway.schemas import PublicFeedQuery


def test_the_same_query_asks_the_feed_the_same_every_time(client, services):
    asked = []
    services.on("feed", "public_feed", lambda *args, **kwargs: asked.append(args) or {"items": [], "next_cursor": None})
    for _ in range(3):
        assert client.get("/api/v1/feed/public?sort=new&limit=5").status_code == 200
    assert client.get("/api/v1/feed/public?sort=top").status_code == 200
    assert asked == [("new", "week", 5, None)] * 3 + [("top", "week", 25, None)]


def test_a_query_refused_is_refused_every_time(client, services):
    for _ in range(2):
        response = client.get("/api/v1/feed/public?window=year&limit=0")
        assert response.status_code == 400
        assert set(response.get_json()["error"]["fields"]) == {"window", "limit"}


def test_each_reading_is_a_copy_of_its_own(services):
    app = create_app({"SERVICES": services})
    with app.test_request_context("/api/v1/feed/public?limit=7"):
        first = read_query(PublicFeedQuery)
        first["limit"] = 99
        assert read_query(PublicFeedQuery) == {"sort": "quality", "window": "week", "limit": 7, "cursor": None}
