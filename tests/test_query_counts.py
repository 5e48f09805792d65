"""A granted share page costs a number of queries set by the relations it shows, never by the
rows behind them: one linked row or many, at any depth, filtered or granted object by object.
The admin's recipients (the Shares panel, the share's page) cost none per recipient either."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from guardian.shortcuts import assign_perm
from rest_framework.test import APIClient

from directus_shares import sharing
from directus_shares.models import Share, ShareRecipient
from directus_shares.queries import fast_path_serves
from example_project.reports.models import Person, Report
from tests.factories import (
    DeviceFactory,
    RoleFactory,
    ShareFactory,
    UserFactory,
    permission,
    rule,
)
from tests.helpers import open_share
from tests.testapp.models import Author, Cover, Desk, Dossier, Floor, Page, Topic

pytestmark = pytest.mark.django_db

MODELS = [Dossier, Author, Desk, Floor, Topic, Page, Cover]

#: Queries that read a share with its rights: the fast path's one statement (SQLite, PostgreSQL),
#: or the ORM route's two (the share row, then every right in one UNION) on other databases.
LOOKUP = 1 if fast_path_serves() else 2


def dossier_with(rows: int) -> Dossier:
    """A dossier with ``rows`` rows behind each of its relations, each linked on to rows of its
    own (so the next level has ``rows`` objects too)."""

    def author(name: str) -> Author:
        floor = Floor.objects.create(name=f"{name} floor")
        return Author.objects.create(name=name, desk=Desk.objects.create(name="desk", floor=floor))

    shared = Dossier.objects.create(title="shared", author=author("a shared"))
    Cover.objects.create(dossier=shared, text="cover")
    for n in range(rows):
        topic = Topic.objects.create(name=f"t{n}")
        shared.topics.add(topic)
        Page.objects.create(dossier=shared, text=f"page {n}", topic=topic)
        other = Dossier.objects.create(title=f"see also {n}", author=author(f"a{n}"))
        other.topics.add(topic)
        shared.see_also.add(other)
        follower = Dossier.objects.create(
            title=f"follower {n}", author=author(f"f{n}"), follows=shared
        )
        follower.see_also.add(other)
    return shared


def page_queries(share: Share) -> int:
    """How many queries a granted visitor's reload of the page costs."""
    client = Client()
    assert open_share(client, share).status_code == 303
    client.get(share.get_absolute_url())  # warm the process's caches (content types)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(share.get_absolute_url())
    assert response.status_code == 200
    return len(queries)


def grant_each(holder: object, model: type, objects: list) -> None:
    """django-guardian ``view`` grants on each of ``objects`` instead of the model permission."""
    if isinstance(holder, Group):
        holder.permissions.remove(permission("view", model))
    for obj in objects:
        assign_perm(f"view_{model._meta.model_name}", holder, obj)


def with_row_filters(role: Group) -> None:
    rule(role, Dossier, all_fields=True, read_filter={"status": "open"})
    rule(role, Author, all_fields=True, read_filter={"name__startswith": "a"})
    rule(role, Page, all_fields=True, read_filter={"text__startswith": "page"})
    rule(role, Topic, all_fields=True, read_filter={"name__startswith": "t"})


def with_object_grants(role: Group) -> None:
    for model in (Page, Topic, Author):
        grant_each(role, model, list(model.objects.all()))


RIGHTS: dict[str, Callable[[Group], object]] = {
    "model-permissions": lambda role: None,
    "row-filters": with_row_filters,
    "object-grants": with_object_grants,
}


@pytest.mark.parametrize("depth", [1, 2, 3])
@pytest.mark.parametrize("rights", RIGHTS.values(), ids=RIGHTS.keys())
def test_one_linked_row_or_many_cost_the_same_queries(depth, rights, django_assert_num_queries):
    one, many = dossier_with(1), dossier_with(7)
    role = RoleFactory(view=MODELS)
    rights(role)
    with override_settings(DIRECTUS_SHARES={"RELATED_DEPTH": depth}):
        expected = page_queries(ShareFactory(content_object=one, role=role))
        share = ShareFactory(content_object=many, role=role)
        client = Client()
        open_share(client, share)
        with django_assert_num_queries(expected):
            content = client.get(share.get_absolute_url()).content.decode()
    assert "page 6" in content and "follower 6" in content  # the many rows are shown
    assert ("a shared floor" in content) is (depth >= 3)  # dossier → author → desk → floor


