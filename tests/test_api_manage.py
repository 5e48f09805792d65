"""Managing shares through the API: every endpoint, who may do what, and what is never shown."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from directus_shares import lockout
from directus_shares.models import RecipientDevice, Share, ShareRecipient
from directus_shares.outcomes import Refusal
from example_project.reports.models import Person, Report
from tests.factories import RecipientFactory, RoleFactory, ShareFactory, UserFactory, rule
from tests.helpers import (
    QUEUE_WITHOUT_WORKER,
    mail_backend,
    open_share,
    opened_through,
    queued_tasks,
    run_queued,
)

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.api_manage_urls")]

SHARES = "/api/shares/"


def report(title: str = "Quarterly numbers") -> Report:
    author = Person.objects.create(name="Ada")
    return Report.objects.create(title=title, summary="s", status="done", author=author)


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def detail(share: Share, action: str = "") -> str:
    return f"{SHARES}{share.pk}/{action + '/' if action else ''}"


@pytest.fixture
def reviewer():
    role = RoleFactory(name="Reviewer", view=[Report, Person], share=[Report])
    rule(role, Report, all_fields=True)
    return role


@pytest.fixture
def sharer(reviewer):
    """A user who may view and share reports, as a member of the Reviewer role."""
    user = UserFactory(email="ada@example.com")
    user.groups.add(reviewer)
    return user


def share_of(user, role, **fields) -> Share:
    return ShareFactory(content_object=fields.pop("obj", None) or report(), role=role,
                        created_by=user, **fields)  # fmt: skip


def new_share_data(obj: Report, role, **extra) -> dict:
    return {"content_type": "reports.report", "object_pk": str(obj.pk), "role": role.pk, **extra}


# -- who may use it --------------------------------------------------------------------------------


def test_anonymous_clients_are_refused_everywhere(sharer, reviewer):
    share = share_of(sharer, reviewer)
    client = api()
    for response in (
        client.get(SHARES),
        client.get(detail(share)),
        client.post(SHARES, new_share_data(report(), reviewer), format="json"),
        client.post(detail(share, "revoke")),
    ):
        assert response.status_code in (401, 403)
    assert Share.objects.count() == 1 and not Share.objects.get().is_revoked


def test_users_see_their_own_shares_and_superusers_all(sharer, reviewer):
    own = share_of(sharer, reviewer)
    foreign = share_of(UserFactory(), reviewer)
    listed = api(sharer).get(SHARES).json()
    assert [item["id"] for item in listed["results"]] == [own.pk]
    everything = api(UserFactory(is_superuser=True)).get(SHARES).json()
    assert {item["id"] for item in everything["results"]} == {own.pk, foreign.pk}


def test_another_users_share_is_404_for_every_endpoint(sharer, reviewer):
    foreign = share_of(UserFactory(), reviewer, name="Not yours")
    client = api(sharer)
    assert client.get(detail(foreign)).status_code == 404
    assert client.patch(detail(foreign), {"name": "Mine"}, format="json").status_code == 404
    assert client.put(detail(foreign), {"name": "Mine"}, format="json").status_code == 404
    for action in ("revoke", "reenable", "rotate"):
        assert client.post(detail(foreign, action)).status_code == 404
    invite = {"recipients": ["bob@example.com"]}
    assert client.post(detail(foreign, "invite"), invite, format="json").status_code == 404
    assert client.delete(detail(foreign)).status_code == 404
    foreign.refresh_from_db()
    assert foreign.name == "Not yours" and not foreign.is_revoked and not mail.outbox


def test_a_superuser_manages_any_share(sharer, reviewer):
    share = share_of(sharer, reviewer)
    client = api(UserFactory(is_superuser=True))
    assert client.get(detail(share)).status_code == 200
    assert client.patch(detail(share), {"name": "Renamed"}, format="json").status_code == 200
    assert Share.objects.get(pk=share.pk).name == "Renamed"


# -- reading ---------------------------------------------------------------------------------------


def test_a_share_reads_with_its_state_and_absolute_link_but_never_its_password(sharer, reviewer):
    shared = report()
    share = share_of(sharer, reviewer, obj=shared, name="Board", max_uses=5, password="s3cret")
    Share.objects.filter(pk=share.pk).update(times_used=2)
    share.refresh_from_db()
    response = api(sharer).get(detail(share))
    assert response.status_code == 200
    data = response.json()
    assert data == {
        "id": share.pk,
        "name": "Board",
        "role": reviewer.pk,
        "role_name": "Reviewer",
        "content_type": "reports.report",
        "object_pk": str(shared.pk),
        "has_password": True,
        "date_start": None,
        "date_end": None,
        "max_uses": 5,
        "allowed_addresses": [],
        "verify_recipients": False,
        "devices_per_recipient": None,
        "device_limit": 2,  # the DEVICES_PER_RECIPIENT default
        "times_used": 2,
        "uses_left": 3,
        "status": "active",
        "revoked_at": None,
        "created_by": sharer.pk,
        "created_at": data["created_at"],
        "updated_at": data["updated_at"],
        "link": f"http://testserver{share.get_absolute_url()}",
        "locked_until": None,
    }
    body = response.content.decode()
    assert "s3cret" not in body and share.password not in body and "argon2" not in body


# -- creating --------------------------------------------------------------------------------------


def test_a_share_is_created_with_the_sharing_rules_and_a_write_only_password(sharer, reviewer):
    shared = report()
    start = timezone.now()
    response = api(sharer).post(
        SHARES,
        new_share_data(
            shared,
            reviewer,
            name="For the board",
            password="s3cret orchard",
            max_uses=3,
            date_start=start.isoformat(),
            date_end=(start + timezone.timedelta(days=7)).isoformat(),
        ),
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert "password" not in data and "s3cret orchard" not in response.content.decode()
    share = Share.objects.get()
    assert data["id"] == share.pk and data["has_password"] is True
    assert share.content_object == shared and share.created_by == sharer
    assert share.role == reviewer and share.max_uses == 3 and share.check_password("s3cret orchard")
    assert data["link"] == f"http://testserver{share.get_absolute_url()}"


def test_creating_needs_the_share_right_and_nothing_is_created_without(reviewer):
    viewer = UserFactory()
    viewer.groups.add(RoleFactory(name="Viewer", view=[Report]))
    response = api(viewer).post(SHARES, new_share_data(report(), reviewer), format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "sharing_denied"
    assert "You may not share this report." in response.json()["detail"]
    assert not Share.objects.exists()


def test_a_role_the_user_may_not_assign_is_refused_and_nothing_is_created(sharer):
    admins = RoleFactory(name="Admins", view=[Report, Person])
    response = api(sharer).post(SHARES, new_share_data(report(), admins), format="json")
    assert response.status_code == 403
    assert response.json() == {
        "code": "sharing_denied",
        "detail": "You may not give shares the role “Admins”.",
    }
    assert not Share.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"content_type": "reports.nosuchmodel"}, "content_type"),
        ({"content_type": "directus_shares.share"}, "content_type"),  # never shareable
        ({"content_type": 7}, "content_type"),
        ({"object_pk": "999999"}, "object_pk"),
        ({"object_pk": "not-a-number"}, "object_pk"),
        ({"role": 999999}, "role"),
        ({"max_uses": 0}, "max_uses"),
        ({"date_start": "2030-01-02T00:00:00Z", "date_end": "2030-01-01T00:00:00Z"}, "date_end"),
        ({"date_end": "0273-07-26T14:27:48Z"}, "date_end"),  # no ISO offset in Berlin's time then
    ],
)
def test_invalid_creations_are_field_errors(sharer, reviewer, change, field):
    response = api(sharer).post(SHARES, {**new_share_data(report(), reviewer), **change}, "json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert not Share.objects.exists()


def test_an_object_the_user_cannot_see_is_not_found_so_its_existence_does_not_leak(reviewer):
    stranger = UserFactory()
    response = api(stranger).post(SHARES, new_share_data(report(), reviewer), format="json")
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "detail": "No such object.",
        "errors": {"object_pk": ["No such object."]},
    }


# -- updating --------------------------------------------------------------------------------------


def test_the_options_are_updated(sharer, reviewer):
    share = share_of(sharer, reviewer)
    response = api(sharer).patch(
        detail(share), {"name": "Renamed", "max_uses": 10, "role": None}, format="json"
    )
    assert response.status_code == 200, response.json()
    share.refresh_from_db()
    assert (share.name, share.max_uses, share.role) == ("Renamed", 10, None)
    assert response.json()["role_name"] is None


def test_the_limit_cannot_be_set_below_the_uses_already_counted(sharer, reviewer):
    share = share_of(sharer, reviewer, max_uses=5)
    Share.objects.filter(pk=share.pk).update(times_used=3)
    response = api(sharer).patch(detail(share), {"max_uses": 2}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "max_uses": ["It was used 3 times already: the limit cannot be lower."]
    }
    assert Share.objects.get(pk=share.pk).max_uses == 5


@pytest.mark.parametrize(
    "change",
    [
        {"content_type": "reports.person"},
        {"object_pk": "999"},
        {"created_by": 999},
        {"created_by": None},
    ],
)
def test_an_update_cannot_retarget_a_share(sharer, reviewer, change):
    share = share_of(sharer, reviewer, name="Kept")
    for method in ("patch", "put"):
        response = getattr(api(sharer), method)(
            detail(share), {"name": "Changed", **change}, format="json"
        )
        assert response.status_code == 400
        assert list(response.json()["errors"]) == list(change)
    stored = Share.objects.get(pk=share.pk)
    assert (stored.name, stored.object_pk, stored.created_by) == (
        "Kept",
        str(share.object_pk),
        sharer,
    )


def test_an_update_may_repeat_the_target_unchanged(sharer, reviewer):
    share = share_of(sharer, reviewer)
    client = api(sharer)
    current = client.get(detail(share)).json()
    response = client.put(detail(share), {**current, "name": "Round trip"}, format="json")
    assert response.status_code == 200, response.json()
    assert Share.objects.get(pk=share.pk).name == "Round trip"


def test_an_update_cannot_escalate_the_role_but_may_keep_the_current_one(sharer, reviewer):
    admins = RoleFactory(name="Admins", view=[Report, Person])
    share = share_of(UserFactory(), admins)  # handed to the sharer by a superuser below
    Share.objects.filter(pk=share.pk).update(created_by=sharer)
    client = api(sharer)
    keep = client.patch(detail(share), {"role": admins.pk, "name": "Same role"}, format="json")
    assert keep.status_code == 200
    other = share_of(sharer, reviewer)
    escalate = client.patch(detail(other), {"role": admins.pk}, format="json")
    assert escalate.status_code == 403
    assert escalate.json()["code"] == "sharing_denied"
    assert Share.objects.get(pk=other.pk).role == reviewer


def test_the_password_is_set_changed_and_removed_but_never_returned(sharer, reviewer):
    share = share_of(sharer, reviewer)
    client = api(sharer)
    response = client.patch(detail(share), {"password": "first orchard"}, format="json")
    assert response.json()["has_password"] is True and "password" not in response.json()
    share.refresh_from_db()
    assert share.check_password("first orchard") and share.password not in response.content.decode()
    both = client.patch(
        detail(share), {"password": "second orchard", "remove_password": True}, format="json"
    )
    assert both.status_code == 400 and list(both.json()["errors"]) == ["password"]
    assert client.patch(detail(share), {"password": ""}, format="json").status_code == 400
    removed = client.patch(detail(share), {"remove_password": True}, format="json")
    assert removed.json()["has_password"] is False
    share.refresh_from_db()
    assert not share.has_password


def test_an_update_keeps_the_end_after_the_start(sharer, reviewer):
    share = share_of(sharer, reviewer, date_start=timezone.now())
    earlier = (share.date_start - timezone.timedelta(days=1)).isoformat()
    response = api(sharer).patch(detail(share), {"date_end": earlier}, format="json")
    assert response.status_code == 400 and list(response.json()["errors"]) == ["date_end"]


def test_delete(sharer, reviewer):
    share = share_of(sharer, reviewer)
    assert api(sharer).delete(detail(share)).status_code == 204
    assert not Share.objects.exists()


# -- revoke, re-enable, rotate ---------------------------------------------------------------------


def test_revoke_closes_the_page_and_reenable_opens_it_again(sharer, reviewer):
    share = share_of(sharer, reviewer)
    client = api(sharer)
    revoked = client.post(detail(share, "revoke"))
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert revoked.json()["revoked_at"] is not None
    assert Client().get(share.get_absolute_url()).status_code == Refusal.UNAVAILABLE.status == 410
    again = client.post(detail(share, "revoke"))  # idempotent
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]
    reenabled = client.post(detail(share, "reenable"))
    assert reenabled.json()["status"] == "active" and reenabled.json()["revoked_at"] is None
    assert Client().get(share.get_absolute_url()).status_code == 200


def test_rotate_gives_a_new_link_and_the_old_one_stops_at_once(sharer, reviewer):
    share = share_of(sharer, reviewer)
    old = share.get_absolute_url()
    assert Client().get(old).status_code == 200
    response = api(sharer).post(detail(share, "rotate"))
    assert response.status_code == 200
    share.refresh_from_db()
    assert response.json()["link"] == f"http://testserver{share.get_absolute_url()}"
    assert share.get_absolute_url() != old
    assert Client().get(old).status_code == 404
    assert Client().get(share.get_absolute_url()).status_code == 200


def test_actions_take_no_get(sharer, reviewer):
    share = share_of(sharer, reviewer)
    assert api(sharer).get(detail(share, "revoke")).status_code == 405


# -- invite ----------------------------------------------------------------------------------------


@override_settings(DEFAULT_FROM_EMAIL="shares@example.com")
def test_invite_mails_each_valid_address_and_reports_the_invalid(sharer, reviewer):
    share = share_of(sharer, reviewer, name="Numbers")
    response = api(sharer).post(
        detail(share, "invite"),
        {"recipients": ["bob@example.com", "not an address", "bob@example.com", "c@example.com"],
         "message": "Have a look"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 200
    assert response.json() == {
        "sent": ["bob@example.com", "c@example.com"],
        "failed": {},
        "queued": [],
        "invalid": ["not an address"],
    }
    assert [m.to for m in mail.outbox] == [["bob@example.com"], ["c@example.com"]]
    assert mail.outbox[0].reply_to == ["ada@example.com"]
    assert share.get_absolute_url() in mail.outbox[0].body and "Have a look" in mail.outbox[0].body


def test_invite_takes_one_string_of_addresses(sharer, reviewer):
    share = share_of(sharer, reviewer)
    response = api(sharer).post(
        detail(share, "invite"), {"recipients": "a@example.com, b@example.com"}, format="json"
    )
    assert response.json()["sent"] == ["a@example.com", "b@example.com"]


@pytest.mark.parametrize("recipients", [["nope", "also nope"], "", [], 42, [1, 2]])
def test_invite_without_a_valid_address_is_400_and_sends_nothing(sharer, reviewer, recipients):
    share = share_of(sharer, reviewer)
    response = api(sharer).post(detail(share, "invite"), {"recipients": recipients}, "json")
    assert response.status_code == 400 and "recipients" in response.json()["errors"]
    assert not mail.outbox


def test_invite_refuses_too_many_addresses(sharer, reviewer):
    share = share_of(sharer, reviewer)
    recipients = [f"p{n}@example.com" for n in range(51)]
    response = api(sharer).post(detail(share, "invite"), {"recipients": recipients}, "json")
    assert response.status_code == 400 and not mail.outbox


@mail_backend("tests.mail_backends.FailingBackend")
def test_invite_reports_mail_failures_per_address(sharer, reviewer):
    mail.outbox = []
    share = share_of(sharer, reviewer)
    response = api(sharer).post(
        detail(share, "invite"), {"recipients": "ok@example.com, fail@example.com"}, "json"
    )
    assert response.status_code == 200
    assert response.json() == {
        "sent": ["ok@example.com"],
        "failed": {"fail@example.com": "mail server said no"},
        "queued": [],
        "invalid": [],
    }
    assert [m.to for m in mail.outbox] == [["ok@example.com"]]


@override_settings(TASKS=QUEUE_WITHOUT_WORKER)
def test_invite_with_a_real_queue_answers_202_at_once_with_the_queued_addresses(sharer, reviewer):
    share = share_of(sharer, reviewer)
    response = api(sharer).post(
        detail(share, "invite"), {"recipients": "a@example.com, b@example.com, nope"}, "json"
    )
    assert response.status_code == 202
    assert response.json() == {
        "sent": [],
        "failed": {},
        "queued": ["a@example.com", "b@example.com"],
        "invalid": ["nope"],
    }
    assert mail.outbox == []
    (queued,) = queued_tasks()
    share_id, _link_template, recipients = queued.args
    assert (share_id, recipients) == (share.pk, ["a@example.com", "b@example.com"])
    assert queued.kwargs["sender_id"] == str(sharer.pk)
    run_queued()  # the worker
    assert [m.to for m in mail.outbox] == [["a@example.com"], ["b@example.com"]]


# -- list filters and pagination -------------------------------------------------------------------


def test_the_list_filters_by_object_content_type_creator_and_status(sharer, reviewer):
    shared = report()
    on_object = share_of(sharer, reviewer, obj=shared)
    revoked = share_of(sharer, reviewer)
    revoked.revoke()
    used_up = share_of(sharer, reviewer, max_uses=1)
    Share.objects.filter(pk=used_up.pk).update(times_used=1)
    gadget_share = ShareFactory(created_by=sharer)
    someone = UserFactory()
    theirs = share_of(someone, reviewer)
    superuser = UserFactory(is_superuser=True)

    def ids(user, **params):
        response = api(user).get(SHARES, params)
        assert response.status_code == 200, response.json()
        return {item["id"] for item in response.json()["results"]}

    assert ids(sharer, object=f"reports.report:{shared.pk}") == {on_object.pk}
    assert ids(sharer, object=f"Reports.Report:{shared.pk}") == {on_object.pk}
    assert ids(sharer, content_type="testapp.gadget") == {gadget_share.pk}
    assert ids(sharer, status="revoked") == {revoked.pk}
    assert ids(sharer, status="used_up") == {used_up.pk}
    assert ids(sharer, status="active") == {on_object.pk, gadget_share.pk}
    assert ids(superuser, created_by=someone.pk) == {theirs.pk}
    assert ids(sharer, created_by=someone.pk) == set()  # still only their own


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"object": "reports.report"}, "object"),
        ({"object": "reports.nothing:1"}, "object"),
        ({"content_type": "nothing"}, "content_type"),
        ({"status": "sleeping"}, "status"),
        ({"created_by": "me"}, "created_by"),
    ],
)
def test_a_malformed_filter_is_400(sharer, params, field):
    response = api(sharer).get(SHARES, params)
    assert response.status_code == 400 and list(response.json()["errors"]) == [field]


def test_the_list_is_paginated(sharer, reviewer):
    shared = report()
    made = [share_of(sharer, reviewer, obj=shared) for _ in range(5)]
    client = api(sharer)
    first = client.get(SHARES, {"page_size": 2}).json()
    assert first["count"] == 5 and len(first["results"]) == 2 and first["next"]
    last = client.get(SHARES, {"page_size": 2, "page": 3}).json()
    assert len(last["results"]) == 1 and last["next"] is None
    seen = {item["id"] for page in (1, 2, 3) for item in
            client.get(SHARES, {"page_size": 2, "page": page}).json()["results"]}  # fmt: skip
    assert seen == {share.pk for share in made}
    assert len(client.get(SHARES).json()["results"]) == 5  # default page: 25


def test_the_lists_query_count_does_not_grow_with_the_page(sharer, reviewer):
    admins = RoleFactory(name="Admins", view=[Report])
    for n in range(12):
        share_of(sharer, reviewer if n % 2 else admins, obj=report(f"R{n}"), password="pw")
    client = api(sharer)

    def queries(page_size: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(SHARES, {"page_size": page_size})
        assert len(response.json()["results"]) == page_size
        return len(captured)

    assert queries(2) == queries(12)


def test_no_share_right_needed_to_manage_ones_own_shares(sharer, reviewer):
    share = share_of(sharer, reviewer)
    sharer.groups.clear()
    sharer.user_permissions.remove(*Permission.objects.filter(codename="share_report"))
    client = api(sharer)
    assert client.get(detail(share)).status_code == 200
    assert client.post(detail(share, "revoke")).status_code == 200


@pytest.mark.parametrize("label", ["reports.re\u0000port", "reports\u0000.report", "\u0000"])
def test_a_content_type_with_a_nul_byte_is_a_field_error(sharer, reviewer, label):
    data = {**new_share_data(report(), reviewer), "content_type": label}
    response = api(sharer).post(SHARES, data, format="json")
    assert response.status_code == 400 and "content_type" in response.json()["errors"]
    listed = api(sharer).get(SHARES, {"content_type": label})
    assert listed.status_code == 400
    assert not Share.objects.exists()


# -- a share locked by wrong passwords -------------------------------------------------------------

THREE_PER_SHARE = {"PASSWORD_ATTEMPTS_PER_SHARE": (3, 3600)}


def lock(share: Share) -> Share:
    """Lock ``share`` for everybody as three wrong passwords from anywhere do."""
    for _ in range(3):
        lockout.record_failure(lockout.reserve_attempt(share, None))
    assert lockout.share_lock(share) is not None
    return share


@override_settings(DIRECTUS_SHARES=THREE_PER_SHARE)
def test_a_share_says_until_when_it_is_locked_and_unlock_ends_it(sharer, reviewer):
    locked = lock(share_of(sharer, reviewer, password="right"))
    fine = share_of(sharer, reviewer, password="right")
    client = api(sharer)
    listed = {item["id"]: item for item in client.get(SHARES).json()["results"]}
    assert listed[fine.pk]["locked_until"] is None
    until = datetime.fromisoformat(listed[locked.pk]["locked_until"])
    assert until == lockout.share_lock(locked).until
    assert client.get(detail(locked)).json()["locked_until"] == listed[locked.pk]["locked_until"]
    response = client.post(detail(locked, "unlock"))
    assert response.status_code == 200 and response.json()["locked_until"] is None
    assert lockout.share_lock(locked) is None
    again = client.post(detail(locked, "unlock"))  # not locked: nothing to do, still 200
    assert again.status_code == 200 and again.json()["id"] == locked.pk


@override_settings(DIRECTUS_SHARES=THREE_PER_SHARE)
def test_unlock_is_refused_to_anonymous_clients_and_404_for_shares_not_managed(sharer, reviewer):
    foreign = lock(share_of(UserFactory(), reviewer, password="right"))
    assert api().post(detail(foreign, "unlock")).status_code in (401, 403)
    missing = api(sharer).post(detail(foreign, "unlock"))
    assert missing.status_code == 404
    assert lockout.share_lock(foreign) is not None
    assert api(sharer).post(f"{SHARES}999999/unlock/").status_code == 404


@pytest.mark.parametrize("method", ["create", "update"])
def test_a_weak_password_is_refused_with_the_validators_messages(sharer, reviewer, method):
    client = api(sharer)
    if method == "create":
        response = client.post(SHARES, new_share_data(report(), reviewer, password="demo"))
    else:
        share = share_of(sharer, reviewer)
        response = client.patch(detail(share), {"password": "demo"}, format="json")
    assert response.status_code == 400
    body = response.content.decode()
    assert "This password is too short. It must contain at least 8 characters." in body
    assert "This password is too common." in body
    assert not Share.objects.filter(password__gt="").exists()


@override_settings(
    DIRECTUS_SHARES={
        "PASSWORD_VALIDATORS": [
            {
                "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
                "OPTIONS": {"min_length": 4},
            }
        ]
    }
)
def test_the_password_validators_are_the_projects_to_choose(sharer, reviewer):
    response = api(sharer).post(SHARES, new_share_data(report(), reviewer, password="demo"))
    assert response.status_code == 201
    assert Share.objects.get().check_password("demo")


UNOPENABLE = {
    "revoked": (lambda share: share.revoke(), "it was revoked"),
    "expired": (
        lambda share: Share.objects.filter(pk=share.pk).update(
            date_start=timezone.now() - timedelta(days=2),
            date_end=timezone.now() - timedelta(days=1),
        ),
        "it has expired",
    ),
    "used-up": (
        lambda share: Share.objects.filter(pk=share.pk).update(max_uses=1, times_used=1),
        "it has been used up",
    ),
    "grants-nothing": (
        lambda share: Share.objects.filter(pk=share.pk).update(role=None),
        "it grants nothing: it has no role and no public role is set",
    ),
    "object-deleted": (lambda share: share.content_object.delete(), "its object was deleted"),
}


@pytest.mark.parametrize("case", UNOPENABLE.values(), ids=UNOPENABLE)
def test_invite_refuses_a_share_nobody_can_open_with_the_reason(sharer, reviewer, case):
    make_unopenable, reason = case
    share = share_of(sharer, reviewer)
    make_unopenable(share)
    response = api(sharer).post(detail(share, "invite"), {"recipients": "bob@example.com"}, "json")
    assert response.status_code == 409
    assert response.json() == {
        "code": "not_openable",
        "detail": f"The link was not sent: nobody can open this share – {reason}.",
    }
    assert not mail.outbox


def test_invite_sends_a_share_that_is_not_open_yet(sharer, reviewer):
    share = share_of(sharer, reviewer, date_start=timezone.now() + timedelta(days=1))
    response = api(sharer).post(detail(share, "invite"), {"recipients": "bob@example.com"}, "json")
    assert response.status_code == 200 and len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (
            "2030-10-27T02:30:00",  # Berlin leaves summer time: 02:30 happens twice
            "2030-10-27T02:30:00 occurs twice in the time zone Europe/Berlin: give the time with "
            "its UTC offset, e.g. 2030-10-27T02:30:00+02:00.",
        ),
        (
            "2031-03-30T02:30:00",  # Berlin enters summer time: 02:30 never happens
            "2031-03-30T02:30:00 does not exist in the time zone Europe/Berlin (the clocks skip "
            "it): give the time with its UTC offset, e.g. 2031-03-30T02:30:00+01:00.",
        ),
    ],
    ids=["twice", "skipped"],
)
def test_a_local_time_that_is_not_one_moment_is_refused_asking_for_an_offset(
    sharer, reviewer, given, message
):
    share = share_of(sharer, reviewer)
    client = api(sharer)
    for response in (
        client.patch(detail(share), {"date_end": given}, format="json"),
        client.post(SHARES, new_share_data(report(), reviewer, date_end=given), format="json"),
    ):
        assert response.status_code == 400
        assert response.json()["errors"]["date_end"] == [message]
        assert response.json()["detail"] == message
    assert Share.objects.count() == 1
    share.refresh_from_db()
    assert share.date_end is None
    with_offset = client.patch(detail(share), {"date_end": f"{given}+01:00"}, format="json")
    assert with_offset.status_code == 200
    share.refresh_from_db()
    assert share.date_end.isoformat() == f"{given[:11]}01:30:00+00:00"


# -- recipients: links of their own, nested in the share -------------------------------------------


def recipients_url(share: Share, recipient=None, action: str = "") -> str:
    url = f"{detail(share)}recipients/"
    if recipient is not None:
        url += f"{recipient.pk}/"
    return url + (f"{action}/" if action else "")


def test_recipients_are_added_each_with_a_link_of_its_own_and_listed(sharer, reviewer):
    share = share_of(sharer, reviewer)
    client = api(sharer)

    added = client.post(
        recipients_url(share), {"recipients": "Anna@Example.com, bob@example.com"}, "json"
    )
    again = client.post(
        recipients_url(share), {"recipients": ["anna@example.com"], "max_uses": 3}, "json"
    )
    listed = client.get(recipients_url(share))

    assert added.status_code == 201 and again.status_code == 201
    body = added.json()
    assert [r["address"] for r in body["added"]] == ["anna@example.com", "bob@example.com"]
    assert body["already"] == []
    assert again.json()["added"] == []
    assert again.json()["already"][0]["max_uses"] is None  # kept as it was
    links = {r["link"] for r in body["added"]}
    assert len(links) == 2 and share.get_absolute_url() not in " ".join(links)
    assert listed.json()["count"] == 2
    first = listed.json()["results"][0]
    assert first["status"] == "active" and first["times_used"] == 0
    assert first["first_opened_at"] is None and "key" not in first
    assert not mail.outbox  # adding mails nothing; invite does


@pytest.mark.parametrize(
    "body", [{"recipients": "nope"}, {"recipients": ""}, {"recipients": 42}, {}]
)
def test_adding_invalid_recipients_is_400_and_adds_nothing(sharer, reviewer, body):
    share = share_of(sharer, reviewer)
    response = api(sharer).post(recipients_url(share), body, "json")
    assert response.status_code == 400 and "recipients" in response.json()["errors"]
    assert not share.recipients.exists()


def test_adding_recipients_with_a_limit_below_one_is_400(sharer, reviewer):
    share = share_of(sharer, reviewer)
    response = api(sharer).post(
        recipients_url(share), {"recipients": "a@example.com", "max_uses": 0}, "json"
    )
    assert response.status_code == 400 and "max_uses" in response.json()["errors"]


def test_recipients_of_a_share_the_user_does_not_manage_are_404(sharer, reviewer):
    share = share_of(UserFactory(), reviewer)
    recipient = RecipientFactory(share=share)
    client = api(sharer)
    answers = [
        client.get(recipients_url(share)),
        client.post(recipients_url(share), {"recipients": "a@example.com"}, "json"),
        client.get(recipients_url(share, recipient)),
        client.post(recipients_url(share, recipient, "revoke")),
        client.delete(recipients_url(share, recipient)),
        client.get(f"{SHARES}nope/recipients/"),
    ]
    assert [response.status_code for response in answers] == [404] * 6
    assert answers[0].json()["code"] == "not_found"
    assert api().get(recipients_url(share)).status_code in (401, 403)
    recipient.refresh_from_db()
    assert not recipient.is_revoked


def test_a_recipient_of_another_share_is_404(sharer, reviewer):
    share = share_of(sharer, reviewer)
    other = RecipientFactory(share=share_of(sharer, reviewer))
    assert api(sharer).get(recipients_url(share, other)).status_code == 404


def test_revoke_enable_and_rotate_a_recipient(sharer, reviewer):
    share = share_of(sharer, reviewer)
    recipient = RecipientFactory(share=share)
    old_link = recipient.get_absolute_url()
    client = api(sharer)

    revoked = client.post(recipients_url(share, recipient, "revoke"))
    enabled = client.post(recipients_url(share, recipient, "enable"))
    rotated = client.post(recipients_url(share, recipient, "rotate"))

    assert revoked.json()["status"] == "revoked" and revoked.json()["revoked_at"]
    assert enabled.json()["status"] == "active"
    assert rotated.json()["link"].endswith(ShareRecipient.objects.get().get_absolute_url())
    assert old_link not in rotated.json()["link"]
    assert Client().get(old_link).status_code == 404


def test_a_recipient_never_opened_is_deleted_one_opened_is_revoked_instead(sharer, reviewer):
    share = share_of(sharer, reviewer)
    unused = RecipientFactory(share=share)
    used = RecipientFactory(share=share)
    assert open_share(Client(), opened_through(used)).status_code == 303
    client = api(sharer)

    deleted = client.delete(recipients_url(share, unused))
    refused = client.delete(recipients_url(share, used))

    assert deleted.status_code == 204
    assert refused.status_code == 409 and refused.json()["code"] == "recipient_in_log"
    assert list(share.recipients.all()) == [used]


def test_invite_with_recipient_links_mails_each_address_its_own_link(sharer, reviewer):
    share = share_of(sharer, reviewer, name="Numbers")
    revoked = RecipientFactory(share=share, address="old@example.com")
    revoked.revoke()

    response = api(sharer).post(
        detail(share, "invite"),
        {"recipients": "a@example.com, b@example.com, old@example.com, nope",
         "recipient_links": True},
        format="json",
    )  # fmt: skip

    assert response.status_code == 200
    body = response.json()
    assert body["sent"] == ["a@example.com", "b@example.com"]
    assert list(body["failed"]) == ["old@example.com"] and body["invalid"] == ["nope"]
    links = {r.address: r.get_absolute_url() for r in share.recipients.all()}
    for message in mail.outbox:
        (address,) = message.to
        assert links[address] in message.body
        assert share.get_absolute_url() not in message.body
        assert "report" in message.body  # the object's kind
    assert len(mail.outbox) == 2


def test_invite_mails_the_common_link_unless_recipient_links_are_asked_for(sharer, reviewer):
    share = share_of(sharer, reviewer)
    api(sharer).post(detail(share, "invite"), {"recipients": "a@example.com"}, "json")
    assert share.get_absolute_url() in mail.outbox[0].body
    assert not share.recipients.exists()


@override_settings(TASKS=QUEUE_WITHOUT_WORKER)
def test_invite_with_recipient_links_queues_them_and_answers_202(sharer, reviewer):
    """With a real queue the request adds the recipients and answers at once; a worker mails
    each its own link later (tests/test_tasks.py)."""
    share = share_of(sharer, reviewer)
    revoked = RecipientFactory(share=share, address="old@example.com")
    revoked.revoke()
    response = api(sharer).post(
        detail(share, "invite"),
        {"recipients": "a@example.com, old@example.com", "recipient_links": True},
        format="json",
    )
    assert response.status_code == 202
    body = response.json()
    assert body["queued"] == ["a@example.com"] and body["sent"] == []
    assert list(body["failed"]) == ["old@example.com"]
    assert mail.outbox == []
    assert share.recipients.filter(address="a@example.com").exists()


def test_the_allowed_addresses_are_set_normalised_and_cleared(sharer, reviewer):
    share = share_of(sharer, reviewer)
    client = api(sharer)
    entries = ["Anna@Example.org", "@Example.com", "anna@example.org"]
    response = client.patch(detail(share), {"allowed_addresses": entries}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["allowed_addresses"] == ["anna@example.org", "@example.com"]
    share.refresh_from_db()
    assert share.requires_email
    cleared = client.patch(detail(share), {"allowed_addresses": []}, format="json")
    assert cleared.json()["allowed_addresses"] == []
    share.refresh_from_db()
    assert not share.requires_email


def test_a_share_is_set_to_verify_its_recipients_and_back(sharer, reviewer):
    share = share_of(sharer, reviewer)
    client = api(sharer)
    response = client.patch(detail(share), {"verify_recipients": True}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["verify_recipients"] is True
    share.refresh_from_db()
    assert share.verify_recipients
    refused = client.patch(detail(share), {"verify_recipients": "maybe"}, format="json")
    assert refused.status_code == 400 and "verify_recipients" in refused.json()["errors"]
    client.patch(detail(share), {"verify_recipients": False}, format="json")
    share.refresh_from_db()
    assert not share.verify_recipients


@pytest.mark.parametrize(
    "value", [["not an address"], "anna@example.org", [f"u{n}@example.org" for n in range(201)]]
)
def test_invalid_allowed_addresses_are_a_field_error(sharer, reviewer, value):
    share = share_of(sharer, reviewer)
    response = api(sharer).patch(detail(share), {"allowed_addresses": value}, format="json")
    assert response.status_code == 400
    assert "allowed_addresses" in response.json()["errors"]
    share.refresh_from_db()
    assert share.allowed_addresses == []


def test_a_share_is_created_restricted_to_addresses(sharer, reviewer):
    data = new_share_data(report(), reviewer, allowed_addresses=["@example.org"])
    response = api(sharer).post(SHARES, data, format="json")
    assert response.status_code == 201, response.json()
    assert Share.objects.get(pk=response.json()["id"]).allowed_addresses == ["@example.org"]


# -- OPTIONS: what each endpoint does, for its users ----------------------------------------------

SHARES_SAY = (
    "Your shares: list, create, read, change and delete them; revoke, re-enable, give a new "
    "link, unlock or e-mail one."
)
RECIPIENTS_SAY = (
    "The recipients of one of your shares, each with a link of its own: list, add, read, "
    "revoke, re-enable, give a new link, allow one more device, mail the link again, delete."
)


@pytest.mark.parametrize(
    ("url", "says"),
    [
        (lambda share, recipient: SHARES, SHARES_SAY),
        (lambda share, recipient: detail(share), SHARES_SAY),
        (lambda share, recipient: detail(share, "invite"), SHARES_SAY),
        (lambda share, recipient: recipients_url(share), RECIPIENTS_SAY),
        (lambda share, recipient: recipients_url(share, recipient), RECIPIENTS_SAY),
        (lambda share, recipient: recipients_url(share, recipient, "rotate"), RECIPIENTS_SAY),
        (lambda share, recipient: recipients_url(share, recipient, "resend"), RECIPIENTS_SAY),
    ],
    ids=["shares", "share", "invite", "recipients", "recipient", "recipient-rotate", "resend"],
)
def test_options_describes_an_endpoint_for_its_users_not_its_developers(
    sharer, reviewer, url, says
):
    share = share_of(sharer, reviewer)
    recipient = RecipientFactory(share=share)
    response = api(sharer).options(url(share, recipient))
    assert response.status_code == 200
    assert response.json()["description"] == says  # never a class's or method's docstring


@override_settings(LANGUAGE_CODE="de")
def test_options_describes_an_endpoint_in_the_sites_language(sharer):
    assert api(sharer).options(SHARES).json()["description"].startswith("Ihre Freigaben:")


# -- devices per recipient: forwarded links ------------------------------------------------------


def seen_on(recipient: ShareRecipient, *keys: str) -> None:
    """Devices that opened ``recipient``'s link (the visitor's path records them)."""
    now = timezone.now()
    for key in keys:
        RecipientDevice.objects.create(
            recipient=recipient, key=key, first_seen_at=now, last_seen_at=now
        )


def test_a_share_sets_its_devices_per_recipient_and_says_the_limit_in_force(sharer, reviewer):
    client = api(sharer)
    created = client.post(
        SHARES, new_share_data(report(), reviewer, devices_per_recipient=3), format="json"
    )
    assert created.status_code == 201, created.json()
    assert (created.json()["devices_per_recipient"], created.json()["device_limit"]) == (3, 3)
    share = Share.objects.get(pk=created.json()["id"])
    assert share.devices_per_recipient == 3

    with override_settings(DIRECTUS_SHARES={"DEVICES_PER_RECIPIENT": 5}):
        reset = client.patch(detail(share), {"devices_per_recipient": None}, format="json")
    assert reset.status_code == 200, reset.json()
    assert (reset.json()["devices_per_recipient"], reset.json()["device_limit"]) == (None, 5)
    share.refresh_from_db()
    assert share.devices_per_recipient is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "Allow at least one device."),
        (-1, "Allow at least one device."),
        (32768, "Ensure this value is less than or equal to 32767."),  # PostgreSQL's smallint
        ("two", "A valid integer is required."),
    ],
)
def test_devices_per_recipient_below_one_or_too_large_is_a_field_error(
    sharer, reviewer, value, message
):
    share = share_of(sharer, reviewer, devices_per_recipient=2)
    client = api(sharer)
    for response in (
        client.patch(detail(share), {"devices_per_recipient": value}, format="json"),
        client.post(
            SHARES, new_share_data(report(), reviewer, devices_per_recipient=value), "json"
        ),
    ):
        assert response.status_code == 400
        assert response.json()["errors"] == {"devices_per_recipient": [message]}
    share.refresh_from_db()
    assert share.devices_per_recipient == 2 and Share.objects.count() == 1


def test_a_recipient_says_its_devices_limit_and_whether_its_link_was_forwarded(sharer, reviewer):
    share = share_of(sharer, reviewer, devices_per_recipient=1)
    forwarded = RecipientFactory(share=share, address="anna@example.com")
    seen_on(forwarded, "phone", "laptop")
    ShareRecipient.objects.filter(pk=forwarded.pk).update(
        extra_devices=1, forwarded_at=timezone.now()
    )
    RecipientFactory(share=share, address="bob@example.com")
    client = api(sharer)

    listed = client.get(recipients_url(share)).json()["results"]
    one = client.get(recipients_url(share, forwarded)).json()

    fields = ("address", "devices", "device_limit", "extra_devices")
    assert [tuple(r[f] for f in fields) for r in listed] == [
        ("anna@example.com", 2, 2, 1),
        ("bob@example.com", 0, 1, 0),
    ]
    assert listed[0]["forwarded_at"] is not None and listed[1]["forwarded_at"] is None
    assert one == listed[0]


def test_the_recipients_list_counts_devices_without_a_query_per_recipient(sharer, reviewer):
    share = share_of(sharer, reviewer)
    client = api(sharer)

    def queries(recipients: int) -> int:
        for n in range(share.recipients.count(), recipients):
            seen_on(RecipientFactory(share=share), f"device{n}")
        with CaptureQueriesContext(connection) as captured:
            listed = client.get(recipients_url(share)).json()
        assert [r["devices"] for r in listed["results"]] == [1] * recipients
        return len(captured)

    assert queries(2) == queries(8)


def test_added_recipients_are_answered_with_their_devices(sharer, reviewer):
    share = share_of(sharer, reviewer)
    seen_on(RecipientFactory(share=share, address="old@example.com"), "phone")
    response = api(sharer).post(
        recipients_url(share), {"recipients": "new@example.com, old@example.com"}, "json"
    )
    body = response.json()
    assert [(r["address"], r["devices"]) for r in body["added"]] == [("new@example.com", 0)]
    assert [(r["address"], r["devices"]) for r in body["already"]] == [("old@example.com", 1)]


def test_allow_device_raises_the_limit_by_one_and_clears_the_forwarded_flag(sharer, reviewer):
    share = share_of(sharer, reviewer, devices_per_recipient=1)
    recipient = RecipientFactory(share=share)
    seen_on(recipient, "phone")
    ShareRecipient.objects.filter(pk=recipient.pk).update(forwarded_at=timezone.now())

    response = api(sharer).post(recipients_url(share, recipient, "allow-device"))

    assert response.status_code == 200
    body = response.json()
    assert (body["device_limit"], body["extra_devices"], body["forwarded_at"]) == (2, 1, None)
    assert body["devices"] == 1 and body["id"] == recipient.pk
    recipient.refresh_from_db()
    assert (recipient.device_limit, recipient.is_forwarded) == (2, False)


def test_rotating_a_recipient_answers_with_its_devices_forgotten(sharer, reviewer):
    share = share_of(sharer, reviewer)
    recipient = RecipientFactory(share=share)
    seen_on(recipient, "phone", "laptop")
    response = api(sharer).post(recipients_url(share, recipient, "rotate"))
    assert response.json()["devices"] == 0 and not recipient.devices.exists()


def test_resend_mails_the_recipient_its_own_link_again(sharer, reviewer):
    share = share_of(sharer, reviewer, name="Numbers")
    recipient = RecipientFactory(share=share, address="anna@example.com")
    RecipientFactory(share=share, address="bob@example.com")

    response = api(sharer).post(recipients_url(share, recipient, "resend"))

    assert response.status_code == 200
    assert response.json() == {"sent": ["anna@example.com"], "failed": {}, "queued": []}
    (message,) = mail.outbox
    assert message.to == ["anna@example.com"]
    assert f"http://testserver{recipient.get_absolute_url()}" in message.body
    assert share.get_absolute_url() not in message.body
    assert message.reply_to == ["ada@example.com"]


@mail_backend("tests.mail_backends.FailingBackend")
def test_resend_reports_a_mail_failure(sharer, reviewer):
    share = share_of(sharer, reviewer)
    recipient = RecipientFactory(share=share, address="fail@example.com")
    response = api(sharer).post(recipients_url(share, recipient, "resend"))
    assert response.status_code == 200
    assert response.json() == {
        "sent": [],
        "failed": {"fail@example.com": "mail server said no"},
        "queued": [],
    }


@override_settings(TASKS=QUEUE_WITHOUT_WORKER)
def test_resend_with_a_real_queue_answers_202_and_a_worker_mails_the_link(sharer, reviewer):
    share = share_of(sharer, reviewer)
    recipient = RecipientFactory(share=share, address="anna@example.com")
    response = api(sharer).post(recipients_url(share, recipient, "resend"))
    assert response.status_code == 202
    assert response.json() == {"sent": [], "failed": {}, "queued": ["anna@example.com"]}
    assert mail.outbox == []
    run_queued()
    (message,) = mail.outbox
    assert recipient.get_absolute_url() in message.body


def test_resend_of_a_revoked_link_is_409_and_mails_nothing(sharer, reviewer):
    share = share_of(sharer, reviewer)
    recipient = RecipientFactory(share=share)
    recipient.revoke()
    response = api(sharer).post(recipients_url(share, recipient, "resend"))
    assert response.status_code == 409
    assert response.json() == {
        "code": "recipient_revoked",
        "detail": "Not sent: this recipient's link was revoked.",
    }
    assert not mail.outbox


@pytest.mark.parametrize("case", UNOPENABLE.values(), ids=UNOPENABLE)
def test_resend_for_a_share_nobody_can_open_is_refused_as_invite_is(sharer, reviewer, case):
    make_unopenable, reason = case
    share = share_of(sharer, reviewer)
    recipient = RecipientFactory(share=share)
    make_unopenable(share)
    client = api(sharer)
    resent = client.post(recipients_url(share, recipient, "resend"))
    invited = client.post(detail(share, "invite"), {"recipients": recipient.address}, "json")
    assert (resent.status_code, resent.json()["code"]) == (409, "not_openable")
    assert resent.json() == invited.json() and reason in resent.json()["detail"]
    assert not mail.outbox


def test_allow_device_and_resend_are_404_for_a_share_the_user_does_not_manage(sharer, reviewer):
    share = share_of(UserFactory(), reviewer, devices_per_recipient=1)
    recipient = RecipientFactory(share=share)
    client = api(sharer)
    for action in ("allow-device", "resend"):
        response = client.post(recipients_url(share, recipient, action))
        assert (response.status_code, response.json()["code"]) == (404, "not_found")
        assert api().post(recipients_url(share, recipient, action)).status_code in (401, 403)
    assert client.get(recipients_url(share, recipient, "resend")).status_code == 405
    recipient.refresh_from_db()
    assert recipient.extra_devices == 0 and not mail.outbox


def test_allow_device_is_409_for_a_link_that_needs_no_device(sharer, reviewer):
    """Each call allowed one more: a retried request gave two, and enough calls overflowed the
    counter (a 500 on PostgreSQL). The admin's rule holds here too."""
    share = share_of(sharer, reviewer, devices_per_recipient=2)
    recipient = RecipientFactory(share=share)
    seen_on(recipient, "phone")
    client = api(sharer)
    refused = client.post(recipients_url(share, recipient, "allow-device"))
    assert (refused.status_code, refused.json()["code"]) == (409, "not_at_device_limit")
    seen_on(recipient, "laptop")
    assert client.post(recipients_url(share, recipient, "allow-device")).status_code == 200
    again = client.post(recipients_url(share, recipient, "allow-device"))
    assert (again.status_code, again.json()["code"]) == (409, "not_at_device_limit")
    recipient.refresh_from_db()
    assert recipient.extra_devices == 1


def test_a_superuser_allows_devices_and_resends_for_any_share(sharer, reviewer):
    share = share_of(sharer, reviewer)
    recipient = RecipientFactory(share=share)
    ShareRecipient.objects.filter(pk=recipient.pk).update(forwarded_at=timezone.now())
    client = api(UserFactory(is_superuser=True))
    assert client.post(recipients_url(share, recipient, "allow-device")).status_code == 200
    assert client.post(recipients_url(share, recipient, "resend")).status_code == 200
    assert len(mail.outbox) == 1
