"""A visitor opening a share, in one order: find → network → status → object → device (a
recipient's link held to a device limit: :mod:`.devices`) → one-time code (shares restricted to
addresses, verified recipients' links) → password and lockout → count → log → grant. The page
and the API call :func:`look`, :func:`open_share` and :func:`request_code` and only render the
outcome (:mod:`.outcomes`); every refusal is written to the access log here.

A visitor who already holds a grant (the page's cookie, the API's access token) and opens again
is checked as on a reload and told the share is open: no use is counted and nothing new is handed
out, so no path extends access beyond ``GRANT_MAX_AGE`` without counting a use.

Who the visitor is – their address, as the site's proxies report it – is read here too
(:func:`client_address`), and what every answer on the visitor's path carries: the headers that
keep a share page private, uncached, unindexed and unframed, and the device cookie a recipient's
link needs (:func:`share_response_headers`, :func:`carry_device`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings
from django.db import router, transaction
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone

from . import devices, disclosure, lockout, passwords, signatures, tasks, verification
from .attempts import record_access, record_counted_use
from .conf import get_config, verification_code_lifetime
from .counting import Condition, count_use
from .models import AccessReason, Share, ShareStatus
from .models.verification_code import normalise_email
from .object_state import readable_condition, shared_object_state
from .outages import Outage
from .outcomes import (
    Changed,
    CodeProblem,
    CodeProblemKind,
    CodeRequested,
    CodeRequestedOrNot,
    Landing,
    Locked,
    Looked,
    ObjectState,
    Opened,
    OpenedOrNot,
    PasswordProblem,
    PasswordProblemKind,
    Refusal,
    Refused,
    Shown,
)
from .queries import load_recipient, load_share
from .rights import Address, ShareRights, address_allowed, share_rights

#: Whether the visitor holds a valid grant for a share: the page reads its cookie, the API its
#: ``Authorization`` header.
Holds = Callable[[Share], bool]

_REFUSAL_FOR_STATUS = {
    ShareStatus.REVOKED: Refusal.UNAVAILABLE,
    ShareStatus.NOT_YET_OPEN: Refusal.NOT_YET_OPEN,
    ShareStatus.EXPIRED: Refusal.EXPIRED,
    ShareStatus.USED_UP: Refusal.USED_UP,
}


# -- the two ways in ------------------------------------------------------------------------------


def look(request: HttpRequest, token: str, *, holds: Holds, show: bool = True) -> Looked:
    """What a visitor who follows the link sees; nothing is counted.

    :class:`.Shown` (with the object, unless ``show`` is false) when the visitor holds a grant or
    the share opens without a click (``OPEN_UNLIMITED_ON_GET``), :class:`.Landing` when it opens
    but has not been opened yet, :class:`.Refused` when it does not open.
    """
    visit = _begin(request, token)
    if visit is None:
        return Refused(Refusal.UNKNOWN)
    held = holds(visit.share)
    opened = show and (held or opens_without_click(visit.share))
    instance, state = _shared_object(visit, shown=opened)
    refusal = _refusal(visit, state, granted=held)
    if refusal is not None:
        return _refused(request, refusal, visit.share)
    if instance is None:
        return Landing(visit.share, visit.now)
    return Shown(visit.share, visit.rights, instance, visit.now)


def open_share(
    request: HttpRequest,
    token: str,
    password: Callable[[], str],
    *,
    holds: Holds,
    issue: Callable[[Share], str],
    proof: Callable[[], verification.EmailCode | None] = lambda: None,
) -> OpenedOrNot:
    """Open the share for a visitor: one counted use, and ``issue``'s credential for it.

    ``password`` is read only when the password step comes, after the share's own refusals;
    ``proof`` (the address and one-time code the visitor sent) only for a share restricted to
    addresses, just before it. A visitor who already ``holds`` a grant gets
    ``Opened(counted=False)`` and nothing new.
    """
    visit = _begin(request, token)
    if visit is None:
        return Refused(Refusal.UNKNOWN)
    share = visit.share
    if holds(share):  # already open for this visitor: checked as a reload, nothing counted
        refusal = _refusal(visit, None, granted=True)
        if refusal is not None:
            return _refused(request, refusal, share)
        return Opened(share, counted=False)
    refusal, condition = _refusal_before_counting(visit)
    if refusal is not None:
        return _refused(request, refusal, share)
    proved = _code_step(share, proof, visit.now)  # before the password: see _code_step
    if isinstance(proved, CodeProblem):
        return _logged(request, proved)
    problem = _password_step(request, share, password())
    if problem is not None:
        return _logged(request, problem)
    credential = issue(share)  # before counting: nothing can fail after it
    counted = _consume_use_and_code(share, visit.now, request, condition, proved)
    if isinstance(counted, CodeProblem):
        return _logged(request, counted)
    if counted:  # and logged as granted
        return Opened(share, counted=True, credential=credential)
    return _not_counted(request, token, visit.now)


def refusal_for_anyone(
    share: Share,
    now: datetime | None = None,
    *,
    rights: ShareRights | None = None,
    object_state: ObjectState | None = None,
) -> Refusal | None:
    """Why ``share`` would not open for a first visitor from a network it allows at ``now``,
    or ``None`` (what staff are told) – the visitor's own rule (:func:`refusal_for`), with the
    share and its rights read afresh unless given (``rights`` from :func:`find_share_by_key`),
    and the object's state looked up unless given."""
    if rights is None:
        found, rights = find_share_by_key(share.key)
        if found is None or rights is None:
            return Refusal.UNKNOWN  # deleted or given a new link meanwhile
        share = found
    if object_state is None:
        object_state = shared_object_state(share, rights)
    return refusal_for(
        share,
        now=now or timezone.now(),
        rights=rights,
        address=None,
        object_state=object_state,
        any_address=True,
    )


