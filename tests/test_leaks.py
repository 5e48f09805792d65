"""The leak suite: whatever a role, its rules and the share's creator say, a share page shows
exactly what both may see of the shared object and its linked objects – and nothing else.

Every value that must stay hidden holds ``SENTINEL``; every response a visitor can get (landing,
granted page, refusals) is searched for it. Each granted case also checks that what *should* be
shown is, so a page that shows nothing cannot pass.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.test import Client, override_settings
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from directus_shares.models import RoleSettings, Share
from example_project.reports.models import Comment, Document, Person, Report, Tag
from tests.factories import (
    CodeFactory,
    GadgetFactory,
    LabelFactory,
    OwnerFactory,
    RoleFactory,
    ShareFactory,
    UserFactory,
    permission,
    rule,
)
from tests.helpers import open_share
from tests.testapp.models import (
    Author,
    Company,
    Cover,
    Desk,
    Dossier,
    Floor,
    Gadget,
    Owner,
    Page,
    Pseudonym,
    Topic,
)

pytestmark = pytest.mark.django_db

SENTINEL = "SENTINEL"
DOSSIER_MODELS = [Dossier, Author, Desk, Floor, Topic, Page, Cover]

#: What the full role shows of the shared dossier A, by the number of links from A.
SHOWN_AT_DEPTH = {
    "A-title": 0,
    "A-summary": 0,
    "author-name": 1,  # A.author
    "topic-name": 1,  # A.topics
    "page-public": 1,  # A.pages (reverse)
    "page-draft": 1,
    "cover-text": 1,  # A.cover (reverse one-to-one)
    "C-title": 1,  # A.see_also (symmetrical, to itself)
    "F-title": 1,  # A.followed_by (reverse foreign key to itself)
    "desk-name": 2,  # A.author.desk
    "page-topic": 2,  # A.pages[0].topic
    "floor-name": 3,  # A.author.desk.floor
}
SHOWN_AT_TWO = {value for value, depth in SHOWN_AT_DEPTH.items() if depth <= 2}


@dataclass
class World:
    """Dossier A, shared, among objects that are linked to it and objects that are not."""

    role: Group  # the share's role: may view every model of the dossier graph
    team: Group  # the creator's only group: the same rights (the creator is not in the role)
    creator: User
    share: Share
    a: Dossier
    author: Author
    page_public: Page
    c: Dossier


@pytest.fixture
def world() -> World:
    floor = Floor.objects.create(name="floor-name")
    desk = Desk.objects.create(name="desk-name", floor=floor)
    author = Author.objects.create(name="author-name", pin="SENTINEL-pin", desk=desk)
    # At the author's desk, but linked to A only through the desk's reverse relation.
    Author.objects.create(name="SENTINEL-colleague", pin="SENTINEL-colleague-pin", desk=desk)
    topic = Topic.objects.create(name="topic-name")
    page_topic = Topic.objects.create(name="page-topic")
    a = Dossier.objects.create(title="A-title", summary="A-summary", author=author)
    a.topics.add(topic)
    page_public = Page.objects.create(dossier=a, text="page-public", topic=page_topic)
    Page.objects.create(dossier=a, text="page-draft", public=False)
    Cover.objects.create(dossier=a, text="cover-text")
    # B: same author, same topics – the Directus 12.4 hole would show it through either.
    b = Dossier.objects.create(
        title="SENTINEL-B-title", summary="SENTINEL-B-summary", author=author
    )
    b.topics.add(topic, page_topic)
    Page.objects.create(dossier=b, text="SENTINEL-B-page", topic=page_topic)
    Cover.objects.create(dossier=b, text="SENTINEL-B-cover")
    # C is "see also" of A (symmetrical); D is see-also of C only.
    c = Dossier.objects.create(title="C-title", status="archived", author=author)
    d = Dossier.objects.create(title="SENTINEL-D-title", author=author)
    a.see_also.add(c)
    c.see_also.add(d)
    f = Dossier.objects.create(title="F-title", author=author, follows=a)
    Dossier.objects.create(title="SENTINEL-G-title", author=author, follows=f)  # follows F
    # Linked to nothing shown.
    stranger = Author.objects.create(name="SENTINEL-stranger", desk=Desk.objects.create(name="x"))
    Dossier.objects.create(title="SENTINEL-E-title", summary="SENTINEL-E", author=stranger)

    role = RoleFactory(view=DOSSIER_MODELS)
    team = RoleFactory(view=DOSSIER_MODELS)
    creator = UserFactory()
    creator.groups.add(team)
    share = ShareFactory(content_object=a, role=role, created_by=creator, creator_in_role=False)
    return World(role, team, creator, share, a, author, page_public, c)


def visit(share: Share, client: Client | None = None) -> list[HttpResponse]:
    """Every response a visitor gets: landing page, the click, and the page it leads to."""
    client = client or Client(enforce_csrf_checks=True)
    landing = client.get(share.get_absolute_url())
    clicked = open_share(client, share)
    return [landing, clicked, client.get(share.get_absolute_url())]


def assert_no_sentinel(*responses: HttpResponse) -> None:
    for response in responses:
        content = response.content.decode()
        assert SENTINEL not in content, content[content.find(SENTINEL) - 300 :][:600]


def assert_shows_exactly(response: HttpResponse, shown: set[str]) -> None:
    """The granted page shows each of ``shown`` and no other value of the dossier graph."""
    assert response.status_code == 200
    content = response.content.decode()
    assert_no_sentinel(response)
    assert {value for value in SHOWN_AT_DEPTH if value in content} == shown
    assert content.count("A-title") == 1  # the shared object is never shown again, linked


# -- what roles and creators allow ---------------------------------------------------------------


def unpermit(group: Group, *models: type) -> None:
    group.permissions.remove(*(permission("view", model) for model in models))


@dataclass(frozen=True)
class Case:
    narrow: Callable[[World], object]
    hidden: frozenset[str] = field(default_factory=frozenset)


GRANTED = {
    "role-may-see-all": Case(lambda w: None),
    "role-without-a-model": Case(
        lambda w: unpermit(w.role, Author), frozenset({"author-name", "desk-name"})
    ),
    "role-row-filter-on-linked-rows": Case(
        lambda w: rule(w.role, Page, all_fields=True, read_filter={"public": True}),
        frozenset({"page-draft"}),
    ),
    "role-row-filter-on-the-shared-model": Case(
        lambda w: rule(w.role, Dossier, all_fields=True, read_filter={"status": "open"}),
        frozenset({"C-title"}),
    ),
    "role-row-filter-through-a-relation": Case(
        lambda w: rule(w.role, Author, all_fields=True, read_filter={"desk__name": "x"}),
        frozenset({"author-name", "desk-name"}),
    ),
    "role-fields-of-the-shared-model": Case(
        lambda w: rule(w.role, Dossier, fields=["title", "author", "pages"]),
        frozenset({"A-summary", "topic-name", "cover-text", "C-title", "F-title"}),
    ),
    "role-fields-of-a-linked-model": Case(
        lambda w: rule(w.role, Author, fields=["name"]), frozenset({"desk-name"})
    ),
    "role-no-fields-of-a-linked-model": Case(
        lambda w: rule(w.role, Page, fields=["topic"]), frozenset({"page-public", "page-draft"})
    ),
    "role-object-grant-on-linked-rows": Case(
        lambda w: (unpermit(w.role, Page), assign_perm("view_page", w.role, w.page_public)),
        frozenset({"page-draft"}),
    ),
    "role-object-grant-on-the-shared-object-only": Case(
        lambda w: (unpermit(w.role, Dossier), assign_perm("view_dossier", w.role, w.a)),
        frozenset({"C-title", "F-title"}),
    ),
    "role-object-grant-with-its-fields": Case(
        lambda w: (
            unpermit(w.role, Page),
            assign_perm("view_page", w.role, w.page_public),
            rule(w.role, Page, fields=["topic"]),
        ),
        frozenset({"page-public", "page-draft"}),
    ),
    "creator-without-a-model": Case(
        lambda w: unpermit(w.team, Author), frozenset({"author-name", "desk-name"})
    ),
    "creator-without-a-field": Case(
        lambda w: rule(w.team, Dossier, fields=["title", "author", "pages", "topics", "cover"]),
        frozenset({"A-summary", "C-title", "F-title"}),
    ),
    "creator-without-a-relation-of-a-linked-model": Case(
        lambda w: rule(w.team, Author, fields=["name"]), frozenset({"desk-name"})
    ),
    "creator-without-some-rows": Case(
        lambda w: rule(w.team, Page, all_fields=True, read_filter={"public": True}),
        frozenset({"page-draft"}),
    ),
    "creator-with-an-object-grant-on-the-shared-object-only": Case(
        lambda w: (unpermit(w.team, Dossier), assign_perm("view_dossier", w.creator, w.a)),
        frozenset({"C-title", "F-title"}),
    ),
    "creator-with-object-grants-through-a-group": Case(
        lambda w: (unpermit(w.team, Page), assign_perm("view_page", w.team, w.page_public)),
        frozenset({"page-draft"}),
    ),
    "creator-rows-and-role-rows-intersect": Case(
        lambda w: (
            rule(w.role, Page, all_fields=True, read_filter={"public": True}),
            rule(w.team, Page, all_fields=True, read_filter={"public": False}),
        ),
        frozenset({"page-public", "page-draft", "page-topic"}),
    ),
    "creator-fields-and-role-fields-intersect": Case(
        lambda w: (
            rule(w.role, Dossier, fields=["title", "summary", "author"]),
            rule(w.team, Dossier, fields=["title", "pages", "author"]),
        ),
        frozenset(SHOWN_AT_TWO - {"A-title", "author-name", "desk-name"}),
    ),
    "creator-own-permissions-widen-their-groups": Case(
        lambda w: (
            unpermit(w.team, Author),
            w.creator.user_permissions.add(permission("view", Author)),
        )
    ),
    "superuser-creator-does-not-widen-the-role": Case(
        lambda w: (
            User.objects.filter(pk=w.creator.pk).update(is_superuser=True),
            w.team.permissions.clear(),
            rule(w.role, Dossier, fields=["title", "author"]),
        ),
        frozenset(SHOWN_AT_TWO - {"A-title", "author-name", "desk-name"}),
    ),
    "share-made-by-code-is-the-role-alone": Case(
        lambda w: (
            Share.objects.filter(pk=w.share.pk).update(created_by=None),
            unpermit(w.role, Cover),
        ),
        frozenset({"cover-text"}),
    ),
}


@pytest.mark.parametrize("case", GRANTED.values(), ids=GRANTED.keys())
def test_a_share_shows_what_role_and_creator_both_allow_and_nothing_else(world, case):
    case.narrow(world)
    responses = visit(world.share)
    assert_no_sentinel(*responses)
    assert_shows_exactly(responses[-1], SHOWN_AT_TWO - case.hidden)


REFUSED = {
    "role-may-not-see-the-model": (lambda w: unpermit(w.role, Dossier), 403),
    "role-rows-exclude-the-object": (
        lambda w: rule(w.role, Dossier, all_fields=True, read_filter={"status": "archived"}),
        403,
    ),
    "role-object-grant-on-another-object": (
        lambda w: (unpermit(w.role, Dossier), assign_perm("view_dossier", w.role, w.c)),
        403,
    ),
    "creator-may-not-see-the-model": (lambda w: unpermit(w.team, Dossier), 403),
    "creator-rows-exclude-the-object": (
        lambda w: rule(w.team, Dossier, all_fields=True, read_filter={"status": "archived"}),
        403,
    ),
    "creator-not-in-any-group": (lambda w: w.creator.groups.clear(), 403),
    "creator-deactivated": (
        lambda w: User.objects.filter(pk=w.creator.pk).update(is_active=False),
        410,
    ),
    "creator-deleted": (lambda w: w.creator.delete(), 410),
    "role-limited-to-other-networks": (
        lambda w: RoleSettings.objects.create(role=w.role, allowed_networks="10.0.0.0/8"),
        403,
    ),
    "revoked": (lambda w: w.share.revoke(), 410),
    "expired": (
        lambda w: Share.objects.filter(pk=w.share.pk).update(
            date_end=timezone.now() - timedelta(days=1)
        ),
        410,
    ),
    "not-yet-open": (
        lambda w: Share.objects.filter(pk=w.share.pk).update(
            date_start=timezone.now() + timedelta(days=1)
        ),
        403,
    ),
    "used-up": (
        lambda w: Share.objects.filter(pk=w.share.pk).update(max_uses=1, times_used=1),
        410,
    ),
}


@pytest.mark.parametrize("narrow, status", REFUSED.values(), ids=REFUSED.keys())
def test_refusals_show_nothing_of_the_object(world, narrow, status):
    narrow(world)
    responses = visit(Share.objects.get(pk=world.share.pk))
    assert [response.status_code for response in responses] == [status] * 3
    for response in responses:
        assert {value for value in SHOWN_AT_DEPTH if value in response.content.decode()} == set()
    assert_no_sentinel(*responses)


def test_the_password_form_shows_nothing_of_the_object(world):
    world.share.set_password("right")
    world.share.save()
    client = Client(enforce_csrf_checks=True)
    responses = [client.get(world.share.get_absolute_url()), open_share(client, world.share, "no")]
    assert [response.status_code for response in responses] == [200, 403]
    for response in responses:
        assert "A-title" not in response.content.decode()
    assert_no_sentinel(*responses)
    assert open_share(client, world.share, "right").status_code == 303
    assert_shows_exactly(client.get(world.share.get_absolute_url()), SHOWN_AT_TWO)


# -- how far relations are followed --------------------------------------------------------------


@pytest.mark.parametrize("depth", [0, 1, 2, 3, 5])
def test_linked_objects_are_followed_forward_only_at_any_depth(world, depth):
    """Reverse relations only from A: never the author's, desk's or topic's other rows."""
    with override_settings(DIRECTUS_SHARES={"RELATED_DEPTH": depth}):
        responses = visit(world.share)
    shown = {value for value, level in SHOWN_AT_DEPTH.items() if level <= depth}
    assert_shows_exactly(responses[-1], shown)


