"""A share without a password has its object checked by the very statement that counts its use
(one query less per open); what a visitor is told, and what is counted, stays the same."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from directus_shares import object_state, opening
from directus_shares.counting import count_use
from directus_shares.models import RecipientDevice, Share, ShareAccess, ShareRecipient
from directus_shares.outcomes import Refusal
from tests.factories import GadgetFactory, RecipientFactory, RoleFactory, ShareFactory, rule
from tests.helpers import before_counting, open_share, opened_through, save_new_password
from tests.testapp.models import Gadget, Ledger, current_tenant

pytestmark = pytest.mark.django_db

API = "/api/shares/open"


def open_by_api(share: Share, password: str | None = None):
    body = {} if password is None else {"password": password}
    return APIClient().post(f"{API}/{share.token}/auth/", body, format="json")


def open_by_page(share: Share, password: str | None = None):
    return open_share(Client(), share, password)


OPENERS = [pytest.param(open_by_api, id="api"), pytest.param(open_by_page, id="page")]


def refusal_of(response) -> str:
    """The refusal code of an answer of the API (its code, with the refusal's message) or of the
    page (its status and the refusal's message in its text)."""
    if response["Content-Type"] == "application/json":
        body = response.json()
        # One code may have several refusals (grants_nothing: no rights, or not this object).
        refusal = next(
            r for r in Refusal if r.code == body["code"] and str(r.title) == body["detail"]
        )
        return refusal.code
    page = response.content.decode()
    return next(
        r.code for r in Refusal if r.status == response.status_code and str(r.title) in page
    )


def counted(share: Share) -> tuple[int, list[str]]:
    share.refresh_from_db()
    reasons = ShareAccess.objects.filter(share=share).order_by("pk")
    return share.times_used, list(reasons.values_list("reason", flat=True))


def before_the_count(monkeypatch, change) -> None:
    """Run ``change`` after every check of an open and before its use is counted."""
    real = opening.consume_use

    def changed_first(*args, **kwargs):
        change()
        return real(*args, **kwargs)

    monkeypatch.setattr(opening, "consume_use", changed_first)


def test_an_open_checks_the_object_inside_the_counting_statement():
    share = ShareFactory()
    with CaptureQueriesContext(connection) as queries:
        assert open_by_api(share).status_code == 200
    statements = [query["sql"] for query in queries]
    counting = [sql for sql in statements if "times_used" in sql and "UPDATE" in sql]
    gadget_table = Gadget._meta.db_table
    assert len(counting) == 1 and "EXISTS" in counting[0] and gadget_table in counting[0]
    assert [sql for sql in statements if sql.startswith("SELECT") and gadget_table in sql] == []
    assert counted(share) == (1, ["granted"])


@pytest.mark.parametrize("opener", OPENERS)
def test_an_object_deleted_before_the_count_is_gone_and_nothing_is_counted(monkeypatch, opener):
    share = ShareFactory()
    before_the_count(monkeypatch, lambda: Gadget.objects.filter(pk=share.object_pk).delete())
    response = opener(share)
    assert response.status_code == 410 and refusal_of(response) == Refusal.UNAVAILABLE.code
    assert counted(share) == (0, ["unavailable"])


@pytest.mark.parametrize("opener", OPENERS)
def test_an_object_leaving_the_roles_rows_before_the_count_is_refused_uncounted(
    monkeypatch, opener
):
    role = RoleFactory(view=[Gadget], share=[Gadget])
    rule(role, Gadget, read_filter={"name__startswith": "A"})
    share = ShareFactory(content_object=GadgetFactory(name="Alpha"), role=role)
    before_the_count(
        monkeypatch, lambda: Gadget.objects.filter(pk=share.object_pk).update(name="Beta")
    )
    response = opener(share)
    assert response.status_code == 403 and refusal_of(response) == Refusal.GRANTS_NOTHING.code
    assert counted(share) == (0, ["grants_nothing"])


@pytest.mark.parametrize("opener", OPENERS)
def test_a_password_share_has_its_object_checked_before_any_password_is_tried(opener):
    share = ShareFactory(password="right")
    Gadget.objects.filter(pk=share.object_pk).delete()
    response = opener(share, "wrong")
    assert response.status_code == 410 and refusal_of(response) == Refusal.UNAVAILABLE.code
    uses, reasons = counted(share)  # the page's visitor was refused on loading it, too
    assert uses == 0 and set(reasons) == {"unavailable"}  # no wrong password, no attempt counted


@pytest.mark.parametrize("tenant, status, uses", [("a", 200, 1), ("b", 410, 0)])
def test_the_counting_statement_reads_the_object_through_its_default_manager(tenant, status, uses):
    """A manager that filters by the request (a tenant) decides inside the count too."""
    role = RoleFactory(view=[Ledger], share=[Ledger])
    share = ShareFactory(content_object=Ledger.objects.create(tenant="a", title="t"), role=role)
    token = current_tenant.set(tenant)
    try:
        found, rights = opening.find_share(share.token)
        assert object_state.readable_condition(found, rights, "default") is not None
        assert open_by_api(share).status_code == status
    finally:
        current_tenant.reset(token)
    assert counted(share)[0] == uses


class GadgetsElsewhere:
    def db_for_read(self, model, **hints):
        return "gadgets" if model is Gadget else None


def test_the_object_is_checked_apart_when_it_lives_on_another_database():
    found, rights = opening.find_share(ShareFactory().token)
    assert object_state.readable_condition(found, rights, "default") is not None
    with override_settings(DATABASE_ROUTERS=[GadgetsElsewhere()]):
        assert object_state.readable_condition(found, rights, "default") is None


# -- the share deleted or its password changed just before the count ---------------------------


def test_a_share_deleted_while_opening_answers_unknown():
    share = ShareFactory()
    with before_counting(lambda: Share.objects.filter(pk=share.pk).delete()):
        response = open_share(Client(), share)
    assert response.status_code == 404
    assert "This share link does not exist." in response.content.decode()


def test_a_password_changed_while_opening_asks_again():
    share = ShareFactory(password="pw")
    with before_counting(lambda: save_new_password(share)):
        response = open_share(Client(), share, "pw")
    assert response.status_code == 409
    assert "changed while it was being opened" in response.content.decode()
    assert Share.objects.get(pk=share.pk).times_used == 0


# -- through a recipient's link: both counts, or neither ----------------------------------------


def counts(recipient) -> tuple[int, int]:
    recipient.refresh_from_db()
    return recipient.times_used, Share.objects.get(pk=recipient.share_id).times_used


def test_a_use_through_a_recipients_link_counts_for_the_recipient_and_the_share():
    recipient = RecipientFactory()
    now = timezone.now()

    assert opening.consume_use(opened_through(recipient), now)
    assert opening.consume_use(opened_through(recipient), now + timedelta(minutes=5))

    assert counts(recipient) == (2, 2)
    assert recipient.first_opened_at == now
    assert recipient.last_opened_at == now + timedelta(minutes=5)


def test_a_share_used_up_meanwhile_counts_nothing_for_the_recipient():
    recipient = RecipientFactory(share=ShareFactory(max_uses=1))
    loaded = opened_through(recipient)
    Share.objects.filter(pk=recipient.share_id).update(times_used=1)  # the last use, elsewhere

    assert not opening.consume_use(loaded, timezone.now())

    assert counts(recipient) == (0, 1)
    assert recipient.first_opened_at is None


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda r: r.revoke(), id="revoked"),
        pytest.param(lambda r: r.rotate_key(), id="new-link"),
        pytest.param(lambda r: type(r).objects.filter(pk=r.pk).update(max_uses=1, times_used=1),
                     id="used-up"),
    ],
)  # fmt: skip
def test_a_recipient_changed_since_it_was_read_rolls_the_shares_count_back(change):
    recipient = RecipientFactory()
    loaded = opened_through(recipient)
    change(ShareRecipient.objects.get(pk=recipient.pk))  # another request's copy

    assert not opening.consume_use(loaded, timezone.now())

    assert Share.objects.get(pk=recipient.share_id).times_used == 0