# -- the steps, in order --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Visit:
    """A visitor's request for ``share``: its ``rights``, the time ``now``, the ``address`` and,
    on a recipient's link held to a device limit, the ``device`` (:func:`.devices.visitor_keys`)."""

    share: Share
    rights: ShareRights
    now: datetime
    address: Address | None
    device: devices.DeviceKeys | None = None


def _begin(request: HttpRequest, token: str, now: datetime | None = None) -> _Visit | None:
    """Find: the visit of the share ``token`` points to; ``None`` when it is not a share's."""
    now = now or timezone.now()
    share, rights = find_share(token)
    if share is None or rights is None:
        return None
    return _Visit(share, rights, now, client_address(request), _device(request, share))


def _device(request: HttpRequest, share: Share) -> devices.DeviceKeys | None:
    """The visitor's device as a recipient's link held to a device limit knows it
    (:func:`.devices.visitor_keys`); ``None`` elsewhere – a common link runs no device code."""
    return None if share.via_recipient is None else devices.visitor_keys(request, share)


def find_share(token: str) -> tuple[Share, ShareRights] | tuple[None, None]:
    """The share a link token points to and the rights it grants, with one query (a recipient's
    link token: one more, for the recipient); ``(None, None)`` for a forged, mistyped or
    rotated-away token. Reached through a recipient's link, the share carries that recipient
    (:attr:`.Share.via_recipient`)."""
    key = signatures.key_from_token(token)
    if key is not None:
        return find_share_by_key(key)
    recipient_key = signatures.key_from_token(token, "recipient")
    return (None, None) if recipient_key is None else find_share_by_recipient_key(recipient_key)


def find_share_by_recipient_key(key: str) -> tuple[Share, ShareRights] | tuple[None, None]:
    """:func:`find_share` for a recipient's link key: the recipient's share, reached through it."""
    found = load_recipient(key)
    if found is None:
        return None, None
    recipient, share_key = found
    share, rights = find_share_by_key(share_key)
    if share is None or rights is None:  # its share got a new link meanwhile
        return None, None
    share.via_recipient = recipient
    recipient.share = share  # its device limit is the share's
    return share, rights