@pytest.mark.parametrize("depth", [1, 2, 4])
def test_a_report_never_shows_the_authors_other_reports(depth):
    """The Directus 12.4 hole, on the example project: report → author → author's reports."""
    author = Person.objects.create(name="Ada")
    shared = Report.objects.create(title="Shared report", summary="s", author=author)
    other = Report.objects.create(
        title="SENTINEL-title", summary="SENTINEL-summary", author=author, confidential_notes="x"
    )
    tag = Tag.objects.create(slug="t", label="a tag")
    shared.tags.add(tag)
    other.tags.add(tag)
    Comment.objects.create(report=shared, author_name="Bob", body="first comment")
    Comment.objects.create(report=other, author_name="SENTINEL", body="SENTINEL-comment")
    Document.objects.create(report=other, title="SENTINEL-document")
    role = RoleFactory(view=[Person, Report, Tag, Comment, Document])
    share = ShareFactory(content_object=shared, role=role)
    with override_settings(DIRECTUS_SHARES={"RELATED_DEPTH": depth}):
        responses = visit(share)
    assert_no_sentinel(*responses)
    content = responses[-1].content.decode()
    assert all(text in content for text in ("Shared report", "Ada", "a tag", "first comment"))


@pytest.mark.parametrize(
    "shared, shown",
    [
        ("cover", {"cover-text"}),  # cover → dossier (one-to-one) → its author, topics, see-also
        ("page", {"page-public", "page-topic"}),  # page → dossier and topic → …
    ],
)
def test_a_share_of_a_linked_object_never_shows_its_siblings(world, shared, shown):
    """From a page, its dossier – but not the dossier's other pages, cover or followers."""
    obj = world.a.cover if shared == "cover" else world.page_public
    share = ShareFactory(
        content_object=obj, role=world.role, created_by=world.creator, creator_in_role=False
    )
    responses = visit(share)
    assert_no_sentinel(*responses)
    dossier = {"A-title", "A-summary", "author-name", "topic-name", "C-title"}
    assert_shows_exactly(responses[-1], shown | dossier)


