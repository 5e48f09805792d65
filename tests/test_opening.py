"""The visitor's path (:mod:`directus_shares.opening`): every outcome of ``look`` and
``open_share`` – each refusal in its order, the password step, the counted use – with its
access-log row, and the rule for a visitor who opens again while holding a grant; the client
address as configured, and the share page's private headers."""

from __future__ import annotations

import ipaddress
import re
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection
from django.test import Client, RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from directus_shares import devices, opening, verification
from directus_shares.creator_queries import rights_of_role
from directus_shares.models import (
    RecipientDevice,
    RoleSettings,
    Share,
    ShareAccess,
    ShareRecipient,
    VerificationCode,
)
from directus_shares.opening import SHARE_RESPONSE_HEADERS, client_address
from directus_shares.outages import Outage
from directus_shares.outcomes import (
    Changed,
    CodeProblem,
    CodeProblemKind,
    CodeRequested,
    Landing,
    Locked,
    ObjectState,
    Opened,
    PasswordProblem,
    PasswordProblemKind,
    Refusal,
    Refused,
    Shown,
)
from directus_shares.rights import ShareRights
from tests.factories import GadgetFactory, RecipientFactory, RoleFactory, ShareFactory, rule
from tests.testapp.models import Gadget

pytestmark = pytest.mark.django_db

ADDRESS = "192.0.2.1"


def request(method: str = "post"):
    return getattr(RequestFactory(), method)("/", REMOTE_ADDR=ADDRESS)


def holds_nothing(share: Share) -> bool:
    return False


def holds_a_grant(share: Share) -> bool:
    return True


def credential(share: Share) -> str:
    """What a surface would hand out for an open (a grant cookie, an access token)."""
    return f"credential of {share.pk}"


def look(share: Share | str, *, holds=holds_nothing, show: bool = True):
    token = share if isinstance(share, str) else share.token
    return opening.look(request("get"), token, holds=holds, show=show)


def open_share(share: Share | str, password: str = "", *, holds=holds_nothing, issue=credential):
    token = share if isinstance(share, str) else share.token
    return opening.open_share(request(), token, lambda: password, holds=holds, issue=issue)


def times_used(share: Share) -> int:
    return Share.objects.get(pk=share.pk).times_used


def log_reasons(share: Share) -> list[str]:
    entries = ShareAccess.objects.filter(share=share).order_by("pk")
    return list(entries.values_list("reason", flat=True))


def not_asked() -> str:
    raise AssertionError("the password was read before the share's own refusals")


# -- refusals, in the order they are checked ----------------------------------------------------


def test_an_unknown_link_is_refused_and_logs_nothing():
    share = ShareFactory()
    for token in ("nope", share.token[:-1] + "x"):
        assert look(token) == Refused(Refusal.UNKNOWN)
        assert open_share(token) == Refused(Refusal.UNKNOWN)
    assert ShareAccess.objects.count() == 0


def hour() -> timedelta:
    return timedelta(hours=1)


REFUSED = {
    "forbidden-network": (
        Refusal.FORBIDDEN_NETWORK,
        lambda s: RoleSettings.objects.create(role=s.role, allowed_networks="10.0.0.0/8"),
    ),
    "revoked": (Refusal.UNAVAILABLE, lambda s: s.revoke()),
    "object-gone": (Refusal.UNAVAILABLE, lambda s: s.content_object.delete()),
    "not-yet-open": (
        Refusal.NOT_YET_OPEN,
        lambda s: Share.objects.filter(pk=s.pk).update(date_start=timezone.now() + hour()),
    ),
    "expired": (
        Refusal.EXPIRED,
        lambda s: Share.objects.filter(pk=s.pk).update(
            date_start=timezone.now() - 2 * hour(), date_end=timezone.now() - hour()
        ),
    ),
    "used-up": (
        Refusal.USED_UP,
        lambda s: Share.objects.filter(pk=s.pk).update(max_uses=1, times_used=1),
    ),
    "grants-nothing": (
        Refusal.GRANTS_NOTHING,
        lambda s: Share.objects.filter(pk=s.pk).update(role=RoleFactory()),
    ),
    "object-hidden": (
        Refusal.OBJECT_NOT_GRANTED,
        lambda s: rule(s.role, Gadget, read_filter={"name__startswith": "nothing-"}),
    ),
}


@pytest.mark.parametrize(("refusal", "make"), REFUSED.values(), ids=REFUSED.keys())
@pytest.mark.parametrize("password", [None, "pw"], ids=["no-password", "password"])
def test_each_refusal_is_the_outcome_of_a_look_and_an_open_and_is_logged(refusal, make, password):
    share = ShareFactory(password=password)
    make(share)
    found = Share.objects.get(pk=share.pk)
    assert look(share) == Refused(refusal, found)
    assert open_share(share, "pw") == Refused(refusal, found)
    assert times_used(share) == found.times_used  # nothing counted
    assert log_reasons(share) == [refusal.code, refusal.code]


