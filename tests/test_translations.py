"""The German catalog: the share page and the admin's Shares panel speak German, and every
message of every shipped catalog is translated, compiled and keeps its placeholders."""

from __future__ import annotations

import ast
import gettext
import os
import re
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.utils import timezone, translation

import directus_shares
from example_project.reports.models import Person, Report
from tests.factories import RoleFactory, ShareFactory, UserFactory

LOCALE_DIR = Path(directus_shares.__file__).parent / "locale"
CATALOGS = sorted(LOCALE_DIR.glob("*/LC_MESSAGES/*.po"))

# The project has no LocaleMiddleware; a site that lets visitors pick their language adds it.
WITH_LOCALE_MIDDLEWARE = [
    *settings.MIDDLEWARE[:2],
    "django.middleware.locale.LocaleMiddleware",
    *settings.MIDDLEWARE[2:],
]


# -- the share page ---------------------------------------------------------------------------


@pytest.mark.django_db
@override_settings(MIDDLEWARE=WITH_LOCALE_MIDDLEWARE)
def test_a_german_browser_is_refused_in_german():
    response = Client().get("/share/nope/", headers={"accept-language": "de-DE,de;q=0.9"})

    assert response.status_code == 404
    page = response.content.decode()
    assert '<html lang="de"' in page
    assert "<h1>Diesen Freigabelink gibt es nicht.</h1>" in page
    assert "Prüfen Sie, ob Sie den ganzen Link kopiert haben." in page
    assert "does not exist" not in page


@pytest.mark.django_db
@override_settings(LANGUAGE_CODE="de")
def test_a_german_site_refuses_an_expired_share_in_german():
    share = ShareFactory(date_end=timezone.now() - timedelta(days=1))

    response = Client().get(share.get_absolute_url())

    assert response.status_code == 410
    page = response.content.decode()
    assert "<h1>Diese Freigabe ist abgelaufen.</h1>" in page
    assert "Die Freigabe war bis" in page


@pytest.mark.django_db
@override_settings(LANGUAGE_CODE="de")
def test_a_german_visitor_is_asked_for_an_address_and_mailed_a_code_in_german(mailoutbox):
    share = ShareFactory(allowed_addresses=["anna@example.org"])
    client = Client()
    assert "Ihre E-Mail-Adresse" in client.get(share.get_absolute_url()).content.decode()
    data = {"csrfmiddlewaretoken": client.cookies["csrftoken"].value, "step": "email"}
    response = client.post(share.get_absolute_url(), {**data, "email": "anna@example.org"})
    assert "haben wir einen Code dorthin geschickt. Er gilt 10 Minuten lang." in (
        response.content.decode()
    )
    [message] = mailoutbox
    assert message.subject.startswith("Ihr Code: ")
    assert "Er gilt 10 Minuten lang und kann einmal verwendet werden." in message.body


# -- the admin --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_shares_panel_speaks_german_in_a_german_admin():
    author = Person.objects.create(name="Ada")
    report = Report.objects.create(title="Zahlen", summary="s", status="done", author=author)
    ShareFactory(content_object=report, name="Für den Vorstand", role=RoleFactory(view=[Report]))
    client = Client()
    client.force_login(UserFactory(is_superuser=True))

    with translation.override("de"):
        response = client.get(f"/admin/reports/report/{report.pk}/change/")

    assert response.status_code == 200
    page = response.content.decode()
    assert '<h2 id="ds-panel-title">Freigaben</h2>' in page
    assert ">Neue Freigabe</a>" in page
    for german in ("Aktiv", "Rolle", "Aktionen", "Link kopieren", "Link senden", "Widerrufen"):
        assert german in page
    assert "New share" not in page
    assert "Sichern" in page  # the admin's own German, next to the panel


@pytest.mark.django_db
def test_the_panel_says_in_german_why_nobody_can_open_a_share():
    author = Person.objects.create(name="Ada")
    report = Report.objects.create(title="Zahlen", summary="s", status="done", author=author)
    ShareFactory(content_object=report, name="Ohne Rolle", role=None)
    client = Client()
    client.force_login(UserFactory(is_superuser=True))

    with translation.override("de"):
        page = client.get(f"/admin/reports/report/{report.pk}/change/").content.decode()

    assert (
        "Niemand kann sie öffnen: sie gewährt nichts: sie hat keine Rolle, und keine öffentliche "
        "Rolle ist eingestellt." in page
    )


# -- the catalogs -----------------------------------------------------------------------------


