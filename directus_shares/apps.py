from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectusSharesConfig(AppConfig):
    name = "directus_shares"
    verbose_name = _("Shares")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks, conf, receivers  # noqa: F401  (registers checks and receivers)
