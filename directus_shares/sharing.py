"""Who may create, see, manage, edit and send which share, with which role and password – the
rules (and their messages) every surface asks; the admin and the API only render the answers.

* A user may share an object when they hold ``share`` on it – the model permission (within the
  share filter of the role that grants it), or a django-guardian object grant – and may view it.
  Active superusers may share anything.
* They may give it only a role they belong to, one they created, or one an administrator marked
  assignable (superusers: any role). Whatever the role, a share never shows more than its creator
  may see at the time of the visit (see :class:`~directus_shares.rights.ShareRights`).
* A share is managed (seen, changed, revoked, unlocked, sent) by its creator and by superusers.
* A share's new password must pass ``PASSWORD_VALIDATORS``, whichever surface sets it; a change
  may set a password or remove it, not both.
* A link is sent to at most :data:`MAX_RECIPIENTS` addresses at once, and only while somebody
  could open the share.
* A share's recipients – each an address with a link of its own (:func:`add_recipients`) – are
  added, revoked, re-enabled, given a new link and deleted by whoever manages the share; a
  recipient whose link was used is revoked, not deleted (the access log keeps its entries).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q, QuerySet, RestrictedError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .conf import get_config, password_validators
from .creator_queries import holders_of_user
from .mail import RECIPIENT_REVOKED_NOT_SENT, parse_recipients
from .models import (
    MAX_ADDRESS_LENGTH,
    MAX_EXTRA_DEVICES,
    RoleSettings,
    Share,
    ShareQuerySet,
    ShareRecipient,
    ShareRecipientQuerySet,
)
from .opening import refusal_for_anyone
from .outcomes import PasswordProblemKind, Refusal
from .rights import Action, Holder, union_access
from .shareable import is_shareable_model

#: The fields of a share its creator chooses besides the object, the role and the password, in
#: the order the admin's forms show them.
SHARE_OPTION_ORDER = (
    *("name", "date_start", "date_end", "max_uses"),  # the link's own
    *("allowed_addresses", "verify_recipients", "devices_per_recipient"),  # who may open it
)
SHARE_OPTIONS = frozenset(SHARE_OPTION_ORDER)

#: The most addresses one request may send a share's link to.
MAX_RECIPIENTS = 50

#: What a surface answers for an object the user may not see (or that does not exist).
NO_SUCH_OBJECT = gettext_lazy("No such object.")
#: Why an object of a model that is never shared (or not installed) cannot be shared.
NOT_SHAREABLE = gettext_lazy("Objects of this kind cannot be shared.")
#: Why a share's object and creator are not changed: they are fixed when it is created.
RETARGETING_REFUSED = gettext_lazy(
    "A share's object and creator cannot change; create a new share."
)

_OBJECT_DELETED = gettext_lazy("its object was deleted")
_ROLE_DELETED = gettext_lazy("its role was deleted")


class SharingDenied(PermissionDenied):
    """The user may not create this share, or give it this role; nothing was created or changed."""


class RecipientsRefused(ValidationError):
    """The addresses a link was to be sent to are refused; ``invalid`` lists the invalid ones."""

    def __init__(self, message: str, *, code: str, invalid: list[str]) -> None:
        super().__init__(message, code=code)
        self.invalid = invalid


def can_view(user: Any, obj: models.Model) -> bool:
    """Whether ``user`` may read ``obj`` by the rules shares use."""
    return _holds(user, obj, "view", _holders(user))


def can_share(user: Any, obj: models.Model) -> bool:
    """Whether ``user`` may create shares of ``obj``."""
    return sharing_refusal(user, obj) is None


def sharing_refusal(user: Any, obj: models.Model) -> str | None:
    """Why ``user`` may not share ``obj``, or ``None`` when they may."""
    if not is_shareable_model(type(obj)):
        return str(NOT_SHAREABLE)
    holders = _holders(user)
    if not _holds(user, obj, "share", holders):
        return _("You may not share this %(model)s.") % {"model": obj._meta.verbose_name}
    if not _holds(user, obj, "view", holders):
        return _("You may not share this %(model)s: you cannot view it yourself.") % {
            "model": obj._meta.verbose_name
        }
    return None


def object_to_share(user: Any, model: type[models.Model], object_pk: Any) -> models.Model | None:
    """The object of ``model`` with key ``object_pk`` when ``user`` may view it; ``None`` when it
    does not exist, the key cannot be one, or the user may not view it – so that existence does
    not leak (one they see but may not share is refused by :func:`sharing_refusal`)."""
    try:
        pk = model._meta.pk.to_python(object_pk)
        obj = model._default_manager.filter(pk=pk).first()
    except (ValidationError, ValueError, TypeError):
        return None
    return obj if obj is not None and can_view(user, obj) else None


def manages_every_share(user: Any) -> bool:
    """Whether ``user`` manages every share (an active superuser), not only their own."""
    return _is_active_user(user) and bool(user.is_superuser)


def managed_shares(user: Any, shares: ShareQuerySet | None = None) -> ShareQuerySet:
    """Those of ``shares`` (default: all) that ``user`` may manage – see, change, revoke, unlock
    and send: every one for an active superuser, else the ones they created."""
    shares = Share.objects.all() if shares is None else shares
    if not _is_active_user(user):
        return shares.none()
    return shares if manages_every_share(user) else shares.filter(created_by=user)


def may_manage(user: Any, share: Share) -> bool:
    """Whether ``user`` may manage ``share`` (the per-object twin of :func:`managed_shares`)."""
    if not _is_active_user(user):
        return False
    return manages_every_share(user) or share.created_by_id == user.pk


def managed_shares_of(user: Any, obj: models.Model) -> ShareQuerySet:
    """The shares of ``obj`` that ``user`` may manage."""
    return managed_shares(user, Share.objects.for_object(obj))


def may_see_shares_of(user: Any, obj: models.Model) -> bool:
    """Whether ``user`` is shown the shares of ``obj`` (the admin's panel): when they may share
    it or manage a share of it."""
    return can_share(user, obj) or managed_shares_of(user, obj).exists()


def max_password_length() -> int:
    """The longest share password accepted (``MAX_PASSWORD_LENGTH``)."""
    return int(get_config()["MAX_PASSWORD_LENGTH"])


def validate_share_password(password: str) -> None:
    """Refuse a new share password that is too long (:func:`max_password_length`) or fails a
    validator of ``PASSWORD_VALIDATORS`` – the admin form, the API and :func:`create_share` ask
    this one function.

    Raises:
        django.core.exceptions.ValidationError: with every validator's message.
    """
    if len(password) > max_password_length():
        too_long = PasswordProblemKind.TOO_LONG  # what a visitor is told of one, too
        raise ValidationError(too_long.message, code=too_long.code)
    validate_password(password, user=None, password_validators=password_validators())


def validate_password_change(new_password: str | None, remove: bool) -> None:
    """Refuse a change that sets a new password and removes the password at once (the new
    password itself is checked by :func:`validate_share_password`).

    Raises:
        django.core.exceptions.ValidationError: both were asked for.
    """
    if new_password and remove:
        raise ValidationError(
            _("Either set a new password or remove it, not both."), code="password_conflict"
        )


def change_password(share: Share, new_password: str | None, remove: bool) -> None:
    """Set, change or remove ``share``'s password as asked, on its next save (which ends the
    grants made so far); neither asked leaves it as it is."""
    if remove:
        share.set_password(None)
    elif new_password:
        share.set_password(new_password)


def assignable_roles(user: Any) -> QuerySet[Group]:
    """The roles ``user`` may give to a share."""
    if not _is_active_user(user):
        return Group.objects.none()
    if user.is_superuser:
        return Group.objects.all()
    settings = RoleSettings.objects.filter(Q(assignable=True) | Q(created_by=user))
    return Group.objects.filter(
        Q(pk__in=user.groups.values("pk")) | Q(pk__in=settings.values("role_id"))
    ).distinct()


def offered_roles(user: Any, share: Share | None = None) -> QuerySet[Group]:
    """The roles to offer ``user`` for ``share`` (a new one when ``None``), by name: those they
    may assign, and the share's own role, which it may always keep. The ``PUBLIC_ROLE`` group is
    not offered by name (unless it is the share's own): no role already means it, and the forms
    offer that as their empty choice."""
    assignable = assignable_roles(user).exclude(name=get_config()["PUBLIC_ROLE"]).values("pk")
    own = share.role_id if share is not None else None
    return Group.objects.filter(Q(pk__in=assignable) | Q(pk=own)).order_by("name")


def role_refusal(user: Any, role: Group | None, share: Share | None = None) -> str | None:
    """Why ``user`` may not give ``role`` to ``share`` (a new one when ``None``), or ``None``
    when they may: the public role – no role, or its group named – and the share's current role
    are always allowed."""
    if role is None or role.name == get_config()["PUBLIC_ROLE"]:
        return None
    if share is not None and role.pk == share.role_id:
        return None
    if assignable_roles(user).filter(pk=role.pk).exists():
        return None
    return _("You may not give shares the role “%(role)s”.") % {"role": role}


def create_share(
    user: Any,
    obj: models.Model,
    *,
    role: Group | None = None,
    password: str | None = None,
    **options: Any,
) -> Share:
    """Create a share of ``obj`` by ``user`` after checking every rule.

    ``options`` are the share's other editable fields (``name``, ``date_start``, ``date_end``,
    ``max_uses``, ``allowed_addresses``, ``verify_recipients``, ``devices_per_recipient``).

    Raises:
        SharingDenied: the user may not share ``obj`` or may not assign ``role``.
        django.core.exceptions.ValidationError: an option is invalid, or the password fails
            :func:`validate_share_password` (nothing is saved).
    """
    _check_options("create_share", options)
    refusal = sharing_refusal(user, obj) or role_refusal(user, role)
    if refusal is not None:
        raise SharingDenied(refusal)
    share = Share(content_object=obj, role=role, created_by=user, **options)
    if password:
        try:
            validate_share_password(password)
        except ValidationError as error:
            raise ValidationError({"password": error.error_list}) from None
        share.set_password(password)
    share.full_clean()
    with transaction.atomic():
        share.save()
    return share


def edit_share(
    user: Any,
    share: Share,
    *,
    password: str | None = None,
    remove_password: bool = False,
    **changes: Any,
) -> Share:
    """Change ``share`` (one of :func:`managed_shares`) as ``user`` asks, after checking every
    rule, and save it.

    ``changes`` are new values for ``role`` and the options (``name``, ``date_start``,
    ``date_end``, ``max_uses``, ``allowed_addresses``, ``verify_recipients``,
    ``devices_per_recipient``); fields not named keep their value.

    Raises:
        SharingDenied: the user may not give the share that role.
        django.core.exceptions.ValidationError: a value is invalid, or the password change is
            (nothing is saved).
    """
    _check_options("edit_share", {name: v for name, v in changes.items() if name != "role"})
    if "role" in changes and (refusal := role_refusal(user, changes["role"], share)):
        raise SharingDenied(refusal)
    try:
        if password:
            validate_share_password(password)
        validate_password_change(password, remove_password)
    except ValidationError as error:
        raise ValidationError({"password": error.error_list}) from None
    for name, value in changes.items():
        setattr(share, name, value)
    change_password(share, password, remove_password)
    share.full_clean()
    share.save()
    return share


def _check_options(function: str, options: dict[str, Any]) -> None:
    if unknown := set(options) - SHARE_OPTIONS:
        raise TypeError(f"{function}() takes no option {', '.join(sorted(unknown))}")


def unopenable_reason(share: Share, now: datetime | None = None) -> str | None:
    """Why no recipient could open ``share``'s link at ``now`` – revoked, expired, used up,
    its object or creator gone, or it grants nothing – in words for the people who manage it;
    ``None`` when it opens (or will once its window starts). Decided by the rule that refuses
    the visitor (:func:`.opening.refusal_for_anyone`), never by a second one."""
    return refusal_reason(share, refusal_for_anyone(share, now))


def refusal_reason(share: Share, refusal: Refusal | None) -> str | None:
    """``refusal`` (from :func:`.opening.refusal_for_anyone`) in words for staff; ``None`` for
    none, or for "not open yet" (a share may well be sent before its window starts)."""
    if refusal is None or refusal is Refusal.NOT_YET_OPEN:
        return None
    if refusal is Refusal.UNAVAILABLE:
        if share.is_revoked:
            return _("it was revoked")
        creator = share.created_by if share.created_by_id else None
        if share.creator_removed or not getattr(creator, "is_active", True):
            return _("its creator was deleted or deactivated")
        return str(_OBJECT_DELETED)
    if refusal in (Refusal.GRANTS_NOTHING, Refusal.OBJECT_NOT_GRANTED):
        return _grants_nothing_reason(share, refusal)
    return {
        Refusal.EXPIRED: _("it has expired"),
        Refusal.USED_UP: _("it has been used up"),
        Refusal.UNKNOWN: _("it no longer exists or has a new link"),
    }.get(refusal, str(refusal.title))


def _grants_nothing_reason(share: Share, refusal: Refusal) -> str:
    model = share.shared_model
    if share.role_removed:
        return str(_ROLE_DELETED)
    if share.role_id is None:
        public_role = get_config()["PUBLIC_ROLE"]
        if not public_role:
            return _("it grants nothing: it has no role and no public role is set")
        if not Group.objects.filter(name=public_role).exists():
            return _(
                "it grants nothing: it has no role and the public role “%(role)s” does not exist"
            ) % {"role": public_role}
        role = public_role
    else:
        assert share.role is not None  # a role is set and was not deleted (role_removed)
        role = share.role.name
    if refusal is Refusal.OBJECT_NOT_GRANTED and model is not None:
        return _(
            "it grants nothing: its role “%(role)s” (within what its creator may see and share) "
            "may not see this %(model)s"
        ) % {"role": role, "model": model._meta.verbose_name}
    return _(
        "it grants nothing: its role “%(role)s” (within what its creator may see) may not see "
        "%(models)s"
    ) % {"role": role, "models": model._meta.verbose_name_plural if model else "?"}


def attention_reasons(share: Share, *, object_deleted: bool, refusal: Refusal | None) -> list[str]:
    """Why ``share`` no longer opens although its own dates and uses would allow it – its
    object, model, creator or role gone, or its role granting nothing – for the people who
    manage it. ``object_deleted`` is :meth:`.ShareQuerySet.orphaned`'s answer, ``refusal`` the
    visitor's (:func:`.opening.refusal_for_anyone`)."""
    reasons: list[str] = []
    if object_deleted:
        gone = share.shared_model is None
        reasons.append(str(_("its model was removed") if gone else _OBJECT_DELETED))
    if share.creator_removed:
        reasons.append(_("its creator was deleted"))
    elif share.created_by is not None and not share.created_by.is_active:
        reasons.append(_("its creator was deactivated"))
    if share.role_removed:
        reasons.append(str(_ROLE_DELETED))
    elif not object_deleted and refusal in (Refusal.GRANTS_NOTHING, Refusal.OBJECT_NOT_GRANTED):
        reasons.append(_grants_nothing_reason(share, refusal))
    return reasons