def _entries(po: Path) -> list[dict[str, Any]]:
    """The entries of a .po file: flags, msgid, msgid_plural and msgstr / msgstr[n], unquoted.

    Obsolete (``#~``) entries are skipped: msgfmt does not compile them.
    """
    entries = []
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        entry: dict[str, Any] = {"flags": set()}
        key = None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
            elif line.startswith("#") or not line.strip():
                continue
            elif line.startswith('"'):
                entry[key] += ast.literal_eval(line)
            else:
                key, _, quoted = line.partition(" ")
                entry[key] = ast.literal_eval(quoted)
        if "msgid" in entry:
            entries.append(entry)
    return entries


def _translations(entry: dict[str, Any]) -> list[str]:
    return [value for key, value in entry.items() if key.startswith("msgstr")]


_PLACEHOLDER = re.compile(r"%\(\w+\)[sdrif]|\{\w*\}")


def test_there_is_a_german_catalog():
    assert LOCALE_DIR / "de" / "LC_MESSAGES" / "django.po" in CATALOGS


@pytest.mark.parametrize("po", CATALOGS, ids=lambda po: str(po.relative_to(LOCALE_DIR)))
def test_every_message_is_translated_and_none_is_fuzzy(po):
    entries = _entries(po)
    header, messages = entries[0], entries[1:]

    assert header["msgid"] == ""
    assert "fuzzy" not in header["flags"]
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header["msgstr"]
    assert messages
    assert [e["msgid"] for e in messages if "fuzzy" in e["flags"]] == []
    assert [e["msgid"] for e in messages if "" in _translations(e)] == []
    plurals = [e for e in messages if "msgid_plural" in e]
    assert all(set(e) >= {"msgstr[0]", "msgstr[1]"} for e in plurals)


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")
@pytest.mark.parametrize("po", CATALOGS, ids=lambda po: str(po.relative_to(LOCALE_DIR)))
def test_every_message_of_the_source_is_in_the_catalog(po, tmp_path):
    """What ``makemessages`` would find in the package today is in the catalog already: a new
    or changed message with no translation fails here, not in a German visitor's page."""
    package = Path(directus_shares.__file__).parent
    copy = tmp_path / package.name
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    language = po.parent.parent.name
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", language, "--no-location"],
        cwd=copy,
        check=True,
        capture_output=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": ""},
    )
    remade = copy / po.relative_to(package)
    missing = [e["msgid"] for e in _entries(remade)[1:] if "" in _translations(e)]
    assert missing == []


@pytest.mark.parametrize("po", CATALOGS, ids=lambda po: str(po.relative_to(LOCALE_DIR)))
def test_translations_keep_every_placeholder(po):
    wrong = []
    for entry in _entries(po)[1:]:
        wanted = sorted(_PLACEHOLDER.findall(entry["msgid"]))
        wanted_plural = sorted(_PLACEHOLDER.findall(entry.get("msgid_plural", "")))
        for key, text in entry.items():
            if key.startswith("msgstr") and sorted(_PLACEHOLDER.findall(text)) not in (
                wanted,
                wanted_plural,
            ):
                wrong.append((entry["msgid"], text))
    assert wrong == []


@pytest.mark.parametrize("po", CATALOGS, ids=lambda po: str(po.relative_to(LOCALE_DIR)))
def test_the_compiled_catalog_matches_its_source(po):
    """The wheel ships the .mo: it must be compiled from the .po as it is now."""
    with po.with_suffix(".mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)._catalog
    expected = {}
    for entry in _entries(po)[1:]:
        if "msgid_plural" in entry:
            for key, text in entry.items():
                if key.startswith("msgstr["):
                    expected[(entry["msgid"], int(key[7:-1]))] = text
        else:
            expected[entry["msgid"]] = entry["msgstr"]
    compiled.pop("", None)  # the header
    assert compiled == expected


@pytest.mark.django_db
@override_settings(
    LANGUAGE_CODE="de",
    DIRECTUS_SHARES={"PASSWORD_ATTEMPTS_PER_SHARE": (2, 3600)},
)
def test_a_share_locked_for_everybody_is_explained_and_mailed_in_german():
    from django.core import mail

    from tests.helpers import open_share

    share = ShareFactory(password="right", name="Vorstand", created_by=UserFactory(email="o@x.de"))
    for number in range(2):
        open_share(Client(REMOTE_ADDR=f"198.51.100.{number}"), share, "wrong")
    page = open_share(Client(), share, "right").content.decode()
    assert "daher ist sie 60 Minuten lang für alle gesperrt. Ihr Besitzer wurde" in page
    assert mail.outbox[0].subject == (
        "Ihre Freigabe „Vorstand“ ist nach zu vielen falschen Passwörtern gesperrt"
    )