def find_share_by_key(key: str) -> tuple[Share, ShareRights] | tuple[None, None]:
    """:func:`find_share` for a share's link key (what staff are told is read the same way)."""
    public_role = get_config()["PUBLIC_ROLE"] or None  # "" names no group
    loaded = load_share(key, public_role)
    if loaded is None:
        return None, None
    return loaded.share, share_rights(loaded)


def refusal_for(
    share: Share | None,
    *,
    now: datetime,
    rights: ShareRights,
    address: Address | None,
    object_state: ObjectState,
    granted: bool = False,
    any_address: bool = False,
) -> Refusal | None:
    """Network, status, object: why ``share`` does not open for a visitor from ``address`` at
    ``now``, or ``None`` when it opens. Reached through a recipient's link, the recipient's own
    state too: revoked after the share's own unavailability, used up after the share's status.

    ``granted`` says the visitor already holds a valid grant: their use was counted, so a share
    (or recipient's link) that has since been used up still opens for them until the grant ends.
    ``any_address`` decides for a visitor from a network the share allows (what staff are told).
    The visitor's device is checked after this, for visitors only (:func:`_refusal`): staff are
    never told a link is "forwarded".
    """
    if share is None:
        return Refusal.UNKNOWN
    if not any_address and not address_allowed(address, rights.allowed_networks):
        return Refusal.FORBIDDEN_NETWORK  # before anything else: such visitors learn nothing
    status = share.status_at(now)
    if (
        status is ShareStatus.REVOKED
        or object_state is ObjectState.GONE
        or rights.creator_unavailable
    ):
        return Refusal.UNAVAILABLE
    recipient = share.via_recipient
    if recipient is not None and recipient.is_revoked:
        return Refusal.RECIPIENT_REVOKED
    if status is ShareStatus.USED_UP and granted:
        status = ShareStatus.ACTIVE
    if status is not ShareStatus.ACTIVE:
        return _REFUSAL_FOR_STATUS[status]
    if recipient is not None and recipient.uses_left == 0 and not granted:
        return Refusal.RECIPIENT_USED_UP
    model = share.shared_model
    if model is None or not rights.can_view_model(model):
        return Refusal.GRANTS_NOTHING
    if object_state is ObjectState.HIDDEN:
        return Refusal.OBJECT_NOT_GRANTED
    return None


def opens_without_click(share: Share) -> bool:
    """Whether ``GET`` shows the object straight away, uncounted (``OPEN_UNLIMITED_ON_GET``):
    not when the share – or the recipient whose link it is – has a use limit to keep, nor on a
    recipient's link held to a device limit (each device registers with a counted open)."""
    recipient = share.via_recipient
    return bool(
        get_config()["OPEN_UNLIMITED_ON_GET"]
        and not share.has_password
        and share.max_uses is None
        and (recipient is None or (recipient.max_uses is None and share.device_limit is None))
        and not share.requires_email
    )


def _refusal(
    visit: _Visit, object_state: ObjectState | None, *, granted: bool = False
) -> Refusal | None:
    """:func:`refusal_for` this visit; ``object_state`` is looked up unless already known. Then,
    on a recipient's link held to a device limit, the visitor's device: one that is not the
    recipient's and finds the link's devices full is refused as forwarded – unless the visitor
    holds a grant (``granted``: their device was counted when it opened)."""
    if object_state is None:
        object_state = shared_object_state(visit.share, visit.rights)
    refusal = refusal_for(
        visit.share,
        now=visit.now,
        rights=visit.rights,
        address=visit.address,
        object_state=object_state,
        granted=granted,
    )
    device = None if refusal is not None or granted else visit.device
    if device is not None and devices.refuses(visit.share, device):
        return Refusal.RECIPIENT_FORWARDED
    return refusal


