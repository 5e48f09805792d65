"""One-time e-mail codes (verification.py): made and replaced, tried within their limits –
counted in the database before the comparison – and spent once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from directus_shares import verification
from directus_shares.models import VerificationCode
from directus_shares.verification import CodeCheck
from tests.factories import ShareFactory

pytestmark = pytest.mark.django_db

ANNA = "anna@example.org"


@pytest.fixture
def share():
    return ShareFactory(allowed_addresses=[ANNA])


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_a_code_is_six_digits_and_only_its_hash_is_stored(share):
    now = timezone.now()
    code = verification.issue_code(share, ANNA, now)
    assert code is not None and len(code) == 6 and code.isdigit()
    [stored] = VerificationCode.objects.all()
    assert code not in stored.code_hash and len(stored.code_hash) == 64
    assert stored.email == ANNA and stored.tries == 0 and stored.used_at is None
    assert stored.expires_at == now + timedelta(minutes=10)


def test_the_hash_binds_the_code_to_its_share_and_address(share):
    now = timezone.now()
    code = verification.issue_code(share, ANNA, now)
    other = ShareFactory(allowed_addresses=[ANNA])
    verification.issue_code(other, ANNA, now)
    assert verification.try_code(other, ANNA, code, now).result is CodeCheck.WRONG
    assert verification.try_code(share, "bob@example.org", code, now).result is (
        CodeCheck.NOT_REQUESTED
    )
    assert verification.try_code(share, ANNA, code, now).result is CodeCheck.RIGHT


def test_the_right_code_with_spaces_is_right(share):
    now = timezone.now()
    code = verification.issue_code(share, ANNA, now)
    assert verification.try_code(share, ANNA, f" {code[:3]} {code[3:]} ", now).result is (
        CodeCheck.RIGHT
    )


def test_each_try_counts_and_the_sixth_is_refused_even_when_right(share):
    now = timezone.now()
    code = verification.issue_code(share, ANNA, now)
    results = [verification.try_code(share, ANNA, wrong(code), now).result for _ in range(5)]
    assert results == [CodeCheck.WRONG] * 5
    assert verification.try_code(share, ANNA, code, now).result is CodeCheck.TRIES_USED_UP
    assert VerificationCode.objects.get().tries == 5  # the refused try changed nothing


@override_settings(DIRECTUS_SHARES={"VERIFICATION_CODE_TRIES": 2})
def test_the_number_of_tries_is_a_setting(share):
    now = timezone.now()
    code = verification.issue_code(share, ANNA, now)
    verification.try_code(share, ANNA, wrong(code), now)
    verification.try_code(share, ANNA, wrong(code), now)
    assert verification.try_code(share, ANNA, code, now).result is CodeCheck.TRIES_USED_UP


def test_an_expired_code_is_refused_without_counting_a_try(share):
    now = timezone.now()
    code = verification.issue_code(share, ANNA, now)
    later = now + timedelta(minutes=10)
    assert verification.try_code(share, ANNA, code, later).result is CodeCheck.EXPIRED
    assert VerificationCode.objects.get().tries == 0


@override_settings(DIRECTUS_SHARES={"VERIFICATION_CODE_LIFETIME": 60})
def test_the_lifetime_is_a_setting_in_seconds_too(share):
    now = timezone.now()
    code = verification.issue_code(share, ANNA, now)
    later = now + timedelta(seconds=61)
    assert verification.try_code(share, ANNA, code, later).result is CodeCheck.EXPIRED


def test_a_code_is_spent_once(share):
    now = timezone.now()
    code = verification.issue_code(share, ANNA, now)
    tried = verification.try_code(share, ANNA, code, now)
    assert tried.result is CodeCheck.RIGHT
    assert verification.spend_code(tried.code_id, now) is True
    assert verification.spend_code(tried.code_id, now) is False
    assert verification.try_code(share, ANNA, code, now).result is CodeCheck.USED


def test_an_expired_code_cannot_be_spent(share):
    now = timezone.now()
    code = verification.issue_code(share, ANNA, now)
    tried = verification.try_code(share, ANNA, code, now)
    assert verification.spend_code(tried.code_id, now + timedelta(minutes=11)) is False


def test_a_new_code_replaces_the_one_before(share, monkeypatch):
    monkeypatch.setattr(verification, "new_code", iter(["111111", "222222"]).__next__)
    now = timezone.now()
    verification.issue_code(share, ANNA, now)
    verification.issue_code(share, ANNA, now + timedelta(seconds=1))
    later = now + timedelta(seconds=2)
    assert verification.try_code(share, ANNA, "111111", later).result is CodeCheck.WRONG
    assert verification.try_code(share, ANNA, "222222", later).result is CodeCheck.RIGHT


def test_an_address_gets_three_codes_per_share_and_hour(share):
    now = timezone.now()
    codes = [verification.issue_code(share, ANNA, now + timedelta(minutes=i)) for i in range(4)]
    assert None not in codes[:3] and codes[3] is None
    assert VerificationCode.objects.count() == 3  # nothing stored for the refused one
    # Other addresses and other shares have limits of their own; the window ends.
    assert verification.issue_code(share, "bob@example.org", now) is not None
    assert verification.issue_code(ShareFactory(), ANNA, now) is not None
    assert verification.issue_code(share, ANNA, now + timedelta(minutes=61)) is not None


@override_settings(DIRECTUS_SHARES={"VERIFICATION_CODES_PER_ADDRESS": (1, 60)})
def test_the_resend_limit_is_a_setting(share):
    now = timezone.now()
    assert verification.issue_code(share, ANNA, now) is not None
    assert verification.issue_code(share, ANNA, now + timedelta(seconds=30)) is None
    assert verification.issue_code(share, ANNA, now + timedelta(seconds=61)) is not None


def test_old_codes_of_the_share_are_deleted_on_the_way(share):
    now = timezone.now()
    verification.issue_code(share, ANNA, now)
    verification.issue_code(share, "bob@example.org", now + timedelta(hours=2))
    assert list(VerificationCode.objects.values_list("email", flat=True)) == ["bob@example.org"]


def test_codes_go_with_their_share(share):
    verification.issue_code(share, ANNA, timezone.now())
    share.delete()
    assert not VerificationCode.objects.exists()


def test_a_code_made_with_the_previous_secret_key_still_counts(share, settings):
    now = timezone.now()
    code = verification.issue_code(share, ANNA, now)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    assert verification.try_code(share, ANNA, code, now).result is CodeCheck.RIGHT


def test_a_code_is_not_right_once_its_key_left_the_fallbacks(share, settings):
    now = timezone.now()
    code = verification.issue_code(share, ANNA, now)
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    assert verification.try_code(share, ANNA, code, now).result is CodeCheck.WRONG


def test_codes_are_ended_a_day_after_they_expired_or_were_used(share):
    now = timezone.now()
    verification.issue_code(share, ANNA, now)  # expires at now + 10 minutes
    bob = "bob@example.org"
    spent = verification.try_code(share, bob, verification.issue_code(share, bob, now), now)
    verification.spend_code(spent.code_id, now + timedelta(minutes=1))
    ended = verification.ended_codes
    assert not ended(now + timedelta(days=1)).exists()
    assert list(ended(now + timedelta(days=1, minutes=2)).values_list("email", flat=True)) == [bob]
    assert ended(now + timedelta(days=1, minutes=11)).count() == 2


@override_settings(DIRECTUS_SHARES={"VERIFICATION_CODES_PER_ADDRESS": (3, 3 * 86400)})
def test_codes_still_counted_by_the_resend_limit_are_not_ended(share):
    now = timezone.now()
    verification.issue_code(share, ANNA, now)
    assert not verification.ended_codes(now + timedelta(days=2)).exists()
    assert verification.ended_codes(now + timedelta(days=3, seconds=1)).exists()
