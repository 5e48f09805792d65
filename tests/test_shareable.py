"""Which models and fields a share never shows (``shareable.py``): secret models also behind a
proxy, and fields named in ``NEVER_SHARED_FIELDS`` also from their reverse side."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.sessions.models import Session
from django.test import override_settings

from tests.factories import RoleFactory, ShareFactory
from tests.helpers import opened_page
from tests.testapp.models import Author, Desk, SessionNote

pytestmark = pytest.mark.django_db


def test_sessions_are_never_shown_also_through_a_relation_to_a_proxy_of_them():
    """is_shareable_model/is_secret look at the proxy's own label, not at its concrete model:
    a relation to a proxy of Session (or Permission, ContentType, …) is followed and the
    session's key and data are shown to a role that has view_session."""
    session = Session.objects.create(
        session_key="SECRETSESSIONKEY",
        session_data="SECRET-DATA",
        expire_date=datetime(2099, 1, 1, tzinfo=UTC),
    )
    note = SessionNote.objects.create(session_id=session.pk, text="note-text")
    role = RoleFactory(view=[SessionNote, Session])
    content = opened_page(ShareFactory(content_object=note, role=role)).content.decode()
    assert "note-text" in content
    assert "SECRET" not in content


def test_the_reverse_side_of_a_never_shared_foreign_key_is_never_shown():
    desk = Desk.objects.create(name="desk-name")
    Author.objects.create(name="SECRET-AUTHOR", pin="1", desk=desk)
    role = RoleFactory(view=[Desk, Author])
    with override_settings(DIRECTUS_SHARES={"NEVER_SHARED_FIELDS": {"testapp.author": ["desk"]}}):
        content = opened_page(ShareFactory(content_object=desk, role=role)).content.decode()
    assert "desk-name" in content
    assert "SECRET-AUTHOR" not in content
