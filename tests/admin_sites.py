"""An admin site for the tests: the Shares panel composed with django-guardian's admin."""

from __future__ import annotations

from django.contrib import admin
from django.db import models
from guardian.admin import GuardedModelAdmin

from directus_shares.admin import SharesAdminMixin
from tests.testapp.models import Gadget

composed = admin.AdminSite(name="composed")


@admin.register(Gadget, site=composed)
class GuardedGadgetAdmin(SharesAdminMixin, GuardedModelAdmin):
    """Guardian's change form (with its "Object permissions" button) plus the panel."""

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