def sending_refusal(share: Share) -> str | None:
    """Why ``share``'s link may not be sent (the admin's "Send link" and the API's invite):
    nobody could open it. ``None`` when it may be sent."""
    reason = unopenable_reason(share)
    if reason is None:
        return None
    return _("The link was not sent: nobody can open this share – %(reason)s.") % {"reason": reason}


def recipients_to_send(
    recipients: str | Iterable[str], *, skip_invalid: bool
) -> tuple[list[str], list[str]]:
    """The ``(valid, invalid)`` addresses of ``recipients`` (``"a@x, b@y"`` or a list) to send
    a link to: at most :data:`MAX_RECIPIENTS`, at least one valid; any invalid one refuses all
    unless ``skip_invalid`` (then they are reported, not sent to).

    Raises:
        RecipientsRefused: too many, an invalid one (unless ``skip_invalid``) or no valid one.
    """
    valid, invalid = parse_recipients(recipients)
    if len(valid) + len(invalid) > MAX_RECIPIENTS:
        message = _("At most %(count)d addresses at once.") % {"count": MAX_RECIPIENTS}
        raise RecipientsRefused(message, code="too_many", invalid=invalid)
    if invalid and not skip_invalid:
        message = _("Not valid e-mail addresses: %(addresses)s") % {"addresses": ", ".join(invalid)}
        raise RecipientsRefused(message, code="invalid", invalid=invalid)
    if not valid:
        message = _("Enter at least one e-mail address.")
        raise RecipientsRefused(message, code="required", invalid=invalid)
    return valid, invalid


