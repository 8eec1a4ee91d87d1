"""`make run`'s demo data, made through the API as it is there: with the spam defences on, as in
production (a person's same comment twice, or a new account's second subwiki of the day, is refused)."""

import requests

from devstack import seed


def test_the_demo_data_is_made_with_the_spam_defences_on_and_once(stack_factory, wait_until):
    stack = stack_factory(SPAM_DEFENCES="on")
    made = seed.seed(stack.gateway_url)  # raises on any refused request
    assert "people" in made and "subwikis" in made, made
    assert seed.seed(stack.gateway_url).startswith("already present")
    api = stack.gateway_url + "/api/v1"

    def on_the_front_page():
        items = requests.get(f"{api}/feed/public?window=all", timeout=10).json()["items"]
        return len(items) == len(seed.POSTS) and items

    items = wait_until(on_the_front_page)
    assert {item["post"]["title"] for item in items} == {body["title"] for _, _, body in seed.POSTS}