def open_asking(share: Share, password):
    return opening.open_share(
        request(), share.token, password, holds=holds_nothing, issue=credential
    )


@pytest.mark.parametrize(("refusal", "make"), REFUSED.values(), ids=REFUSED.keys())
def test_no_password_is_read_before_the_shares_own_refusals(refusal, make):
    share = ShareFactory(password="pw")
    make(share)
    assert open_asking(share, not_asked).refusal is refusal


# -- the password step --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "kind"),
    [
        ("", PasswordProblemKind.MISSING),
        ("x" * 9, PasswordProblemKind.TOO_LONG),
        ("wrong", PasswordProblemKind.WRONG),
    ],
    ids=["missing", "too-long", "wrong"],
)
@override_settings(DIRECTUS_SHARES={"MAX_PASSWORD_LENGTH": 8})
def test_a_password_problem_says_its_kind_counts_nothing_and_is_logged(password, kind):
    share = ShareFactory(password="right")
    assert open_share(share, password) == PasswordProblem(share, kind)
    assert kind.code in {"password_required", "password_too_long", "wrong_password"}
    assert times_used(share) == 0
    assert log_reasons(share) == ["wrong_password"]


@override_settings(
    DIRECTUS_SHARES={
        "PASSWORD_ATTEMPTS_PER_ADDRESS": (2, 900),
        "PASSWORD_ATTEMPTS_PER_SHARE": (50, 3600),
    }
)
def test_past_the_limit_the_outcome_is_locked_with_the_wait():
    share = ShareFactory(password="right")
    for _ in range(2):
        assert isinstance(open_share(share, "wrong"), PasswordProblem)
    locked = open_share(share, "right")
    assert isinstance(locked, Locked)
    assert 1 <= locked.retry_after <= 900
    assert locked.share_lock is None  # locked for this address only
    assert times_used(share) == 0
    assert log_reasons(share) == ["wrong_password", "wrong_password", "locked_out"]


# -- the counted use ----------------------------------------------------------------------------


def test_an_open_counts_one_use_hands_out_the_credential_and_logs_it_as_granted():
    share = ShareFactory(password="right", max_uses=2)
    opened = open_share(share, "right")
    expected = Opened(Share.objects.get(pk=share.pk), counted=True, credential=credential(share))
    assert opened == expected
    assert times_used(share) == 1
    assert log_reasons(share) == ["granted"]


def test_a_share_changed_while_opening_counts_nothing_and_says_so():
    share = ShareFactory(password="pw")

    def issue_then_change(found: Share) -> str:  # the password changes before the count
        Share.objects.filter(pk=found.pk).update(password=make_password("new"))
        return "credential"

    assert open_share(share, "pw", issue=issue_then_change) == Changed(
        Share.objects.get(pk=share.pk)
    )
    assert times_used(share) == 0
    assert log_reasons(share) == ["changed"]


def test_a_share_used_up_while_opening_is_refused_as_used_up():
    share = ShareFactory(max_uses=1)

    def issue_then_use_up(found: Share) -> str:
        Share.objects.filter(pk=found.pk).update(times_used=1)
        return "credential"

    outcome = open_share(share, issue=issue_then_use_up)
    assert isinstance(outcome, Refused) and outcome.refusal is Refusal.USED_UP
    assert log_reasons(share) == ["used_up"]


# -- looking ------------------------------------------------------------------------------------


def test_a_look_without_a_grant_is_the_landing_and_counts_nothing():
    share = ShareFactory()
    landing = look(share)
    assert isinstance(landing, Landing) and landing.share == share
    assert times_used(share) == 0
    assert log_reasons(share) == []


def test_a_look_with_a_grant_shows_the_object():
    gadget = GadgetFactory(name="Blue box")
    share = ShareFactory(content_object=gadget, max_uses=1, times_used=1)  # used up: by this one
    shown = look(share, holds=holds_a_grant)
    assert isinstance(shown, Shown)
    assert shown.instance == gadget
    assert shown.rights.can_view_model(Gadget)
    assert isinstance(look(share, holds=holds_a_grant, show=False), Landing)  # info: no object


@override_settings(DIRECTUS_SHARES={"OPEN_UNLIMITED_ON_GET": True})
def test_a_share_that_opens_without_a_click_is_shown_uncounted():
    share = ShareFactory()
    assert isinstance(look(share), Shown)
    assert isinstance(look(ShareFactory(max_uses=5)), Landing)
    assert isinstance(look(ShareFactory(password="pw")), Landing)
    assert times_used(share) == 0


# -- opening again while holding a grant --------------------------------------------------------


