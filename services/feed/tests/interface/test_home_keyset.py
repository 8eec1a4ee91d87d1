"""The home feed's keyset union (a walk per subwiki and per followed person, merged) answers exactly what
the single filtered scan it replaced answered: same entries, same order, same cursors, page after page,
on varied data with ties in every sort key, posts both in a joined subwiki and by a followed person,
hidden posts and erased authors. On PostgreSQL (where the union runs) and on SQLite."""

import random
from datetime import timedelta

import pytest
from sqlalchemy import and_, bindparam, insert, or_, select

from feed import pages
from feed.models import Base, FeedFollow, FeedMembership, FeedPost
from feed.pages import assembly, home, keyset, scan
from svclib.db import StandaloneDatabase, utcnow
from svclib.db import driver as rows
from svclib.testing import plan_at_scale

NOW = utcnow()
POST = keyset.POST
READERS = ("everything", "subwikis_only", "people_only", "nothing", "one_of_each")


def old_condition(kind: str, windowed: bool) -> list:
    """The home feed's rows as the single scan chose them: posts in my subwikis OR by people I follow."""
    if kind != "home":
        return scan.condition(kind, windowed)
    subwikis = select(FeedMembership.subwiki_id).where(FeedMembership.user_id == bindparam("user_id"))
    followees = select(FeedFollow.followee_id).where(FeedFollow.follower_id == bindparam("user_id"))
    return [POST.visible.is_(True), or_(POST.subwiki_id.in_(subwikis), POST.author_id.in_(followees))]


def old_scan_statement(kind, sort, windowed, after):
    column = keyset.SORT_COLUMNS[sort]
    conditions = old_condition(kind, windowed) + ([keyset.after(column)] if after else [])
    return (
        keyset.shown_columns().where(and_(*conditions)).order_by(column.desc(), POST.id.desc()).limit(bindparam("size"))
    )


def old_new_creator_statement(kind, sort, windowed, after, _dialect=None):
    column = keyset.SORT_COLUMNS[sort]
    conditions = [
        *old_condition(kind, windowed),
        POST.approval > bindparam("median"),
        POST.id.notin_(bindparam("excluded", expanding=True)),
        POST.small_author.is_(True),
    ]
    if after:
        conditions.append(keyset.after(column))
    return keyset.shown_columns().where(and_(*conditions)).order_by(column.desc(), POST.id.desc()).limit(1)


def seed(database: StandaloneDatabase) -> None:
    """Posts in 12 subwikis by 30 authors, few distinct values of every sort key (ties everywhere)."""
    rng = random.Random(15)
    subwikis = [f"s{n:02}" for n in range(12)]
    authors = [f"a{n:02}" for n in range(30)]
    rows = []
    for n in range(300):
        approval = rng.choice((0.0, 0.2, 0.5, 0.5, 0.8))
        rows.append(
            {
                "id": f"{rng.choice('0123456789abcdef')}{n:04}",
                "subwiki_id": rng.choice(subwikis[:4]) if rng.random() < 0.5 else rng.choice(subwikis),
                "subwiki_slug": "slug",
                "author_id": None if rng.random() < 0.03 else rng.choice(authors),
                "author_username": "name",
                "author_display_name": "Name",
                "subwiki_name": "Subwiki",
                "small_author": rng.random() < 0.3,
                "kind": "text",
                "title": f"post {n}",
                "posted_at": NOW - timedelta(hours=rng.choice((1, 2, 3, 5, 8))),
                "visible": rng.random() > 0.1,
                "approval": approval,
                "quality": approval,
                "rank": rng.choice((0.1, 0.25, 0.4, 0.4, 0.7)),
                "refreshed_at": NOW,
                "refresh_due": NOW,
                "created_at": NOW,
                "updated_at": NOW,
            }
        )
    sources = {
        "everything": (subwikis[:6], authors[:15]),
        "subwikis_only": (subwikis[2:5], []),
        "people_only": ([], authors[10:25]),
        "nothing": ([], []),
        "one_of_each": ([subwikis[0]], [authors[0]]),
    }
    with database.transaction() as tx:
        tx.connection.execute(insert(FeedPost), rows)
        for reader, (joined, followed) in sources.items():
            for subwiki in joined:
                tx.connection.execute(
                    insert(FeedMembership).values(user_id=reader, subwiki_id=subwiki, created_at=NOW, updated_at=NOW)
                )
            for followee in followed:
                tx.connection.execute(
                    insert(FeedFollow).values(follower_id=reader, followee_id=followee, created_at=NOW, updated_at=NOW)
                )