def create_role(user: Any, name: str) -> Group:
    """A new role named ``name`` created "on the fly" by ``user`` while sharing: it has no
    rights until someone sets them, and ``user`` may assign it.

    Raises:
        SharingDenied: ``user`` may not add groups.
    """
    if not user.has_perm("auth.add_group"):
        raise SharingDenied(_("You may not create roles."))
    with transaction.atomic():
        role = Group.objects.create(name=name)
        RoleSettings.objects.create(role=role, created_by=user)
    return role


def _holders(user: Any) -> list[Holder]:
    """The user's holders of rights; none for anonymous, inactive or superusers (who need none)."""
    if not _is_active_user(user) or user.is_superuser:
        return []
    return holders_of_user(user)


def _is_active_user(user: Any) -> bool:
    return bool(getattr(user, "is_active", False) and getattr(user, "is_authenticated", False))


def _holds(user: Any, obj: models.Model, action: Action, holders: list[Holder]) -> bool:
    if not _is_active_user(user) or not is_shareable_model(type(obj)):
        return False
    if user.is_superuser:
        return True
    access = union_access(holders, type(obj), action)
    if access is None:
        return False
    if access.rows is None:
        return True
    return access.filter(type(obj)._default_manager.filter(pk=obj.pk)).exists()


# -- recipients: a link of their own per address ---------------------------------------------


