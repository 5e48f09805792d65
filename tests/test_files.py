"""Files are offered through the share, never by their storage URL, and only while shown."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from directus_shares.models import RoleSettings
from directus_shares.outcomes import Refusal
from example_project.reports.models import Comment, Document, Person, Report
from tests.factories import (
    GadgetFactory,
    LabelFactory,
    OwnerFactory,
    RoleFactory,
    ShareFactory,
    rule,
)
from tests.helpers import downloaded, file_link, open_share
from tests.test_api_open import assert_refused as assert_api_refused
from tests.test_api_open import auth, item
from tests.test_page import assert_refused as assert_page_refused
from tests.testapp.models import Gadget, Label, Owner, Part

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

FILE_GONE_TEXT = "Go back to the share and follow the file’s link there."


def test_a_visitor_who_opened_the_share_downloads_its_file():
    share = ShareFactory(content_object=GadgetFactory(manual="manuals/guide.pdf"))
    visitor = Client()
    assert open_share(visitor, share).status_code == 303
    response = visitor.get(file_link(visitor, share))
    assert response.status_code == 200
    assert downloaded(response) == b"%PDF-1.4 the manual"
    assert 'attachment; filename="guide.pdf"' in response["Content-Disposition"]
    assert response["Cache-Control"] == "no-store, private"


def test_without_having_opened_the_share_the_link_leads_to_the_landing_page():
    share = ShareFactory(content_object=GadgetFactory(manual="manuals/guide.pdf"))
    visitor = Client()
    open_share(visitor, share)
    link = file_link(visitor, share)
    stranger = Client()
    response = stranger.get(link)
    assert response.status_code == 303 and response["Location"] == share.get_absolute_url()


def test_a_file_link_stops_with_the_share_and_with_the_field():
    role = RoleFactory(view=[Gadget])
    share = ShareFactory(role=role, content_object=GadgetFactory(manual="manuals/guide.pdf"))
    visitor = Client()
    open_share(visitor, share)
    link = file_link(visitor, share)
    rule(role, Gadget, fields=["name"])  # the field is no longer shown
    assert visitor.get(link).status_code == 404
    share.revoke()
    assert visitor.get(link).status_code == 410


def test_a_forged_or_moved_reference_is_a_file_link_that_does_not_exist():
    """The share itself opens: the answer says the file link is wrong, not the share link."""
    share = ShareFactory(content_object=GadgetFactory(manual="manuals/guide.pdf"))
    other = ShareFactory(content_object=GadgetFactory(manual="manuals/guide.pdf"))
    visitor, other_visitor = Client(), Client()  # the test client keeps one cookie per name
    open_share(visitor, share)
    open_share(other_visitor, other)
    reference = file_link(visitor, share).rstrip("/").rsplit("/", 1)[-1]
    moved = f"{other.get_absolute_url()}files/{reference}/"
    forged = f"{share.get_absolute_url()}files/{reference[:-2]}xx/"
    for response in other_visitor.get(moved), visitor.get(forged):
        assert_page_refused(response, Refusal.FILE_NOT_FOUND, text=FILE_GONE_TEXT)
        assert "share link does not exist" not in response.content.decode()


def test_a_forged_reference_in_the_api_is_a_file_link_that_does_not_exist():
    share = ShareFactory(content_object=GadgetFactory(manual="manuals/guide.pdf"))
    client = APIClient()
    token = auth(client, share).json()["access_token"]
    url = item(client, share, token).json()["fields"]["manual"]["url"]
    response = client.get(f"{url[:-4]}xx/", HTTP_AUTHORIZATION=f"Share {token}")
    assert response.json() == {"code": "file_not_found", "detail": "This file link does not exist."}
    assert response.status_code == 404 and response["Cache-Control"] == "no-store"


def test_files_of_linked_objects_are_share_scoped_too():
    author = Person.objects.create(name="Ada")
    report = Report.objects.create(title="t", summary="s", status="done", author=author)
    Document.objects.create(report=report, title="doc", file="manuals/guide.pdf")
    share = ShareFactory(content_object=report, role=RoleFactory(view=[Report, Document]))
    visitor = Client()
    open_share(visitor, share)
    response = visitor.get(file_link(visitor, share))
    assert response.status_code == 200 and downloaded(response) == b"%PDF-1.4 the manual"


def test_the_api_links_files_through_the_share_and_wants_the_access_token():
    share = ShareFactory(content_object=GadgetFactory(manual="manuals/guide.pdf"))
    client = APIClient()
    open_url = f"/api/shares/open/{share.token}/"
    token = client.post(f"{open_url}auth/", {}, format="json").json()["access_token"]
    item = client.get(f"{open_url}item/", HTTP_AUTHORIZATION=f"Share {token}").json()
    url = item["fields"]["manual"]["url"]
    assert url.startswith(f"http://testserver{open_url}files/") and "/media/" not in url
    assert client.get(url).status_code == 401
    response = client.get(url, HTTP_AUTHORIZATION=f"Share {token}")
    assert response.status_code == 200 and downloaded(response) == b"%PDF-1.4 the manual"


def test_a_visitor_from_elsewhere_gets_no_file():
    share = ShareFactory(content_object=GadgetFactory(manual="manuals/guide.pdf"))
    visitor = Client(REMOTE_ADDR="10.1.1.1")
    open_share(visitor, share)
    link = file_link(visitor, share)
    RoleSettings.objects.create(role=share.role, allowed_networks="192.168.0.0/16")
    assert visitor.get(link).status_code == 403


# -- a file link serves only a row the page still shows -----------------------------------------


def _links_on_page(client: Client, share) -> dict[str, str]:
    """The page's file links, by file name."""
    content = client.get(share.get_absolute_url()).content.decode()
    return {
        name: href
        for href, name in re.findall(r'<a href="([^"]*/files/[^"]*)"[^>]*>([^<]*)<', content)
    }