def every_page(database, reader: str, sort: str, size: int) -> list[dict]:
    answers, cursor = [], None
    with database.reading() as tx:
        while True:
            answer = pages.home_feed(tx, reader, sort, size, cursor, NOW)
            answers.append(answer)
            cursor = answer["next_cursor"]
            if cursor is None or len(answers) > 700:
                return answers


@pytest.fixture(params=["postgresql", "sqlite"])
def database(request, tmp_path):
    url = request.getfixturevalue("database_url")("feed") if request.param == "postgresql" else "sqlite://"
    database = StandaloneDatabase(Base.metadata, url)
    seed(database)
    yield database
    database.dispose()


@pytest.fixture(params=["dense", "sparse"])
def density(request, monkeypatch):
    """Every batch read as a dense reader's (the probe of the index fills it: the filtered scan's batch) or as
    a sparse reader's (the probe never fills it: walked per source)."""
    monkeypatch.setattr(home, "PROBE_AHEAD", 100_000 if request.param == "dense" else 0)
    return request.param


def statements_of(database, reader: str, monkeypatch) -> list[str]:
    """The SQL a reader's first home page runs: through SQLAlchemy, or straight on psycopg (svclib.db.driver)."""
    from sqlalchemy import event

    seen: list[str] = []

    def driver_sql(statement, connection):
        sql = on_driver(statement, connection)
        if sql is not None:
            seen.append(sql)
        return sql

    on_driver = rows.driver_sql
    with monkeypatch.context() as patched, database.reading() as tx:
        patched.setattr(rows, "driver_sql", driver_sql)
        listener = lambda *args: seen.append(args[2])  # noqa: E731 (conn, cursor, statement, ...)
        event.listen(tx.connection, "before_cursor_execute", listener)
        pages.home_feed(tx, reader, "quality", 25, None, NOW)
        event.remove(tx.connection, "before_cursor_execute", listener)
    return seen


def test_a_dense_reader_is_read_by_a_scan_of_the_index_a_sparse_one_walked_per_source(database, monkeypatch):
    """The reader of half the subwikis and half the people finds a page in the next rows of the rank index
    without a walk; the reader of one subwiki and one person walks each (on PostgreSQL; SQLite scans)."""
    dense = statements_of(database, "everything", monkeypatch)
    sparse = statements_of(database, "one_of_each", monkeypatch)
    assert dense and sparse
    walks = database.engine.dialect.name == "postgresql"
    assert not any("LATERAL" in statement for statement in dense)
    assert any("LATERAL" in statement for statement in sparse) == walks


@pytest.mark.usefixtures("density")
def test_the_keyset_union_pages_as_the_single_scan_did(database, monkeypatch):
    for sort in assembly.SORTS:
        for size in (3, 25):
            for reader in READERS:
                now = every_page(database, reader, sort, size)
                with monkeypatch.context() as old:
                    old.setattr(assembly, "keyset_union", lambda kind, dialect: False)
                    old.setattr(assembly, "scan_statement", old_scan_statement)
                    old.setattr(assembly, "new_creator_statement", old_new_creator_statement)
                    old.setattr(pages, "home_sources", lambda tx, user_id: {"user_id": user_id})
                    before = every_page(database, reader, sort, size)
                assert now == before, (reader, sort, size)
                if reader == "everything" and size == 25:
                    shown = [item["post_id"] for answer in now for item in answer["items"]]
                    assert len(shown) == len(set(shown)) > 50