# -- what is never shared ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "never_shared, hidden",
    [
        ({}, set()),
        ({"testapp.desk": ["name"]}, {"desk-name"}),
        ({"testapp.author": ["desk"]}, {"desk-name"}),
        ({"testapp.dossier": ["pages", "summary"]}, {"A-summary", "page-public", "page-draft"}),
    ],
    ids=["class-attribute", "a-linked-field", "a-forward-relation", "a-reverse-relation"],
)
def test_never_shared_fields_stay_hidden_from_roles_with_every_field(world, never_shared, hidden):
    for model in DOSSIER_MODELS:
        rule(world.role, model, all_fields=True)
    with override_settings(DIRECTUS_SHARES={"NEVER_SHARED_FIELDS": never_shared}):
        responses = visit(world.share)
    hidden = hidden | ({"page-topic"} if "page-public" in hidden else set())
    assert_shows_exactly(responses[-1], SHOWN_AT_TWO - hidden)


@pytest.mark.parametrize("label", ["testapp.owner", "testapp.Owner"])
def test_never_shared_fields_of_a_parent_model_stay_hidden_in_its_children(label):
    """The setting names a model in any case Django accepts (``"auth.User"`` or ``"auth.user"``,
    as check E012 does): a label in the model's own spelling once let the field through."""
    company = Company.objects.create(name="company-name", email="SENTINEL@example.com", vat_id="1")
    share = ShareFactory(content_object=company, role=RoleFactory(view=[Company, Owner]))
    with override_settings(DIRECTUS_SHARES={"NEVER_SHARED_FIELDS": {label: ["email"]}}):
        responses = visit(share)
    assert_no_sentinel(*responses)
    assert "company-name" in responses[-1].content.decode()