def _links_in_item(disclosed: dict) -> dict[str, str]:
    """The file links of an ``item`` answer (the object and every linked one), by file name."""
    links = {f["value"]: f["url"] for f in disclosed["fields"].values() if f["kind"] == "file"}
    for relation in disclosed["relations"]:
        for linked in relation["objects"]:
            links.update(_links_in_item(linked))
    return links


def _owner_and_gadgets():
    owner = OwnerFactory()
    GadgetFactory(owner=owner, manual="manuals/kept.pdf")
    moved = GadgetFactory(owner=owner, manual="manuals/moved.pdf")

    def move() -> None:
        moved.owner = OwnerFactory()  # an owner the share has nothing to do with
        moved.save()

    return owner, [Owner, Gadget], move


def _label_and_gadgets():
    label = LabelFactory()
    kept = GadgetFactory(manual="manuals/kept.pdf")
    moved = GadgetFactory(manual="manuals/moved.pdf")
    kept.labels.add(label)
    moved.labels.add(label)
    return label, [Label, Gadget], lambda: moved.labels.set([LabelFactory()])


def _part_and_gadget():
    part = Part.objects.create(gadget=GadgetFactory(manual="manuals/moved.pdf"), name="wheel")

    def move() -> None:
        part.gadget = GadgetFactory(manual="manuals/kept.pdf")
        part.save()

    return part, [Part, Gadget], move


SHAPES = {
    "reverse foreign key": _owner_and_gadgets,
    "many-to-many": _label_and_gadgets,
    "foreign key": _part_and_gadget,
}


@pytest.fixture(params=SHAPES)
def moving(request, media):
    """A share of an object with linked rows holding ``moved.pdf`` and ``kept.pdf``, and a
    function that moves the first row away to an object the share has nothing to do with."""
    for name in ("kept", "moved"):
        (media / "manuals" / f"{name}.pdf").write_bytes(f"%PDF-1.4 {name}".encode())
    shared, models, move = SHAPES[request.param]()
    return ShareFactory(content_object=shared, role=RoleFactory(view=models)), move


