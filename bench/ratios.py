"""Ratios benchmark: ``python -m bench.ratios [--quick] [--database-url URL] [--tuning both]``.

Serves the example project as a user gets it (``example_project.settings``: ``DATABASE_URL`` with
the defaults of ``example_project/databases.py``, the cache in Redis through ``REDIS_URL``,
``DEBUG`` off) with gunicorn sync workers (``bench/server.py``), and loads it with an ordinary
HTTP client – Python's ``http.client``, a few threads, a new connection per request (keep-alive
off: gunicorn's sync workers close every connection anyway) – in alternating rounds of: the plain
report ``DetailView``, the granted share page, counted opens through the page and the API, API
item reads with an access token and wrong passwords (checked, and refused by the limit), and
optionally a Directus 11 peer's ``/shares/auth``, share-token item read and wrong password. It
prints ratios measured in the same run, then checks that every use was counted exactly and that
a burst of concurrent opens met no "database is locked" (every 5xx is printed).
It reports; it never fails on timings. See ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import django

from .server import HOST, REDIS_URL, ServerConfig, run_benchmark
from .share_page import progress

SETTINGS_MODULE = "example_project.settings"
OPENS_MAX_USES = 1_000_000_000  # "enough": the opens never use the share up
WRONG_PASSWORD = "not-the-password"
#: Password shares whose wrong passwords are checked (each allows 50 an hour, the shipped limit).
WRONG_PASSWORD_SHARES = 60
#: Where the limited wrong passwords come from (X-Forwarded-For): locked after its first five.
LOCKED_ADDRESS = "192.0.2.1"
#: Issue 14's targets, on the example project's defaults: (numerator, denominator, at least).
TARGETS = {
    "sqlite": [
        ("page_opens", "plain", 0.5),
        ("api_opens", "plain", 0.5),
        ("page_opens", "peer_opens", 2.0),
        ("api_opens", "peer_opens", 2.0),
    ],
    "postgresql": [
        ("share_page", "plain", 0.9),
        ("page_opens", "peer_opens", 4.0),
        ("api_opens", "peer_opens", 4.0),
        ("api_reads", "peer_reads", 3.0),
    ],
}
BURST_TARGET = 400  # concurrent opens that must not meet "database is locked" (SQLite)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.ratios", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server (postgres://…): throwaway databases next to the one named are "
        "created and dropped, the named one is not written. Default: SQLite files in a temporary "
        "directory",
    )
    parser.add_argument(
        "--tuning",
        choices=["on", "off", "both"],
        default="both",
        help="on: the example project's recommended database settings (its default); off: "
        "Django's defaults (DATABASE_TUNING=0); both: off and on side by side (both)",
    )
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers (4)")
    parser.add_argument("--threads", type=int, default=8, help="client threads (8)")
    parser.add_argument(
        "--seconds", type=float, help="timed seconds per case and round (2; quick: 1)"
    )
    parser.add_argument("--rounds", type=int, help="rounds of all cases, in turn (12; quick: 1)")
    parser.add_argument(
        "--warmup", type=float, help="untimed seconds per case first (1; quick: 0.3)"
    )
    parser.add_argument(
        "--burst",
        type=int,
        help=f"concurrent counted opens at the end ({BURST_TARGET}; quick: 100)",
    )
    parser.add_argument("--redis-url", default=REDIS_URL, help=f"the cache ({REDIS_URL})")
    peer = parser.add_argument_group(
        "peer", "a Directus 11 measured in the same rounds (the URL, two shares and the item)"
    )
    peer.add_argument("--peer-url", help="its base URL, e.g. http://127.0.0.1:8055")
    for flag, about in [
        ("--peer-share", "a share without password, large max uses: the counted opens"),
        ("--peer-read-share", "a share without password whose token reads (--peer-share)"),
        ("--peer-password-share", "a share with a password: the wrong passwords"),
    ]:
        peer.add_argument(flag, metavar="ID", help=about)
    peer.add_argument(
        "--peer-item",
        metavar="PATH",
        help="the shared item under /items/, with its query, e.g. 'reports/1?fields=*,author.*'",
    )
    parser.add_argument("--quick", action="store_true", help="smoke run (about half a minute)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results here")
    args = parser.parse_args(argv)
    quick = args.quick
    for name, full, short in [
        ("seconds", 2.0, 1.0), ("rounds", 12, 1), ("warmup", 1.0, 0.3), ("burst", BURST_TARGET, 100)
    ]:  # fmt: skip
        if getattr(args, name) is None:
            setattr(args, name, short if quick else full)
    if args.database_url and not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("--database-url must name a PostgreSQL server (SQLite is the default).")
    peer_options = [args.peer_url, args.peer_share, args.peer_password_share, args.peer_item]
    if any(peer_options) and not all(peer_options):
        parser.error(
            "A peer needs --peer-url, --peer-share, --peer-password-share and --peer-item."
        )
    return args


# -- the client ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """One request of a case; ``ok`` says whether the answer is the one the case is about."""

    method: str
    url: str  # absolute: the peer may live elsewhere
    ok: Callable[[int, bytes], bool]
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Reply:
    status: int  # 0: no HTTP answer (connection refused or reset, timeout)
    elapsed_ns: int
    ok: bool


def send(request: Request) -> Reply:
    """One request on a new connection (``Connection: close``), timed from connect to body."""
    parts = urlsplit(request.url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    start = time.perf_counter_ns()
    connection = http.client.HTTPConnection(parts.hostname or HOST, parts.port or 80, timeout=120)
    try:
        connection.request(
            request.method, path, request.body, {**request.headers, "Connection": "close"}
        )
        response = connection.getresponse()
        status, body = response.status, response.read()
    except OSError:
        status, body = 0, b""
    finally:
        connection.close()
    return Reply(status, time.perf_counter_ns() - start, request.ok(status, body))


#: A case sends one request again and again, or takes turns through several (e.g. a wrong
#: password per share and client address, so that no limit is reached); or it is the
#: :func:`turns` of one, which goes on where the last round stopped.
Case = Request | tuple[Request, ...] | Callable[[], Request]


def turns(case: Case) -> Callable[[], Request]:
    """The next request of ``case`` each call (safe across threads: ``itertools.count``)."""
    if isinstance(case, Request):
        return lambda: case
    if callable(case):
        return case
    counter = itertools.count()
    return lambda: case[next(counter) % len(case)]


def closed_loop(case: Case, threads: int, seconds: float) -> tuple[list[Reply], float]:
    """``threads`` clients, each sending the next request as soon as the last one answered."""
    replies: list[Reply] = []
    lock = threading.Lock()
    next_request = turns(case)
    start = time.monotonic()
    deadline = start + seconds

    def client() -> None:
        mine = []
        while time.monotonic() < deadline:
            mine.append(send(next_request()))
        with lock:
            replies.extend(mine)

    _in_threads(client, threads)
    return replies, time.monotonic() - start


def burst(case: Case, count: int) -> list[Reply]:
    """``count`` requests released at once, each from its own thread."""
    next_request = turns(case)
    barrier = threading.Barrier(count)
    replies: list[Reply] = []
    lock = threading.Lock()

    def client() -> None:
        request = next_request()
        barrier.wait()
        reply = send(request)
        with lock:
            replies.append(reply)

    _in_threads(client, count)
    return replies


def _in_threads(target: Callable[[], None], count: int) -> None:
    """Run ``target`` in ``count`` threads at once and wait for all of them."""
    workers = [threading.Thread(target=target) for _ in range(count)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


# -- summaries (pure) ---------------------------------------------------------------------------


@dataclass
class CaseResult:
    """Every round of one case: (replies, seconds); warm-up replies kept apart."""

    label: str
    rounds: list[tuple[list[Reply], float]] = field(default_factory=list)
    warmup: list[Reply] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        timed = [reply for replies, _ in self.rounds for reply in replies]
        rates = [sum(r.ok for r in replies) / seconds for replies, seconds in self.rounds]
        latencies = sorted(reply.elapsed_ns for reply in timed) or [0]
        return {
            "label": self.label,
            "requests": len(timed),
            "per_second": round(statistics.median(rates), 1) if rates else 0.0,
            "per_second_by_round": [round(rate, 1) for rate in rates],
            "p50_ms": round(statistics.median(latencies) / 1e6, 2),
            "p95_ms": round(latencies[max(int(0.95 * len(latencies) + 0.5) - 1, 0)] / 1e6, 2),
            "statuses": dict(sorted(Counter(r.status for r in self.warmup + timed).items())),
            "unexpected": sum(not reply.ok for reply in timed),
        }


RATIOS = [
    ("share_page", "plain", "share page / plain page"),
    ("page_opens", "plain", "counted opens (page POST) / plain page"),
    ("api_opens", "plain", "counted opens (API) / plain page"),
    ("api_reads", "plain", "API item reads / plain page"),
    ("wrong_passwords", "plain", "wrong passwords, checked / plain page"),
    ("locked_passwords", "plain", "wrong passwords, 429 / plain page"),
    ("page_opens", "peer_opens", "counted opens (page POST) / Directus opens"),
    ("api_opens", "peer_opens", "counted opens (API) / Directus opens"),
    ("api_reads", "peer_reads", "API item reads / Directus item reads"),
    ("wrong_passwords", "peer_wrong_passwords", "wrong passwords, checked / Directus's"),
    ("locked_passwords", "peer_wrong_passwords", "wrong passwords, 429 / Directus's (checked)"),
    ("peer_opens", "plain", "Directus opens / plain page"),
]


def ratios(cases: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Throughput and median-latency ratios of the cases' summaries (the pairs both present)."""
    found = []
    for numerator, denominator, label in RATIOS:
        a, b = cases.get(numerator), cases.get(denominator)
        if not a or not b or not b["per_second"] or not b["p50_ms"]:
            continue
        found.append(
            {
                "label": label,
                "pair": [numerator, denominator],
                "throughput": round(a["per_second"] / b["per_second"], 2),
                "median_latency": round(a["p50_ms"] / b["p50_ms"], 2),
            }
        )
    return found


