"""The share page in a real browser: what a recipient does, with the browser's own rules
(referrer policy, the form's ``Origin``, cookies, redirects and CSRF as browsers do them)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.signals import request_started
from django.test import override_settings

from directus_shares.models import Share
from tests.factories import GadgetFactory, ShareFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_visitor_opens_a_password_share_until_its_uses_are_spent(live_server, new_page):
    share = ShareFactory(
        name="For the board",
        password="open sesame",
        max_uses=1,
        content_object=GadgetFactory(name="Prototype 9", colour="r"),
    )
    url = live_server.url + share.get_absolute_url()

    page = new_page()
    response = page.goto(url)
    assert response.status == 200
    assert response.headers["referrer-policy"] == "same-origin"
    assert page.locator("h1").inner_text() == "This share is protected by a password"
    assert "For the board" not in page.content()

    page.fill("#ds-password", "wrong")
    page.click("button[type=submit]")
    assert page.locator("#ds-error").inner_text() == "That password is not correct."

    page.fill("#ds-password", "open sesame")
    page.click("button[type=submit]")
    page.wait_for_selector(".ds-object")
    assert "Prototype 9" in page.content() and "Red" in page.content()
    page.reload()
    assert "Prototype 9" in page.content()
    assert Share.objects.get(pk=share.pk).times_used == 1

    other = new_page()
    assert other.goto(url).status == 410
    assert other.locator("h1").inner_text() == "This share has been used up."


def test_a_visitor_clicks_view_on_a_passwordless_share(live_server, new_page):
    share = ShareFactory(max_uses=3, content_object=GadgetFactory(name="Open gadget"))
    page = new_page()
    page.goto(live_server.url + share.get_absolute_url())
    assert "3 uses left" in page.content()
    page.click("text=View")
    page.wait_for_selector(".ds-object")
    assert "Open gadget" in page.content()
    assert Share.objects.get(pk=share.pk).times_used == 1


# -- the link stays on the site: Referer and Origin ---------------------------------------------


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def watch_requests(page) -> list:
    """Every request the page makes, in order (read their headers once the page is done)."""
    seen: list = []
    page.on("request", lambda request: seen.append(request))
    return seen


@pytest.mark.parametrize("password", ["open sesame", None])
def test_the_form_posts_its_real_origin_and_djangos_own_check_lets_it_through(
    live_server, new_page, password
):
    share = ShareFactory(password=password, content_object=GadgetFactory(name="Checked gadget"))
    url = live_server.url + share.get_absolute_url()
    page = new_page()
    requests = watch_requests(page)
    page.goto(url)
    if password:
        page.fill("#ds-password", password)
    page.click("button[type=submit]")
    page.wait_for_selector(".ds-object")
    assert "Checked gadget" in page.content()
    [post] = [request for request in requests if request.method == "POST"]
    assert post.url == url
    # not "null", as under no-referrer: CsrfViewMiddleware's own origin check accepts it
    assert post.all_headers()["origin"] == origin_of(live_server.url)
    assert Share.objects.get(pk=share.pk).times_used == 1


class Recorder(http.server.BaseHTTPRequestHandler):
    """Another site: answers everything and notes each request's path and headers."""

    seen: list[tuple[str, dict[str, str]]] = []
    types = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}

    def do_GET(self) -> None:
        self.seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
        kind = self.types.get(self.path[self.path.rfind(".") :], "text/html")
        body = b'<svg xmlns="http://www.w3.org/2000/svg"/>' if kind == "image/svg+xml" else b""
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def other_site() -> Iterator[tuple[str, list[tuple[str, dict[str, str]]]]]:
    """A second loopback origin and the requests it received."""
    seen: list[tuple[str, dict[str, str]]] = []
    handler = type("Recording", (Recorder,), {"seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


# A project's own template for the shared object that loads and links another site, with none
# of the no-referrer attributes the app's templates carry: the page's policy alone must do.
GADGET_TEMPLATE = """{% extends "directus_shares/object.html" %}
{% block extra_head %}<link rel="stylesheet" href="OTHER/style.css">
<script src="OTHER/script.js"></script>{% endblock %}
{% block content %}{{ block.super }}<img src="OTHER/pixel.svg" alt="">
<a id="away" href="OTHER/away">away</a>{% endblock %}"""


def test_no_request_to_another_site_and_no_static_file_carries_the_link(
    live_server, new_page, other_site, tmp_path
):
    other, received = other_site
    folder = tmp_path / "directus_shares" / "objects" / "testapp"
    folder.mkdir(parents=True)
    (folder / "gadget.html").write_text(GADGET_TEMPLATE.replace("OTHER", other))
    share = ShareFactory(
        content_object=GadgetFactory(name="Linked gadget", homepage=f"{other}/homepage")
    )
    url = live_server.url + share.get_absolute_url()
    token = share.get_absolute_url().strip("/").rsplit("/", 1)[-1]
    assert share.key in token

    arrived: list[tuple[str, str]] = []  # what reached this site: path and Referer

    def note(environ, **kwargs) -> None:
        arrived.append((environ["PATH_INFO"], environ.get("HTTP_REFERER", "")))

    request_started.connect(note)
    try:
        with override_settings(TEMPLATES=[{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]):
            page = new_page()
            requests = watch_requests(page)
            page.goto(url)
            page.click("text=View")
            page.wait_for_selector(".ds-object")
            page.wait_for_load_state("load")
            page.click("#away")  # a plain link of the project's template
            page.wait_for_url(f"{other}/away")
            page.go_back()
            page.wait_for_selector(".ds-object")
            page.click(f"a[href='{other}/homepage']")  # a field's link, as the app writes it
            page.wait_for_url(f"{other}/homepage")
    finally:
        request_started.disconnect(note)

    paths = [path for path, _ in received]
    assert {"/style.css", "/script.js", "/pixel.svg", "/away", "/homepage"} <= set(paths), paths
    site = origin_of(live_server.url)
    for path, headers in received:  # what reached the other site (its own pages may name it)
        assert origin_of(headers.get("referer", other)) == other, (path, headers)
        assert share.key not in str(headers) and share.key not in path
    for request in requests:  # what the browser sent to other sites, as it reports it
        if origin_of(request.url) != site:
            headers = request.all_headers()
            assert share.key not in str(headers), (request.url, headers)
    # This site saw the link in a Referer only on the share URL itself (the form's POST, the
    # redirect after it and the reload by "back"), never on its static files or a /favicon.ico.
    assert "/static/directus_shares/share.css" in dict(arrived)
    for path, referer in arrived:
        assert share.key not in referer or path == share.get_absolute_url(), (path, referer)
    assert "/favicon.ico" not in dict(arrived)