def test_a_file_link_ends_when_its_row_moves_to_an_unrelated_object(moving):
    share, move = moving
    visitor = Client()
    open_share(visitor, share)
    link = _links_on_page(visitor, share)["moved.pdf"]
    assert downloaded(visitor.get(link)) == b"%PDF-1.4 moved"
    move()
    assert_page_refused(visitor.get(link), Refusal.FILE_NOT_FOUND, text=FILE_GONE_TEXT)
    # A row the page still shows keeps its file link.
    assert downloaded(visitor.get(_links_on_page(visitor, share)["kept.pdf"])) == b"%PDF-1.4 kept"


def test_an_api_file_link_ends_when_its_row_moves_to_an_unrelated_object(moving):
    share, move = moving
    client = APIClient()
    token = auth(client, share).json()["access_token"]
    header = {"HTTP_AUTHORIZATION": f"Share {token}"}
    url = _links_in_item(item(client, share, token).json())["moved.pdf"]
    assert downloaded(client.get(url, **header)) == b"%PDF-1.4 moved"
    move()
    assert_api_refused(client.get(url, **header), Refusal.FILE_NOT_FOUND)
    kept = _links_in_item(item(client, share, token).json())["kept.pdf"]
    assert downloaded(client.get(kept, **header)) == b"%PDF-1.4 kept"


def _report_with_document() -> tuple[Report, Document]:
    author = Person.objects.create(name="Ada")
    report = Report.objects.create(title="t", summary="s", status="done", author=author)
    return report, Document.objects.create(report=report, title="d", file="manuals/guide.pdf")


def test_a_row_moved_to_an_object_the_page_reaches_only_backwards_is_not_served():
    """The page shows a report's author, not the author's other reports: a document moved to
    one of those is linked to the share, but not shown by it."""
    report, document = _report_with_document()
    role = RoleFactory(view=[Report, Document, Person])
    share = ShareFactory(content_object=report, role=role)
    visitor = Client()
    open_share(visitor, share)
    link = file_link(visitor, share)
    assert visitor.get(link).status_code == 200
    document.report = Report.objects.create(title="u", summary="s", author=report.author)
    document.save()
    assert_page_refused(visitor.get(link), Refusal.FILE_NOT_FOUND, text=FILE_GONE_TEXT)
    document.report = report  # moved back: shown again, served again
    document.save()
    assert downloaded(visitor.get(link)) == b"%PDF-1.4 the manual"


def _file_and_page_queries(rows: int) -> tuple[int, int]:
    """Queries of a granted visitor's file download and page reload, for a shared report with
    ``rows`` documents and comments."""
    report, _document = _report_with_document()
    for n in range(rows - 1):
        Document.objects.create(report=report, title=f"more {n}", file="manuals/guide.pdf")
    for n in range(rows):
        report.comments.create(author_name="a", body=f"comment {n}")
    role = RoleFactory(view=[Report, Document, Person, Comment])
    share = ShareFactory(content_object=report, role=role)
    visitor = Client()
    open_share(visitor, share)
    link = file_link(visitor, share)
    visitor.get(link)  # warm the process's caches (content types)
    with CaptureQueriesContext(connection) as file_queries:
        assert visitor.get(link).status_code == 200
    with CaptureQueriesContext(connection) as page_queries:
        assert visitor.get(share.get_absolute_url()).status_code == 200
    return len(file_queries), len(page_queries)


def test_a_file_costs_the_same_queries_however_many_rows_are_linked():
    few, many = _file_and_page_queries(1), _file_and_page_queries(30)
    assert few == many
    file_queries, page_queries = few
    # The page's queries, less those of relations that cannot lead to a document (comments).
    assert file_queries == page_queries - 1
