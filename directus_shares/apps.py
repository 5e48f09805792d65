from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class DirectusSharesConfig(AppConfig):
    name = "directus_shares"
    verbose_name = _("Shares")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks, conf, logs, receivers  # noqa: F401  (registers checks and receivers)
        from .share_permissions import create_share_permissions

        logs.install()  # no working link in Django's, the server's or the app's log records
        # For every app, after auth's own: share_<model> beside add/change/delete/view_<model>.
        post_migrate.connect(
            create_share_permissions, dispatch_uid="directus_shares_create_share_permissions"
        )