def targets(vendor: str, found: list[dict[str, Any]], burst_5xx: int, burst_size: int) -> list[str]:
    """Issue 14's targets for ``vendor``, each met or missed and by how much."""
    lines = []
    by_pair = {tuple(ratio["pair"]): ratio["throughput"] for ratio in found}
    for numerator, denominator, least in TARGETS.get(vendor, []):
        value = by_pair.get((numerator, denominator))
        if value is None:
            continue
        verdict = "met" if value >= least else "MISSED"
        lines.append(
            f"[{verdict:^6}] {numerator} / {denominator} throughput >= {least}x: {value:.2f}x "
            f"({value - least:+.2f})"
        )
    if vendor == "sqlite":
        verdict = "met" if burst_5xx == 0 and burst_size >= BURST_TARGET else "MISSED"
        if burst_size < BURST_TARGET:
            verdict = "n/a"
        lines.append(
            f"[{verdict:^6}] no 5xx / 'database is locked' in {burst_size} concurrent opens: "
            f"{burst_5xx}"
        )
    return lines


# -- the databases ------------------------------------------------------------------------------


def setup_django(template_url: str, redis_url: str, media: Path) -> None:
    """This process seeds and counts with the example project's settings, at Django's defaults
    (a SQLite file stays in its rollback journal until a variant's server opens a copy)."""
    os.environ.update(
        DJANGO_SETTINGS_MODULE=SETTINGS_MODULE,
        DATABASE_URL=template_url,
        DATABASE_TUNING="0",
        DJANGO_DEBUG="0",
        REDIS_URL=redis_url,
    )
    django.setup()
    from django.test.utils import override_settings

    override_settings(MEDIA_ROOT=media).enable()  # the demo's upload: example_project/media stays