def test_opening_again_with_a_grant_counts_nothing_and_hands_out_nothing():
    share = ShareFactory(password="pw", max_uses=1, times_used=1)  # the grant holder's use
    outcome = opening.open_share(
        request(), share.token, not_asked, holds=holds_a_grant, issue=credential
    )
    assert outcome == Opened(Share.objects.get(pk=share.pk), counted=False, credential=None)
    assert times_used(share) == 1
    assert log_reasons(share) == []


def test_opening_again_with_a_grant_is_still_refused_once_the_share_refuses():
    share = ShareFactory()
    REFUSED["expired"][1](share)
    assert open_share(share, holds=holds_a_grant) == Refused(
        Refusal.EXPIRED, Share.objects.get(pk=share.pk)
    )
    assert log_reasons(share) == ["expired"]


# -- what staff are told ------------------------------------------------------------------------


def test_staff_are_told_the_visitors_refusal_from_any_allowed_network():
    share = ShareFactory()
    RoleSettings.objects.create(role=share.role, allowed_networks="10.0.0.0/8")
    assert opening.refusal_for_anyone(share) is None
    share.revoke()
    assert opening.refusal_for_anyone(share) is Refusal.UNAVAILABLE
    assert opening.refusal_for_anyone(ShareFactory.build(key="x" * 22)) is Refusal.UNKNOWN


# -- the rule and the count, step by step ---------------------------------------------------------


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
        "object_state": ObjectState.VISIBLE,
        "rights": ShareRights(),
        "now": now,
        "address": ipaddress.ip_address("192.0.2.1"),
    }
    assert opening.refusal_for(None, **kwargs) is Refusal.UNKNOWN
    assert (
        opening.refusal_for(
            share, **{**kwargs, "rights": ShareRights(allowed_networks="10.0.0.0/8")}
        )
        is Refusal.FORBIDDEN_NETWORK
    )
    assert opening.refusal_for(share, **kwargs) is Refusal.UNAVAILABLE
    share.revoked_at = None
    gone = {**kwargs, "object_state": ObjectState.GONE}
    assert opening.refusal_for(share, **gone) is Refusal.UNAVAILABLE
    creator_gone = {**kwargs, "rights": ShareRights(creator_unavailable=True)}
    assert opening.refusal_for(share, **creator_gone) is Refusal.UNAVAILABLE
    assert opening.refusal_for(share, **kwargs) is Refusal.NOT_YET_OPEN
    share.date_start, share.date_end = now - timedelta(hours=2), now
    assert opening.refusal_for(share, **kwargs) is Refusal.EXPIRED
    share.date_end = None
    assert opening.refusal_for(share, **kwargs) is Refusal.USED_UP
    assert opening.refusal_for(share, **kwargs, granted=True) is Refusal.GRANTS_NOTHING
    assert opening.refusal_for(share, **{**kwargs, "rights": can_view}, granted=True) is None
    hidden = {**kwargs, "rights": can_view, "object_state": ObjectState.HIDDEN}
    assert opening.refusal_for(share, **hidden, granted=True) is Refusal.OBJECT_NOT_GRANTED


def test_refusal_order_through_a_recipients_link():
    """The recipient's own refusals fall among the share's: revoked after the share's own
    unavailability, used up after the share's status; a grant holder still reads a link used
    up since."""
    now = timezone.now()
    share = ShareFactory.build(revoked_at=now, max_uses=1, times_used=1)
    share.via_recipient = ShareRecipient(revoked_at=now, max_uses=1, times_used=1)
    kwargs = {
        "object_state": ObjectState.VISIBLE,
        "rights": rights_of_role(RoleFactory(view=[Gadget])),
        "now": now,
        "address": ipaddress.ip_address("192.0.2.1"),
    }
    assert opening.refusal_for(share, **kwargs) is Refusal.UNAVAILABLE
    share.revoked_at = None
    assert opening.refusal_for(share, **kwargs) is Refusal.RECIPIENT_REVOKED
    share.via_recipient.revoked_at = None
    assert opening.refusal_for(share, **kwargs) is Refusal.USED_UP
    share.max_uses = None
    assert opening.refusal_for(share, **kwargs) is Refusal.RECIPIENT_USED_UP
    assert opening.refusal_for(share, **kwargs, granted=True) is None
    share.via_recipient.max_uses = None
    assert opening.refusal_for(share, **kwargs) is None


@override_settings(DIRECTUS_SHARES={"OPEN_UNLIMITED_ON_GET": True, "DEVICES_PER_RECIPIENT": None})
def test_a_recipient_with_a_use_limit_opens_only_with_a_click_even_when_unlimited_on_get():
    limited = RecipientFactory(max_uses=1)
    unlimited = RecipientFactory(share=limited.share)
    assert isinstance(look(limited.token), Landing)
    assert isinstance(look(unlimited.token), Shown)


