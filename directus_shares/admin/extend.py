"""The explicit opt-ins that change admins the project registered itself: the Shares panel on
other apps' model admins, and share rules on the ``Group`` admin. Nothing calls them on import.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.apps import apps
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Model

from ..shareable import is_shareable_model
from .panel import SharesAdminMixin
from .roles import ShareRulesGroupAdminMixin


def add_shares_panel(
    site: admin.AdminSite = admin.site, models: Iterable[type[Model]] | None = None
) -> None:
    """Give ``models`` (default: every shareable model registered on ``site`` so far) the Shares
    panel, by registering a subclass of each one's admin with :class:`SharesAdminMixin` first.

    Call it once the admins are registered: in ``urls.py`` before ``site.urls``, or at the end
    of the ``admin.py`` of an app listed after theirs in ``INSTALLED_APPS``.

    Raises:
        django.contrib.admin.exceptions.NotRegistered: a model in ``models`` has no admin.
        django.core.exceptions.ImproperlyConfigured: a model in ``models`` is never shared.
    """
    if models is None:
        chosen = [m for m in apps.get_models() if site.is_registered(m) and is_shareable_model(m)]
    else:
        chosen = list(models)
        for model in chosen:
            if not is_shareable_model(model):
                raise ImproperlyConfigured(f"{model._meta.label} is never shared.")
    for model in chosen:
        _extend(site, model, SharesAdminMixin)


def extend_group_admin(site: admin.AdminSite = admin.site) -> None:
    """Add the share rules and sharing settings of a role to ``site``'s ``Group`` admin: its
    registered class gains :class:`ShareRulesGroupAdminMixin` (Django's ``GroupAdmin`` is
    registered with it when there is none). Call it after ``django.contrib.auth``'s admin."""
    if site.is_registered(Group):
        _extend(site, Group, ShareRulesGroupAdminMixin)
    else:
        site.register(Group, type("GroupAdmin", (ShareRulesGroupAdminMixin, GroupAdmin), {}))


def _extend(site: admin.AdminSite, model: type[Model], mixin: type) -> None:
    """Register a subclass of ``model``'s admin on ``site`` with ``mixin`` first."""
    current = site.get_model_admin(model)
    if isinstance(current, mixin):
        return
    admin_class = type(current)
    site.unregister(model)
    site.register(model, type(admin_class.__name__, (mixin, admin_class), {}))
