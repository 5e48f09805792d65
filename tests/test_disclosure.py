"""The objects a share page shows, as file links look for them (``disclosure.shown_objects``)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import formats, timezone, translation

from directus_shares import disclosure, opening
from directus_shares.models import Share
from directus_shares.outcomes import Refusal
from tests.factories import (
    GadgetFactory,
    OwnerFactory,
    RoleFactory,
    ShareFactory,
    UserFactory,
    rule,
)
from tests.helpers import granted_page, opened_page
from tests.testapp.models import (
    Author,
    Badge,
    Company,
    Cover,
    Desk,
    Dossier,
    Floor,
    Gadget,
    Note,
    Owner,
    Page,
    Topic,
)

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


def test_relations_are_labelled_as_fields_are_capitalised_for_the_page_and_the_api():
    shared, _rows = _world()
    share = ShareFactory(content_object=shared, role=RoleFactory(view=[Dossier, Author, Page]))
    _share, rights = opening.find_share(share.token)
    disclosed = disclosure.disclose(disclosure.load_shared_object(share, rights), rights)
    assert {field.label for field in disclosed.fields} >= {"Title"}
    labels = {relation.name: relation.label for relation in disclosed.relations}
    assert (labels["author"], labels["pages"]) == ("Author", "Pages")  # forward, and backwards
    assert all(label[0].isupper() for label in labels.values()), labels


# -- what the page discloses: hashes, shares, odd models, e-mails, to_field keys ---------------


def test_a_users_password_hash_is_never_shown():
    user = UserFactory(username="alice")
    user.set_password("pw")
    user.save()
    content = granted_page(ShareFactory(content_object=user, role=RoleFactory(view=[User])))
    assert "alice" in content
    assert user.password not in content and "argon2" not in content


def test_shares_are_never_disclosed_even_to_roles_that_may_view_them():
    inner = ShareFactory(password="x")
    role = RoleFactory(view=[Share])
    response = Client().get(ShareFactory(content_object=inner, role=role).get_absolute_url())
    assert response.status_code == Refusal.GRANTS_NOTHING.status
    assert inner.key not in response.content.decode()


def test_multi_table_inheritance_and_generic_relations_render():
    company = Company.objects.create(name="Acme", vat_id="DE123")
    Note.objects.create(content_object=company, text="a generic note")
    role = RoleFactory(view=[Company, Owner, Note, Gadget])
    content = granted_page(ShareFactory(content_object=company, role=role))
    assert "Acme" in content and "DE123" in content


def test_a_file_field_holding_null_renders_as_empty():
    gadget = GadgetFactory()
    Gadget.objects.filter(pk=gadget.pk).update(manual=None)
    assert 'data-field="manual"' in granted_page(ShareFactory(content_object=gadget))


def test_email_values_cannot_smuggle_mailto_parameters():
    owner = OwnerFactory(email="a@b.example?cc=evil@attacker.example&body=hi")
    content = granted_page(ShareFactory(content_object=owner, role=RoleFactory(view=[Owner])))
    assert "mailto:" not in content
    owner.email = "ok@b.example"
    owner.save()
    content = granted_page(ShareFactory(content_object=owner, role=RoleFactory(view=[Owner])))
    assert 'href="mailto:ok@b.example"' in content


def test_a_foreign_key_to_a_unique_field_shows_the_object_it_points_to_and_no_other():
    """_linked_objects looks a row-filtered foreign key up by ``pk=<attname value>``: with
    ``to_field`` that is the username, so the page shows whichever user has that number as
    primary key (and answers 500 for a username that is not a number)."""
    other = User.objects.create(username="other", first_name="SECRET-OTHER")
    holder = User.objects.create(username=str(other.pk), first_name="holder-name")
    badge = Badge.objects.create(holder=holder, text="badge-text")
    role = RoleFactory(view=[Badge, User])
    rule(role, User, fields=["first_name"], read_filter={"is_active": True})
    content = opened_page(ShareFactory(content_object=badge, role=role)).content.decode()
    assert "badge-text" in content
    assert "SECRET-OTHER" not in content
    assert "holder-name" in content


def test_a_time_is_formatted_for_the_zone_and_language_of_each_view():
    """Formatted dates are kept between views: each view still gets its own zone's and
    language's text, exactly as Django formats it."""
    released = dt.datetime(2031, 1, 15, 8, 30, tzinfo=dt.UTC)
    gadget = GadgetFactory(released_at=released)
    share = ShareFactory(content_object=gadget, role=RoleFactory(view=[Gadget]))
    _share, rights = opening.find_share(share.token)
    instance = disclosure.load_shared_object(share, rights)
    texts = set()
    for zone, language in [("UTC", "en"), ("Asia/Tokyo", "en"), ("UTC", "de"), ("UTC", "en")]:
        with timezone.override(zone), translation.override(language):
            shown = disclosure.disclose(instance, rights).by_name["released_at"]
            expected = formats.date_format(timezone.localtime(released), "DATETIME_FORMAT")
            assert shown.text == expected and shown.value == released
            texts.add(shown.text)
    assert len(texts) == 3  # UTC and Tokyo, English and German differ