def a_post(post_id: str, subwiki: str, author: str, rank: float) -> dict:
    return {
        "id": post_id,
        "subwiki_id": subwiki,
        "subwiki_slug": "slug",
        "author_id": author,
        "small_author": False,
        "kind": "text",
        "title": post_id,
        "posted_at": NOW,
        "visible": True,
        "approval": rank,
        "quality": rank,
        "rank": rank,
        "refreshed_at": NOW,
        "refresh_due": NOW,
        "created_at": NOW,
        "updated_at": NOW,
    }


def as_the_scan_reads_it(database: StandaloneDatabase, monkeypatch, sort: str) -> dict:
    """The first home page of "me" by ``sort`` as the single filtered scan gives it (from here on in the test)."""
    monkeypatch.setattr(assembly, "keyset_union", lambda kind, dialect: False)
    with database.reading() as tx:
        return pages.home_feed(tx, "me", sort, 25, None, NOW)


def reader_of(database: StandaloneDatabase, posts: list[dict]) -> None:
    """Hold ``posts`` and make "me" a member of every subwiki they are in."""
    with database.transaction() as tx:
        tx.connection.execute(insert(FeedPost), posts)
        for subwiki in sorted({post["subwiki_id"] for post in posts}):
            tx.connection.execute(
                insert(FeedMembership).values(user_id="me", subwiki_id=subwiki, created_at=NOW, updated_at=NOW)
            )


@pytest.mark.usefixtures("density")
def test_a_page_filled_where_the_walks_stop_still_has_a_next_page(database, monkeypatch):
    """Once an author is capped on a page, the walks leave their posts out; the page still has a next one
    when only such posts follow its last."""
    posts = [a_post(f"x{n:02}", "busy", "prolific", 100.0 - n) for n in range(16)]
    posts += [a_post("other", "busy", "someone", 84.5)]
    posts += [a_post(f"y{n:02}", "busy", "prolific", 84.0 - n) for n in range(4)]
    with database.transaction() as tx:
        tx.connection.execute(insert(FeedPost), posts)
        tx.connection.execute(
            insert(FeedMembership).values(user_id="me", subwiki_id="busy", created_at=NOW, updated_at=NOW)
        )
    answers = every_page(database, "me", "quality", 3)
    assert [item["post_id"] for item in answers[0]["items"]] == ["x00", "x01", "other"]
    assert [item["post_id"] for item in answers[1]["items"]] == ["y00", "y01"]
    with monkeypatch.context() as old:
        old.setattr(assembly, "keyset_union", lambda kind, dialect: False)
        old.setattr(assembly, "scan_statement", old_scan_statement)
        old.setattr(assembly, "new_creator_statement", old_new_creator_statement)
        old.setattr(pages, "home_sources", lambda tx, user_id: {"user_id": user_id})
        assert every_page(database, "me", "quality", 3) == answers


def test_a_post_both_in_a_joined_subwiki_and_by_a_followed_person_comes_once(database):
    with database.transaction() as tx:
        tx.connection.execute(insert(FeedPost).values(**a_post("both", "s00", "a00", 5.0)))
    for sort in assembly.SORTS:
        shown = [
            item["post_id"] for answer in every_page(database, "one_of_each", sort, 25) for item in answer["items"]
        ]
        assert shown.count("both") == 1


