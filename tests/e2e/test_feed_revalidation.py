"""A feed page a client keeps and revalidates: while nothing touched it, the gateway answers 304 without asking
the feed (and the page it holds, whole, to a client keeping nothing); once a change touches it, the feed's
broadcast of its commit makes the next revalidation a 200 with the changed page (gateway.pagetags,
feed.kept.pages_changed). The page is a new reader's home feed, read from their one subwiki alone: the front
pages are touched by every post of the suite's other tests."""

import time
import uuid

import requests
from kombu import Connection, Exchange, Queue
from prometheus_client.parser import text_string_to_metric_families


def rpc_calls(stack, service: str, method: str) -> float:
    """How many times the service's requests process answered ``method`` (its /metrics)."""
    page = requests.get(stack.metrics_urls()[service], timeout=10).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(page)
        if family.name == "svc_rpc_calls"
        for sample in family.samples
        if sample.name == "svc_rpc_calls_total" and sample.labels.get("method") == method
    )


def feed_asked(stack, method: str) -> float:
    return rpc_calls(stack, "feed", method)


def test_a_revalidated_home_page_is_not_asked_of_the_feed_until_a_change_touches_it(api, stack, wait_until):
    _, mod = api.register("revalmod")
    _, reader = api.register("revalreader")
    slug = f"reval_{uuid.uuid4().hex[:8]}"
    wait_until(lambda: api.post("/api/v1/subwikis", token=mod, json={"slug": slug, "name": "Kept"}).status_code == 201)
    wait_until(lambda: api.put(f"/api/v1/subwikis/{slug}/membership", token=reader).status_code in (200, 201, 204))
    home = "/api/v1/feed?sort=new"
    first = api.post(
        f"/api/v1/subwikis/{slug}/posts", token=mod, json={"kind": "text", "title": "First", "body": "Hello."}
    ).json()
    page = wait_until(lambda: (answer := api.get(home, token=reader)).json()["items"] and answer)
    assert [item["post"]["id"] for item in page.json()["items"]] == [first["id"]]
    tag = page.headers["ETag"]

    def revalidate(tag: str) -> requests.Response:
        return api.get(home, token=reader, headers={"If-None-Match": tag})

    def settled() -> bool:
        # Every gateway process has answered the page once since the last change it heard (and the grace
        # after it): ten revalidations in a row are 304s the feed was not asked for.
        asked = feed_asked(stack, "home_feed")
        answers = [revalidate(tag) for _ in range(10)]
        return all(a.status_code == 304 for a in answers) and feed_asked(stack, "home_feed") == asked

    wait_until(lambda: (time.sleep(0.5), settled())[1], timeout=30)
    asked = feed_asked(stack, "home_feed")
    answers = [revalidate(tag) for _ in range(20)]
    assert [a.status_code for a in answers] == [304] * 20
    assert all(a.headers["ETag"] == tag and not a.content for a in answers)
    assert feed_asked(stack, "home_feed") == asked
    # A client keeping nothing is answered the page each gateway process holds, whole, without the feed asked.
    whole = [api.get(home, token=reader) for _ in range(10)]
    assert [a.status_code for a in whole] == [200] * 10 and {a.headers["ETag"] for a in whole} == {tag}
    assert all(a.json() == page.json() for a in whole) and feed_asked(stack, "home_feed") == asked

    post = api.post(
        f"/api/v1/subwikis/{slug}/posts",
        token=mod,
        json={"kind": "text", "title": "Fresh news", "body": "Something changed."},
    ).json()

    changed = wait_until(lambda: (answer := revalidate(tag)).status_code == 200 and answer)
    assert changed.headers["ETag"] != tag
    assert [item["post"]["id"] for item in changed.json()["items"]] == [post["id"], first["id"]]
    # The new page is the one a reader without a kept copy gets from every gateway process once each heard the
    # change (the feed tells its commits a tenth of a second at a time), and revalidates as unchanged in turn.
    new_tag = changed.headers["ETag"]
    wait_until(lambda: all(api.get(home, token=reader).headers["ETag"] == new_tag for _ in range(10)), timeout=10)
    assert revalidate(changed.headers["ETag"]).status_code == 304


def test_the_feed_s_broadcasts_name_the_transactions_they_tell(api, stack, wait_until):
    """On PostgreSQL each message on ``feed.pages`` names the transactions whose changes it tells (their ids,
    ``pg_current_xact_id``): with the snapshot each page comes with, a gateway process tells a change a page holds
    from one it may miss (gateway.pagetags, svclib.snapshots)."""
    heard: list[dict] = []
    with Connection(stack.env["AMQP_URI"]) as connection:
        queue = Queue(
            f"e2e-feed-pages-{uuid.uuid4().hex[:8]}",
            Exchange("feed.pages", type="fanout", durable=True),
            exclusive=True,
        )
        with connection.Consumer(queue, callbacks=[lambda body, message: (heard.append(body), message.ack())]):
            _, author = api.register("xactsauthor")
            slug = f"xacts_{uuid.uuid4().hex[:8]}"
            wait_until(
                lambda: (
                    api.post("/api/v1/subwikis", token=author, json={"slug": slug, "name": "Told"}).status_code == 201
                )
            )
            api.post(
                f"/api/v1/subwikis/{slug}/posts", token=author, json={"kind": "text", "title": "Told", "body": "Hi."}
            )

            def told() -> bool:
                try:
                    connection.drain_events(timeout=0.5)
                except TimeoutError:
                    pass
                return any("front:week" in (m.get("tags") or ()) for m in heard)

            wait_until(told, timeout=20)
    assert heard and all(
        isinstance(m.get("xacts"), list) and m["xacts"] and all(isinstance(x, int) for x in m["xacts"]) for m in heard
    ), heard