@override_settings(DIRECTUS_SHARES={"OPEN_UNLIMITED_ON_GET": True})
def test_a_recipients_link_held_to_a_device_limit_opens_only_with_a_click():
    """Every open through it counts and registers its device: none is shown without one."""
    recipient = RecipientFactory()
    assert recipient.device_limit == 2
    assert isinstance(look(recipient.token), Landing)
    assert isinstance(look(recipient.share.token), Shown)  # the common link: no devices


def test_a_forged_recipient_token_costs_no_query(django_assert_num_queries):
    recipient = RecipientFactory()
    key = recipient.token.partition(".")[0]
    with django_assert_num_queries(0):
        assert look(f"{key}.forged") == Refused(Refusal.UNKNOWN)
        assert open_share(f"{key}.{recipient.share.token.partition('.')[2]}") == Refused(
            Refusal.UNKNOWN
        )


def test_a_recipients_link_is_found_with_one_query_more_than_the_share_link(
    django_assert_num_queries,
):
    recipient = RecipientFactory()
    with CaptureQueriesContext(connection) as by_share:
        opening.find_share(recipient.share.token)
    with django_assert_num_queries(len(by_share) + 1):
        share, _rights = opening.find_share(recipient.token)
    assert share is not None and share.via_recipient == recipient


def test_an_open_through_a_recipients_link_is_opened_and_logged_with_it():
    recipient = RecipientFactory()
    outcome = open_share(recipient.token)
    assert isinstance(outcome, Opened) and outcome.counted
    assert outcome.share.via_recipient == recipient
    assert outcome.share.via_recipient.times_used == 1
    assert list(ShareAccess.objects.values_list("reason", "recipient")) == [
        ("granted", recipient.pk)
    ]


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


# -- who the visitor is, and what every answer carries --------------------------------------------


def request_from(remote: str, forwarded: str | None = None):
    extra = {} if forwarded is None else {"HTTP_X_FORWARDED_FOR": forwarded}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


def test_forwarded_for_is_ignored_unless_proxies_are_trusted():
    request = request_from("198.51.100.9", forwarded="10.0.0.1")
    assert client_address(request) == ipaddress.ip_address("198.51.100.9")
    with override_settings(DIRECTUS_SHARES={"TRUSTED_PROXY_COUNT": 1}):
        assert client_address(request) == ipaddress.ip_address("10.0.0.1")
        # A client's own "X-Forwarded-For: 10.0.0.1" is left of what the proxy appended.
        spoofed = request_from("198.51.100.9", forwarded="10.0.0.1, 203.0.113.5")
        assert client_address(spoofed) == ipaddress.ip_address("203.0.113.5")
        assert client_address(request_from("198.51.100.9")) is None  # did not pass the proxy
    with override_settings(DIRECTUS_SHARES={"TRUSTED_PROXY_COUNT": 2}):
        assert client_address(
            request_from("10.9.9.9", forwarded="1.2.3.4, 5.6.7.8, 10.0.0.2")
        ) == ipaddress.ip_address("5.6.7.8")


def test_ipv4_mapped_ipv6_addresses_count_as_ipv4():
    assert client_address(request_from("::ffff:10.0.0.1")) == ipaddress.ip_address("10.0.0.1")
    assert client_address(request_from("not an address")) is None


@pytest.mark.django_db
def test_every_share_page_answer_carries_the_private_headers():
    share = ShareFactory()
    for response in (Client().get(share.get_absolute_url()), Client().get("/share/nope/")):
        for header, value in SHARE_RESPONSE_HEADERS.items():
            assert response[header] == value
    assert SHARE_RESPONSE_HEADERS["Referrer-Policy"] == "same-origin"


# -- one-time codes: shares restricted to addresses ---------------------------------------------

ANNA = "anna@example.org"


def code_of(mailbox, email: str = ANNA) -> str:
    """The code in the newest mail to ``email``."""
    [message] = [m for m in mailbox if m.to == [email]][-1:]
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def ask_code(share: Share, email: str = ANNA):
    return opening.request_code(request(), share.token, email)


def open_with_code(share: Share, email: str, code: str, password: str = "", **kwargs):
    proof = verification.EmailCode(email, code)
    return opening.open_share(
        request(),
        share.token,
        lambda: password,
        holds=kwargs.pop("holds", holds_nothing),
        issue=kwargs.pop("issue", credential),
        proof=lambda: proof,
    )


def log_emails(share: Share) -> list[tuple[str, str]]:
    entries = ShareAccess.objects.filter(share=share).order_by("pk")
    return list(entries.values_list("reason", "email"))