class RecipientRefused(ValidationError):
    """A change to a share's recipients is refused (``code`` says why); nothing was changed."""


def add_recipients(
    user: Any, share: Share, addresses: str | Iterable[str], *, max_uses: int | None = None
) -> tuple[list[ShareRecipient], list[ShareRecipient]]:
    """Give each of ``addresses`` (the rules of :func:`recipients_to_send`, invalid ones
    refused) its own link to ``share`` (one of :func:`managed_shares`), with its own use limit
    ``max_uses`` (``None``: only the share's); ``(added, already)`` – an address that already
    is a recipient keeps its link, limit and state.

    Raises:
        SharingDenied: ``user`` may not manage ``share``.
        RecipientsRefused: the addresses are refused (too many, invalid, none).
        django.core.exceptions.ValidationError: ``max_uses`` is below 1.
    """
    _check_manages(user, share)
    valid, _invalid = recipients_to_send(addresses, skip_invalid=False)
    if max_uses is not None and max_uses < 1:
        raise ValidationError(
            {"max_uses": _("Allow at least one use. Leave it empty for the share's limit only.")}
        )
    too_long = [address for address in valid if len(address) > MAX_ADDRESS_LENGTH]
    if too_long:
        message = _("Not valid e-mail addresses: %(addresses)s") % {
            "addresses": ", ".join(too_long)
        }
        raise RecipientsRefused(message, code="invalid", invalid=too_long)
    wanted = list(dict.fromkeys(normalized_address(address) for address in valid))
    existing = {r.address: r for r in share.recipients.filter(address__in=wanted)}
    added = []
    for address in wanted:
        if address in existing:
            continue
        recipient = ShareRecipient(share=share, address=address, max_uses=max_uses)
        try:
            with transaction.atomic():
                recipient.save(force_insert=True)
        except IntegrityError:  # added meanwhile by another request: theirs stands
            existing[address] = share.recipients.get(address=address)
        else:
            added.append(recipient)
    return added, [existing[address] for address in wanted if address in existing]