def _shared_object(visit: _Visit, *, shown: bool) -> tuple[Any, ObjectState]:
    """The shared object, loaded for display when it is ``shown`` and visible, and its state
    (one query either way)."""
    instance = disclosure.load_shared_object(visit.share, visit.rights) if shown else None
    if instance is not None:
        return instance, ObjectState.VISIBLE
    return None, shared_object_state(visit.share, visit.rights)


def _refusal_before_counting(visit: _Visit) -> tuple[Refusal | None, Condition | None]:
    """:func:`_refusal` before a use is counted – and, for a share without a password, the
    condition on its object that the counting statement checks instead of a query of its own
    (``None``: checked here). A share with a password has its object checked first, so that no
    password is tried and no attempt counted for an object that is gone."""
    condition = None
    if not visit.share.has_password:
        condition = readable_condition(visit.share, visit.rights, router.db_for_write(Share))
    return _refusal(visit, None if condition is None else ObjectState.VISIBLE), condition


def _password_step(
    request: HttpRequest, share: Share, password: str
) -> PasswordProblem | Locked | None:
    """Check ``password`` within the lockout's limits; ``None`` when the share may open.

    A share without a password spends the same hashing work, so the time of the answer does not
    tell them apart. When the limits cannot be kept (the cache failed) the attempt is logged as
    ``service_unavailable`` and :class:`~directus_shares.outages.Outage` raised: nothing opens.
    """
    if not share.has_password:
        passwords.spend_like_a_check(password)
        return None
    try:
        # Under way before the check, so concurrent guesses cannot overtake the limits.
        reservation = lockout.reserve_attempt(share, client_address(request))
        if reservation.retry_after is not None:  # no password is checked until the window ends
            # A recipient's link has a window of its own: the share-wide lock is not its lock.
            lock = None if share.via_recipient is not None else lockout.share_lock(share)
            return Locked(share, reservation.retry_after, lock)
        problem = passwords.password_problem(share, password)
        if problem is PasswordProblemKind.WRONG:
            lockout.record_failure(reservation)
        else:  # right, empty or over-long (refused unhashed, no guess): not against the limits
            lockout.release_attempt(reservation)
        if problem is not None:
            return PasswordProblem(share, problem)
    except Outage:  # no password is checked without its limits: the caller answers 503
        _log_outage(request, share)
        raise
    return None


def _log_outage(request: HttpRequest, share: Share) -> None:
    """Write to the access log that a step of ``share`` could not be taken for an outage (the
    caller lets the :class:`~directus_shares.outages.Outage` on: 503)."""
    reason = AccessReason.SERVICE_UNAVAILABLE
    record_access(request, share, granted=False, reason=reason, address=client_address(request))


def consume_use(
    share: Share,
    now: datetime,
    request: HttpRequest | None = None,
    condition: Condition | None = None,
) -> bool:
    """Count one use of ``share`` if it is still open and has a use left; True when counted.

    The check and the increment are one conditional ``UPDATE``, so concurrent opens – in any
    number of processes – can never take more than ``max_uses`` between them (reached through a
    recipient's link, the recipient's ``UPDATE`` and the share's, in one transaction: see
    :func:`.counting.count_use`). It also re-checks
    that the link, password and grants are still those the visitor was checked against, and
    ``condition`` (the object is still readable). Given the visitor's ``request``, a counted use
    is also recorded as a granted access (:func:`.attempts.record_counted_use`) – and, on a
    recipient's link held to a device limit, the visitor's device is registered with the count
    (none past the limit: then nothing is counted).
    """
    if request is None:
        counted = count_use(share, now, condition)
    else:
        address = client_address(request)
        device = _device(request, share)
        counted = record_counted_use(request, share, now, condition, address=address, device=device)
    if counted:
        share.times_used += 1  # at least; others may have counted meanwhile
        if share.via_recipient is not None:
            share.via_recipient.times_used += 1
    return counted


