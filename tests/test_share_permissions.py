"""The ``share_<model>`` permissions (``share_permissions.py``) that ``migrate`` creates."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.contrib.sessions.models import Session

from directus_shares.models import Share
from directus_shares.share_permissions import create_share_permissions, share_codename
from tests.testapp.models import Gadget, Pseudonym

pytestmark = pytest.mark.django_db


def test_every_shareable_model_has_a_share_permission_named_like_djangos_own():
    assert share_codename(Gadget) == "share_gadget"
    permission = Permission.objects.get(codename="share_gadget")
    assert permission.content_type.model_class() is Gadget
    assert permission.name == "Can share gadget"


def test_models_that_are_never_shared_and_proxies_get_none():
    codenames = set(Permission.objects.values_list("codename", flat=True))
    assert share_codename(Session) not in codenames
    assert share_codename(Share) not in codenames
    assert share_codename(Pseudonym) not in codenames  # shared through its concrete model's


def test_a_deleted_permission_comes_back_on_the_next_migrate_and_none_is_doubled():
    Permission.objects.filter(codename="share_gadget").delete()
    config = apps.get_app_config("testapp")
    create_share_permissions(config, verbosity=0)
    create_share_permissions(config, verbosity=0)
    assert Permission.objects.filter(codename="share_gadget").count() == 1