def with_name(url: str, name: str) -> str:
    """The PostgreSQL ``url`` naming another database."""
    return urlsplit(url)._replace(path=f"/{name}").geturl()


@dataclass(frozen=True)
class Template:
    """The migrated, seeded database: what it holds, and how to copy it for one variant."""

    fixture: Fixture
    vendor: str
    machine: dict[str, Any]
    copy: Callable[[str], str]  # variant name -> its database URL


@contextmanager
def databases(args: argparse.Namespace, workdir: Path) -> Iterator[Template]:
    """A migrated, seeded template, copied for each variant (a fresh database each: a SQLite
    file keeps the WAL mode once set). Everything is dropped at the end."""
    if not args.database_url:
        template = workdir / "template.sqlite3"

        def sqlite_copy(variant: str) -> str:
            copy = workdir / f"{variant}.sqlite3"
            shutil.copyfile(template, copy)
            return f"sqlite:///{copy}"

        setup_django(f"sqlite:///{template}", args.redis_url, workdir / "media")
        yield Template(*_migrate_and_seed(), sqlite_copy)
        return
    import psycopg

    base = f"bench_ratios_{os.getpid()}"
    admin = psycopg.connect(args.database_url, autocommit=True)
    created = [base]
    admin.execute(f'CREATE DATABASE "{base}"')
    try:
        setup_django(with_name(args.database_url, base), args.redis_url, workdir / "media")
        seeded = _migrate_and_seed()  # closes its connection: a template must have none

        def postgres_copy(variant: str) -> str:
            name = f"{base}_{variant}"
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{base}"')
            created.append(name)
            return with_name(args.database_url, name)

        yield Template(*seeded, postgres_copy)
    finally:
        from django.db import connections

        connections.close_all()
        for name in reversed(created):
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _migrate_and_seed() -> tuple[Fixture, str, dict[str, Any]]:
    from django.core.management import call_command
    from django.db import connection, connections

    from .share_page import machine

    progress("Migrating and seeding the demo data …")
    call_command("migrate", verbosity=0)
    seeded = fixture(), connection.vendor, machine()
    connections.close_all()
    return seeded


