"""Steps the tests share: opening a share as a browser does, reading its page and files, and
changing the database at a chosen statement through Django's public ``execute_wrapper`` hook."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import django
from django.db import connection
from django.test import Client, override_settings

from directus_shares.models import Share, ShareRecipient
from directus_shares.tasks import FRAMEWORK, task_backends
from example_project.reports.models import Person, Report


def open_share(client: Client, share: Share, password: str | None = None):
    """Load the landing page, then submit it the way a browser does (with the CSRF token)."""
    url = share.get_absolute_url()
    client.get(url)
    if "csrftoken" not in client.cookies:  # a refusal page has no form, so it sets no CSRF cookie
        client.cookies["csrftoken"] = "a" * 32
    data = {"csrfmiddlewaretoken": client.cookies["csrftoken"].value}
    if password is not None:
        data["password"] = password
    return client.post(url, data)


def opened_through(recipient: ShareRecipient) -> Share:
    """``recipient``'s share as its own link reaches it: :func:`open_share` and the page's URL
    then use the recipient's link."""
    share = Share.objects.get(pk=recipient.share_id)
    share.via_recipient = recipient
    return share


def granted_page(share: Share, password: str | None = None) -> str:
    """The page a new visitor sees once ``share`` opened for them (asserting that it did)."""
    client = Client()
    assert open_share(client, share, password).status_code == 303
    response = client.get(share.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def opened_page(share: Share, client: Client | None = None):
    """The answer to a visitor's ``GET`` after opening ``share``, whatever it is."""
    client = client or Client(enforce_csrf_checks=True)
    open_share(client, share)
    return client.get(share.get_absolute_url())


def report_with_secrets(status: str = "review", notes: str = "SECRET-NOTES") -> Report:
    """An example project report whose confidential notes and author's phone say SECRET."""
    author = Person.objects.create(name="author-name", private_phone="SECRET-PHONE")
    return Report.objects.create(
        title="report-title", summary="s", status=status, author=author, confidential_notes=notes
    )


def file_link(client: Client, share: Share, url: str | None = None) -> str:
    """The first share-scoped file link on the page at ``url`` (default: the share's link)."""
    content = client.get(url or share.get_absolute_url()).content.decode()
    match = re.search(r'href="([^"]*/files/[^"]*)"', content)
    assert match, "no share-scoped file link on the page"
    return match.group(1)


def downloaded(response) -> bytes:
    """The body of a file download."""
    return b"".join(response.streaming_content)


def mail_backend(path: str):
    """Use the mail backend ``path`` (MAILERS from Django 6.1 on, EMAIL_BACKEND before)."""
    if django.VERSION >= (6, 1):
        return override_settings(MAILERS={"default": {"BACKEND": path}})
    return override_settings(EMAIL_BACKEND=path)


#: TASKS with the task framework's DummyBackend: tasks are queued and wait, as for a real queue
#: whose worker has not run yet (``queued_tasks``, ``run_queued``).
QUEUE_WITHOUT_WORKER = {"default": {"BACKEND": f"{FRAMEWORK}.backends.dummy.DummyBackend"}}


def queued_tasks(alias: str = "default") -> list[Any]:
    """The task results queued on the dummy backend ``alias`` (``QUEUE_WITHOUT_WORKER``)."""
    return task_backends[alias].results


def run_queued(alias: str = "default") -> list[Any]:
    """Run the tasks queued on ``alias`` as a worker would – their arguments read back from JSON,
    as a queue stores them – and return what each returned."""
    returned = []
    for result in queued_tasks(alias):
        args, kwargs = json.loads(json.dumps([result.args, result.kwargs]))
        returned.append(result.task.call(*args, **kwargs))
    return returned


def save_new_password(share: Share, password: str = "other") -> None:
    """Another request's change: a new password saved on a fresh copy of ``share``."""
    fresh = Share.objects.get(pk=share.pk)
    fresh.set_password(password)
    fresh.save()


def counting_statement(sql: str) -> bool:
    """Whether ``sql`` adds a use to a share (alone, or in a statement that also logs it)."""
    quote = connection.ops.quote_name
    table, used = quote(Share._meta.db_table), quote(Share._meta.get_field("times_used").column)
    return f"UPDATE {table} SET {used}" in sql


@contextmanager
def before_counting(change: Callable[[], Any]) -> Iterator[None]:
    """Run ``change`` once, after every check of an open and just before the statement that
    counts its use – as another request changing the share or its object at that moment."""
    done = False

    def wrapper(execute, sql, params, many, context):
        nonlocal done
        if not done and counting_statement(sql):
            done = True
            change()
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield


@contextmanager
def database_fails_on(
    statement: Callable[[str], bool], raising: Exception | None = None
) -> Iterator[list[str]]:
    """Make every statement for which ``statement(sql)`` holds fail with a real database error
    (on PostgreSQL one that aborts the transaction) – or raise ``raising`` instead, as a bug in
    the code that runs it would; yields the statements it failed."""
    failed: list[str] = []

    def wrapper(execute, sql, params, many, context):
        if not statement(sql):
            return execute(sql, params, many, context)
        failed.append(sql)
        if raising is not None:
            raise raising
        return execute("SELECT * FROM no_such_table", (), False, context)

    with connection.execute_wrapper(wrapper):
        yield failed
