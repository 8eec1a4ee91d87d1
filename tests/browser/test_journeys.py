"""What people do on the site, in a real Chromium, end to end."""

from __future__ import annotations

import io
import re
import time
import uuid

from PIL import Image


def picture(colour: str) -> dict:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "PNG")
    return {"name": f"{colour}.png", "mimeType": "image/png", "buffer": buffer.getvalue()}


def post_id(url: str) -> str:
    return re.search(r"/posts/([0-9a-f]+)", url).group(1)


def eventually(check, timeout: float = 20.0, reload=None):
    """Events travel between services: look again until the effect shows."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return
        if time.monotonic() > deadline:
            raise AssertionError("the expected effect did not show in time")
        time.sleep(0.5)
        if reload:
            reload()


def submit(person, slug: str, kind: str, title: str, **fields) -> str:
    page = person.go(f"/submit?subwiki={slug}")
    page.get_by_label("Subwiki").select_option(slug)
    page.locator(f"input[name=kind][value={kind}]").check()
    page.get_by_label("Title").fill(title)
    if "url" in fields:
        page.get_by_label("Link (for a link post)").fill(fields["url"])
    if "body" in fields:
        page.get_by_label("Text (Markdown; a caption for pictures)").fill(fields["body"])
    if "picture" in fields:
        page.get_by_label(re.compile("^Picture")).set_input_files(fields["picture"])
    page.get_by_role("button", name="Post", exact=True).click()
    assert "Your post is up." in page.inner_text("main"), page.inner_text("main")
    assert page.inner_text("h1") == title
    return post_id(page.url)


def test_a_community_from_sign_up_to_revert_and_a_donation(people):
    moderator, member = people(), people()
    slug = f"club_{uuid.uuid4().hex[:8]}"
    name = f"Analytical engines {slug[-4:]}"

    # A person signs up and starts a subwiki: they are its first moderator.
    moderator.sign_up()
    page = moderator.page
    page.get_by_role("link", name="Start a subwiki").click()
    page.get_by_label("Short name for its address").fill(slug)
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Summary").fill("Gears, cards and the people who dreamt of them.")
    page.get_by_label("Description").fill("Everything about Babbage's engines.")
    page.get_by_role("button", name="Create").click()
    assert "Your subwiki is ready." in page.inner_text("main")
    moderator.axe("subwiki")
    moderator.shoot("subwiki")

    # Every kind of post, two of them with an uploaded picture.
    body = "The *Mill* did the arithmetic.\n\nThe Store kept numbers."
    article = submit(moderator, slug, "article", "How the Mill worked", body=body)
    submit(moderator, slug, "link", "The engine at the museum", url="https://www.example.org/engine")
    submit(moderator, slug, "text", "Cards for the loom and for numbers", body="Punched cards came from looms.")
    image = submit(moderator, slug, "image", "A gear, drawn", picture=picture("navy"), body="Drawn by hand.")
    submit(moderator, slug, "cartoon", "The engine has opinions", picture=picture("orange"))
    page = moderator.go(f"/posts/{image}")
    source = page.locator("figure img").get_attribute("src")
    assert source.startswith("/api/v1/uploads/")
    assert page.locator("figure img").evaluate("img => img.complete && img.naturalWidth") == 64

    # Someone else finds it from the front page, joins and takes part.
    member.sign_up()
    page = member.go("/")
    page.get_by_role("link", name="Subwikis", exact=True).first.click()
    page.get_by_label("Search subwikis").fill(slug[-4:])
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=name).click()
    page.get_by_role("button", name="Join").click()
    assert "You joined this subwiki." in page.inner_text("main")
    # Ranked pages show at most two posts per author: the newest first shows all five.
    page.get_by_role("navigation", name="Order").get_by_role("link", name="new").click()
    page.get_by_role("link", name="How the Mill worked").first.click()
    page.get_by_label("Add a comment").fill("Was the Mill ever built, even in part?")
    page.get_by_role("button", name="Comment", exact=True).click()
    assert "Was the Mill ever built" in page.inner_text("#comments")
    # Voting happens in place, without leaving the page.
    votes = page.locator("form[data-vote]")
    votes.get_by_role("button", name="Vote up").click()
    eventually(lambda: votes.locator("[data-up]").inner_text() == "1")
    assert votes.get_by_role("button", name="Vote up").get_attribute("aria-pressed") == "true"

    # The moderator replies to the comment.
    page = moderator.go(f"/posts/{article}")
    comment = page.locator("li", has_text="Was the Mill ever built")
    comment.get_by_role("link", name="Reply").first.click()  # the form comes in place
    comment.get_by_label("Your reply").fill("A trial piece of the Mill was built in 1871.")
    comment.get_by_role("button", name="Reply", exact=True).click()
    assert "A trial piece" in page.inner_text("#comments")
    moderator.axe("post")
    moderator.shoot("post")

    # The member, new here, improves the article: the edit waits for review.
    page = member.go(f"/posts/{article}")
    page.get_by_role("link", name="Edit this post").click()
    page.get_by_label("Text (Markdown)").fill("The *Mill* did the arithmetic.\n\nThe Store kept 1,000 numbers.")
    page.get_by_label("What did you change?").fill("How much the Store held")
    page.get_by_role("button", name="Preview changes").click()
    assert "The Store kept 1,000 numbers." in page.locator(".preview .d-add").all_inner_texts()
    page.get_by_role("button", name="Save").click()
    assert "waits for a trusted member or a moderator" in page.inner_text("main")

    # The moderator accepts it; the history shows what changed; then reverts it.
    page = moderator.go(f"/posts/{article}")
    held = page.locator("section.pending")
    assert "1,000 numbers" in held.inner_text()
    held.get_by_role("button", name="Accept").click()
    assert "The edit was accepted." in page.inner_text("main")
    assert "1,000 numbers" in page.inner_text("article.post")
    page.get_by_role("link", name="History").click()
    page.get_by_role("link", name="Show changes").first.click()
    assert "The Store kept 1,000 numbers." in page.locator(".diff-box .d-add").all_inner_texts()
    page.locator("li", has_text="Revision 1").get_by_role("button", name="Revert to this revision").click()
    assert "Revision 1 is restored." in page.inner_text("main")
    page = moderator.go(f"/posts/{article}")
    assert "1,000 numbers" not in page.inner_text("article.post")

    # The moderators' page of first posts waiting for approval, checked.
    page = moderator.go(f"/s/{slug}")
    page.get_by_role("link", name="First posts to approve").click()
    assert "No first post waits." in page.inner_text("main")
    moderator.axe("first posts")

    # The submit page and the profile, checked and pictured.
    moderator.go("/submit")
    moderator.axe("submit")
    moderator.shoot("submit")
    moderator.go(f"/u/{moderator.username}")
    moderator.axe("profile")

    # The member gives once through the payment provider's checkout; the ledger and the badge show it.
    page = member.go("/")
    page.get_by_role("link", name="Donate").first.click()
    member.axe("donate")
    member.shoot("donate")
    page.get_by_label("Amount").fill("12.50")
    page.get_by_role("button", name="Continue to payment").click()
    assert "Confirm your donation" in page.inner_text("h1")
    page.get_by_role("button", name="Confirm the donation").click()
    assert "Thank you!" in page.inner_text("h1")
    page.get_by_role("link", name="Public ledger").first.click()
    eventually(lambda: "12.50 EUR" in page.inner_text("table.ledger"), reload=page.reload)
    assert member.username in page.inner_text("table.ledger")
    page = member.go(f"/u/{member.username}")
    eventually(lambda: page.locator(".badge", has_text="Supporter").count() == 1, reload=page.reload)
    member.shoot("profile")
    page = member.go("/?window=all")
    member.axe("front")
    member.shoot("front")

    # Signing out.
    page.get_by_role("button", name="Sign out").click()
    assert "You are signed out." in page.inner_text("main")
    assert page.get_by_role("link", name="Sign in").count() >= 1


def test_reading_posting_and_commenting_without_javascript(people):
    person = people(javascript=False)
    person.sign_up()
    page = person.page
    page.get_by_role("link", name="Start a subwiki").click()
    slug = f"plain_{uuid.uuid4().hex[:8]}"
    page.get_by_label("Short name for its address").fill(slug)
    page.get_by_label("Name", exact=True).fill("Plain pages")
    page.get_by_label("Summary").fill("Everything works without scripts.")
    page.get_by_role("button", name="Create").click()
    assert "Your subwiki is ready." in page.inner_text("main")
    post = submit(person, slug, "text", "Forms still work", body="Nothing here needs JavaScript.")
    page = person.go(f"/posts/{post}")
    page.get_by_label("Add a comment").fill("And comments too.")
    page.get_by_role("button", name="Comment", exact=True).click()
    assert "And comments too." in page.inner_text("#comments")
    page.locator("form[data-vote]").get_by_role("button", name="Vote up").click()
    # The count on a post's page is the feed's, which follows content's events by a moment.
    deadline = time.monotonic() + 15
    while page.locator("form[data-vote] [data-up]").inner_text() != "1" and time.monotonic() < deadline:
        time.sleep(0.3)
        page = person.go(f"/posts/{post}")
    assert page.locator("form[data-vote] [data-up]").inner_text() == "1"
    # A failed form keeps what was typed: an empty title is refused with the reason by the field.
    page = person.go(f"/submit?subwiki={slug}")
    page.locator("input[name=kind][value=text]").check()
    page.get_by_label("Text (Markdown; a caption for pictures)").fill("Typed, not lost.")
    page.get_by_label("Title").fill(" ")
    person.refusals += 1
    page.get_by_role("button", name="Post", exact=True).click()
    assert page.get_by_label("Text (Markdown; a caption for pictures)").input_value() == "Typed, not lost."
    assert page.locator(".field.invalid").count() >= 1
    page = person.go("/?sort=new&window=all")
    assert "Forms still work" in page.inner_text("main")
    page = person.go(f"/s/{slug}")
    assert "Forms still work" in page.inner_text("main")

    # The moderator holds newcomers' first posts; a newcomer's waits, seen pending, until approved.
    page.get_by_role("link", name="First posts to approve").click()
    page.get_by_role("button", name="Hold each new member's first post for approval").click()
    assert "waits for a moderator's approval" in page.inner_text("main")
    newcomer = people(javascript=False)
    newcomer.sign_up()
    page = newcomer.go(f"/s/{slug}")
    page.get_by_role("button", name="Join").click()
    page = newcomer.go(f"/submit?subwiki={slug}")
    page.locator("input[name=kind][value=text]").check()
    page.get_by_label("Title").fill("Hello from a newcomer")
    page.get_by_label("Text (Markdown; a caption for pictures)").fill("My first post here.")
    page.get_by_role("button", name="Post", exact=True).click()
    assert "Your post waits for a moderator's approval" in page.inner_text("main")
    assert "Pending approval" in page.locator("li", has_text="Hello from a newcomer").inner_text()
    page = person.go(f"/s/{slug}/first-posts")
    page.locator("li", has_text="Hello from a newcomer").get_by_role("button", name="Approve").click()
    assert "Approved: the post is up" in page.inner_text("main")
    page = newcomer.go(f"/s/{slug}/first-posts")
    assert "None of your posts waits here." in page.inner_text("main")


def test_french_from_the_browser_language(chromium, site):
    context = chromium.new_context(base_url=site, locale="fr-FR", extra_http_headers={"Accept-Language": "fr-FR,fr"})
    page = context.new_page()
    page.goto("/")
    assert page.inner_text("h1") == "À la une"
    assert page.locator("html").get_attribute("lang") == "fr"
    page.get_by_label("Langue").select_option("en")
    page.get_by_role("button", name="Changer").click()
    assert page.inner_text("h1") == "Front page"
    context.close()