def test_a_listed_address_is_mailed_a_code_and_the_code_opens_once(mailoutbox):
    share = ShareFactory(allowed_addresses=["@example.org"], max_uses=5)
    assert ask_code(share, " Anna@Example.org ") == CodeRequested(share, ANNA, 10)
    code = code_of(mailoutbox)
    opened = open_with_code(share, ANNA, code)
    assert isinstance(opened, Opened) and opened.counted
    assert times_used(share) == 1
    assert log_emails(share) == [("code_requested", ANNA), ("granted", ANNA)]
    again = open_with_code(share, ANNA, code)
    assert again == CodeProblem(share, CodeProblemKind.CODE_USED, ANNA)
    assert times_used(share) == 1


def test_an_unlisted_address_gets_the_same_answer_and_no_mail(mailoutbox):
    share = ShareFactory(allowed_addresses=[ANNA])
    assert ask_code(share, "eve@example.org") == CodeRequested(share, "eve@example.org", 10)
    assert mailoutbox == []
    assert log_emails(share) == [("code_requested", "eve@example.org")]


def test_an_unlisted_address_never_opens_even_with_the_code_it_was_never_sent(monkeypatch):
    monkeypatch.setattr(verification, "new_code", lambda: "123456")
    share = ShareFactory(allowed_addresses=[ANNA])
    ask_code(share, "eve@example.org")
    outcome = open_with_code(share, "eve@example.org", "123456")
    assert outcome == CodeProblem(share, CodeProblemKind.WRONG_CODE, "eve@example.org")
    assert times_used(share) == 0


def test_an_address_removed_from_the_list_no_longer_opens_with_its_code(mailoutbox):
    share = ShareFactory(allowed_addresses=[ANNA, "bob@example.org"])
    ask_code(share)
    Share.objects.filter(pk=share.pk).update(allowed_addresses=["bob@example.org"])
    outcome = open_with_code(share, ANNA, code_of(mailoutbox))
    assert outcome == CodeProblem(share, CodeProblemKind.WRONG_CODE, ANNA)


@pytest.mark.parametrize(
    ("email", "kind"),
    [("not an address", CodeProblemKind.EMAIL_INVALID), (ANNA, CodeProblemKind.CODE_NOT_USED)],
)
def test_a_code_request_that_makes_no_code_says_why_and_is_logged(email, kind, mailoutbox):
    share = ShareFactory(allowed_addresses=[] if kind is CodeProblemKind.CODE_NOT_USED else [ANNA])
    assert ask_code(share, email) == CodeProblem(share, kind)
    assert mailoutbox == [] and log_reasons(share) == [kind.code]


def test_too_many_codes_for_one_address_are_refused_listed_or_not(mailoutbox):
    share = ShareFactory(allowed_addresses=[ANNA])
    for email in (ANNA, "eve@example.org"):
        for _ in range(3):
            assert isinstance(ask_code(share, email), CodeRequested)
        assert ask_code(share, email) == CodeProblem(share, CodeProblemKind.TOO_MANY_CODES, email)
    assert len(mailoutbox) == 3
    assert log_reasons(share).count("too_many_codes") == 2


@override_settings(DIRECTUS_SHARES={"VERIFICATION_CODE_REQUESTS_PER_ADDRESS": (3, 600)})
def test_code_requests_from_one_client_address_are_limited_across_shares_and_addresses(
    mailoutbox,
):
    share, other = ShareFactory(allowed_addresses=[ANNA]), ShareFactory(allowed_addresses=[ANNA])
    asked = [ask_code(share, "eve@example.org"), ask_code(other), ask_code(share, "x@example.org")]
    assert all(isinstance(outcome, CodeRequested) for outcome in asked)
    codes = VerificationCode.objects.count()
    for email in (ANNA, "mallory@example.org"):  # listed or not: the same refusal, no code
        refused = ask_code(share, email)
        assert refused == CodeProblem(
            share, CodeProblemKind.TOO_MANY_CODE_REQUESTS, email, refused.retry_after
        )
        assert 1 <= refused.retry_after <= 601
    assert VerificationCode.objects.count() == codes
    assert len(mailoutbox) == 1
    assert log_reasons(share)[-2:] == ["too_many_code_requests"] * 2
    # Another client address has a limit of its own.
    elsewhere = RequestFactory().post("/", REMOTE_ADDR="198.51.100.9")
    assert isinstance(opening.request_code(elsewhere, share.token, ANNA), CodeRequested)


@override_settings(DIRECTUS_SHARES={"VERIFICATION_CODE_REQUESTS_PER_ADDRESS": (1, 600)})
def test_requests_that_can_make_no_code_do_not_count_against_the_client_limit(mailoutbox):
    share = ShareFactory(allowed_addresses=[ANNA])
    ask_code(share, "not an address")
    ask_code(ShareFactory(date_end=timezone.now()), ANNA)  # expired: refused first
    assert isinstance(ask_code(share), CodeRequested)
    assert ask_code(share).kind is CodeProblemKind.TOO_MANY_CODE_REQUESTS


