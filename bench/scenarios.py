"""What the share page benchmark measures, against the example project's demo data.

Import this only after ``django.setup()``: it imports models.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import random
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import Argon2PasswordHasher
from django.contrib.contenttypes.models import ContentType
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.models import Max
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext

from directus_shares import opening, signatures
from directus_shares.conf import get_config
from directus_shares.models import Share
from example_project.reports import demo_data
from example_project.reports.models import Report

from .timing import Case

HOST = "localhost"  # one of example_project's ALLOWED_HOSTS; the client's "testserver" is not


class Argon2Counter:
    """Counts every Argon2 hash computed through Django (``verify`` and ``encode``)."""

    def __init__(self) -> None:
        self.calls = 0

    @contextmanager
    def installed(self) -> Iterator[Argon2Counter]:
        originals = {name: getattr(Argon2PasswordHasher, name) for name in ("verify", "encode")}

        def counting(original: Callable[..., Any]) -> Callable[..., Any]:
            @functools.wraps(original)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                self.calls += 1
                return original(*args, **kwargs)

            return wrapper

        for name, original in originals.items():
            setattr(Argon2PasswordHasher, name, counting(original))
        try:
            yield self
        finally:
            for name, original in originals.items():
                setattr(Argon2PasswordHasher, name, original)


@dataclass
class Fixture:
    """The rows every case works on: the first demo report and two Reviewer shares of it."""

    report: Report
    open_share: Share  # the seeded "Open link": Reviewer, no password, unlimited uses
    password_share: Share  # created here: Reviewer, the demo password, unlimited uses
    expected_texts: list[str] = field(default_factory=list)

    @property
    def report_url(self) -> str:
        return self.report.get_absolute_url()


def seed() -> Fixture:
    """Seed the demo data and add a password share of the same report with the same role."""
    demo_data.seed()
    report = Report.objects.select_related("author").get(title=demo_data.REPORTS[0]["title"])
    open_share = Share.objects.for_object(report).get(name=demo_data.SHARES[0].name)
    if open_share.role is None or open_share.has_password or open_share.max_uses is not None:
        raise RuntimeError("The demo's open link is no longer a Reviewer share without limits.")
    password_share = Share(content_object=report, name="Benchmark: password", role=open_share.role)
    password_share.set_password(demo_data.SHARE_PASSWORD)
    password_share.save()
    texts = [report.title, report.author.name]
    texts += [tag.label for tag in report.tags.all()]
    texts += [comment.body for comment in report.comments.all()]
    return Fixture(report, open_share, password_share, texts)


def new_client() -> Client:
    return Client(SERVER_NAME=HOST)


def granted_client(share: Share, data: dict[str, str] | None = None) -> Client:
    """A client holding a grant for ``share`` (this open counts one use)."""
    client = new_client()
    response = client.post(share.get_absolute_url(), data or {})
    _expect_grant(response)
    return client


def _expect_grant(response: HttpResponse) -> None:
    cookie = get_config()["GRANT_COOKIE_NAME"]
    if response.status_code != 303 or cookie not in response.cookies:
        raise RuntimeError(f"Opening the share gave {response.status_code}, no grant cookie.")


def _expect_page(texts: list[str]) -> Callable[[HttpResponse], None]:
    def check(response: HttpResponse) -> None:
        if response.status_code != 200:
            raise RuntimeError(f"Expected the object page, got HTTP {response.status_code}.")
        body = response.content.decode()
        missing = [text for text in texts if text not in body]
        if missing:
            raise RuntimeError(f"The page lacks {missing!r}.")

    return check


def page_view(name: str, label: str, client: Client, url: str, texts: list[str]) -> Case:
    """A ``GET`` of ``url`` by the same client every time."""
    return Case(name, label, lambda: functools.partial(client.get, url), _expect_page(texts))


def counted_open(name: str, label: str, share: Share, data: dict[str, str]) -> Case:
    """A first ``POST`` on ``share`` by a fresh visitor: one counted use and a grant cookie."""
    url = share.get_absolute_url()
    return Case(name, label, lambda: functools.partial(new_client().post, url, data), _expect_grant)


@dataclass(frozen=True)
class CaseGroups:
    """The timed cases in the groups that take turns: page views, counted opens, password opens."""

    page_views: list[Case]
    opens: list[Case]
    password_opens: list[Case]


def cases(fx: Fixture) -> CaseGroups:
    """(a), (a2) and (c) – granted views and the plain page; (b) and (b2) – counted opens."""
    password = {"password": demo_data.SHARE_PASSWORD}
    open_url, password_url = fx.open_share.get_absolute_url(), fx.password_share.get_absolute_url()
    return CaseGroups(
        page_views=[
            page_view(
                "a",
                "share page, granted (open link)",
                granted_client(fx.open_share),
                open_url,
                fx.expected_texts,
            ),
            page_view(
                "a2",
                "share page, granted (password share)",
                granted_client(fx.password_share, password),
                password_url,
                fx.expected_texts,
            ),
            page_view(
                "c", "plain DetailView, same report", new_client(), fx.report_url, fx.expected_texts
            ),
        ],
        opens=[counted_open("b", "counted open (no password)", fx.open_share, {})],
        password_opens=[
            counted_open("b2", "counted open (password, Argon2)", fx.password_share, password)
        ],
    )


def inspect(case: Case, counter: Argon2Counter) -> tuple[list[str], int]:
    """The SQL one call of ``case`` runs and how many Argon2 hashes it computes (untimed)."""
    call = case.prepare()
    before = counter.calls
    with CaptureQueriesContext(connection) as queries:
        case.check(call())
    return [query["sql"] for query in queries.captured_queries], counter.calls - before


# -- share lookup at two table sizes, side by side ----------------------------------------------
#
# The small and the big share table live in two databases, both open at once, so lookups in one
# and the other take turns call by call: a busy machine slows both alike and cannot fake (or hide)
# a difference between the sizes.


class ShareLookupRouter:
    """Sends reads of shares – and of the auth and guardian models the share lookup joins, so
    that it stays one statement – to ``alias``; each lookup case sets it before its call."""

    alias = DEFAULT_DB_ALIAS
    joined_apps = frozenset({"directus_shares", "auth", "guardian"})

    def db_for_read(self, model: type[models.Model], **hints: Any) -> str | None:
        return type(self).alias if model._meta.app_label in self.joined_apps else None


def routed(case: Case, alias: str) -> Case:
    """``case`` with share reads sent to the database ``alias``."""

    def prepare() -> Callable[[], Any]:
        ShareLookupRouter.alias = alias
        return case.prepare()

    return dataclasses.replace(case, prepare=prepare)


def fill_shares(total: int, object_pk: str, *, using: str, batch_size: int = 10_000) -> None:
    """Add shares of report ``object_pk`` with fresh random keys until ``total`` rows exist."""
    content_type = ContentType.objects.db_manager(using).get_for_model(Report)
    shares = Share.objects.using(using)
    existing = shares.count()
    while existing < total:
        count = min(batch_size, total - existing)
        shares.bulk_create(
            [
                Share(
                    key=signatures.new_key(),
                    content_type=content_type,
                    object_pk=object_pk,
                    name="Benchmark filler",
                )
                for _ in range(count)
            ],
            batch_size=count,
        )
        existing += count
        if existing // 100_000 > (existing - count) // 100_000 or existing == total:
            print(f"  … {existing:,} shares", file=sys.stderr, flush=True)
    if connections[using].vendor == "postgresql":  # fresh statistics, as autovacuum would give
        with connections[using].cursor() as cursor:
            cursor.execute(f"ANALYZE {Share._meta.db_table}")


def sample_keys(count: int, rng: random.Random, *, using: str) -> list[str]:
    """Keys of up to ``count`` shares picked at random across the whole table."""
    shares = Share.objects.using(using)
    top = shares.aggregate(top=Max("pk"))["top"] or 0
    pks = rng.sample(range(1, top + 1), min(count, top))
    keys = list(shares.filter(pk__in=pks).values_list("key", flat=True))
    rng.shuffle(keys)
    return keys


def _expect_row(row: object) -> None:
    if row is None or row == (None, None):  # a cursor's row, or find_share's (share, rights)
        raise RuntimeError("The lookup did not find a share that exists.")


def lookup(name: str, label: str, keys: list[str], *, using: str) -> Case:
    """``opening.find_share`` for the link token of each key in turn."""
    cycle = itertools.cycle([signatures.link_token(key) for key in keys])
    find = opening.find_share
    case = Case(name, label, lambda: functools.partial(find, next(cycle)), _expect_row)
    return routed(case, using)


def lookup_sql(name: str, label: str, keys: list[str], *, using: str) -> Case:
    """The statement ``find_share`` runs first – the share row, found by its key – alone on a
    cursor: the database's part of the lookup that grows with the table."""
    cycle = itertools.cycle(keys)
    sql, params = _first_statement(keys[0], using=using)

    def fetch(key: str) -> Any:
        with connections[using].cursor() as cursor:
            cursor.execute(sql, _with_key(params, keys[0], key))
            return cursor.fetchone()

    return Case(name, label, lambda: functools.partial(fetch, next(cycle)), _expect_row)