def test_a_rule_cannot_name_a_never_shared_field(world):
    with pytest.raises(ValidationError, match="pin"):
        rule(world.role, Author, fields=["name", "pin"])
    with pytest.raises(ValidationError, match="pin"):
        rule(world.role, Author, all_fields=True, read_filter={"pin__startswith": "S"})


@pytest.mark.parametrize("never_shared", [{}, {"testapp.author": ["desk"]}])
def test_a_proxy_keeps_its_concrete_models_secrets(never_shared):
    """A share of a proxy (by its own content type) reads the concrete model's permissions and
    keeps its never-shared fields, declared on the class or in the setting."""
    desk = Desk.objects.create(name="SENTINEL-desk" if never_shared else "desk-name")
    author = Author.objects.create(name="author-name", pin="SENTINEL-pin", desk=desk)
    share = ShareFactory(content_object=author, role=RoleFactory(view=[Author, Desk]))
    proxy_type = ContentType.objects.get_for_model(Pseudonym, for_concrete_model=False)
    Share.objects.filter(pk=share.pk).update(content_type=proxy_type)
    share.refresh_from_db()
    assert share.shared_model is Pseudonym
    with override_settings(DIRECTUS_SHARES={"NEVER_SHARED_FIELDS": never_shared}):
        responses = visit(share)
    assert_no_sentinel(*responses)
    content = responses[-1].content.decode()
    assert "author-name" in content
    assert ("desk-name" in content) is not bool(never_shared)