def test_without_the_cache_no_code_is_made_and_the_request_is_logged(mailoutbox):
    share = ShareFactory(allowed_addresses=[ANNA])
    backend = {"BACKEND": "tests.caches.UnreachableCache"}
    with override_settings(CACHES={"default": backend}), pytest.raises(Outage):
        ask_code(share)
    assert mailoutbox == [] and not VerificationCode.objects.exists()
    assert log_reasons(share) == ["service_unavailable"]


def test_no_code_is_made_for_a_share_that_refuses(mailoutbox):
    share = ShareFactory(allowed_addresses=[ANNA], date_end=timezone.now() - timedelta(days=1))
    assert ask_code(share) == Refused(Refusal.EXPIRED, share)
    assert mailoutbox == [] and log_reasons(share) == ["expired"]
    assert not VerificationCode.objects.exists()


def test_opening_without_a_code_is_refused_as_code_required():
    share = ShareFactory(allowed_addresses=[ANNA])
    assert open_share(share) == CodeProblem(share, CodeProblemKind.CODE_REQUIRED)
    assert open_with_code(share, ANNA, "123456") == CodeProblem(
        share, CodeProblemKind.CODE_REQUIRED, ANNA
    )  # none was requested for this address
    assert open_with_code(share, "nonsense", "123456") == CodeProblem(
        share, CodeProblemKind.CODE_REQUIRED
    )
    assert times_used(share) == 0
    assert log_reasons(share) == ["code_required"] * 3


def test_wrong_codes_count_tries_and_the_sixth_try_is_refused(mailoutbox):
    share = ShareFactory(allowed_addresses=[ANNA])
    ask_code(share)
    code = code_of(mailoutbox)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        assert open_with_code(share, ANNA, wrong).kind is CodeProblemKind.WRONG_CODE
    assert open_with_code(share, ANNA, code).kind is CodeProblemKind.CODE_TRIES_USED_UP
    assert times_used(share) == 0
    assert log_reasons(share)[1:] == ["wrong_code"] * 5 + ["code_tries_used_up"]


def test_an_expired_code_is_refused_as_expired(mailoutbox):
    share = ShareFactory(allowed_addresses=[ANNA])
    ask_code(share)
    VerificationCode.objects.update(expires_at=timezone.now())
    assert open_with_code(share, ANNA, code_of(mailoutbox)).kind is CodeProblemKind.CODE_EXPIRED
    assert times_used(share) == 0 and log_reasons(share)[-1] == "code_expired"


def test_the_code_comes_after_the_shares_own_refusals(mailoutbox):
    share = ShareFactory(allowed_addresses=[ANNA])
    ask_code(share)
    code = code_of(mailoutbox)
    share.revoke()
    assert open_with_code(share, ANNA, code) == Refused(Refusal.UNAVAILABLE, share)
    assert VerificationCode.objects.get().tries == 0  # not even tried


def test_the_code_comes_before_the_password(mailoutbox):
    """Nobody who cannot read an allowed mailbox gets to try the password (or to spend the
    share's password limit)."""
    share = ShareFactory(allowed_addresses=[ANNA], password="right")
    outcome = opening.open_share(
        request(), share.token, not_asked, holds=holds_nothing, issue=credential
    )
    assert outcome == CodeProblem(share, CodeProblemKind.CODE_REQUIRED)
    assert log_reasons(share) == ["code_required"]


def test_a_wrong_password_after_a_right_code_costs_a_try_not_the_code(mailoutbox):
    share = ShareFactory(allowed_addresses=[ANNA], password="right")
    ask_code(share)
    code = code_of(mailoutbox)
    wrong_password = open_with_code(share, ANNA, code, "wrong")
    assert wrong_password == PasswordProblem(share, PasswordProblemKind.WRONG)
    opened = open_with_code(share, ANNA, code, "right")
    assert isinstance(opened, Opened) and opened.counted
    assert VerificationCode.objects.get().tries == 2
    assert log_emails(share)[1:] == [("wrong_password", ANNA), ("granted", ANNA)]


def test_a_code_is_not_spent_on_a_use_that_was_not_counted(mailoutbox, monkeypatch):
    share = ShareFactory(allowed_addresses=[ANNA], max_uses=1)
    ask_code(share)
    code = code_of(mailoutbox)
    Share.objects.filter(pk=share.pk).update(times_used=1)  # used up by another visitor meanwhile
    monkeypatch.setattr(opening, "_refusal_before_counting", lambda visit: (None, None))
    assert open_with_code(share, ANNA, code) == Refused(Refusal.USED_UP, share)
    assert VerificationCode.objects.get().used_at is None


def test_the_credential_remembers_the_proved_address(mailoutbox):
    share = ShareFactory(allowed_addresses=[ANNA])
    ask_code(share)
    opened = open_with_code(share, ANNA, code_of(mailoutbox), issue=lambda s: s.visitor_email)
    assert opened.credential == ANNA