@pytest.mark.parametrize("limited", ["row-filters", "object-grants"])
def test_a_creators_narrower_rights_cost_no_query_per_row(limited, django_assert_num_queries):
    one, many = dossier_with(1), dossier_with(7)
    creator = UserFactory()
    team = RoleFactory(view=MODELS)
    creator.groups.add(team)
    if limited == "row-filters":
        with_row_filters(team)
    else:
        grant_each(creator, Page, list(Page.objects.all()))
        team.permissions.remove(permission("view", Page))
    role = RoleFactory(view=MODELS)

    def share_of(dossier: Dossier) -> Share:
        return ShareFactory(
            content_object=dossier, role=role, created_by=creator, creator_in_role=False
        )

    expected = page_queries(share_of(one))
    share = share_of(many)
    client = Client()
    open_share(client, share)
    with django_assert_num_queries(expected):
        content = client.get(share.get_absolute_url()).content.decode()
    assert "page 6" in content


def test_more_rows_than_the_page_shows_cost_no_more(django_assert_num_queries):
    role = RoleFactory(view=MODELS)
    with override_settings(DIRECTUS_SHARES={"RELATED_OBJECTS_LIMIT": 3}):
        expected = page_queries(ShareFactory(content_object=dossier_with(3), role=role))
        share = ShareFactory(content_object=dossier_with(9), role=role)
        client = Client()
        open_share(client, share)
        with django_assert_num_queries(expected):
            content = client.get(share.get_absolute_url()).content.decode()
    assert "page 2" in content and "page 3" not in content
    assert "Only the first 3 are shown." in content


# -- what the count does grow with ---------------------------------------------------------------

#: The dossier's relations that cost a query: to-many ones, and the reverse one-to-one.
QUERIED = ["topics", "see_also", "pages", "cover", "followed_by"]


@pytest.mark.parametrize("shown", [[], ["pages"], ["pages", "cover"], QUERIED])
def test_each_relation_of_the_shared_object_shown_costs_one_query(shown):
    """One query per to-many (or reverse one-to-one) relation, whatever its rows; a foreign key
    whose rows the share may all read comes joined with the shared object, for no query."""
    role = RoleFactory(view=MODELS)
    rule(role, Dossier, fields=["title", "author", *shown])
    with override_settings(DIRECTUS_SHARES={"RELATED_DEPTH": 1}):
        queries = page_queries(ShareFactory(content_object=dossier_with(4), role=role))
    assert queries == LOOKUP + 1 + len(shown)  # the share and its rights; the dossier, its author


def test_a_filtered_foreign_key_costs_one_query_for_all_its_objects():
    role = RoleFactory(view=MODELS)
    rule(role, Dossier, fields=["title", "author", "see_also"])
    with override_settings(DIRECTUS_SHARES={"RELATED_DEPTH": 2}):
        joined = page_queries(ShareFactory(content_object=dossier_with(5), role=role))
        rule(role, Author, all_fields=True, read_filter={"name__startswith": "a"})
        filtered = page_queries(ShareFactory(content_object=dossier_with(5), role=role))
    # Unfiltered: the shared author and its desk come joined with the dossier, the see-also
    # dossiers' authors with them (1). Filtered: the shared author (with its desk) and the
    # see-also dossiers' authors cost a query each.
    assert (joined, filtered) == (LOOKUP + 1 + 1, LOOKUP + 1 + 1 + 2)


# -- what each route costs: the share page, an API item read, a counted open ---------------------