def recipient_links_to_send(
    user: Any, share: Share, addresses: str | Iterable[str]
) -> tuple[list[ShareRecipient], list[str]]:
    """Who gets a link of their own when ``user`` sends ``share`` to ``addresses`` that way (the
    admin's "Send link" with links of their own): ``(to_mail, revoked)`` – each address is a
    recipient (added by :func:`add_recipients` if it is not one yet, its rules and errors); a
    recipient whose link is revoked is not mailed but named in ``revoked``, for the sender to
    switch on again first."""
    added, already = add_recipients(user, share, addresses)
    recipients = [*added, *already]
    revoked = [recipient.address for recipient in recipients if recipient.is_revoked]
    return [recipient for recipient in recipients if not recipient.is_revoked], revoked


def normalized_address(address: str) -> str:
    """``address`` as a recipient is kept: stripped and in lower case, so that one person is one
    recipient however the address was typed."""
    return address.strip().lower()


def managed_recipients(user: Any, share: Share) -> ShareRecipientQuerySet:
    """The recipients of ``share`` when ``user`` may manage it, else none."""
    if not may_manage(user, share):
        return ShareRecipient.objects.none()
    return ShareRecipient.objects.filter(share=share)


def revoke_recipient(user: Any, recipient: ShareRecipient) -> ShareRecipient:
    """Switch ``recipient``'s link off; its grants and access tokens end at once. Revoking a
    revoked link changes nothing. Raises :class:`SharingDenied` when ``user`` may not manage
    its share."""
    _check_manages(user, recipient.share)
    if not recipient.is_revoked:
        recipient.revoke()
    return recipient