# -- object grants, on every kind of primary key -------------------------------------------------


def test_object_grants_show_only_the_granted_linked_objects():
    """UUID (gadgets) and integer (labels) keys, one and two links from the shared owner."""
    owner = OwnerFactory(name="owner-name")
    granted = GadgetFactory(owner=owner, name="granted-gadget")
    GadgetFactory(owner=owner, name="SENTINEL-gadget")
    label = LabelFactory(name="granted-label")
    granted.labels.add(label, LabelFactory(name="SENTINEL-label"))
    role = RoleFactory(view=[Owner])
    assign_perm("view_gadget", role, granted)
    assign_perm("view_label", role, label)
    responses = visit(ShareFactory(content_object=owner, role=role))
    assert_no_sentinel(*responses)
    content = responses[-1].content.decode()
    assert all(text in content for text in ("owner-name", "granted-gadget", "granted-label"))


def test_a_creators_object_grants_narrow_a_role_that_may_see_every_row():
    owner = OwnerFactory(name="owner-name")
    granted = GadgetFactory(owner=owner, name="granted-gadget")
    GadgetFactory(owner=owner, name="SENTINEL-gadget")
    creator = UserFactory()
    creator.user_permissions.add(permission("view", Owner))
    assign_perm("view_gadget", creator, granted)
    share = ShareFactory(
        content_object=owner,
        role=RoleFactory(view=[Owner, Gadget]),
        created_by=creator,
        creator_in_role=False,
    )
    responses = visit(share)
    assert_no_sentinel(*responses)
    assert "granted-gadget" in responses[-1].content.decode()


@pytest.mark.parametrize("granted", [True, False])
def test_an_object_grant_on_a_text_key_opens_that_object_only(granted):
    code = CodeFactory(label="code-label" if granted else "SENTINEL-code")
    other = CodeFactory(label="SENTINEL-other")
    role = RoleFactory()
    assign_perm("view_code", role, code if granted else other)
    responses = visit(ShareFactory(content_object=code, role=role))
    assert_no_sentinel(*responses)
    assert responses[-1].status_code == (200 if granted else 403)
    assert ("code-label" in responses[-1].content.decode()) is granted