@pytest.mark.django_db(transaction=True)  # no test transaction: no savepoints around writes
def test_the_page_the_api_item_and_a_counted_open_cost_fixed_queries():
    """The lookup, then the object (page, item), or the counting ``UPDATE`` – which checks the
    object too – and the access-log row (counted open)."""
    share = ShareFactory()
    client = Client()
    with CaptureQueriesContext(connection) as opened:
        assert open_share(client, share).status_code == 303
    with CaptureQueriesContext(connection) as page:
        assert client.get(share.get_absolute_url()).status_code == 200
    api = APIClient()
    with CaptureQueriesContext(connection) as counted:
        token = api.post(f"/api/shares/open/{share.token}/auth/", {}, format="json")
    assert token.status_code == 200
    with CaptureQueriesContext(connection) as item:
        response = api.get(
            f"/api/shares/open/{share.token}/item/",
            HTTP_AUTHORIZATION=f"Share {token.json()['access_token']}",
        )
    assert response.status_code == 200
    writes = [
        query["sql"].lstrip("(").split()[0]
        for query in counted.captured_queries
        if query["sql"].lstrip("(").split()[0] not in ("SELECT", "WITH")
    ]
    assert writes == ["UPDATE", "INSERT"]
    assert (len(item), len(counted)) == (LOOKUP + 1, LOOKUP + 2)
    # The page adds a query per to-many relation it shows (counted exactly above).
    assert len(page) >= LOOKUP + 1
    assert len(opened) >= len(counted)  # the landing page's own lookup comes first


def test_the_shared_object_is_read_by_its_key_without_its_default_ordering():
    """Report orders by title: sorting the one row read by its key would only cost work, on the
    page (the object) and on a counted open (the ``UPDATE``'s check of the object)."""
    report = Report.objects.create(title="T", summary="S", author=Person.objects.create(name="P"))
    share = ShareFactory(content_object=report, role=RoleFactory(view=[Report]))
    table = connection.ops.quote_name(Report._meta.db_table)
    client = Client()
    with CaptureQueriesContext(connection) as opened:
        assert open_share(client, share).status_code == 303
    with CaptureQueriesContext(connection) as page:
        response = client.get(share.get_absolute_url())
    assert response.status_code == 200
    assert "T" in response.content.decode()
    reads = [q["sql"] for q in [*opened, *page] if f"FROM {table}" in q["sql"]]
    assert reads  # the object was read (and checked) …
    assert not [sql for sql in reads if "ORDER BY" in sql]  # … never sorted


# -- the admin's recipients: the Shares panel and the share's page ---------------------------------


def admin_queries(client: Client, url: str) -> int:
    client.get(url)  # warm the process's caches (content types, the admin's)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def give_recipients(share: Share, count: int) -> None:
    """``count`` recipients of ``share``, each opened on a device, half flagged forwarded."""
    added, _already = sharing.add_recipients(
        share.created_by, share, [f"r{share.pk}-{n}@example.com" for n in range(count)]
    )
    for n, recipient in enumerate(added):
        DeviceFactory(recipient=recipient)
        if n % 2:
            ShareRecipient.objects.filter(pk=recipient.pk).update(forwarded_at=timezone.now())


def test_the_shares_panel_costs_the_same_queries_with_one_recipient_or_many():
    report = Report.objects.create(
        title="r", summary="s", status="done", author=Person.objects.create(name="Ada")
    )
    shares = [ShareFactory(content_object=report) for _ in range(3)]
    client = Client()
    client.force_login(UserFactory(is_superuser=True))
    url = f"/admin/reports/report/{report.pk}/change/"
    for share in shares:
        give_recipients(share, 1)
    few = admin_queries(client, url)
    for share in shares:
        give_recipients(share, 9)
    assert admin_queries(client, url) == few


def test_the_shares_admin_page_costs_the_same_queries_with_one_recipient_or_many():
    share = ShareFactory()
    client = Client()
    client.force_login(UserFactory(is_superuser=True))
    url = f"/admin/directus_shares/share/{share.pk}/change/"
    give_recipients(share, 1)
    few = admin_queries(client, url)
    give_recipients(share, 12)
    assert admin_queries(client, url) == few