@dataclass(frozen=True)
class Fixture:
    plain_path: str  # the report's DetailView
    title: str
    read_token: str  # the demo's "Open link": page and API reads
    open_token: str  # counted opens, no password, OPENS_MAX_USES
    password_token: str  # the demo's password share: the limited wrong passwords (429)
    wrong_tokens: tuple[str, ...]  # password shares like it: the checked wrong passwords


def fixture() -> Fixture:
    """Seed the demo (idempotent: seeding again keeps the links) and add the opens' share and
    the checked wrong passwords' shares (the demo password's hash, copied: no hashing here)."""
    from directus_shares.models import Share
    from example_project.reports import demo_data

    demo_data.seed()
    read = Share.objects.get(name="Open link")
    opens, _ = Share.objects.get_or_create(
        name="Ratios: counted opens",
        defaults={
            "content_object": read.content_object,
            "role": read.role,
            "created_by": read.created_by,
            "max_uses": OPENS_MAX_USES,
        },
    )
    protected = Share.objects.get(name="Password protected")
    wrong = [
        Share.objects.get_or_create(
            name=f"Ratios: wrong passwords {number}",
            defaults={
                "content_object": protected.content_object,
                "role": protected.role,
                "created_by": protected.created_by,
                "password": protected.password,
            },
        )[0].token
        for number in range(WRONG_PASSWORD_SHARES)
    ]
    return Fixture(
        demo_data.first_report_url(),
        demo_data.REPORTS[0]["title"],
        read.token,
        opens.token,
        protected.token,
        tuple(wrong),
    )


# -- one variant --------------------------------------------------------------------------------