def _with_key(params: Any, old: str, new: str) -> Any:
    """The parameters ``params`` (a list, or a mapping of named ones) with the key ``old``
    replaced by ``new``."""
    if isinstance(params, Mapping):
        return {name: new if value == old else value for name, value in params.items()}
    return [new if value == old else value for value in params]


def _first_statement(key: str, *, using: str) -> tuple[str, Any]:
    """The first statement ``find_share`` runs for ``key`` (the share row), with its
    parameters."""
    executed: list[tuple[str, Any]] = []

    def record(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        executed.append((sql, params))
        return execute(sql, params, many, context)

    ShareLookupRouter.alias = using
    with connections[using].execute_wrapper(record):
        opening.find_share(signatures.link_token(key))
    sql, params = executed[0] if executed else ("", [])
    if key not in (params.values() if isinstance(params, Mapping) else params):
        raise RuntimeError(f"find_share ran {executed!r}, not first a query with the key.")
    return sql, params


def explain_lookup(key: str, *, using: str) -> tuple[str, list[str]]:
    """The statement ``find_share`` runs first for ``key`` (the share row) and the database's
    plan for it."""
    connection = connections[using]
    sql, params = _first_statement(key, using=using)
    with connection.cursor() as cursor:
        cursor.execute(f"{connection.ops.explain_query_prefix()} {sql}", params)
        plan = [str(row[-1]) for row in cursor.fetchall()]
    return sql, plan
