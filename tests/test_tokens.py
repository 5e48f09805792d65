from __future__ import annotations

import pytest
from django.test import override_settings

from directus_shares import tokens


def test_keys_are_128_bit_urlsafe_and_unique():
    keys = {tokens.new_key() for _ in range(1000)}
    assert len(keys) == 1000
    assert all(len(key) == tokens.KEY_LENGTH for key in keys)
    assert all(
        set(key) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        for key in keys
    )


def test_a_token_carries_its_key():
    key = tokens.new_key()
    token = tokens.link_token(key)
    assert token.startswith(key + ".")
    assert tokens.key_from_token(token) == key


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
    assert tokens.key_from_token(mangle(tokens.link_token(tokens.new_key()))) is None


def test_a_key_signed_with_another_secret_is_refused():
    key = tokens.new_key()
    with override_settings(SECRET_KEY="another-secret-key"):
        foreign = tokens.link_token(key)
    assert tokens.key_from_token(foreign) is None


def test_old_links_keep_working_during_a_secret_key_rotation():
    key = tokens.new_key()
    old_link = tokens.link_token(key)
    with override_settings(
        SECRET_KEY="the-new-secret", SECRET_KEY_FALLBACKS=["tests-only-not-secret"]
    ):
        assert tokens.key_from_token(old_link) == key
    with override_settings(SECRET_KEY="the-new-secret", SECRET_KEY_FALLBACKS=[]):
        assert tokens.key_from_token(old_link) is None