def cases(base: str, fx: Fixture, args: argparse.Namespace) -> dict[str, Case]:
    """The requests of every case; the grant cookie and the access token are made here (two
    counted opens of the read share), and the peer's access token (one open of its share).

    Every request to the project names its client address in ``X-Forwarded-For`` (the server
    trusts one proxy, :func:`run_variant`): 127.0.0.1 as the socket would, one address per
    checked wrong password (so the per-address limit of five in 15 minutes is never reached and
    each password is checked) and :data:`LOCKED_ADDRESS` for the limited ones (429 after five).
    """
    title = fx.title.encode()

    def page(status: int, body: bytes) -> bool:
        return status == 200 and title in body

    def token(status: int, body: bytes) -> bool:
        return status == 200 and b'"access_token"' in body

    local = {"X-Forwarded-For": HOST}
    share = f"{base}/share/{fx.read_token}/"
    api = f"{base}/api/shares/open/"
    json_headers = {"Content-Type": "application/json", **local}
    csrf, cookie = _grant(share)
    access = _prepare(Request("POST", f"{api}{fx.read_token}/auth/", token, b"{}", json_headers))
    opens_page = f"{base}/share/{fx.open_token}/"
    wrong = json.dumps({"password": WRONG_PASSWORD}).encode()
    found: dict[str, Case] = {
        "plain": Request("GET", base + fx.plain_path, page, headers=local),
        "share_page": Request("GET", share, page, headers={"Cookie": cookie, **local}),
        "page_opens": Request(
            "POST",
            opens_page,
            lambda status, body: status == 303,
            urlencode({"csrfmiddlewaretoken": csrf}).encode(),
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={csrf}",
                "Referer": opens_page,
                **local,
            },
        ),
        "api_opens": Request("POST", f"{api}{fx.open_token}/auth/", token, b"{}", json_headers),
        "api_reads": Request(
            "GET",
            f"{api}{fx.read_token}/item/",
            page,
            headers={"Authorization": f"Share {json.loads(access)['access_token']}", **local},
        ),
        "wrong_passwords": tuple(
            Request(
                "POST",
                f"{api}{fx.wrong_tokens[number % len(fx.wrong_tokens)]}/auth/",
                lambda status, body: status == 401,
                wrong,
                {**json_headers, "X-Forwarded-For": f"10.{number >> 8}.{number & 255}.1"},
            )
            # The shares' limits hold 3 000 an hour, the addresses' 20 480 in 15 minutes.
            for number in range(4096)
        ),
        "locked_passwords": Request(
            "POST",
            f"{api}{fx.password_token}/auth/",
            lambda status, body: status == 429,
            wrong,
            {**json_headers, "X-Forwarded-For": LOCKED_ADDRESS},
        ),
    }
    if args.peer_url:
        found.update(peer_cases(args))
    return found


def peer_cases(args: argparse.Namespace) -> dict[str, Request]:
    """Directus 11: ``POST /shares/auth`` on a share without password (each one a use), the shared
    item read with an access token of the read share, and a wrong password on a password share."""
    base = args.peer_url.rstrip("/")
    auth = f"{base}/shares/auth"
    json_headers = {"Content-Type": "application/json"}

    def token(status: int, body: bytes) -> bool:
        return status == 200 and b'"access_token"' in body

    body = json.dumps({"share": args.peer_share}).encode()
    opens = Request("POST", auth, token, body, json_headers)
    read = json.dumps({"share": args.peer_read_share or args.peer_share}).encode()
    answer = _prepare(Request("POST", auth, token, read, json_headers))
    access = json.loads(answer)["data"]["access_token"]
    return {
        "peer_opens": opens,
        "peer_reads": Request(
            "GET",
            f"{base}/items/{args.peer_item.lstrip('/')}",
            lambda status, body: status == 200 and b'"data"' in body,
            headers={"Authorization": f"Bearer {access}"},
        ),
        "peer_wrong_passwords": Request(
            "POST",
            auth,
            lambda status, body: status == 401,
            json.dumps({"share": args.peer_password_share, "password": WRONG_PASSWORD}).encode(),
            json_headers,
        ),
    }


LABELS = {
    "plain": "plain report page (DetailView)",
    "share_page": "share page, granted (GET)",
    "page_opens": "counted opens, page (POST → 303)",
    "api_opens": "counted opens, API (POST …/auth/)",
    "api_reads": "API item reads (access token)",
    "wrong_passwords": "wrong passwords, checked (401)",
    "locked_passwords": "wrong passwords, limited (429)",
    "peer_opens": "Directus: POST /shares/auth",
    "peer_reads": "Directus: GET /items/… (share token)",
    "peer_wrong_passwords": "Directus: wrong passwords (401)",
}


def _prepare(request: Request) -> bytes:
    """Send ``request`` once, untimed, and return its body; fail unless it is the one expected."""
    parts = urlsplit(request.url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    connection = http.client.HTTPConnection(parts.hostname or HOST, parts.port or 80, timeout=60)
    connection.request(request.method, path, request.body, request.headers)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    if not request.ok(response.status, body):
        raise RuntimeError(f"{request.method} {request.url}: HTTP {response.status} {body[:200]!r}")
    return body


def _grant(share_url: str) -> tuple[str, str]:
    """The CSRF token (from the landing page) and the grant cookie of the page's "View"."""
    parts = urlsplit(share_url)
    connection = http.client.HTTPConnection(parts.hostname or HOST, parts.port or 80, timeout=60)
    connection.request("GET", parts.path, headers={"X-Forwarded-For": HOST})
    response = connection.getresponse()
    response.read()
    csrf = _cookies(response)["csrftoken"]
    connection.close()
    connection = http.client.HTTPConnection(parts.hostname or HOST, parts.port or 80, timeout=60)
    connection.request(
        "POST",
        parts.path,
        urlencode({"csrfmiddlewaretoken": csrf}),
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf}",
            "Referer": share_url,
            "X-Forwarded-For": HOST,
        },
    )
    response = connection.getresponse()
    response.read()
    connection.close()
    if response.status != 303:
        raise RuntimeError(f"The share page's View answered {response.status}, not 303.")
    grant = "; ".join(f"{k}={v}" for k, v in _cookies(response).items() if k != "csrftoken")
    return csrf, grant


