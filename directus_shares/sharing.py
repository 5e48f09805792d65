"""Who may create a share of what, with which role – the rules every surface (admin, API) asks.

* A user may share an object when they hold ``share`` on it – the model permission (within the
  share filter of the role that grants it), or a django-guardian object grant – and may view it.
  Active superusers may share anything.
* They may give it only a role they belong to, one they created, or one an administrator marked
  assignable (superusers: any role). Whatever the role, a share never shows more than its creator
  may see at the time of the visit (see :class:`~directus_shares.rights.ShareRights`).
* A share is managed (seen, changed, revoked, unlocked, sent) by its creator and by superusers.
* A share's new password must pass ``PASSWORD_VALIDATORS``, whichever surface sets it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from .conf import get_config, password_validators
from .fields import is_shareable_model
from .models import RoleSettings, Share, ShareQuerySet
from .opening import refusal_for_anyone
from .outcomes import Refusal
from .queries import holders_of_user
from .rights import Action, Holder, union_access

#: The fields of a share its creator chooses besides the object, the role and the password.
SHARE_OPTIONS = frozenset({"name", "date_start", "date_end", "max_uses"})


class SharingDenied(PermissionDenied):
    """The user may not create (or give this role to) this share; nothing was created."""


def can_view(user: Any, obj: models.Model) -> bool:
    """Whether ``user`` may read ``obj`` by the rules shares use."""
    return _holds(user, obj, "view", _holders(user))


def can_share(user: Any, obj: models.Model) -> bool:
    """Whether ``user`` may create shares of ``obj``."""
    return sharing_refusal(user, obj) is None


def sharing_refusal(user: Any, obj: models.Model) -> str | None:
    """Why ``user`` may not share ``obj``, or ``None`` when they may."""
    if not is_shareable_model(type(obj)):
        return _("Objects of this kind cannot be shared.")
    holders = _holders(user)
    if not _holds(user, obj, "share", holders):
        return _("You may not share this %(model)s.") % {"model": obj._meta.verbose_name}
    if not _holds(user, obj, "view", holders):
        return _("You may not share this %(model)s: you cannot view it yourself.") % {
            "model": obj._meta.verbose_name
        }
    return None


def managed_shares(user: Any, shares: ShareQuerySet | None = None) -> ShareQuerySet:
    """Those of ``shares`` (default: all) that ``user`` may manage: every one for an active
    superuser, else the ones they created."""
    shares = Share.objects.all() if shares is None else shares
    if not _is_active_user(user):
        return shares.none()
    return shares if user.is_superuser else shares.filter(created_by=user)


def may_manage(user: Any, share: Share) -> bool:
    """Whether ``user`` may manage ``share`` (the per-object twin of :func:`managed_shares`)."""
    if not _is_active_user(user):
        return False
    return user.is_superuser or share.created_by_id == user.pk


def validate_share_password(password: str) -> None:
    """Refuse a new share password that is too long (``MAX_PASSWORD_LENGTH``) or fails a
    validator of ``PASSWORD_VALIDATORS`` – the admin form, the API and :func:`create_share` ask
    this one function.

    Raises:
        django.core.exceptions.ValidationError: with every validator's message.
    """
    if len(password) > get_config()["MAX_PASSWORD_LENGTH"]:
        raise ValidationError(_("That password is too long."), code="password_too_long")
    validate_password(password, user=None, password_validators=password_validators())


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
    ``max_uses``).

    Raises:
        SharingDenied: the user may not share ``obj`` or may not assign ``role``.
        django.core.exceptions.ValidationError: an option is invalid, or the password fails
            :func:`validate_share_password` (nothing is saved).
    """
    if unknown := set(options) - SHARE_OPTIONS:
        raise TypeError(f"create_share() takes no option {', '.join(sorted(unknown))}")
    refusal = sharing_refusal(user, obj)
    if refusal is None and role is not None and not assignable_roles(user).filter(pk=role.pk):
        refusal = _("You may not give shares the role “%(role)s”.") % {"role": role}
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
        return _("its object was deleted")
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
        return _("its role was deleted")
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


def sending_refusal(share: Share) -> str | None:
    """Why ``share``'s link may not be sent (the admin's "Send link" and the API's invite):
    nobody could open it. ``None`` when it may be sent."""
    reason = unopenable_reason(share)
    if reason is None:
        return None
    return _("The link was not sent: nobody can open this share – %(reason)s.") % {"reason": reason}


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
