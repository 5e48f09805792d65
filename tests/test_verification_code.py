"""Who may ask for a one-time code: a share's allowed addresses and @domain entries, as stored
and as matched (models/verification_code.py)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from directus_shares.models.verification_code import (
    MAX_ALLOWED_ADDRESSES,
    clean_allowed_addresses,
    email_allowed,
    normalise_email,
)


def test_entries_are_stored_lower_case_each_once_in_the_order_given():
    given = [" Anna@Example.org ", "@Example.COM", "anna@example.org", ""]
    assert clean_allowed_addresses(given) == ["anna@example.org", "@example.com"]


def test_a_string_is_split_at_commas_semicolons_and_white_space():
    assert clean_allowed_addresses("a@x.org, b@y.org;\n@z.org") == ["a@x.org", "b@y.org", "@z.org"]


def test_nothing_is_an_empty_list():
    assert clean_allowed_addresses(None) == [] == clean_allowed_addresses("")


@pytest.mark.parametrize(
    "entry", ["anna", "anna@", "@", "@@x.org", "a b@x.org", "@x", "x" * 250 + "@x.org", "a@x.org@y"]
)
def test_what_is_neither_an_address_nor_a_domain_is_refused_by_name(entry):
    with pytest.raises(ValidationError) as raised:
        clean_allowed_addresses(["ok@example.org", entry])
    assert entry[:40] in raised.value.messages[0]


def test_other_types_are_refused():
    with pytest.raises(ValidationError):
        clean_allowed_addresses({"a": "b@x.org"})  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        clean_allowed_addresses([42])  # type: ignore[list-item]


def test_there_is_a_maximum():
    entries = [f"user{n}@example.org" for n in range(MAX_ALLOWED_ADDRESSES)]
    assert len(clean_allowed_addresses(entries)) == MAX_ALLOWED_ADDRESSES
    with pytest.raises(ValidationError, match="@domain"):
        clean_allowed_addresses([*entries, "one.more@example.org"])


def test_an_address_is_allowed_when_listed_or_at_a_listed_domain_exactly():
    allowed = ["anna@example.org", "@example.com"]
    assert email_allowed("anna@example.org", allowed)
    assert email_allowed("bob@example.com", allowed)
    assert not email_allowed("bob@example.org", allowed)
    assert not email_allowed("bob@mail.example.com", allowed)  # not a subdomain
    assert not email_allowed("bob@evil-example.com", allowed)
    assert not email_allowed("anna@example.org", [])


def test_a_visitors_address_is_normalised_or_refused():
    assert normalise_email("  Anna@Example.ORG ") == "anna@example.org"
    for bad in ("", "anna", "a@b@c.org", "x" * 250 + "@example.org", None):
        assert normalise_email(bad) is None  # type: ignore[arg-type]