def test_a_home_batch_by_quality_reads_keys_alone_and_only_its_own_rows_whole(database_url, monkeypatch):
    """A batch by quality is one statement: each source's keys are read from its index alone (index-only scans
    of visible posts), first a few a source, then down to the floor those give; only the batch's own rows are
    read whole. However the best posts are spread among the sources (on PostgreSQL, where the walks run): here
    one source holds the twenty best posts and ten others hold a few each, below them, so the sparse sources
    give a few keys each and the dense one the batch."""
    database = StandaloneDatabase(Base.metadata, database_url("feed"))
    try:
        posts = [a_post(f"d{n:02}", "dense", f"a{n:02}", 100.0 - n) for n in range(30)]
        posts += [a_post(f"s{m}{n}", f"sparse{m}", f"b{m}", 50.0 - n - m / 10) for m in range(10) for n in range(5)]
        reader_of(database, posts)
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE feed_posts")  # the visibility map an index-only scan reads
        ran = []

        def recording(run):
            def recorded(connection, statement, params):
                ran.append((rows.driver_sql(statement, connection), dict(params)))
                return run(connection, statement, params)

            return recorded

        with database.reading() as tx:
            sources = pages.home_sources(tx, "me")
            monkeypatch.setattr(home, "all_rows", recording(rows.all_rows))
            monkeypatch.setattr(home, "first_row", recording(rows.first_row))
            batch = home.home_batch(tx.connection, "quality", sources, None, 20, None)
            assert [row.id for row in batch] == [f"d{n:02}" for n in range(20)]
            ((batch_sql, batch_params),) = ran
        plan = plan_at_scale(database.engine, batch_sql, batch_params)
        with database.engine.connect() as connection:
            # Planned as on large tables, where a batch's few ids are looked up one by one (tiny tables are read whole).
            for method in ("seqscan", "mergejoin", "hashjoin"):
                connection.exec_driver_sql(f"SET LOCAL enable_{method} = off")
            batch_plan = connection.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + batch_sql, batch_params)
            batch_plan = batch_plan.scalar()[0]["Plan"]
    finally:
        database.dispose()

    def nodes(node: dict) -> list[dict]:
        return [node, *(found for child in node.get("Plans", []) for found in nodes(child))]

    walks = [node["Actual Rows"] for node in nodes(batch_plan) if node["Node Type"] == "Append"]
    first, second = sorted(walks, reverse=True)
    assert first == home.FIRST_KEYS * 11  # a few keys a source first (FIRST_KEYS, fewer than five)
    assert second < 2 * 20  # then down to the floor: the dense source's twenty, a few from the others
    whole = [node for node in nodes(batch_plan) if node.get("Alias") == "shown"]
    assert sum(node["Actual Rows"] * node["Actual Loops"] for node in whole) == 20  # the batch's rows, read whole
    assert plan.count("Index Only Scan Backward using ix_feed_posts_subwiki_rank") == 2, plan
    assert "Index Scan Backward using ix_feed_posts_subwiki_rank" not in plan, plan


def recorded_batches(monkeypatch) -> list[tuple[str, int]]:
    """Each batch a home page asks for from here on, in order: ``("probe", size)`` or ``("walks", size)``."""
    batches: list[tuple[str, int]] = []
    probe, batch = assembly.home_probe, assembly.home_batch
    monkeypatch.setattr(assembly, "home_probe", lambda *a: batches.append(("probe", a[-1])) or probe(*a))
    monkeypatch.setattr(assembly, "home_batch", lambda *a: batches.append(("walks", a[-2])) or batch(*a))
    return batches


def test_once_the_caps_hand_a_page_to_the_walks_they_read_what_the_page_still_needs(database_url, monkeypatch):
    """A subwiki holds the 55 best posts of a reader's home feed, five others ten each below them: the page's
    first batch (the probe's 35 rows: the page, one more, SCAN_AHEAD less one) holds that subwiki's posts alone,
    five of them shown (its cap), and the walks, which leave the capped subwiki out, read what the page still
    needs and the same margin (30 rows), not twice the first batch. The page is the one the single scan gives (on
    PostgreSQL, where the walks run)."""
    database = StandaloneDatabase(Base.metadata, database_url("feed"))
    try:
        posts = [a_post(f"b{n:02}", "big", f"a{n:02}", 100.0 - n) for n in range(55)]
        posts += [a_post(f"s{m}{n}", f"small{m}", f"b{m}{n}", 40.0 - n - m / 10) for m in range(5) for n in range(10)]
        reader_of(database, posts)
        batches = recorded_batches(monkeypatch)
        with database.reading() as tx:
            page = pages.home_feed(tx, "me", "quality", 25, None, NOW)
        scanned = as_the_scan_reads_it(database, monkeypatch, "quality")
    finally:
        database.dispose()
    assert batches == [("probe", 25 + assembly.SCAN_AHEAD), ("walks", 25 - 5 + assembly.SCAN_AHEAD)]
    shown = [item["post_id"] for item in page["items"]]
    assert shown[:5] == ["b00", "b01", "b02", "b03", "b04"] and len(shown) == 25
    assert page == scanned


