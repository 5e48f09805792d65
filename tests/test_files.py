"""Files are offered through the share, never by their storage URL, and only while shown."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from directus_shares.models import RoleSettings
from example_project.reports.models import Document, Person, Report
from tests.conftest import downloaded, file_link, open_share
from tests.factories import GadgetFactory, RoleFactory, ShareFactory, rule
from tests.testapp.models import Gadget

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


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


def test_a_forged_or_moved_reference_is_unknown():
    share = ShareFactory(content_object=GadgetFactory(manual="manuals/guide.pdf"))
    other = ShareFactory(content_object=GadgetFactory(manual="manuals/guide.pdf"))
    visitor, other_visitor = Client(), Client()  # the test client keeps one cookie per name
    open_share(visitor, share)
    open_share(other_visitor, other)
    reference = file_link(visitor, share).rstrip("/").rsplit("/", 1)[-1]
    moved = f"{other.get_absolute_url()}files/{reference}/"
    assert other_visitor.get(moved).status_code == 404
    assert visitor.get(f"{share.get_absolute_url()}files/{reference[:-2]}xx/").status_code == 404


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