def test_a_holder_of_a_grant_opens_again_without_a_code():
    share = ShareFactory(allowed_addresses=[ANNA])
    outcome = opening.open_share(
        request(), share.token, not_asked, holds=holds_a_grant, issue=credential
    )
    assert outcome == Opened(share, counted=False)


@override_settings(DIRECTUS_SHARES={"OPEN_UNLIMITED_ON_GET": True})
def test_a_share_restricted_to_addresses_never_opens_without_a_click():
    share = ShareFactory(allowed_addresses=[ANNA])
    assert isinstance(look(share), Landing)


# -- one-time codes: verified recipients ----------------------------------------------------------

ADA = "ada@example.com"


def verified_recipient(**share_fields) -> ShareRecipient:
    share = ShareFactory(verify_recipients=True, **share_fields)
    return RecipientFactory(share=share, address=ADA)


def open_link_with_code(token: str, code: str, email: str = "", password: str = ""):
    proof = verification.EmailCode(email, code)
    return opening.open_share(
        request(), token, lambda: password, holds=holds_nothing, issue=credential,
        proof=lambda: proof,
    )  # fmt: skip


def test_a_verified_recipients_link_mails_the_code_to_the_recipient_only(mailoutbox):
    recipient = verified_recipient()
    share = recipient.share
    assert isinstance(look(recipient.token), Landing)
    asked = opening.request_code(request(), recipient.token, "eve@example.org")  # ignored
    assert asked == CodeRequested(share, "a***@example.com", 10)
    assert [message.to for message in mailoutbox] == [[ADA]]
    opened = open_link_with_code(recipient.token, code_of(mailoutbox, ADA))
    assert isinstance(opened, Opened) and opened.counted
    assert opened.share.visitor_email == ADA
    assert times_used(share) == 1
    assert ShareRecipient.objects.get(pk=recipient.pk).times_used == 1
    entries = ShareAccess.objects.filter(share=share).order_by("pk")
    assert list(entries.values_list("reason", "email", "recipient")) == [
        ("code_requested", ADA, recipient.pk),
        ("granted", ADA, recipient.pk),
    ]


def test_a_forwarded_verified_recipients_link_does_not_open_without_the_recipients_code(
    mailoutbox, monkeypatch
):
    """Whoever the link was forwarded to cannot open it: not without a code, not with a code of
    an address of their own (they cannot prove one), not with a guess."""
    recipient = verified_recipient()
    share = recipient.share
    assert open_share(recipient.token) == CodeProblem(
        share, CodeProblemKind.RECIPIENT_CODE_REQUIRED, "a***@example.com"
    )
    monkeypatch.setattr(verification, "new_code", lambda: "123456")
    verification.issue_code(share, "eve@example.org", timezone.now())  # a code for another address
    outcome = open_link_with_code(recipient.token, "123456", email="eve@example.org")
    assert outcome.kind is CodeProblemKind.RECIPIENT_CODE_REQUIRED  # none asked for the recipient
    opening.request_code(request(), recipient.token, "")
    assert [message.to for message in mailoutbox] == [[ADA]]  # in the recipient's mailbox only
    wrong = open_link_with_code(recipient.token, "654321", email="eve@example.org")
    assert wrong == CodeProblem(share, CodeProblemKind.WRONG_CODE, "a***@example.com")
    assert times_used(share) == 0


def test_a_verified_recipients_link_asks_for_the_code_alone_not_for_an_address():
    """Its visitor never types an address: the restricted share's "Enter your e-mail address and
    the code" sent them looking for a field the page (and the API) does not have."""
    recipient = verified_recipient()
    for outcome in (open_share(recipient.token), open_link_with_code(recipient.token, " ")):
        assert outcome.kind.code == "code_required" and outcome.kind.status == 400
        assert "address" not in str(outcome.kind.message)
    assert log_reasons(recipient.share) == ["code_required"] * 2
    assert "address" in str(open_share(ShareFactory(allowed_addresses=[ANNA])).kind.message)


def test_a_verified_recipients_code_keeps_the_tries_and_expiry_of_every_code(mailoutbox):
    recipient = verified_recipient()
    opening.request_code(request(), recipient.token, "")
    code = code_of(mailoutbox, ADA)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        assert open_link_with_code(recipient.token, wrong).kind is CodeProblemKind.WRONG_CODE
    tried = open_link_with_code(recipient.token, code)
    assert tried.kind is CodeProblemKind.CODE_TRIES_USED_UP
    opening.request_code(request(), recipient.token, "")
    VerificationCode.objects.update(expires_at=timezone.now())
    expired = open_link_with_code(recipient.token, code_of(mailoutbox, ADA))
    assert expired.kind is CodeProblemKind.CODE_EXPIRED
    assert times_used(recipient.share) == 0


