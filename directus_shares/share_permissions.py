"""The ``share_<model>`` permission of every shareable model, created after ``migrate`` the way
Django creates ``view_<model>``: ordinary permissions that groups, users and django-guardian
object grants hold."""

from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.apps import apps as global_apps
from django.contrib.contenttypes.management import create_contenttypes
from django.db import DEFAULT_DB_ALIAS, router
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .shareable import is_shareable_model


def share_codename(model: Any) -> str:
    """``share_<model_name>``: the permission that lets its holder share objects of ``model``."""
    return f"share_{model._meta.model_name}"


def create_share_permissions(
    app_config: AppConfig,
    verbosity: int = 2,
    using: str = DEFAULT_DB_ALIAS,
    apps: Any = global_apps,
    **kwargs: Any,
) -> None:
    """``post_migrate`` receiver: add the missing ``share_<model>`` permissions of the app.

    Proxy models share through their concrete model's permissions, and models that ask Django
    for no default permissions get none.
    """
    if not app_config.models_module:
        return
    create_contenttypes(app_config, verbosity=0, using=using, apps=apps, **kwargs)
    try:
        app_config = apps.get_app_config(app_config.label)
        content_type_model = apps.get_model("contenttypes", "ContentType")
        permission_model = apps.get_model("auth", "Permission")
    except LookupError:
        return
    if not router.allow_migrate_model(using, permission_model):
        return
    wanted = {}
    for model in app_config.get_models():
        opts = model._meta
        if opts.proxy or not opts.default_permissions or not is_shareable_model(model):
            continue
        content_type = content_type_model.objects.db_manager(using).get_for_model(model)
        name = format_lazy(_("Can share {}"), opts.verbose_name_raw)
        wanted[(content_type.pk, share_codename(model))] = str(name)[:255]
    existing = set(
        permission_model.objects.using(using)
        .filter(content_type__in=[content_type_id for content_type_id, _ in wanted])
        .values_list("content_type_id", "codename")
    )
    missing = [
        permission_model(content_type_id=content_type_id, codename=codename, name=name)
        for (content_type_id, codename), name in wanted.items()
        if (content_type_id, codename) not in existing
    ]
    permission_model.objects.using(using).bulk_create(missing)
    if verbosity >= 2:
        for permission in missing:
            print(f"Adding permission '{permission.codename}'")
