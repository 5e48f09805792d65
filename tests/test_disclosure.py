"""The objects a share page shows, as file links look for them (``disclosure.shown_objects``)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from directus_shares import disclosure, opening
from tests.factories import RoleFactory, ShareFactory
from tests.testapp.models import Author, Cover, Desk, Dossier, Floor, Page, Topic

pytestmark = pytest.mark.django_db


def _world() -> tuple[Dossier, dict[str, object]]:
    """A shared dossier, rows the page shows, and a row it reaches only backwards."""
    floor = Floor.objects.create(name="floor")
    author = Author.objects.create(name="a", desk=Desk.objects.create(name="desk", floor=floor))
    shared = Dossier.objects.create(title="shared", author=author)
    topic = Topic.objects.create(name="t")
    shared.topics.add(topic)
    page = Page.objects.create(dossier=shared, text="p", topic=topic)
    other = Dossier.objects.create(title="other", author=author)  # the author's, not the share's
    Page.objects.create(dossier=other, text="elsewhere", topic=topic)
    return shared, {"author": author, "desk": author.desk, "topic": topic, "page": page}


def _shown(shared: Dossier, **kwargs: object) -> list[tuple[str, object, bool]]:
    share = ShareFactory(
        content_object=shared, role=RoleFactory(view=[Dossier, Author, Desk, Floor, Topic, Page])
    )
    _share, rights = opening.find_share(share.token)
    instance = disclosure.load_shared_object(share, rights)
    return [
        (type(obj).__name__, obj.pk, is_shared)
        for obj, is_shared in disclosure.shown_objects(instance, rights, **kwargs)
    ]


def test_the_shared_object_and_what_the_page_links_to_it():
    shared, rows = _world()
    shown = _shown(shared)
    assert shown[0] == ("Dossier", shared.pk, True)
    assert sorted(shown[1:], key=str) == sorted(
        [
            ("Author", rows["author"].pk, False),
            ("Desk", rows["desk"].pk, False),  # two links deep (RELATED_DEPTH)
            ("Topic", rows["topic"].pk, False),  # the dossier's topic
            ("Page", rows["page"].pk, False),
            ("Topic", rows["topic"].pk, False),  # the same, as the page's topic
        ],
        key=str,
    )  # not the other dossier, nor its page: linked to linked rows only backwards


def test_toward_a_model_follows_only_the_ways_that_lead_there():
    shared, rows = _world()
    assert _shown(shared, toward=Page) == [
        ("Dossier", shared.pk, True),
        ("Page", rows["page"].pk, False),
    ]


def test_the_shared_object_comes_before_any_query():
    shared, _rows = _world()
    Cover.objects.create(dossier=shared, text="c")
    share = ShareFactory(content_object=shared, role=RoleFactory(view=[Dossier, Cover]))
    _share, rights = opening.find_share(share.token)
    instance = disclosure.load_shared_object(share, rights)
    shown = disclosure.shown_objects(instance, rights)
    with CaptureQueriesContext(connection) as queries:
        assert next(shown) == (instance, True)
    assert len(queries) == 0
    with CaptureQueriesContext(connection) as queries:
        assert Cover in [type(obj) for obj, _shared in shown]
    assert len(queries) > 0  # the walk starts when the caller asks for more