def test_the_common_link_of_a_share_that_verifies_recipients_opens_as_before(mailoutbox):
    recipient = verified_recipient()
    outcome = open_share(recipient.share)
    assert isinstance(outcome, Opened) and outcome.counted
    assert mailoutbox == []


def test_a_verified_recipient_needs_no_listed_address_and_the_common_link_still_does(mailoutbox):
    recipient = verified_recipient(allowed_addresses=[ANNA])
    opening.request_code(request(), recipient.token, ANNA)
    assert [message.to for message in mailoutbox] == [[ADA]]
    assert isinstance(open_link_with_code(recipient.token, code_of(mailoutbox, ADA)), Opened)
    assert open_share(recipient.share).kind is CodeProblemKind.CODE_REQUIRED


def test_a_recipients_link_of_a_share_without_verification_asks_no_code(mailoutbox):
    recipient = RecipientFactory(address=ADA)
    outcome = opening.request_code(request(), recipient.token, ADA)
    assert outcome == CodeProblem(recipient.share, CodeProblemKind.CODE_NOT_USED)
    assert mailoutbox == []


# -- devices: a recipient's link held to a device limit --------------------------------------------


def devices_full(recipient: ShareRecipient) -> ShareRecipient:
    """``recipient`` after as many other devices opened its link as it may be opened on."""
    now = timezone.now()
    for digit in range(recipient.device_limit):
        RecipientDevice.objects.create(
            recipient=recipient, key=str(digit) * 64, first_seen_at=now, last_seen_at=now
        )
    return recipient


def test_a_device_past_the_limit_is_refused_on_look_open_and_code_request_and_logged():
    recipient = devices_full(RecipientFactory(address=ADA))
    share = recipient.share
    assert look(recipient.token) == Refused(Refusal.RECIPIENT_FORWARDED, share)
    assert open_share(recipient.token, not_asked) == Refused(Refusal.RECIPIENT_FORWARDED, share)
    asked = opening.request_code(request(), recipient.token, ADA)
    assert asked == Refused(Refusal.RECIPIENT_FORWARDED, share)
    assert log_reasons(share) == ["recipient_forwarded"] * 3
    assert times_used(share) == 0
    assert ShareRecipient.objects.get(pk=recipient.pk).is_forwarded


def test_a_forwarded_verified_link_is_refused_before_a_code_is_asked_for_or_mailed(mailoutbox):
    recipient = devices_full(verified_recipient())
    assert look(recipient.token) == Refused(Refusal.RECIPIENT_FORWARDED, recipient.share)
    outcome = opening.request_code(request(), recipient.token, "")
    assert outcome == Refused(Refusal.RECIPIENT_FORWARDED, recipient.share)
    assert open_link_with_code(recipient.token, "123456").refusal is Refusal.RECIPIENT_FORWARDED
    assert all(message.to != [ADA] for message in mailoutbox)  # no code mailed
    assert not VerificationCode.objects.exists()


def test_a_grant_holder_on_a_full_link_is_not_refused():
    recipient = devices_full(RecipientFactory())
    assert isinstance(look(recipient.token, holds=holds_a_grant), Shown)
    outcome = open_share(recipient.token, not_asked, holds=holds_a_grant)
    assert outcome == Opened(recipient.share, counted=False)
    assert not ShareRecipient.objects.get(pk=recipient.pk).is_forwarded


def test_the_device_check_comes_after_the_recipients_own_refusals():
    recipient = devices_full(RecipientFactory(max_uses=1))
    ShareRecipient.objects.filter(pk=recipient.pk).update(times_used=1)
    assert look(recipient.token).refusal is Refusal.RECIPIENT_USED_UP
    recipient.revoke()
    assert look(recipient.token).refusal is Refusal.RECIPIENT_REVOKED
    assert not ShareRecipient.objects.get(pk=recipient.pk).is_forwarded


def test_staff_are_never_told_a_full_link_is_forwarded():
    recipient = devices_full(RecipientFactory())
    assert opening.refusal_for_anyone(opening.find_share(recipient.token)[0]) is None


def test_a_device_that_loses_the_race_for_the_last_place_is_refused_as_forwarded(monkeypatch):
    """The read check let it through; the count finds the place taken and rolls back."""
    recipient = RecipientFactory(share=ShareFactory(devices_per_recipient=1))
    looks = []
    checked = devices.refuses

    def refuses_after_the_first_look(share: Share, key: str) -> bool:
        looks.append(key)
        return len(looks) > 1 and checked(share, key)

    monkeypatch.setattr(devices, "refuses", refuses_after_the_first_look)
    devices_full(recipient)
    outcome = open_share(recipient.token)
    assert outcome == Refused(Refusal.RECIPIENT_FORWARDED, recipient.share)
    assert times_used(recipient.share) == 0
    assert ShareRecipient.objects.get(pk=recipient.pk).times_used == 0