# -- networks ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "proxies, remote_addr, forwarded, opens",
    [
        (0, "10.1.2.3", "", True),
        (0, "192.0.2.1", "", False),
        (0, "192.0.2.1", "10.1.2.3", False),  # the client's own header is not believed
        (1, "192.0.2.1", "10.1.2.3", True),  # …unless a trusted proxy wrote it
        (1, "10.1.2.3", "10.9.9.9, 192.0.2.7", False),  # only the proxy's own entry counts
        (1, "10.1.2.3", "", False),  # no proxy entry: the address is unknown
        (0, "::ffff:10.1.2.3", "", True),
    ],
)
def test_a_role_limited_to_networks_opens_only_from_them(
    world, proxies, remote_addr, forwarded, opens
):
    RoleSettings.objects.create(role=world.role, allowed_networks="10.0.0.0/8\n2001:db8::/32")
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    client = Client(enforce_csrf_checks=True, REMOTE_ADDR=remote_addr, **headers)
    with override_settings(DIRECTUS_SHARES={"TRUSTED_PROXY_COUNT": proxies}):
        responses = visit(world.share, client)
    assert_no_sentinel(*responses)
    if opens:
        assert_shows_exactly(responses[-1], SHOWN_AT_TWO)
    else:
        assert [response.status_code for response in responses] == [403] * 3
        assert "A-title" not in b"".join(r.content for r in responses).decode()


# -- rights change between requests --------------------------------------------------------------


#: How the creator gets the right to read authors, and how they lose it (the team lacks it).
HOW_TO_LOSE: dict[str, tuple[Callable[[World], object], Callable[[World], object]]] = {
    "own-permission": (
        lambda w: w.creator.user_permissions.add(permission("view", Author)),
        lambda w: w.creator.user_permissions.remove(permission("view", Author)),
    ),
    "group-permission": (
        lambda w: w.team.permissions.add(permission("view", Author)),
        lambda w: unpermit(w.team, Author),
    ),
    "group-membership": (
        lambda w: w.creator.groups.add(RoleFactory(name="authors", view=[Author])),
        lambda w: w.creator.groups.remove(Group.objects.get(name="authors")),
    ),
    "object-grant": (
        lambda w: assign_perm("view_author", w.creator, w.author),
        lambda w: remove_perm("view_author", w.creator, w.author),
    ),
    "object-grant-of-a-group": (
        lambda w: assign_perm("view_author", w.team, w.author),
        lambda w: remove_perm("view_author", w.team, w.author),
    ),
}


@pytest.mark.parametrize("give, lose", HOW_TO_LOSE.values(), ids=HOW_TO_LOSE.keys())
def test_a_creator_who_loses_a_right_takes_it_from_the_share_at_the_next_request(world, give, lose):
    unpermit(world.team, Author)
    give(world)
    client = Client(enforce_csrf_checks=True)
    assert_shows_exactly(visit(world.share, client)[-1], SHOWN_AT_TWO)
    lose(world)
    shown = SHOWN_AT_TWO - {"author-name", "desk-name"}
    assert_shows_exactly(client.get(world.share.get_absolute_url()), shown)


def test_a_creator_narrowed_by_a_new_rule_narrows_open_pages(world):
    client = Client(enforce_csrf_checks=True)
    assert_shows_exactly(visit(world.share, client)[-1], SHOWN_AT_TWO)
    rule(world.team, Author, fields=["desk"])
    shown = SHOWN_AT_TWO - {"author-name"}
    assert_shows_exactly(client.get(world.share.get_absolute_url()), shown)


def test_a_role_that_loses_a_right_takes_it_from_open_pages(world):
    client = Client(enforce_csrf_checks=True)
    assert_shows_exactly(visit(world.share, client)[-1], SHOWN_AT_TWO)
    rule(world.role, Dossier, fields=["title"])
    assert_shows_exactly(client.get(world.share.get_absolute_url()), {"A-title"})


def test_a_deactivated_creator_closes_open_pages(world):
    client = Client(enforce_csrf_checks=True)
    assert_shows_exactly(visit(world.share, client)[-1], SHOWN_AT_TWO)
    User.objects.filter(pk=world.creator.pk).update(is_active=False)
    response = client.get(world.share.get_absolute_url())
    assert response.status_code == 410
    assert "A-title" not in response.content.decode()
