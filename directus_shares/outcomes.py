"""What opening a share can come to: the values :mod:`~directus_shares.opening` returns and the
page, the API and the admin render. Names and data only – no rule, no request, no query."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

if TYPE_CHECKING:
    from .lockout import ShareLock
    from .models import Share
    from .rights import ShareRights


class Refusal(enum.Enum):
    """Why a share does not open (or a file link under it), with the HTTP status that says so."""

    UNKNOWN = ("unknown", 404, _("This share link does not exist."))
    FORBIDDEN_NETWORK = (
        "forbidden_network",
        403,
        _("This share cannot be opened from your network."),
    )
    UNAVAILABLE = ("unavailable", 410, _("This share is no longer available."))
    #: A recipient's own link (docs/sharing-with-specific-people.md) its sender switched off.
    RECIPIENT_REVOKED = (
        "recipient_revoked",
        410,
        _("This personal link was switched off by the person who sent it."),
    )
    NOT_YET_OPEN = ("not_yet_open", 403, _("This share is not open yet."))
    EXPIRED = ("expired", 410, _("This share has expired."))
    USED_UP = ("used_up", 410, _("This share has been used up."))
    #: A recipient's own link that reached its own use limit (the share may have uses left).
    RECIPIENT_USED_UP = (
        "recipient_used_up",
        410,
        _("This personal link has been opened as many times as it may be."),
    )
    #: A recipient's own link opened on more devices than it may be
    #: (docs/sharing-with-specific-people.md): probably forwarded. Devices that opened it before
    #: still open it.
    RECIPIENT_FORWARDED = (
        "recipient_forwarded",
        403,
        _("This personal link is already in use on other devices."),
    )
    GRANTS_NOTHING = ("grants_nothing", 403, _("This share does not grant access to anything."))
    #: The role (and creator) may read the model, but a row filter leaves this object out. Same
    #: code and status as ``GRANTS_NOTHING`` (the API and the access log do not tell them apart);
    #: the page says which it is.
    OBJECT_NOT_GRANTED = (
        "grants_nothing",
        403,
        _("This share does not grant access to what it points to."),
    )

    #: The share opens for this visitor, but the file link under it is not one of its own
    #: (forged, another share's, expired) or the share no longer shows that file. Not an attempt
    #: to open the share: not written to the access log.
    FILE_NOT_FOUND = ("file_not_found", 404, _("This file link does not exist."))

    def __init__(self, code: str, status: int, title: str) -> None:
        self.code = code
        self.status = status
        self.title = title


class ObjectState(enum.Enum):
    """The shared object as the share sees it."""

    VISIBLE = "visible"
    HIDDEN = "hidden"  # exists, but outside the rows the share may read
    GONE = "gone"


class PasswordProblemKind(enum.Enum):
    """What is wrong with a password a visitor sent: its API code and its message."""

    MISSING = ("password_required", _("Enter the password."))
    TOO_LONG = ("password_too_long", _("That password is too long."))
    WRONG = ("wrong_password", _("That password is not correct."))

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message


class CodeProblemKind(enum.Enum):
    """Why a one-time code (or the address it is asked for) was not accepted: its API and
    access-log code, its HTTP status and its message."""

    CODE_NOT_USED = (
        "code_not_used",
        400,
        _("This share opens without a code."),
    )
    EMAIL_INVALID = ("email_invalid", 400, _("Enter a valid e-mail address."))
    TOO_MANY_CODES = (
        "too_many_codes",
        429,
        _("Too many codes were requested for this address. Try again later."),
    )
    TOO_MANY_CODE_REQUESTS = (
        "too_many_code_requests",
        429,
        _("Too many codes were requested from your network. Try again later."),
    )
    CODE_REQUIRED = (
        "code_required",
        400,
        _("Enter your e-mail address and the code we sent to it (request one first)."),
    )
    #: :attr:`CODE_REQUIRED` on a verified recipient's link, whose visitor types no address.
    RECIPIENT_CODE_REQUIRED = (
        "code_required",
        400,
        _("Enter the code we sent to this link's recipient (request one first)."),
    )
    WRONG_CODE = ("wrong_code", 403, _("That code is not correct."))
    CODE_EXPIRED = ("code_expired", 410, _("That code has expired. Request a new one."))
    CODE_USED = ("code_used", 410, _("That code was already used. Request a new one."))
    CODE_TRIES_USED_UP = (
        "code_tries_used_up",
        429,
        _("Too many wrong codes were entered. Request a new code."),
    )

    def __init__(self, code: str, status: int, message: str) -> None:
        self.code = code
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Refused:
    """The share does not open: ``refusal`` says why (``share`` is ``None`` for an unknown link).
    Already written to the access log."""

    refusal: Refusal
    share: Share | None = None


@dataclass(frozen=True)
class Landing:
    """The share opens, but this visitor has not opened it yet (no grant, no click): the page
    shows its landing page, ``info`` the share's window, ``item`` asks for an access token.
    Nothing was counted."""

    share: Share
    now: datetime


@dataclass(frozen=True)
class Shown:
    """The share is open for this visitor: ``instance`` is what to show with ``rights``.
    Nothing was counted."""

    share: Share
    rights: ShareRights
    instance: Any
    now: datetime


@dataclass(frozen=True)
class Opened:
    """One use was counted and ``credential`` (a new grant cookie value or access token, good for
    ``GRANT_MAX_AGE``) made – or, with ``counted`` false, the visitor already held a valid one:
    nothing was counted and nothing new is handed out (``credential`` is ``None``)."""

    share: Share
    counted: bool
    credential: str | None = None


@dataclass(frozen=True)
class PasswordProblem:
    """The password was missing, too long or wrong (logged as ``wrong_password``)."""

    share: Share
    kind: PasswordProblemKind


@dataclass(frozen=True)
class Locked:
    """Too many wrong passwords: none is checked for ``retry_after`` seconds; ``share_lock``
    when the share is locked for everybody, not only for this address (logged as
    ``locked_out``)."""

    share: Share
    retry_after: int
    share_lock: ShareLock | None = None

    @property
    def message(self) -> str:
        """What the visitor is told, in minutes (rounded up) – the page and the API alike; the
        ``Retry-After`` header carries the seconds."""
        minutes = max(1, -(-self.retry_after // 60))
        if self.share_lock is not None and self.share_lock.owner_told:
            return ngettext(
                "Too many wrong passwords were entered for this share, so it is locked for "
                "everybody for %(minutes)d minute. Its owner has been notified and can unlock it.",
                "Too many wrong passwords were entered for this share, so it is locked for "
                "everybody for %(minutes)d minutes. Its owner has been notified and can unlock it.",
                minutes,
            ) % {"minutes": minutes}
        if self.share_lock is not None:  # its creator has no e-mail address, or the mail failed
            return ngettext(
                "Too many wrong passwords were entered for this share, so it is locked for "
                "everybody for %(minutes)d minute. Ask the person who sent you the link to "
                "unlock it.",
                "Too many wrong passwords were entered for this share, so it is locked for "
                "everybody for %(minutes)d minutes. Ask the person who sent you the link to "
                "unlock it.",
                minutes,
            ) % {"minutes": minutes}
        return ngettext(
            "Too many wrong passwords. Try again in %(minutes)d minute.",
            "Too many wrong passwords. Try again in %(minutes)d minutes.",
            minutes,
        ) % {"minutes": minutes}


@dataclass(frozen=True)
class Changed:
    """The share changed between the checks and the count, in a way that refuses nothing by
    itself (a new password, say): no use was counted; the visitor may try again (logged as
    ``changed``)."""

    share: Share
    #: What the visitor is told (a class attribute, not a field).
    message = _("This share was changed while it was being opened. Please try again.")


@dataclass(frozen=True)
class CodeRequested:
    """A visitor asked for a one-time code for ``email``: if the share allows that address, a
    code was mailed to it, good for ``minutes`` – the visitor is told exactly that, whether or
    not it does (logged as ``code_requested``). On a link whose recipient is verified, ``email``
    is the recipient's, masked, and the code was mailed to it."""

    share: Share
    email: str
    minutes: int


@dataclass(frozen=True)
class CodeProblem:
    """The address or the one-time code was not accepted: ``kind`` says why (logged with its
    code). ``email`` is the address the visitor gave, normalised (``""`` when not valid) – on a
    link whose recipient is verified, the recipient's, masked; ``retry_after``, the seconds until
    the visitor may ask again, when a limit says so."""

    share: Share
    kind: CodeProblemKind
    email: str = ""
    retry_after: int | None = None


#: What a visitor is told when Django refuses the body of what they sent (over its
#: ``DATA_UPLOAD_MAX_*`` settings): the page and the API answer 400 with it.
REQUEST_TOO_LARGE_MESSAGE = _("The request is too large.")

#: What :func:`.opening.look` comes to.
Looked = Refused | Landing | Shown
#: What :func:`.opening.open_share` comes to.
OpenedOrNot = Refused | Opened | PasswordProblem | Locked | Changed | CodeProblem
#: What :func:`.opening.request_code` comes to.
CodeRequestedOrNot = Refused | CodeRequested | CodeProblem