def test_a_home_page_reads_a_scans_batch_whether_probed_or_walked(database_url, monkeypatch):
    """A ranked home page's first batch is what the front page's scan reads (the page, one more, SCAN_AHEAD less
    one), not a page more: a reader of the busiest subwikis finds the page in the probe's 35 rows (60 rows read
    whole cost a third more); a reader whose posts lie far down the index (below 400 posts of subwikis they did
    not join) finds too few there, and the walks read 35 rows too. Both pages are the single scan's."""
    database = StandaloneDatabase(Base.metadata, database_url("feed"))
    try:
        busiest = [a_post(f"n{n:03}", f"busy{n % 10}", f"e{n % 40:02}", 500.0 - n) for n in range(400)]
        mine = [
            a_post(f"m{m}{n:02}", f"mine{m}", f"m{m}{n % 3}", 50.0 - n - m / 10) for m in range(6) for n in range(20)
        ]
        reader_of(database, mine)
        with database.transaction() as tx:
            tx.connection.execute(insert(FeedPost), busiest)
            joined = [
                {"user_id": "dense", "subwiki_id": f"busy{m}", "created_at": NOW, "updated_at": NOW} for m in range(10)
            ]
            tx.connection.execute(insert(FeedMembership), joined)
        batches = recorded_batches(monkeypatch)
        with database.reading() as tx:
            sparse = pages.home_feed(tx, "me", "quality", 25, None, NOW)
            sparse_batches, batches[:] = list(batches), []
            dense = pages.home_feed(tx, "dense", "quality", 25, None, NOW)
        scanned = as_the_scan_reads_it(database, monkeypatch, "quality")
        with database.reading() as tx:
            dense_scanned = pages.home_feed(tx, "dense", "quality", 25, None, NOW)
    finally:
        database.dispose()
    first = 25 + assembly.SCAN_AHEAD
    assert sparse_batches == [("probe", first), ("walks", first)]
    assert batches == [("probe", first)]
    assert sparse == scanned and len(sparse["items"]) == 25
    assert dense == dense_scanned and len(dense["items"]) == 25


def test_a_page_by_date_reads_its_rows_and_one_more(database_url, monkeypatch):
    """By date nothing is capped: a home page asks the probe for its 25 rows and the one that says more follow,
    not the 35 a ranked page looks at, and the front page's scan for as many; the pages are the single scan's."""
    database = StandaloneDatabase(Base.metadata, database_url("feed"))
    try:
        reader_of(database, [a_post(f"p{n:02}", f"s{n % 3}", f"a{n % 2}", float(n)) for n in range(60)])
        asked = []
        probe, scanned_rows = assembly.home_probe, assembly.all_rows
        monkeypatch.setattr(assembly, "home_probe", lambda *a: asked.append(("probe", a[-1])) or probe(*a))
        monkeypatch.setattr(
            assembly,
            "all_rows",
            lambda c, s, params: asked.append(("scan", params["size"])) or scanned_rows(c, s, params),
        )
        with database.reading() as tx:
            home_page = pages.home_feed(tx, "me", "new", 25, None, NOW)
            front_page = pages.public_feed(tx, "new", "all", 25, None, NOW)
        scanned = as_the_scan_reads_it(database, monkeypatch, "new")
    finally:
        database.dispose()
    assert asked == [("probe", 26), ("scan", 26), ("scan", 26)]
    assert home_page == scanned and len(home_page["items"]) == 25 and home_page["next_cursor"]
    assert [item["post_id"] for item in front_page["items"]] == [item["post_id"] for item in home_page["items"]]
