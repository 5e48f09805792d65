from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.utils import timezone

from directus_shares.models import Share, ShareStatus
from tests.factories import (
    CodeFactory,
    GadgetFactory,
    OwnerFactory,
    RoleFactory,
    ShareFactory,
    UserFactory,
)
from tests.helpers import open_share
from tests.testapp.models import Gadget

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "factory", [OwnerFactory, GadgetFactory, CodeFactory], ids=["int", "uuid", "str"]
)
def test_any_primary_key_type_can_be_shared(factory):
    obj = factory()
    share = ShareFactory(content_object=obj)
    share.refresh_from_db()
    assert share.content_object == obj
    assert list(Share.objects.for_object(obj)) == [share]


def test_token_is_not_the_primary_key_and_not_stored():
    share = ShareFactory()
    assert share.token.split(".")[0] == share.key != str(share.pk)
    stored = Share.objects.filter(pk=share.pk).values_list(flat=False).get()
    assert share.token not in [str(value) for value in stored]


def test_end_must_be_after_start():
    now = timezone.now()
    share = ShareFactory.build(date_start=now, date_end=now - timedelta(minutes=1))
    with pytest.raises(ValidationError) as error:
        share.full_clean(exclude=["content_type", "created_by", "role"])
    assert error.value.message_dict["date_end"] == ["The end must be after the start."]


@pytest.mark.parametrize("name", ["date_start", "date_end"])
def test_dates_before_2000_are_refused_as_a_typo(name):
    """Such dates fall before standard time in many zones (Berlin: before 1893, offset +00:53:28),
    which no ISO 8601 date-time the API writes could carry."""
    share = ShareFactory.build(**{name: datetime(273, 7, 26, 14, 27, tzinfo=UTC)})
    with pytest.raises(ValidationError) as error:
        share.full_clean(exclude=["content_type", "created_by", "role"])
    assert error.value.message_dict == {name: ["Choose a date in the year 2000 or later."]}
    share = ShareFactory.build(**{name: datetime(2000, 1, 1, tzinfo=UTC)})
    share.full_clean(exclude=["content_type", "created_by", "role"])


def test_end_before_start_is_refused_by_the_database_too():
    now = timezone.now()
    with pytest.raises(IntegrityError), transaction.atomic():
        ShareFactory(date_start=now, date_end=now - timedelta(seconds=1))


def test_max_uses_must_be_at_least_one():
    share = ShareFactory.build(max_uses=0)
    with pytest.raises(ValidationError) as error:
        share.full_clean(exclude=["content_type", "created_by", "role"])
    assert error.value.message_dict["max_uses"] == [
        "A share must allow at least one use. Leave it empty for no limit."
    ]
    with pytest.raises(IntegrityError), transaction.atomic():
        ShareFactory(max_uses=0)


def test_password_is_stored_only_as_an_argon2_hash():
    share = ShareFactory(password="s3cret!")
    share.refresh_from_db()
    assert share.password.startswith("argon2$")
    assert "s3cret!" not in share.password
    assert share.check_password("s3cret!")
    assert not share.check_password("wrong")


def test_password_can_be_changed_and_removed():
    share = ShareFactory(password="first")
    share.set_password("second")
    share.save()
    assert not share.check_password("first") and share.check_password("second")
    share.set_password(None)
    share.save()
    share.refresh_from_db()
    assert not share.has_password
    assert not share.check_password("")


def test_status_follows_the_order_of_checks():
    now = timezone.now()
    share = ShareFactory.build(max_uses=1, times_used=1, date_start=now + timedelta(hours=1))
    assert share.status_at(now) == ShareStatus.NOT_YET_OPEN
    share.date_start = now - timedelta(hours=2)
    share.date_end = now - timedelta(hours=1)
    assert share.status_at(now) == ShareStatus.EXPIRED
    share.date_end = None
    assert share.status_at(now) == ShareStatus.USED_UP
    share.max_uses = 2
    assert share.status_at(now) == ShareStatus.ACTIVE
    share.revoked_at = now
    assert share.status_at(now) == ShareStatus.REVOKED


def test_window_edges_are_start_inclusive_and_end_exclusive():
    start = timezone.now()
    share = ShareFactory.build(date_start=start, date_end=start + timedelta(hours=1))
    assert share.status_at(start - timedelta(microseconds=1)) == ShareStatus.NOT_YET_OPEN
    assert share.status_at(start) == ShareStatus.ACTIVE
    assert share.status_at(share.date_end - timedelta(microseconds=1)) == ShareStatus.ACTIVE
    assert share.status_at(share.date_end) == ShareStatus.EXPIRED


def test_rotating_the_key_changes_the_link():
    share = ShareFactory()
    old = share.get_absolute_url()
    share.rotate_key()
    share.save()
    assert share.get_absolute_url() != old


def test_deleting_a_role_revokes_its_shares_instead_of_widening_them():
    share = ShareFactory()
    share.role.delete()
    share.refresh_from_db()
    assert share.role is None
    assert share.status == ShareStatus.REVOKED


def test_revoke_and_reenable():
    share = ShareFactory()
    share.revoke()
    share.refresh_from_db()
    assert share.is_revoked
    share.reenable()
    share.refresh_from_db()
    assert not share.is_revoked and share.status == ShareStatus.ACTIVE