def _not_counted(request: HttpRequest, token: str, now: datetime) -> Refused | Changed:
    """Why a use was not counted: the share, read again, refuses (its object may be why) – or it
    changed between the checks and the count."""
    visit = _begin(request, token, now)
    if visit is None:
        return Refused(Refusal.UNKNOWN)
    refusal = _refusal(visit, None)
    if refusal is not None:
        return _refused(request, refusal, visit.share)
    return _logged(request, Changed(visit.share))


# -- one-time codes: shares restricted to addresses -----------------------------------------------


def request_code(request: HttpRequest, token: str, email: str) -> CodeRequestedOrNot:
    """A visitor asks for a one-time code for ``email`` to open the share ``token`` points to.

    The share's own refusals come first (no code for a share that would not open), then the
    visitor's own limit (:func:`_code_request_limit`). Then a code is made for any valid address
    within ``VERIFICATION_CODES_PER_ADDRESS`` – and mailed only when the share allows the
    address, so :class:`.CodeRequested` (and the limits) answers the same whether or not it does.
    On a recipient's link of a share that verifies recipients, ``email`` is ignored: the code
    goes to the recipient's own address, shown masked.
    """
    visit = _begin(request, token)
    if visit is None:
        return Refused(Refusal.UNKNOWN)
    share = visit.share
    refusal = _refusal(visit, None)
    if refusal is not None:
        return _refused(request, refusal, share)
    if not share.requires_email:
        return _logged(request, CodeProblem(share, CodeProblemKind.CODE_NOT_USED))
    normalised = _address_to_prove(share, email)
    if normalised is None:
        return _logged(request, CodeProblem(share, CodeProblemKind.EMAIL_INVALID))
    share.visitor_email = normalised
    shown = _shown_address(share, normalised)
    limited = _code_request_limit(request, share, shown)
    if limited is not None:
        return _logged(request, limited)
    code = verification.issue_code(share, normalised, visit.now)
    if code is None:
        return _logged(request, CodeProblem(share, CodeProblemKind.TOO_MANY_CODES, shown))
    minutes = max(1, int(verification_code_lifetime().total_seconds()) // 60)
    if share.allows_email(normalised):
        tasks.queue_verification_code(share, normalised, code, minutes)
    address = client_address(request)
    record_access(
        request, share, granted=False, reason=AccessReason.CODE_REQUESTED, address=address
    )
    return CodeRequested(share, shown, minutes)


def _address_to_prove(share: Share, given: str | None) -> str | None:
    """The normalised address a visitor proves: on a link whose recipient is verified
    (:attr:`.Share.recipient_to_verify`) the recipient's own – what the visitor sent is ignored,
    so nobody proves another address with it – else the one ``given`` (``None``: not valid)."""
    recipient = share.recipient_to_verify
    if recipient is not None:
        return normalise_email(recipient.address)
    return normalise_email(given) if given is not None else None


def _shown_address(share: Share, email: str) -> str:
    """The address the visitor is shown for the code: ``email`` (from :func:`_address_to_prove`),
    or a verified recipient's masked (:attr:`.ShareRecipient.masked_address`)."""
    recipient = share.recipient_to_verify
    return email if recipient is None else recipient.masked_address


def _code_request_limit(request: HttpRequest, share: Share, email: str) -> CodeProblem | None:
    """Whether the visitor's client address asked for more codes than
    ``VERIFICATION_CODE_REQUESTS_PER_ADDRESS`` allows (across shares and e-mail addresses):
    then no code is made, and the visitor is told when to ask again.

    Every request for a valid address counts, whether the share allows the address or not, so
    the limit tells nothing about the list – and typing address after address makes no more
    than this many codes per client address. When the cache fails, no code is made:
    :class:`~directus_shares.outages.Outage` (503), logged as ``service_unavailable``.
    """
    limit = get_config()["VERIFICATION_CODE_REQUESTS_PER_ADDRESS"]
    try:
        wait = lockout.count_request("codes", client_address(request), tuple(limit))
    except Outage:
        _log_outage(request, share)
        raise
    if wait is None:
        return None
    return CodeProblem(share, CodeProblemKind.TOO_MANY_CODE_REQUESTS, email, retry_after=wait)


_CODE_PROBLEMS = {
    verification.CodeCheck.WRONG: CodeProblemKind.WRONG_CODE,
    verification.CodeCheck.EXPIRED: CodeProblemKind.CODE_EXPIRED,
    verification.CodeCheck.USED: CodeProblemKind.CODE_USED,
    verification.CodeCheck.TRIES_USED_UP: CodeProblemKind.CODE_TRIES_USED_UP,
    verification.CodeCheck.NOT_REQUESTED: CodeProblemKind.CODE_REQUIRED,
}


def _code_step(
    share: Share, proof: Callable[[], verification.EmailCode | None], now: datetime
) -> int | None | CodeProblem:
    """For a share restricted to addresses: whether the visitor's address and one-time code
    prove an address it allows (on a link whose recipient is verified: the code alone proves
    the recipient's address) – the id of the code to spend when it opens, or why not. ``None``
    for a share open to anyone with the link.

    It comes before the password: nobody who cannot read an allowed mailbox gets to try the
    password, so strangers can neither guess it nor use up the share's password limit and lock
    its real recipients out. A right code is spent only when the use is counted: a wrong
    password after it costs a try of the code (its tries bound both), not the code.
    """
    if not share.requires_email:
        return None
    given = proof()
    email = _address_to_prove(share, given.email if given is not None else None)
    if given is None or email is None or not given.code.strip():
        shown = "" if email is None else _shown_address(share, email)
        return CodeProblem(share, _code_problem(share, verification.CodeCheck.NOT_REQUESTED), shown)
    share.visitor_email = email
    tried = verification.try_code(share, email, given.code, now)
    # A code made for an address the share does not (or no longer) allows never proves it.
    if tried.result is verification.CodeCheck.RIGHT and share.allows_email(email):
        return tried.code_id
    result = tried.result
    if result is verification.CodeCheck.RIGHT:
        result = verification.CodeCheck.WRONG
    return CodeProblem(share, _code_problem(share, result), _shown_address(share, email))


def _code_problem(share: Share, result: verification.CodeCheck) -> CodeProblemKind:
    """What the visitor is told of a code that did not prove an address: on a verified
    recipient's link, a missing code is asked for without asking for an address."""
    kind = _CODE_PROBLEMS[result]
    if kind is CodeProblemKind.CODE_REQUIRED and share.recipient_to_verify is not None:
        return CodeProblemKind.RECIPIENT_CODE_REQUIRED
    return kind


def _consume_use_and_code(
    share: Share,
    now: datetime,
    request: HttpRequest,
    condition: Condition | None,
    code_id: int | None,
) -> bool | CodeProblem:
    """:func:`consume_use`, and for a proved address the spending of its code, together: both
    or neither (a code is not lost to a use that was not counted, and a code opens once even
    when sent twice at the same moment)."""
    if code_id is None:
        return consume_use(share, now, request, condition)
    alias = router.db_for_write(Share)
    with transaction.atomic(using=alias):
        if not verification.spend_code(code_id, now):  # spent by a request just before
            return CodeProblem(
                share, CodeProblemKind.CODE_USED, _shown_address(share, share.visitor_email)
            )
        counted = consume_use(share, now, request, condition)
        if not counted:
            transaction.set_rollback(True, using=alias)
    return counted


# -- the access log -------------------------------------------------------------------------------


def _refused(request: HttpRequest, refusal: Refusal, share: Share) -> Refused:
    """``refusal``, logged – and for a device refused on a recipient's link, the link flagged as
    forwarded and its share's creator told (once: :func:`.devices.report_forwarded`)."""
    refused = _logged(request, Refused(refusal, share))
    if refusal is Refusal.RECIPIENT_FORWARDED:
        devices.report_forwarded(request, share)
    return refused


_Refusing = TypeVar("_Refusing", bound=Refused | PasswordProblem | Locked | Changed | CodeProblem)


def _logged(request: HttpRequest, outcome: _Refusing) -> _Refusing:
    """Write ``outcome`` to the access log – every refusal of a known share, GET or POST, is an
    access attempt – and return it. A counted use is logged with its count (:func:`consume_use`)."""
    match outcome:
        case Refused(refusal=refusal):
            reason: str = refusal.code
        case PasswordProblem():
            reason = AccessReason.WRONG_PASSWORD
        case Locked():
            reason = AccessReason.LOCKED_OUT
        case Changed():
            reason = AccessReason.CHANGED
        case CodeProblem(kind=kind):
            reason = kind.code
    if outcome.share is not None:
        address = client_address(request)
        record_access(request, outcome.share, granted=False, reason=reason, address=address)
    return outcome


# -- who the visitor is, and what every answer carries --------------------------------------------

SHARE_RESPONSE_HEADERS = {
    "Cache-Control": "no-store, private",
    # Not "no-referrer": browsers would then post the page's own form with "Origin: null", which
    # Django's CSRF check refuses. "same-origin" still keeps the link out of every cross-origin
    # Referer; the templates keep it out of same-origin subresource requests as well.
    "Referrer-Policy": "same-origin",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
}


def share_response_headers(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Mark every response of ``view`` (a view function: its first argument is the request) as
    private, uncacheable, unindexed, unframeable and without a ``Referer`` to other sites, and
    give it the device cookie the visit made (:func:`carry_device`)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        for header, value in SHARE_RESPONSE_HEADERS.items():
            response[header] = value
        carry_device(request, response)
        return response

    return wrapped


def carry_device(request: HttpRequest, response: HttpResponseBase) -> None:
    """Set the device cookie on ``response`` when the visit asked for the visitor's device
    (:func:`.devices.device_id`: only on a recipient's link held to a device limit)."""
    if hasattr(request, devices.REQUEST_ATTRIBUTE):  # no work on other answers
        devices.set_cookie(request, response, secure=cookies_secure(request))


def cookies_secure(request: HttpRequest) -> bool:
    """Whether the visitor's cookies – the page's grant, the device's – go over HTTPS only:
    ``GRANT_COOKIE_SECURE``, or when unset, ``SESSION_COOKIE_SECURE`` or a secure request."""
    secure: bool | None = get_config()["GRANT_COOKIE_SECURE"]
    if secure is None:
        return bool(settings.SESSION_COOKIE_SECURE) or request.is_secure()
    return secure


def client_address(request: HttpRequest) -> Address | None:
    """The visitor's address as the trusted proxies (or the socket) report it; ``None`` if
    unknown, e.g. fewer forwarded entries than proxies configured.

    It is ``REMOTE_ADDR`` unless the ``TRUSTED_PROXY_COUNT`` setting says how many proxies in
    front of the site append to ``X-Forwarded-For``; only their entries are believed, never the
    client's own."""
    config = get_config()
    proxies = config["TRUSTED_PROXY_COUNT"]
    if proxies:
        forwarded = [
            entry.strip()
            for entry in request.META.get(config["FORWARDED_FOR_HEADER"], "").split(",")
            if entry.strip()
        ]
        if len(forwarded) < proxies:
            return None  # the request did not pass through every proxy: nothing to believe
        raw = forwarded[-proxies]  # what the outermost trusted proxy saw
    else:
        raw = request.META.get("REMOTE_ADDR", "")
    try:
        address = ipaddress.ip_address(raw.strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped  # ::ffff:10.0.0.1 is 10.0.0.1
    return address