def reenable_recipient(user: Any, recipient: ShareRecipient) -> ShareRecipient:
    """Switch a revoked recipient's link on again (what it granted before stays ended)."""
    _check_manages(user, recipient.share)
    if recipient.is_revoked:
        recipient.reenable()
    return recipient


def rotate_recipient(user: Any, recipient: ShareRecipient) -> ShareRecipient:
    """Give ``recipient`` a new link: the old one, its grants and access tokens stop at once."""
    _check_manages(user, recipient.share)
    recipient.rotate_key()
    return recipient


def resend_refusal(user: Any, recipient: ShareRecipient) -> str | None:
    """Why ``recipient``'s own link may not be mailed to it again (the admin's and the API's
    "resend"): nobody could open the share (:func:`sending_refusal`), or the link is revoked.
    ``None`` when it may; the caller queues the mail (:func:`.tasks.queue_recipient_links`).
    Raises :class:`SharingDenied` when ``user`` may not manage its share."""
    _check_manages(user, recipient.share)
    if recipient.is_revoked:
        return str(RECIPIENT_REVOKED_NOT_SENT)
    return sending_refusal(recipient.share)


def allow_one_more_device(user: Any, recipient: ShareRecipient) -> ShareRecipient:
    """Let ``recipient``'s link open on one device more than its limit (e.g. a new phone) and
    clear its forwarded flag – only while it needs one (:func:`needs_a_device`), and once for
    requests that read it at once: a repeated click allows no second device.

    Raises:
        SharingDenied: ``user`` may not manage its share.
        RecipientRefused: it needs no device, or one was just allowed (``not_at_device_limit``).
    """
    _check_manages(user, recipient.share)
    if not needs_a_device(recipient) or not recipient.allow_one_more_device():
        raise RecipientRefused(NOT_AT_DEVICE_LIMIT, code="not_at_device_limit")
    return recipient


NOT_AT_DEVICE_LIMIT = _(
    "This link is not at its device limit and was not flagged as forwarded: it needs no more "
    "devices."
)


def needs_a_device(recipient: ShareRecipient) -> bool:
    """Whether one more device may be allowed for ``recipient``'s link: it was flagged as
    forwarded, or as many devices opened it as may (``device_count`` annotated, else counted).
    Never for a link without a device limit, nor past :data:`.MAX_EXTRA_DEVICES`."""
    limit = recipient.device_limit
    if limit is None or recipient.extra_devices >= MAX_EXTRA_DEVICES:
        return False
    if recipient.is_forwarded:
        return True
    count = getattr(recipient, "device_count", None)
    return (recipient.devices.count() if count is None else count) >= limit


def delete_recipient(user: Any, recipient: ShareRecipient) -> None:
    """Delete ``recipient`` – only one whose link was never tried: the access log keeps who
    opened the share, so a recipient with log entries is revoked instead (it goes with its share,
    or once its entries are purged).

    Raises:
        SharingDenied: ``user`` may not manage its share.
        RecipientRefused: it has access-log entries (code ``recipient_in_log``).
    """
    _check_manages(user, recipient.share)
    try:
        with transaction.atomic():
            recipient.delete()
    except (RestrictedError, IntegrityError):  # IntegrityError: a log row written meanwhile
        raise RecipientRefused(
            _(
                "This recipient's link was used, and the access log keeps its entries: revoke "
                "the link instead."
            ),
            code="recipient_in_log",
        ) from None


def _check_manages(user: Any, share: Share) -> None:
    if not may_manage(user, share):
        raise SharingDenied(_("You may not manage this share."))