def _cookies(response: http.client.HTTPResponse) -> dict[str, str]:
    found = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        found[name.strip()] = rest.split(";", 1)[0]
    return found


def run_variant(tuning: bool, url: str, fx: Fixture, args: argparse.Namespace) -> dict[str, Any]:
    """Serve ``url`` with or without the recommended settings; rounds, burst, counts."""
    from .server import serving

    name = "recommended" if tuning else "Django's defaults"
    config = ServerConfig(
        url,
        args.redis_url,
        workers=args.workers,
        settings_module=SETTINGS_MODULE,
        extra_environment={
            "DATABASE_TUNING": "1" if tuning else "0",
            "DJANGO_DEBUG": "0",
            "BENCH_TRUSTED_PROXY_COUNT": "1",  # the client addresses of cases() (bench/wsgi.py)
        },
    )
    with serving(config) as server:
        requests = {key: turns(case) for key, case in cases(server.base_url, fx, args).items()}
        results = {key: CaseResult(LABELS[key]) for key in requests}
        order = list(requests)
        for key in order:
            progress(f"[{name}] warm-up: {LABELS[key]}, {args.warmup:g} s …")
            results[key].warmup += closed_loop(requests[key], args.threads, args.warmup)[0]
        for number in range(args.rounds):
            shift = number % len(order)  # each round starts with another case
            for key in order[shift:] + order[:shift]:
                progress(f"[{name}] round {number + 1}/{args.rounds}: {LABELS[key]} …")
                results[key].rounds.append(closed_loop(requests[key], args.threads, args.seconds))
        progress(f"[{name}] {args.burst} concurrent counted opens …")
        burst_replies = burst(requests["api_opens"], args.burst)
        log = server.stderr()
    summaries = {key: result.summary() for key, result in results.items()}
    granted = sum(
        reply.ok
        for key in ("page_opens", "api_opens")
        for reply in results[key].warmup + [r for rs, _ in results[key].rounds for r in rs]
    ) + sum(reply.ok for reply in burst_replies)
    ours = [result for key, result in results.items() if not key.startswith("peer_")]
    every = [r for result in ours for rs, _ in result.rounds for r in rs]
    every += [r for result in ours for r in result.warmup] + burst_replies
    found = ratios(summaries)
    return {
        "tuning": "recommended" if tuning else "off (Django's defaults)",
        "cases": summaries,
        "ratios": found,
        "burst": {
            "requests": len(burst_replies),
            "statuses": dict(sorted(Counter(r.status for r in burst_replies).items())),
            "p50_ms": round(statistics.median(r.elapsed_ns for r in burst_replies) / 1e6, 1),
            "max_ms": round(max(r.elapsed_ns for r in burst_replies) / 1e6, 1),
        },
        "server_errors": sum(reply.status >= 500 or reply.status == 0 for reply in every),
        "database_is_locked": log.count("database is locked"),
        "counts": verify(url, fx, granted),
    }


