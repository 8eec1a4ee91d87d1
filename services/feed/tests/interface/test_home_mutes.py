"""The home feed of a reader who muted people and subwikis: the keyset union (muted sources not walked,
muted authors and subwikis skipped in the others' walks) answers what one filtered scan answers, page
after page, in every sort, on PostgreSQL and SQLite (the data and the old scan of test_home_keyset)."""

import pytest
from sqlalchemy import and_, bindparam, insert

from feed import pages
from feed.models import Base, FeedMute
from feed.pages import assembly, keyset, scan
from svclib.db import StandaloneDatabase

from .test_home_keyset import NOW, POST, density, every_page, old_condition, seed  # noqa: F401 (a fixture)

# The reader "everything" joined s00..s05 and follows a00..a14: muted, some of each and some neither.
MUTES = [("user", "a01"), ("user", "a12"), ("block", "a20"), ("subwiki", "s02"), ("subwiki", "s09")]


def filtered_condition(kind, windowed):
    conditions = old_condition(kind, windowed)
    return conditions + scan.muted_conditions() if kind == "home" else conditions


def filtered_scan_statement(kind, sort, windowed, after):
    column = keyset.SORT_COLUMNS[sort]
    conditions = filtered_condition(kind, windowed) + ([keyset.after(column)] if after else [])
    return (
        keyset.shown_columns().where(and_(*conditions)).order_by(column.desc(), POST.id.desc()).limit(bindparam("size"))
    )


def filtered_new_creator_statement(kind, sort, windowed, after, _dialect=None):
    column = keyset.SORT_COLUMNS[sort]
    conditions = [
        *filtered_condition(kind, windowed),
        POST.approval > bindparam("median"),
        POST.id.notin_(bindparam("excluded", expanding=True)),
        POST.small_author.is_(True),
    ]
    if after:
        conditions.append(keyset.after(column))
    return keyset.shown_columns().where(and_(*conditions)).order_by(column.desc(), POST.id.desc()).limit(1)


@pytest.fixture(params=["postgresql", "sqlite"])
def database(request):
    url = request.getfixturevalue("database_url")("feed") if request.param == "postgresql" else "sqlite://"
    database = StandaloneDatabase(Base.metadata, url)
    seed(database)
    with database.transaction() as tx:
        rows = [
            {"user_id": "everything", "kind": k, "target_id": t, "created_at": NOW, "updated_at": NOW} for k, t in MUTES
        ]
        tx.connection.execute(insert(FeedMute), rows)
    yield database
    database.dispose()


@pytest.mark.usefixtures("density")
def test_muted_people_and_subwikis_leave_the_home_feed_as_a_filtered_scan_leaves_them(database, monkeypatch):
    for sort in assembly.SORTS:
        for size in (3, 25):
            now = every_page(database, "everything", sort, size)
            shown = [item for answer in now for item in answer["items"]]
            assert shown and not {i["author_id"] for i in shown} & {"a01", "a12", "a20"}
            with monkeypatch.context() as old:
                old.setattr(assembly, "keyset_union", lambda kind, dialect: False)
                old.setattr(assembly, "scan_statement", filtered_scan_statement)
                old.setattr(assembly, "new_creator_statement", filtered_new_creator_statement)
                old.setattr(pages, "home_sources", lambda tx, user_id: {"user_id": user_id, "viewer_id": user_id})
                assert every_page(database, "everything", sort, size) == now, (sort, size)


def test_without_the_mutes_the_same_reader_sees_the_muted_posts(database):
    with database.transaction() as tx:
        tx.connection.execute(FeedMute.__table__.delete())
    shown = [item for answer in every_page(database, "everything", "new", 25) for item in answer["items"]]
    assert {"a01", "a12"} <= {item["author_id"] for item in shown}
