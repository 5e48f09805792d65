"""Holes found in review: stale saves, retargeting, secrets on the page, hostile values, logs."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth.models import User
from django.core import signing
from django.test import Client, override_settings

from directus_shares import opening
from directus_shares.models import Share
from directus_shares.outcomes import Refusal
from tests.conftest import open_share
from tests.factories import GadgetFactory, OwnerFactory, RoleFactory, ShareFactory, UserFactory
from tests.testapp.models import Company, Gadget, Note, Owner

pytestmark = pytest.mark.django_db


def granted_page(share: Share, password: str | None = None) -> str:
    client = Client()
    assert open_share(client, share, password).status_code == 303
    response = client.get(share.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


# -- saving an out-of-date copy ----------------------------------------------------------------


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


def test_a_reenabled_share_of_a_deleted_role_grants_nothing_not_the_public_role():
    RoleFactory(name="Public", view=[Gadget])
    share = ShareFactory()
    share.role.delete()
    share.refresh_from_db()
    share.reenable()
    with override_settings(DIRECTUS_SHARES={"PUBLIC_ROLE": "Public"}):
        response = Client().get(share.get_absolute_url())
        assert response.status_code == Refusal.GRANTS_NOTHING.status
        share.role = RoleFactory(view=[Gadget])  # choosing a new role makes it work again
        share.save()
        share.created_by.groups.add(share.role)
        assert Client().get(share.get_absolute_url()).status_code == 200


# -- what is never shown -----------------------------------------------------------------------


def test_a_users_password_hash_is_never_shown():
    user = UserFactory(username="alice")
    user.set_password("pw")
    user.save()
    content = granted_page(ShareFactory(content_object=user, role=RoleFactory(view=[User])))
    assert "alice" in content
    assert user.password not in content and "argon2" not in content


def test_shares_are_never_disclosed_even_to_roles_that_may_view_them():
    inner = ShareFactory(password="x")
    role = RoleFactory(view=[Share])
    response = Client().get(ShareFactory(content_object=inner, role=role).get_absolute_url())
    assert response.status_code == Refusal.GRANTS_NOTHING.status
    assert inner.key not in response.content.decode()


def test_multi_table_inheritance_and_generic_relations_render():
    company = Company.objects.create(name="Acme", vat_id="DE123")
    Note.objects.create(content_object=company, text="a generic note")
    role = RoleFactory(view=[Company, Owner, Note, Gadget])
    content = granted_page(ShareFactory(content_object=company, role=role))
    assert "Acme" in content and "DE123" in content


def test_a_file_field_holding_null_renders_as_empty():
    gadget = GadgetFactory()
    Gadget.objects.filter(pk=gadget.pk).update(manual=None)
    assert 'data-field="manual"' in granted_page(ShareFactory(content_object=gadget))


def test_email_values_cannot_smuggle_mailto_parameters():
    owner = OwnerFactory(email="a@b.example?cc=evil@attacker.example&body=hi")
    content = granted_page(ShareFactory(content_object=owner, role=RoleFactory(view=[Owner])))
    assert "mailto:" not in content
    owner.email = "ok@b.example"
    owner.save()
    content = granted_page(ShareFactory(content_object=owner, role=RoleFactory(view=[Owner])))
    assert 'href="mailto:ok@b.example"' in content


# -- the page, its forms and its logs ----------------------------------------------------------


def test_a_password_share_keeps_its_name_until_granted():
    share = ShareFactory(name="Merger with ACME", password="pw")
    assert "Merger with ACME" not in Client().get(share.get_absolute_url()).content.decode()
    assert "Merger with ACME" in granted_page(share, "pw")


@override_settings(
    MIDDLEWARE=[m for m in __import__("tests.settings").settings.MIDDLEWARE if "Csrf" not in m]
)
def test_the_form_is_csrf_protected_and_works_without_the_csrf_middleware():
    share = ShareFactory(password="pw")
    forged = Client(enforce_csrf_checks=True).post(share.get_absolute_url(), {"password": "pw"})
    assert forged.status_code == 403
    assert open_share(Client(enforce_csrf_checks=True), share, "pw").status_code == 303


def test_the_grant_cookie_reveals_nothing_about_the_share():
    share = ShareFactory()
    visitor = Client()
    open_share(visitor, share)
    payload = signing.loads(
        visitor.cookies["directus_share_grant"].value, salt="directus_shares.grant"
    )
    assert isinstance(payload, str) and str(share.pk) != payload and share.key not in payload


def test_refusals_log_no_working_link(caplog):
    share = ShareFactory(password="pw")
    with caplog.at_level(logging.INFO):
        open_share(Client(), share, "wrong")
        share.revoke()
        Client().get(share.get_absolute_url())
    assert caplog.records, "refusals are logged"
    assert all(share.key not in record.getMessage() for record in caplog.records)
    assert any(
        "revoked" in r.getMessage() or "unavailable" in r.getMessage() for r in caplog.records
    )


def test_the_link_without_its_trailing_slash_is_served_with_the_share_headers():
    share = ShareFactory()
    response = Client().get(share.get_absolute_url().rstrip("/"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store, private"
    assert open_share(Client(), share).status_code == 303


def test_share_pages_cannot_be_framed():
    response = Client().get(ShareFactory().get_absolute_url())
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


# -- changes between the checks and the count --------------------------------------------------


def test_a_share_deleted_while_opening_answers_unknown(monkeypatch):
    share = ShareFactory()

    def delete_first(share_, now, *args):
        Share.objects.filter(pk=share_.pk).delete()
        return False

    monkeypatch.setattr(opening, "consume_use", delete_first)
    response = open_share(Client(), share)
    assert response.status_code == 404
    assert "This share link does not exist." in response.content.decode()


def test_a_password_changed_while_opening_asks_again(monkeypatch):
    share = ShareFactory(password="pw")
    real_consume = opening.consume_use

    def change_password_first(share_, now, *args):
        fresh = Share.objects.get(pk=share_.pk)
        fresh.set_password("other")
        fresh.save()
        return real_consume(share_, now, *args)

    monkeypatch.setattr(opening, "consume_use", change_password_first)
    response = open_share(Client(), share, "pw")
    assert response.status_code == 409
    assert "changed while it was being opened" in response.content.decode()
    assert Share.objects.get(pk=share.pk).times_used == 0


def csrf_client() -> Client:
    client = Client(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = "b" * 32
    return client


@pytest.mark.parametrize(
    "fetch_site",
    [
        "same-origin",  # a page with a no-referrer policy of its own, or an old cached share page
        None,  # browsers from before Sec-Fetch-Site
        "same-site",  # a sibling subdomain that could have planted the CSRF cookie
        "cross-site",  # a foreign page posting with Origin: null (sandboxed frame)
    ],
)
def test_a_null_origin_is_refused_as_django_refuses_it(fetch_site):
    """The share page sends ``Referrer-Policy: same-origin``, so its own form posts with its real
    origin (browser test); ``Origin: null`` is a foreign origin to Django, whatever else the
    browser says – also from a share page loaded before the policy changed (reloading fixes it)."""
    share = ShareFactory(password="pw")
    headers = {"HTTP_ORIGIN": "null"}
    if fetch_site:
        headers["HTTP_SEC_FETCH_SITE"] = fetch_site
    response = csrf_client().post(
        share.get_absolute_url(),
        {"password": "pw", "csrfmiddlewaretoken": "b" * 32},
        secure=True,
        **headers,
    )
    assert response.status_code == 403
    assert "Reload the page, then submit it again." in response.content.decode()
    assert Share.objects.get(pk=share.pk).times_used == 0


def test_the_own_origin_with_the_token_opens_the_share():
    share = ShareFactory(password="pw")
    response = csrf_client().post(
        share.get_absolute_url(),
        {"password": "pw", "csrfmiddlewaretoken": "b" * 32},
        secure=True,
        HTTP_ORIGIN="https://testserver",
        HTTP_SEC_FETCH_SITE="same-origin",
    )
    assert response.status_code == 303
    assert Share.objects.get(pk=share.pk).times_used == 1


@pytest.mark.parametrize("secure", [False, True])
def test_a_foreign_origin_or_a_missing_token_is_refused_with_a_share_page(caplog, secure):
    share = ShareFactory(password="pw")
    url = share.get_absolute_url()
    with caplog.at_level(logging.INFO):
        foreign = csrf_client().post(
            url,
            {"password": "pw", "csrfmiddlewaretoken": "b" * 32},
            secure=secure,
            HTTP_ORIGIN="https://evil.example",
            HTTP_SEC_FETCH_SITE="cross-site",
        )
        tokenless = csrf_client().post(
            url, {"password": "pw"}, secure=secure, HTTP_ORIGIN="https://testserver"
        )
    for response in (foreign, tokenless):
        assert response.status_code == 403
        content = response.content.decode()
        assert "<h1>Please try again</h1>" in content
        assert "Reload the page, then submit it again." in content
        assert 'class="ds-card ds-refused ds-refused-csrf"' in content
        assert response["Cache-Control"] == "no-store, private"
        assert response["Referrer-Policy"] == "same-origin"
    assert Share.objects.get(pk=share.pk).times_used == 0
    messages = [record.getMessage() for record in caplog.records]
    assert all(share.key not in message for message in messages)
    assert sum("Share refused (403, CSRF)" in message for message in messages) == 2
    # Django's own reason, on its security logger, with the link cut
    assert any(
        r.name == "django.security.csrf" and "Origin" in r.getMessage() for r in caplog.records
    )
    # Django's request line for the same 403 is left out: the app logged it already
    assert not any(record.name == "django.request" for record in caplog.records)


@override_settings(CSRF_FAILURE_VIEW="tests.test_hardening.project_failure_view")
def test_the_share_page_answers_a_rejection_not_the_projects_failure_view():
    share = ShareFactory()
    response = csrf_client().post(share.get_absolute_url(), {}, HTTP_ORIGIN="https://evil.example")
    assert response.status_code == 403
    assert "Reload the page, then submit it again." in response.content.decode()
    assert "project failure" not in response.content.decode()


def project_failure_view(request, reason=""):
    from django.http import HttpResponseForbidden

    return HttpResponseForbidden("project failure")


def test_field_values_and_names_are_escaped():
    gadget = GadgetFactory(name='<script>alert("x")</script>', homepage='https://a.example/"><b>')
    share = ShareFactory(content_object=gadget, name="<i>share</i>")
    content = granted_page(share)
    assert "<script>alert" not in content and "&lt;script&gt;alert(&quot;x&quot;)" in content
    assert '"><b>' not in content
    assert "<i>share</i>" not in content
