"""What deleting a share's object, role or creator does: the share stays, visibly, and stops."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from directus_shares.models import Share, ShareStatus
from directus_shares.outcomes import Refusal
from example_project.reports.models import Person, Report, Tag
from tests.factories import CodeFactory, GadgetFactory, RoleFactory, ShareFactory, UserFactory
from tests.helpers import open_share
from tests.testapp.models import Company, Gadget

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/directus_shares/share/"
GONE = str(Refusal.UNAVAILABLE.title)


def make_report(title: str = "Figures") -> Report:
    return Report.objects.create(title=title, summary="…", author=Person.objects.create(name="A"))


def one_of_each_key_type() -> list[Share]:
    """Shares of objects with a UUID, integer, slug, odd text and inherited primary key."""
    return [
        ShareFactory(content_object=GadgetFactory()),
        ShareFactory(content_object=make_report()),
        ShareFactory(content_object=Tag.objects.create(slug=f"q-{Tag.objects.count()}", label="T")),
        ShareFactory(content_object=CodeFactory()),
        ShareFactory(content_object=Company.objects.create(name="ACME", vat_id="DE1")),
    ]


def share_of_a_removed_model() -> Share:
    retired = ContentType.objects.create(app_label="retired", model="widget")
    return Share.objects.create(content_type=retired, object_pk="1", name="Of a removed model")


def refused_as_gone(share: Share) -> None:
    response = Client().get(share.get_absolute_url())
    assert response.status_code == 410
    assert GONE in response.content.decode()


def delete_keeping_the_object(share: Share, thing: object) -> None:
    """Delete ``thing`` (the share's role or creator); the shared object stays, the share is
    kept (reloaded), is not orphaned, and tells visitors it is no longer available."""
    gadget = share.content_object
    thing.delete()
    share.refresh_from_db()
    assert Gadget.objects.filter(pk=gadget.pk).exists()
    assert share not in Share.objects.orphaned()
    refused_as_gone(share)


# -- the shared object ------------------------------------------------------------------------


def test_deleting_the_object_keeps_its_shares_as_orphaned_and_stops_them():
    shares = one_of_each_key_type()
    kept = one_of_each_key_type()
    assert list(Share.objects.orphaned()) == []
    for share in shares:
        share.content_object.delete()

    assert set(Share.objects.orphaned()) == set(shares)
    assert Share.objects.count() == len(shares) + len(kept)  # not deleted automatically
    for share in shares:
        refused_as_gone(share)


@pytest.mark.parametrize("how", ["queryset", "raw"])
def test_deletes_that_send_no_signals_orphan_the_share_too(how):
    share = ShareFactory(content_object=make_report())
    if how == "queryset":
        Report.objects.filter(pk=share.object_pk).delete()
    else:
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(Report._meta.db_table)
            cursor.execute(f"DELETE FROM {table} WHERE id = %s", [share.object_pk])  # noqa: S608

    assert list(Share.objects.orphaned()) == [share]
    refused_as_gone(share)


def test_a_share_whose_model_left_the_project_is_orphaned():
    share = share_of_a_removed_model()
    assert list(Share.objects.orphaned()) == [share]


@pytest.mark.parametrize(
    ("model", "object_pk"),
    [
        (Report, "abc"),
        (Report, "9223372036854775808"),  # past the largest key a database holds
        (Report, "-99999999999999999999"),
        (Gadget, "not-a-uuid"),
        (Gadget, "12"),
    ],
)
def test_a_key_its_model_cannot_hold_is_orphaned_without_a_database_error(model, object_pk):
    share = ShareFactory(content_object=make_report() if model is Report else GadgetFactory())
    Share.objects.filter(pk=share.pk).update(object_pk=object_pk)
    assert list(Share.objects.orphaned()) == [share]


def test_orphaned_asks_one_query_per_content_type_not_per_share():
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            list(Share.objects.orphaned())
        return len(captured)

    one_of_each_key_type()
    queries()  # the content type cache
    few = queries()
    for _ in range(5):
        one_of_each_key_type()[0].content_object.delete()
    assert queries() == few == 2  # the content types in use, then the shares


def test_orphaned_keeps_the_querysets_own_filters():
    mine, theirs = ShareFactory(), ShareFactory()
    for share in (mine, theirs):
        share.content_object.delete()
    assert list(Share.objects.filter(created_by=mine.created_by).orphaned()) == [mine]


@pytest.mark.urls("tests.api_open_urls")
def test_the_api_answers_410_for_a_deleted_object():
    share = ShareFactory()
    share.content_object.delete()
    response = APIClient().post(f"/api/shares/open/{share.token}/auth/", {}, format="json")
    assert response.status_code == 410
    assert response.json() == {"code": "unavailable", "detail": GONE}


# -- the role ---------------------------------------------------------------------------------


@override_settings(DIRECTUS_SHARES={"PUBLIC_ROLE": "Public"})
def test_deleting_the_role_keeps_the_object_and_the_share_grants_nothing_until_a_new_role():
    RoleFactory(name="Public", view=[Gadget])  # would show the gadget, but is never fallen back to
    share = ShareFactory()

    delete_keeping_the_object(share, share.role)

    assert share.role is None and share.role_removed
    assert share.status == ShareStatus.REVOKED

    share.reenable()  # still no role: it grants nothing
    response = open_share(Client(), share)
    assert response.status_code == Refusal.GRANTS_NOTHING.status
    assert str(Refusal.GRANTS_NOTHING.title) in response.content.decode()

    share.role = RoleFactory(view=[Gadget])
    share.created_by.groups.add(share.role)
    share.save()
    assert not Share.objects.get(pk=share.pk).role_removed
    assert open_share(Client(), share).status_code == 303


# -- the creator ------------------------------------------------------------------------------


def test_deleting_the_creator_keeps_the_object_and_the_share_no_longer_opens():
    share = ShareFactory()

    delete_keeping_the_object(share, share.created_by)

    assert share.created_by is None and share.creator_removed


# -- the admin --------------------------------------------------------------------------------


@pytest.fixture
def admin_client() -> Client:
    client = Client()
    client.force_login(UserFactory(is_superuser=True))
    return client


def listed(client: Client, **params: str) -> list[str]:
    response = client.get(CHANGELIST, params)
    assert response.status_code == 200
    return sorted(str(share) for share in response.context["cl"].result_list)


def test_the_admin_filters_and_flags_shares_whose_object_was_deleted(admin_client):
    alive = ShareFactory(name="alive")
    deleted = ShareFactory(name="object deleted")
    deleted.content_object.delete()
    removed = share_of_a_removed_model()

    assert listed(admin_client, object_deleted="1") == sorted([deleted.name, removed.name])
    assert listed(admin_client, object_deleted="0") == [alive.name]
    faceted = admin_client.get(CHANGELIST, {"_facets": "1"}).content.decode()
    assert "Yes (2)" in faceted and "No (1)" in faceted

    page = admin_client.get(CHANGELIST).content.decode()
    assert page.count("its object was deleted") == 1
    assert page.count("its model was removed") == 1


def test_the_share_page_says_its_object_was_deleted(admin_client):
    share = ShareFactory()
    page = admin_client.get(f"{CHANGELIST}{share.pk}/change/").content.decode()
    assert "no longer opens" not in page

    share.content_object.delete()
    with CaptureQueriesContext(connection) as captured:
        page = admin_client.get(f"{CHANGELIST}{share.pk}/change/").content.decode()
    assert "This link no longer opens: its object was deleted." in page
    gadget_table = Gadget._meta.db_table
    assert sum(gadget_table in query["sql"] for query in captured) == 1  # asked once


def test_the_object_deleted_filter_does_not_add_queries_per_row(admin_client):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(CHANGELIST, {"object_deleted": "1"}).status_code == 200
        return len(captured)

    for share in one_of_each_key_type():
        share.content_object.delete()
    queries()
    few = queries()
    for _ in range(3):
        for share in one_of_each_key_type():
            share.content_object.delete()
    assert queries() == few