def test_keys_are_unique_in_the_database():
    share = ShareFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ShareFactory(key=share.key)


def test_the_quickstart_example_works():
    """docs/quickstart.md, step 5, as written."""
    report, reviewer, user = GadgetFactory(), RoleFactory(view=[Gadget]), UserFactory()
    share = Share(
        content_object=report,
        name="Q3 report for the board",
        role=reviewer,
        date_end=timezone.now() + timedelta(days=7),
        max_uses=5,
        created_by=user,
    )
    share.set_password("correct horse")
    share.full_clean()
    share.save()
    assert share.get_absolute_url().startswith("/share/")
    assert Share.objects.get(pk=share.pk).check_password("correct horse")


@pytest.mark.django_db
def test_for_object_finds_shares_of_a_proxy_object():
    from tests.testapp.models import Author, Pseudonym

    author = Author.objects.create(name="A", pin="1")
    share = ShareFactory(content_object=Pseudonym.objects.get(pk=author.pk))
    assert list(Share.objects.for_object(author)) == [share]
    assert list(Share.objects.for_object(Pseudonym.objects.get(pk=author.pk))) == [share]


def _indexed_columns(model: type) -> list[list[str]]:
    from django.db import connection

    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return [c["columns"] for c in constraints.values() if c["index"] and not c["primary_key"]]


def test_shares_of_a_type_are_found_through_the_object_index_alone():
    """No index of its own on the content type: the (content type, object) index leads with it,
    and every index is one more entry to write when a share is created or changed."""
    indexed = _indexed_columns(Share)
    assert ["content_type_id"] not in indexed
    assert ["content_type_id", "object_pk"] in indexed
    gadget = GadgetFactory()
    share = ShareFactory(content_object=gadget)
    assert list(Share.objects.filter(content_type=share.content_type)) == [share]


def test_the_access_log_writes_no_autoincrement_counter_on_sqlite():
    """Each logged attempt writes its row and its index entry – not also a row of
    ``sqlite_sequence``; keys still grow, and nothing refers to an entry by its key."""
    from django.db import connection

    from directus_shares.models import AccessReason, ShareAccess

    share = ShareFactory()
    first, second = (
        ShareAccess.objects.create(share=share, granted=True, reason=AccessReason.GRANTED)
        for _ in range(2)
    )
    assert second.pk > first.pk
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_sequence")
        counters = {row[0] for row in cursor.fetchall()}
    assert ShareAccess._meta.db_table not in counters
    assert Share._meta.db_table in counters  # other tables keep Django's default


# -- saving an out-of-date copy, or one pointed elsewhere --------------------------------------


def test_saving_a_stale_copy_does_not_give_back_spent_uses():
    share = ShareFactory(max_uses=1)
    stale = Share.objects.get(pk=share.pk)
    assert open_share(Client(), share).status_code == 303
    stale.name = "Renamed"
    stale.save()
    assert Share.objects.get(pk=share.pk).times_used == 1
    assert open_share(Client(), share).status_code == 410


def test_saving_a_stale_copy_does_not_undo_a_revocation():
    share = ShareFactory()
    visitor = Client()
    open_share(visitor, share)
    stale = Share.objects.get(pk=share.pk)
    share.revoke()
    stale.name = "Renamed"
    stale.save()
    fresh = Share.objects.get(pk=share.pk)
    assert fresh.is_revoked and fresh.name == "Renamed"
    assert visitor.get(share.get_absolute_url()).status_code == 410


def test_saving_a_stale_copy_does_not_bring_back_an_old_password():
    share = ShareFactory(password="old")
    stale = Share.objects.get(pk=share.pk)
    share.set_password("new")
    share.save()
    stale.name = "Renamed"
    stale.save()
    assert Share.objects.get(pk=share.pk).check_password("new")


@pytest.mark.parametrize(
    "retarget",
    [
        lambda share: setattr(share, "object_pk", str(GadgetFactory().pk)),
        lambda share: setattr(share, "content_object", OwnerFactory()),
        lambda share: setattr(share, "created_by", UserFactory()),
    ],
    ids=["object", "model", "creator"],
)
def test_a_share_cannot_be_retargeted(retarget):
    share = Share.objects.get(pk=ShareFactory().pk)
    before = (share.content_type_id, share.object_pk, share.created_by_id)
    retarget(share)
    with pytest.raises(ValueError, match="cannot change"):
        share.save()
    fresh = Share.objects.get(pk=share.pk)
    assert (fresh.content_type_id, fresh.object_pk, fresh.created_by_id) == before


def test_a_share_loaded_with_deferred_fields_saves_and_still_cannot_be_retargeted():
    share = ShareFactory()
    partial = Share.objects.only("name").get(pk=share.pk)
    assert partial.content_type_id == share.content_type_id  # loads the deferred field
    partial.name = "Renamed"
    partial.save()
    assert Share.objects.get(pk=share.pk).name == "Renamed"
    partial.object_pk = str(GadgetFactory().pk)
    with pytest.raises(ValueError, match="cannot change"):
        partial.save()
