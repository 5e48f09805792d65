"""The share API's OpenAPI document: it validates, describes every endpoint, and a bounded
property-based fuzz run (schemathesis) against it finds no server error."""

from __future__ import annotations

import base64

import pytest
import schemathesis
from django.contrib.auth.hashers import make_password
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.factories import GadgetFactory, RoleFactory, ShareFactory, UserFactory
from tests.testapp.models import Gadget

pytestmark = pytest.mark.django_db

SCHEMA_URL = "/api/schema/?format=json"


def test_the_openapi_document_validates_and_describes_every_endpoint(client):
    response = client.get(SCHEMA_URL)
    assert response.status_code == 200
    document = response.json()
    validate_schema(document)  # raises on an invalid OpenAPI 3 document
    paths = document["paths"]
    expected = {
        ("/api/shares/", "get"),
        ("/api/shares/", "post"),
        ("/api/shares/{id}/", "get"),
        ("/api/shares/{id}/", "patch"),
        ("/api/shares/{id}/", "delete"),
        ("/api/shares/{id}/revoke/", "post"),
        ("/api/shares/{id}/reenable/", "post"),
        ("/api/shares/{id}/rotate/", "post"),
        ("/api/shares/{id}/invite/", "post"),
        ("/api/shares/open/{token}/info/", "get"),
        ("/api/shares/open/{token}/auth/", "post"),
        ("/api/shares/open/{token}/item/", "get"),
        ("/api/shares/open/{token}/files/{reference}/", "get"),
    }
    assert expected <= {
        (path, method) for path, operations in paths.items() for method in operations
    }
    for status in ("401", "404", "410"):  # refusals are part of the contract
        assert status in paths["/api/shares/open/{token}/auth/"]["post"]["responses"]


@pytest.fixture
def api_schema(db):
    """The document as the app serves it, called in process through Django's WSGI handler,
    with data for the generated requests to find: a superuser and a few shares."""
    user = UserFactory(username="fuzzer", is_superuser=True)
    user.password = make_password("fuzz", hasher="md5")  # Argon2 per request would be slow
    user.save()
    role = RoleFactory(view=[Gadget])
    for password in (None, "pw"):
        ShareFactory(role=role, content_object=GadgetFactory(), created_by=user, password=password)
    # As Django's test client does: keep the test's database connection (and its transaction)
    # open across requests instead of closing it at the start and end of each one.
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi(SCHEMA_URL, get_wsgi_application())
    finally:
        for signal in (signals.request_started, signals.request_finished):
            signal.connect(close_old_connections)


AUTH = {"Authorization": "Basic " + base64.b64encode(b"fuzzer:fuzz").decode()}


def test_no_generated_request_makes_the_api_answer_with_a_server_error(api_schema):
    """A bounded run: a dozen generated requests per operation, authenticated as a superuser."""
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 12
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=12,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=AUTH, checks=[not_a_server_error])

        call()