def verify(url: str, fx: Fixture, granted: int) -> list[dict[str, Any]]:
    """The uses and granted access-log rows in the variant's database against the answers."""
    from django.db import connections

    from directus_shares.models import AccessReason, Share, ShareAccess
    from directus_shares.signatures import key_from_token

    connection = connections["default"]
    connection.close()
    connection.settings_dict["NAME"] = (
        urlsplit(url).path.lstrip("/")
        if not url.startswith("sqlite")
        else url.removeprefix("sqlite://")
    )
    try:

        def counted(token: str) -> tuple[int, int]:
            share = Share.objects.get(key=key_from_token(token))
            rows = ShareAccess.objects.filter(
                share=share, granted=True, reason=AccessReason.GRANTED
            )
            return share.times_used, rows.count()

        used, rows = counted(fx.open_token)
        read_used, read_rows = counted(fx.read_token)
        password_used = sum(counted(token)[0] for token in (fx.password_token, *fx.wrong_tokens))
    finally:
        connection.close()
    return [
        {"check": "times_used == granted opens (303 + 200)", "expected": granted, "found": used},
        {"check": "granted access-log rows == granted opens", "expected": granted, "found": rows},
        {"check": "read share: uses == the 2 opens for cookie and token", "expected": 2,
         "found": read_used},
        {"check": "read share: granted access-log rows", "expected": 2, "found": read_rows},
        {"check": "password shares: uses after wrong passwords only", "expected": 0,
         "found": password_used},
    ]  # fmt: skip


# -- report -------------------------------------------------------------------------------------


def render(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        f"directus_shares ratios – {m['date']}, {m['cpus']} × {m['cpu']}, Python {m['python']}, "
        f"Django {m['django']}, {m['database']} {m['database_version']}",
        f"example_project.settings, gunicorn {report['workers']} sync workers, Redis cache; "
        f"client: http.client, {report['threads']} threads, keep-alive off; "
        f"{report['rounds']} rounds × {report['seconds']:g} s per case (per s: median round)",
    ]
    for variant in report["variants"]:
        lines += ["", f"== database tuning: {variant['tuning']}", ""]
        lines.append(f"{'':<38} {'requests':>8} {'per s':>7} {'p50 ms':>7} {'p95 ms':>7}  statuses")
        for case in variant["cases"].values():
            lines.append(
                f"{case['label']:<38} {case['requests']:>8} {case['per_second']:>7.1f} "
                f"{case['p50_ms']:>7.2f} {case['p95_ms']:>7.2f}  {case['statuses']}"
            )
        lines += ["", f"{'ratio (same run)':<44} {'throughput':>10} {'p50 latency':>12}"]
        for ratio in variant["ratios"]:
            lines.append(
                f"{ratio['label']:<44} {ratio['throughput']:>9.2f}x "
                f"{ratio['median_latency']:>11.2f}x"
            )
        b = variant["burst"]
        lines += [
            "",
            f"{b['requests']} concurrent counted opens: statuses {b['statuses']}, "
            f"p50 {b['p50_ms']} ms, slowest {b['max_ms']} ms",
            f"5xx or no answer in the whole run: {variant['server_errors']}; "
            f"'database is locked' in the server log: {variant['database_is_locked']}",
            "Counts:",
        ]
        for check in variant["counts"]:
            verdict = "exact" if check["expected"] == check["found"] else "WRONG"
            lines.append(
                f"  [{verdict:^5}] {check['check']}: {check['found']} "
                f"(expected {check['expected']})"
            )
        lines += ["Targets of issue 14 (for the recommended settings):"]
        lines += [f"  {line}" for line in variant["targets"]]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> dict[str, Any]:
    variants = {"on": [True], "off": [False], "both": [False, True]}[args.tuning]
    report: dict[str, Any] = {
        "workers": args.workers,
        "threads": args.threads,
        "rounds": args.rounds,
        "seconds": args.seconds,
        "variants": [],
    }
    with (
        tempfile.TemporaryDirectory(prefix="directus-shares-ratios-") as workdir,
        databases(args, Path(workdir)) as template,
    ):
        date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        report["machine"] = {**template.machine, "date": date}
        for tuning in variants:
            url = template.copy("tuned" if tuning else "defaults")
            result = run_variant(tuning, url, template.fixture, args)
            result["targets"] = targets(
                template.vendor,
                result["ratios"],
                result["server_errors"],
                result["burst"]["requests"],
            )
            report["variants"].append(result)
    return report


def main(argv: list[str] | None = None) -> int:
    def counts(report: dict[str, Any]) -> list[dict[str, Any]]:
        return [check for variant in report["variants"] for check in variant["counts"]]

    return run_benchmark("ratios", parse_args(argv), run, render, counts)


if __name__ == "__main__":
    sys.exit(main())
