"""The counted use: one conditional UPDATE that refuses what the page would refuse."""

from __future__ import annotations

import ipaddress
from datetime import timedelta

import pytest
from django.utils import timezone

from directus_shares import opening
from directus_shares.models import Share
from directus_shares.queries import rights_of_role
from directus_shares.rights import ShareRights
from tests.factories import GadgetFactory, RoleFactory, ShareFactory
from tests.testapp.models import Gadget

pytestmark = pytest.mark.django_db


def times_used(share: Share) -> int:
    return Share.objects.get(pk=share.pk).times_used


def test_counts_up_to_max_uses_and_no_further():
    share = ShareFactory(max_uses=2)
    now = timezone.now()
    assert [opening.consume_use(share, now) for _ in range(4)] == [True, True, False, False]
    assert times_used(share) == 2


def test_unlimited_shares_count_every_use():
    share = ShareFactory()
    for _ in range(5):
        assert opening.consume_use(share, timezone.now())
    assert times_used(share) == 5


@pytest.mark.parametrize(
    "make_closed",
    [
        lambda s, now: Share.objects.filter(pk=s.pk).update(revoked_at=now),
        lambda s, now: Share.objects.filter(pk=s.pk).update(date_end=now - timedelta(seconds=1)),
        lambda s, now: Share.objects.filter(pk=s.pk).update(date_start=now + timedelta(seconds=1)),
        lambda s, now: Share.objects.filter(pk=s.pk).update(grant_epoch=99),  # password changed
        lambda s, now: Share.objects.filter(pk=s.pk).update(key="rotated-away-0000000000"),
    ],
    ids=["revoked", "expired", "not-yet-open", "password-changed", "rotated"],
)
def test_a_share_closed_since_it_was_read_is_not_counted(make_closed):
    share = ShareFactory(max_uses=5)
    now = timezone.now()
    make_closed(share, now)
    assert opening.consume_use(share, now) is False
    assert times_used(share) == 0


def test_refusal_order():
    now = timezone.now()
    share = ShareFactory.build(
        revoked_at=now, date_start=now + timedelta(hours=1), max_uses=1, times_used=1
    )
    can_view = rights_of_role(RoleFactory(view=[Gadget]))
    kwargs = {
        "object_state": opening.ObjectState.VISIBLE,
        "rights": ShareRights(),
        "now": now,
        "address": ipaddress.ip_address("192.0.2.1"),
    }
    assert opening.refusal_for(None, **kwargs) is opening.Refusal.UNKNOWN
    assert (
        opening.refusal_for(
            share, **{**kwargs, "rights": ShareRights(allowed_networks="10.0.0.0/8")}
        )
        is opening.Refusal.FORBIDDEN_NETWORK
    )
    assert opening.refusal_for(share, **kwargs) is opening.Refusal.UNAVAILABLE
    share.revoked_at = None
    gone = {**kwargs, "object_state": opening.ObjectState.GONE}
    assert opening.refusal_for(share, **gone) is opening.Refusal.UNAVAILABLE
    creator_gone = {**kwargs, "rights": ShareRights(creator_unavailable=True)}
    assert opening.refusal_for(share, **creator_gone) is opening.Refusal.UNAVAILABLE
    assert opening.refusal_for(share, **kwargs) is opening.Refusal.NOT_YET_OPEN
    share.date_start, share.date_end = now - timedelta(hours=2), now
    assert opening.refusal_for(share, **kwargs) is opening.Refusal.EXPIRED
    share.date_end = None
    assert opening.refusal_for(share, **kwargs) is opening.Refusal.USED_UP
    assert opening.refusal_for(share, **kwargs, granted=True) is opening.Refusal.GRANTS_NOTHING
    assert opening.refusal_for(share, **{**kwargs, "rights": can_view}, granted=True) is None
    hidden = {**kwargs, "rights": can_view, "object_state": opening.ObjectState.HIDDEN}
    assert opening.refusal_for(share, **hidden, granted=True) is opening.Refusal.OBJECT_NOT_GRANTED


WINDOW_EDGES = [None, "past", "now", "future"]


@pytest.mark.parametrize("revoked", [False, True])
def test_the_counting_sql_counts_exactly_the_shares_its_orm_twin_calls_open(revoked):
    """``counting.count_use`` is written as SQL; ``open_at().with_uses_left()`` says the same
    through the ORM (and the admin's status filter uses it): both must agree on every window
    edge and use count."""
    now = timezone.now()
    moment = {None: None, "past": now - timedelta(days=1), "now": now,
              "future": now + timedelta(days=1)}  # fmt: skip
    cases = [
        (start, end, max_uses)
        for start in WINDOW_EDGES
        for end in WINDOW_EDGES
        for max_uses in (None, 2, 3)
        if None in (start, end) or moment[start] < moment[end]  # a window ends after it starts
    ]
    gadget = GadgetFactory()
    for start, end, max_uses in cases:
        share = ShareFactory(
            content_object=gadget,
            date_start=moment[start],
            date_end=moment[end],
            max_uses=max_uses,
            revoked_at=now if revoked else None,
        )
        Share.objects.filter(pk=share.pk).update(times_used=2)
        share.refresh_from_db()
        open_by_orm = Share.objects.filter(pk=share.pk).open_at(now).with_uses_left().exists()
        assert opening.consume_use(share, now) is open_by_orm, (start, end, max_uses)
        assert times_used(share) == (3 if open_by_orm else 2)
    assert not revoked or not Share.objects.filter(times_used=3).exists()
