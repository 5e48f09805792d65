"""The share API's OpenAPI document: it validates, describes every endpoint, and a bounded
property-based run (schemathesis) finds every answer as the document describes it – status,
content type, headers and body."""

from __future__ import annotations

import base64
from dataclasses import dataclass

import pytest
import schemathesis
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from directus_shares.api.open import SCHEME, issue_access_token
from tests.factories import GadgetFactory, RoleFactory, ShareFactory, UserFactory
from tests.testapp.models import Gadget

pytestmark = pytest.mark.django_db

SCHEMA_URL = "/api/schema/?format=json"
EXAMPLES = 8  # per operation: the whole run stays near a minute on a quiet machine


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
        ("/api/shares/{id}/recipients/", "get"),
        ("/api/shares/{id}/recipients/", "post"),
        ("/api/shares/{id}/recipients/{recipient_id}/", "get"),
        ("/api/shares/{id}/recipients/{recipient_id}/", "delete"),
        ("/api/shares/{id}/recipients/{recipient_id}/revoke/", "post"),
        ("/api/shares/{id}/recipients/{recipient_id}/enable/", "post"),
        ("/api/shares/{id}/recipients/{recipient_id}/rotate/", "post"),
        ("/api/shares/{id}/recipients/{recipient_id}/allow-device/", "post"),
        ("/api/shares/{id}/recipients/{recipient_id}/resend/", "post"),
        ("/api/shares/open/{token}/info/", "get"),
        ("/api/shares/open/{token}/auth/", "post"),
        ("/api/shares/open/{token}/code/", "post"),
        ("/api/shares/open/{token}/verify/", "post"),
        ("/api/shares/open/{token}/item/", "get"),
        ("/api/shares/open/{token}/files/{reference}/", "get"),
    }
    assert expected <= {
        (path, method) for path, operations in paths.items() for method in operations
    }
    for status in ("401", "404", "410"):  # refusals are part of the contract
        assert status in paths["/api/shares/open/{token}/auth/"]["post"]["responses"]
    for status in ("400", "403", "410", "429"):  # each refused code is too
        assert status in paths["/api/shares/open/{token}/verify/"]["post"]["responses"]
    assert "429" in paths["/api/shares/open/{token}/code/"]["post"]["responses"]
    resend = paths["/api/shares/{id}/recipients/{recipient_id}/resend/"]["post"]
    assert {"200", "202", "404", "409"} <= set(resend["responses"])
    assert "requestBody" not in resend
    recipient = document["components"]["schemas"]["Recipient"]["properties"]
    assert {"devices", "device_limit", "extra_devices", "forwarded_at"} <= set(recipient)
    share = document["components"]["schemas"]["Share"]["properties"]
    assert share["devices_per_recipient"]["minimum"] == 1


@dataclass
class Data:
    """What the generated requests may find: link tokens, access tokens and share ids."""

    links: list[str]
    access: dict[str, str]  # link token -> an access token for it
    ids: list[int]


def fresh_data(user: User) -> Data:
    """Three shares of ``user`` (one with a password, one restricted to e-mail addresses) – new
    for each operation, as the ones before may have deleted, revoked or rotated theirs."""
    role = RoleFactory(view=[Gadget])
    shares = [
        ShareFactory(
            role=role,
            content_object=GadgetFactory(),
            created_by=user,
            password=password,
            allowed_addresses=allowed,
        )
        for password, allowed in ((None, []), ("pw", []), (None, ["@example.com"]))
    ]
    return Data(
        links=[share.token for share in shares],
        access={share.token: issue_access_token(share) for share in shares},
        ids=[share.pk for share in shares],
    )


@pytest.fixture
def api_schema(db):
    """The document as the app serves it, called in process through Django's WSGI handler,
    and the superuser the generated requests authenticate as."""
    user = UserFactory(username="fuzzer", is_superuser=True)
    user.password = make_password("fuzz", hasher="md5")  # Argon2 per request would be slow
    user.save()
    # As Django's test client does: keep the test's database connection (and its transaction)
    # open across requests instead of closing it at the start and end of each one.
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi(SCHEMA_URL, get_wsgi_application()), user
    finally:
        for signal in (signals.request_started, signals.request_finished):
            signal.connect(close_old_connections)


AUTH = {"Authorization": "Basic " + base64.b64encode(b"fuzzer:fuzz").decode()}
#: The document's promises, checked on every answer: no server error, only documented statuses,
#: content types and headers, and bodies that match the documented schema (errors included).
CONFORMANCE = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def test_every_generated_request_gets_an_answer_the_document_describes(api_schema):
    """A bounded run: a few generated requests per operation, authenticated as a superuser,
    most of them with a real share's link token, access token or id so that they reach past
    the 404 of an unknown share."""
    schema, user = api_schema
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12
    for operation in operations:
        check_operation(operation, fresh_data(user))


def check_operation(operation: schemathesis.APIOperation, data: Data) -> None:
    """Generated requests for ``operation``, each answer checked against the document."""

    @given(case=operation.as_strategy(), pick=st.integers(0, 3))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def call(case: schemathesis.Case, pick: int) -> None:
        headers = dict(AUTH)
        parameters = case.path_parameters or {}
        if "token" in parameters and pick < len(data.links):  # else the generated token
            parameters["token"] = data.links[pick]
            if "Authorization" not in (case.headers or {}):
                headers["Authorization"] = f"{SCHEME} {data.access[data.links[pick]]}"
        if "id" in parameters and pick < len(data.ids):
            parameters["id"] = data.ids[pick]
        case.call_and_validate(headers=headers, checks=CONFORMANCE)

    call()