@pytest.mark.parametrize("opener", OPENERS)
def test_a_recipient_revoked_while_opening_is_refused_and_nothing_is_counted(monkeypatch, opener):
    recipient = RecipientFactory()
    before_the_count(monkeypatch, ShareRecipient.objects.get(pk=recipient.pk).revoke)
    response = opener(opened_through(recipient))
    assert refusal_of(response) == "recipient_revoked"
    assert counts(recipient) == (0, 0)


def test_a_use_through_a_recipients_link_registers_its_device_within_the_limit_or_rolls_back():
    recipient = RecipientFactory(share=ShareFactory(devices_per_recipient=2))
    share = opened_through(recipient)
    now = timezone.now()
    a, b, c, d = (letter * 64 for letter in "abcd")
    assert count_use(share, now, device=(a,)) and count_use(share, now, device=(b,))
    assert not count_use(share, now, device=(c,))  # a third device: nothing counted
    later = now + timedelta(minutes=1)
    assert count_use(share, later, device=(a,))  # a known device: seen again
    assert count_use(share, later, device=(d, b))  # known by its fallback key: stored anew
    seen = dict(RecipientDevice.objects.values_list("key", "last_seen_at"))
    assert seen == {a: later, d: later}
    assert ShareRecipient.objects.get(pk=recipient.pk).times_used == 4
    assert Share.objects.get(pk=share.pk).times_used == 4  # the share's count rolled back too
