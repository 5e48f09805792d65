"""Signed values and a ``SECRET_KEY`` rotation: link, grant cookie, access token and file link
each keep working while the old key is in ``SECRET_KEY_FALLBACKS`` and stop once it leaves."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from rest_framework.test import APIClient

from directus_shares import signatures
from directus_shares.api.errors import TOKEN_INVALID
from directus_shares.outcomes import Refusal
from tests.factories import GadgetFactory, RecipientFactory, ShareFactory
from tests.helpers import downloaded, file_link, open_share, opened_through
from tests.test_api_open import assert_error, auth, item
from tests.test_api_open import assert_refused as assert_api_refused
from tests.test_page import assert_refused

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

OLD_KEY = "tests-only-not-secret"  # tests/settings.py
NEW_KEY = "the-new-secret-after-rotation"
ROTATING = override_settings(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[OLD_KEY])
ROTATED = override_settings(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[])
MANUAL = b"%PDF-1.4 the manual"


def _share(**kwargs):
    gadget = GadgetFactory(name="Only once", manual="manuals/guide.pdf")
    return ShareFactory(content_object=gadget, **kwargs)


# -- the signed values themselves -------------------------------------------------------------


def test_every_kind_of_signed_value_has_its_own_salt():
    signed = [salt for kind, salt in signatures.SALTS.items() if kind != "fingerprint"]
    assert len(set(signed)) == len(signed) == 8


@pytest.mark.parametrize("kind", ["grant", "access"])
def test_a_token_made_with_the_old_key_holds_until_the_key_leaves_the_fallbacks(kind):
    share = ShareFactory()
    value = signatures.share_token(kind, share)
    with ROTATING:
        assert signatures.share_token_valid(kind, value, share)
        fresh = signatures.share_token(kind, share)
    with ROTATED:
        assert not signatures.share_token_valid(kind, value, share)
        assert signatures.share_token_valid(kind, fresh, share)


def test_a_reference_made_with_the_old_key_holds_until_the_key_leaves_the_fallbacks():
    share = ShareFactory()
    reference = signatures.share_reference(share, ["testapp.gadget", "1", "manual"])
    with ROTATING:
        assert signatures.share_reference_payload(share, reference) == [
            "testapp.gadget",
            "1",
            "manual",
        ]
    with ROTATED:
        assert signatures.share_reference_payload(share, reference) is None


def test_a_token_of_another_secret_never_held_is_refused():
    share = ShareFactory()
    with override_settings(SECRET_KEY="somebody-elses-secret"):
        grant = signatures.share_token("grant", share)
    assert not signatures.share_token_valid("grant", grant, share)


# -- the page ---------------------------------------------------------------------------------


def test_a_rotation_keeps_the_page_and_its_file_open_for_a_visitor_who_spent_the_only_use():
    share = _share(max_uses=1)
    link = share.get_absolute_url()
    visitor = Client()
    assert open_share(visitor, share).status_code == 303
    file = file_link(visitor, share)
    with ROTATING:
        assert link != share.get_absolute_url()  # the admin now shows the new signature
        response = visitor.get(link)
        assert response.status_code == 200 and "Only once" in response.content.decode()
        assert "Only once" in visitor.get(share.get_absolute_url()).content.decode()
        download = visitor.get(file)
        assert download.status_code == 200 and downloaded(download) == MANUAL
    with ROTATED:
        assert_refused(visitor.get(link), Refusal.UNKNOWN, text="does not exist")
        assert_refused(visitor.get(file), Refusal.UNKNOWN, text="does not exist")
        # The new link opens the share, but the grant made with the old key is over.
        assert_refused(visitor.get(share.get_absolute_url()), Refusal.USED_UP, text="as many times")


def test_a_file_link_made_with_the_old_key_ends_with_it():
    share = _share(max_uses=5)
    visitor = Client()
    open_share(visitor, share)
    reference = file_link(visitor, share).rstrip("/").rsplit("/", 1)[-1]
    with ROTATED:
        assert open_share(visitor, share).status_code == 303  # a new grant, a new use
        new_link = share.get_absolute_url()
        assert visitor.get(file_link(visitor, share, new_link)).status_code == 200
        assert_refused(  # the share opens: it is the file link that no longer exists
            visitor.get(f"{new_link}files/{reference}/"),
            Refusal.FILE_NOT_FOUND,
            text="This file link does not exist.",
        )


# -- the API ----------------------------------------------------------------------------------


def test_a_rotation_keeps_the_access_token_and_its_file_for_a_client_who_spent_the_only_use():
    share = _share(max_uses=1)
    old_token = share.token
    client = APIClient()
    access = auth(client, old_token).json()["access_token"]
    file = item(client, old_token, access).json()["fields"]["manual"]["url"]
    header = {"HTTP_AUTHORIZATION": f"Share {access}"}
    with ROTATING:
        assert item(client, old_token, access).json()["fields"]["name"]["value"] == "Only once"
        assert item(client, share.token, access).status_code == 200  # the new link too
        download = client.get(file, **header)
        assert download.status_code == 200 and downloaded(download) == MANUAL
    with ROTATED:
        assert_api_refused(item(client, old_token, access), Refusal.UNKNOWN)
        assert_api_refused(client.get(file, **header), Refusal.UNKNOWN)
        # The new link finds the share, but the token made with the old key is over.
        assert_api_refused(item(client, share.token, access), Refusal.USED_UP)
        new_file = file.replace(old_token, share.token)
        assert_api_refused(client.get(new_file, **header), Refusal.USED_UP)
        assert_api_refused(auth(client, share.token), Refusal.USED_UP)


def test_an_api_file_link_made_with_the_old_key_ends_with_it():
    share = _share(max_uses=5)
    client = APIClient()
    access = auth(client, share).json()["access_token"]
    reference = item(client, share, access).json()["fields"]["manual"]["url"].split("/")[-2]
    with ROTATED:
        fresh = auth(client, share).json()["access_token"]
        header = {"HTTP_AUTHORIZATION": f"Share {fresh}"}
        url = item(client, share, fresh).json()["fields"]["manual"]["url"]
        assert client.get(url, **header).status_code == 200
        assert_error(item(client, share, access), TOKEN_INVALID, 401)  # the old token is over
        old_file = f"/api/shares/open/{share.token}/files/{reference}/"
        assert_api_refused(client.get(old_file, **header), Refusal.FILE_NOT_FOUND)


# -- link tokens ---------------------------------------------------------------------------------
def test_keys_are_128_bit_urlsafe_and_unique():
    keys = {signatures.new_key() for _ in range(1000)}
    assert len(keys) == 1000
    assert all(len(key) == signatures.KEY_LENGTH for key in keys)
    assert all(
        set(key) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        for key in keys
    )


def test_a_token_carries_its_key():
    key = signatures.new_key()
    token = signatures.link_token(key)
    assert token.startswith(key + ".")
    assert signatures.key_from_token(token) == key


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1],  # truncated signature
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # altered signature
        lambda t: t.split(".")[0],  # key alone (what a database dump holds)
        lambda t: "x" + t,  # altered key
        lambda t: t + "é",  # non-ASCII
        lambda t: t * 3,  # over-long
        lambda t: "",
    ],
)
def test_tampered_tokens_carry_no_key(mangle):
    assert signatures.key_from_token(mangle(signatures.link_token(signatures.new_key()))) is None


def test_a_key_signed_with_another_secret_is_refused():
    key = signatures.new_key()
    with override_settings(SECRET_KEY="another-secret-key"):
        foreign = signatures.link_token(key)
    assert signatures.key_from_token(foreign) is None


def test_old_links_keep_working_during_a_secret_key_rotation():
    key = signatures.new_key()
    old_link = signatures.link_token(key)
    with override_settings(
        SECRET_KEY="the-new-secret", SECRET_KEY_FALLBACKS=["tests-only-not-secret"]
    ):
        assert signatures.key_from_token(old_link) == key
    with override_settings(SECRET_KEY="the-new-secret", SECRET_KEY_FALLBACKS=[]):
        assert signatures.key_from_token(old_link) is None


# -- recipients' links ----------------------------------------------------------------------------


def test_a_recipient_token_and_a_share_token_never_pass_for_each_other():
    key = signatures.new_key()
    share_link, recipient_link = signatures.link_token(key), signatures.recipient_link_token(key)
    assert share_link != recipient_link
    assert signatures.key_from_token(recipient_link, "recipient") == key
    assert signatures.key_from_token(recipient_link) is None
    assert signatures.key_from_token(share_link, "recipient") is None


def test_recipient_links_follow_the_secret_key_rotation():
    key = signatures.new_key()
    old_link = signatures.recipient_link_token(key)
    with override_settings(
        SECRET_KEY="the-new-secret", SECRET_KEY_FALLBACKS=["tests-only-not-secret"]
    ):
        assert signatures.key_from_token(old_link, "recipient") == key
    with override_settings(SECRET_KEY="the-new-secret", SECRET_KEY_FALLBACKS=[]):
        assert signatures.key_from_token(old_link, "recipient") is None


@pytest.mark.django_db
def test_a_grant_through_a_recipients_link_is_bound_to_that_recipient():
    recipient = RecipientFactory()
    other = RecipientFactory(share=recipient.share)
    through = opened_through(recipient)
    grant = signatures.share_token("grant", through)

    assert signatures.share_token_valid("grant", grant, through)
    assert not signatures.share_token_valid("grant", grant, recipient.share)  # the common link
    assert not signatures.share_token_valid("grant", grant, opened_through(other))
    recipient.revoke()
    assert not signatures.share_token_valid("grant", grant, opened_through(recipient))


def test_a_recipients_devices_stay_known_through_a_key_rotation():
    """A device stored under the old key opens again while it is a fallback – and its key and
    cookie are made anew with the new key, so it stays known once the old key is gone."""
    recipient = RecipientFactory(share=ShareFactory(devices_per_recipient=1))
    device = Client()

    def reopened() -> int:
        for name in [name for name in device.cookies if name != "directus_share_device"]:
            del device.cookies[name]  # the grant ended: the device must be known to open again
        return open_share(device, opened_through(recipient)).status_code

    assert open_share(device, opened_through(recipient)).status_code == 303
    with ROTATING:
        assert reopened() == 303
    with ROTATED:
        assert reopened() == 303
        assert open_share(Client(), opened_through(recipient)).status_code == 403
