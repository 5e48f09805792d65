"""What one counted open costs: ``python -m bench.open_cost [--database-url URL] [--opens N]``.

Opens the demo's "Open link" share of the example project (``example_project.settings``, with the
database options of ``example_project/databases.py``) with Django's test client, through the
page (``POST``, 303 with a grant cookie) and through the API (``auth``, 200 with an access token),
and counts what each open did, per open: the statements the database ran (``BEGIN``, ``COMMIT``
and savepoints included – SQLite's trace callback, libpq's protocol trace on PostgreSQL), its
commits, the rows and index entries written per table, the write-ahead log it grew (SQLite: WAL
frames; PostgreSQL: WAL bytes and WAL syncs of the whole server) and the cache calls. It counts;
it never times. See ``docs/benchmarks.md``, "What one counted open costs".
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sqlite3
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import django
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache

SETTINGS_MODULE = "example_project.settings"
HOST = "localhost"  # one of example_project's ALLOWED_HOSTS
#: Opens before counting: every connection of the example's pool (4) past psycopg's
#: prepare_threshold (5) – the pool hands its connections out in turn – and caches filled.
WARMUP = 25
#: Where a counted open comes from: the page's POST and the API's ``auth``, each for the demo's
#: share without a password and for its share with one (the right password).
SURFACES = ("page", "api", "page+password", "api+password")
_WRITE = re.compile(
    r'^\s*(?:WITH\b.*?\)\s*)?(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.I | re.S
)
_SET = re.compile(r"\bSET\s+(.*?)\s+WHERE\b", re.I | re.S)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.open_cost", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server (postgres://…): a throwaway database next to the one named is "
        "created and dropped. Default: a SQLite file in a temporary directory",
    )
    parser.add_argument("--opens", type=int, default=20, help="counted opens per surface (20)")
    parser.add_argument(
        "--warmup", type=int, default=WARMUP, help=f"opens before counting ({WARMUP})"
    )
    parser.add_argument(
        "--surfaces",
        default=",".join(SURFACES),
        help=f"comma-separated, of {', '.join(SURFACES)} (all)",
    )
    parser.add_argument(
        "--redis-url", help="the cache (REDIS_URL); default: the example project's (in-process)"
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures here")
    parser.add_argument(
        "--tuning",
        choices=["on", "off"],
        default="on",
        help="on: the example project's database options (default); off: Django's defaults",
    )
    parser.add_argument(
        "--conn-max-age",
        type=int,
        metavar="SECONDS",
        help="replace the database's CONN_MAX_AGE (the example project's: 0 on SQLite)",
    )
    args = parser.parse_args(argv)
    if args.database_url and not args.database_url.startswith(("postgres://", "postgresql://")):
        parser.error("--database-url must name a PostgreSQL server (SQLite is the default).")
    if not 1 <= args.opens <= 100 or not 0 <= args.warmup <= 100:
        # SQLite: the WAL must not reach its automatic checkpoint meanwhile
        parser.error("--opens must be between 1 and 100, --warmup between 0 and 100.")
    args.surfaces = args.surfaces.split(",")
    if not set(args.surfaces) <= set(SURFACES):
        parser.error(f"--surfaces takes {', '.join(SURFACES)}.")
    return args


# -- counting the cache -------------------------------------------------------------------------

CACHE_CALLS: Counter[str] = Counter()
_CACHE_METHODS = (
    "add", "get", "set", "touch", "delete", "get_many", "set_many", "delete_many", "has_key",
    "incr", "decr", "get_or_set", "clear",
)  # fmt: skip


_INSIDE = threading.local()


def _counting(name: str) -> Callable[..., Any]:
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        """Count the call the app made, not those the backend makes of itself (``decr`` is
        ``incr`` of -1 in Django's backends)."""
        outermost = not getattr(_INSIDE, "depth", 0)
        CACHE_CALLS[name] += outermost
        _INSIDE.depth = getattr(_INSIDE, "depth", 0) + 1
        try:
            return getattr(super(type(self), self), name)(*args, **kwargs)
        finally:
            _INSIDE.depth -= 1

    method.__name__ = name
    return method


CountingLocMemCache = type(
    "CountingLocMemCache", (LocMemCache,), {name: _counting(name) for name in _CACHE_METHODS}
)
CountingRedisCache = type(
    "CountingRedisCache", (RedisCache,), {name: _counting(name) for name in _CACHE_METHODS}
)


# -- the database -------------------------------------------------------------------------------


def setup_django(url: str, args: argparse.Namespace, media: Path) -> None:
    os.environ.update(DJANGO_SETTINGS_MODULE=SETTINGS_MODULE, DATABASE_URL=url, DJANGO_DEBUG="0")
    os.environ["DATABASE_TUNING"] = "1" if args.tuning == "on" else "0"
    if args.redis_url:
        os.environ["REDIS_URL"] = args.redis_url
    django.setup()
    from django.conf import settings

    if args.conn_max_age is not None:  # before the first connection reads it
        settings.DATABASES["default"]["CONN_MAX_AGE"] = args.conn_max_age
    from django.test.utils import override_settings

    cache = dict(settings.CACHES["default"])
    counting = CountingRedisCache if "redis" in cache["BACKEND"].lower() else CountingLocMemCache
    cache["BACKEND"] = f"{__name__}.{counting.__name__}"
    override_settings(MEDIA_ROOT=media, CACHES={"default": cache}).enable()


@contextmanager
def database(args: argparse.Namespace, workdir: Path) -> Iterator[str]:
    """A migrated database with the demo data; dropped at the end."""
    if not args.database_url:
        setup_django(f"sqlite:///{workdir / 'open_cost.sqlite3'}", args, workdir / "media")
        yield _migrate_and_seed()
        return
    import psycopg

    name = f"bench_open_cost_{os.getpid()}"
    admin = psycopg.connect(args.database_url, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        setup_django(urlsplit(args.database_url)._replace(path=f"/{name}").geturl(), args, workdir)
        yield _migrate_and_seed()
    finally:
        _disconnect()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _migrate_and_seed() -> dict[str, str]:
    """Migrate, seed the demo and return the link tokens of its "Open link" share and of its
    password share, given enough uses that the opens never use them up."""
    from django.core.management import call_command

    from directus_shares.models import Share
    from example_project.reports import demo_data

    print("Migrating and seeding the demo data …", file=sys.stderr, flush=True)
    call_command("migrate", verbosity=0)
    demo_data.seed()
    shares = {"open": "Open link", "password": "Password protected"}
    tokens = {}
    for kind, name in shares.items():
        share = Share.objects.get(name=name)
        Share.objects.filter(pk=share.pk).update(max_uses=10**9)
        tokens[kind] = share.token
    return tokens


def _disconnect() -> None:
    """Close every connection – and PostgreSQL's pool, so that its backends exit and report
    their statistics."""
    from django.db import connections

    for connection in connections.all():
        connection.close()
        close_pool = getattr(connection, "close_pool", None)  # PostgreSQL, Django >= 5.1
        if close_pool is not None:
            close_pool()


# -- one surface --------------------------------------------------------------------------------


@dataclass
class Cost:
    """What ``opens`` counted opens did together."""

    opens: int  # traced: statements, commits, connections, cache calls
    all_opens: int  # warm-up too: rows, index entries, WAL, uses and log rows (scaled)
    statements: Counter[str] = field(default_factory=Counter)
    commits: int = 0  # transactions that wrote
    round_trips: int | None = None  # PostgreSQL: messages that wait for the server
    connections: int = 0  # connections opened (Django's connection_created)
    inserted: Counter[str] = field(default_factory=Counter)  # by table
    updated: Counter[str] = field(default_factory=Counter)
    hot_updated: Counter[str] = field(default_factory=Counter)  # PostgreSQL
    index_entries: Counter[str] = field(default_factory=Counter)
    wal: Counter[str] = field(default_factory=Counter)
    cache: Counter[str] = field(default_factory=Counter)
    uses_counted: float = 0
    log_rows: float = 0
    statuses: Counter[int] = field(default_factory=Counter)
    sql: list[str] = field(default_factory=list)  # every statement of the last open

    @property
    def scale(self) -> float:
        """What a figure counted over every open is multiplied by, to be one over ``opens``."""
        return self.opens / self.all_opens

    def per_open(self, value: float) -> str:
        per = value / self.opens
        return f"{per:g}" if per == int(per) else f"{per:.2f}"


def make_open(surface: str, token: str, password: str) -> Callable[[], int]:
    """A function that makes one counted open through ``surface`` and returns the status."""
    from django.conf import settings
    from django.test import Client

    from directus_shares.conf import get_config

    client = Client(HTTP_HOST=HOST)
    if surface == "api":
        url = f"/api/shares/open/{token}/auth/"
        body = {"password": password} if password else {}
        return lambda: client.post(url, body, content_type="application/json").status_code
    url = f"/share/{token}/"
    client.get(url)  # the landing page sets the CSRF cookie
    csrf = client.cookies[settings.CSRF_COOKIE_NAME].value
    grant_cookie = get_config()["GRANT_COOKIE_NAME"]

    def page_open() -> int:
        status = client.post(url, {"csrfmiddlewaretoken": csrf, "password": password}).status_code
        client.cookies.pop(grant_cookie, None)  # a new visitor each time: every open counts
        return status

    return page_open


def measure(surface: str, tokens: dict[str, str], opens: int, warmup: int = WARMUP) -> Cost:
    """Open the share ``opens`` times through ``surface`` and count what that did."""
    from django.db import close_old_connections, connection

    from directus_shares.opening import find_share
    from example_project.reports.demo_data import SHARE_PASSWORD

    where, _, kind = surface.partition("+")
    token = tokens["password" if kind else "open"]
    do_open = make_open(where, token, SHARE_PASSWORD if kind else "")
    share, _rights = find_share(token)
    assert share is not None
    before = _guarantees(share.pk)
    cost = Cost(opens, warmup + opens)
    probe = SQLiteProbe(cost) if connection.vendor == "sqlite" else PostgresProbe(cost)
    with probe:
        for index in range(warmup + opens):
            # The statements are traced once warm (psycopg prepares a statement on its 5th
            # run); the database's own statistics cover every open, from a clean start.
            probe.tracing, probe.last = index >= warmup, index == warmup + opens - 1
            if index == warmup:
                CACHE_CALLS.clear()
                probe.start()
            # As a server's request handler does (the test client leaves it out): with
            # CONN_MAX_AGE = 0 every request has a connection of its own (from the pool).
            close_old_connections()
            status = do_open()
            probe.opened()
            close_old_connections()
            probe.closed()
            if probe.tracing:
                cost.statuses[status] += 1
    cost.cache = Counter(CACHE_CALLS)
    after = _guarantees(share.pk)
    cost.uses_counted, cost.log_rows = (
        (a - b) * cost.scale for a, b in zip(after, before, strict=True)
    )
    return cost


def _guarantees(share_pk: Any) -> tuple[int, int]:
    from directus_shares.models import Share, ShareAccess

    used = Share.objects.values_list("times_used", flat=True).get(pk=share_pk)
    return used, ShareAccess.objects.filter(share_id=share_pk, granted=True).count()


def statement_kind(sql: str) -> str:
    """``BEGIN``, ``SELECT``, ``UPDATE``, … of one statement; a ``WITH`` by its main statement,
    and ``WITH … INSERT`` when one of its parts writes too (PostgreSQL's count-and-log)."""
    words = sql.split()
    first = words[0].upper() if words else "?"
    if first != "WITH":
        return first
    depth, main = 0, []
    for char in sql:
        depth += char == "("
        depth -= char == ")"
        main.append(char if depth == 0 and char != ")" else " ")
    verbs = [
        w for w in "".join(main).upper().split() if w in ("SELECT", "INSERT", "UPDATE", "DELETE")
    ]
    kind = verbs[0] if verbs else "WITH"
    inner = re.search(r"\(\s*(UPDATE|INSERT|DELETE)\b", sql, re.I)
    return f"WITH {inner.group(1).upper()} … {kind}" if inner else kind


class SQLiteProbe:
    """Counts through the trace callback of every connection opened meanwhile; the WAL frames
    by the growth of the WAL file, and the checkpoints on closing by its removal."""

    def __init__(self, cost: Cost) -> None:
        from django.db import connection

        self.cost, self.tracing, self.last = cost, False, False
        self.path = connection.settings_dict["NAME"]
        self.in_transaction = False
        self.wrote = False

    def trace(self, sql: str) -> None:
        kind = statement_kind(sql)
        self.cost.statements[kind] += 1
        if self.last:
            self.cost.sql.append(sql)
        if kind in ("BEGIN", "SAVEPOINT") and not self.in_transaction:
            self.in_transaction, self.wrote = True, False
        elif kind in ("COMMIT", "END"):
            self.cost.commits += int(self.wrote)
            self.in_transaction = False
        elif kind == "ROLLBACK":
            self.in_transaction = False
        written = _WRITE.match(sql)
        if written is not None:
            verb, table = written.group(1).split()[0].upper(), written.group(2)
            indexes = _sqlite_indexes(self.path).get(table, [])
            if verb == "INSERT":
                self.cost.inserted[table] += 1  # one row per statement here
                self.cost.index_entries[table] += len(indexes)
                if table in self.autoincrement:  # its counter row is written too
                    self.cost.updated["sqlite_sequence"] += 1
            elif verb == "UPDATE":
                self.cost.updated[table] += 1  # the counting UPDATE changes one row
                changed = _set_columns(sql)
                self.cost.index_entries[table] += sum(bool(changed & set(i)) for i in indexes)
            if self.in_transaction:
                self.wrote = True
            else:
                self.cost.commits += 1  # a statement outside a transaction commits itself

    def connected(self, sender: Any, connection: Any, **kwargs: Any) -> None:
        """A new connection: Django ran its ``init_command`` already (before this signal),
        so those statements are counted from the settings."""
        if not self.tracing:
            return
        self.cost.connections += 1
        init = connection.settings_dict.get("OPTIONS", {}).get("init_command") or ""
        for command in filter(None, (part.strip() for part in init.split(";"))):
            self.cost.statements[statement_kind(command)] += 1
            if self.last:
                self.cost.sql.append(f"{command}  -- init_command, on connecting")
        connection.connection.set_trace_callback(self.trace)

    def __enter__(self) -> SQLiteProbe:
        from django.db.backends.signals import connection_created

        _disconnect()
        with sqlite3.connect(self.path) as db:
            self.page = db.execute("PRAGMA page_size").fetchone()[0]
            tables = "SELECT name FROM sqlite_master WHERE sql LIKE '%AUTOINCREMENT%'"
            self.autoincrement = {row[0] for row in db.execute(tables)}
        db.close()
        self.wal_size = self._wal_size()
        connection_created.connect(self.connected)
        return self

    def start(self) -> None:
        """Counting starts: trace the connection kept from the warm-up too, if any."""
        from django.db import connection

        if connection.connection is not None:
            connection.connection.set_trace_callback(self.trace)

    def _wal_size(self) -> int:
        wal = Path(f"{self.path}-wal")
        return wal.stat().st_size if wal.exists() else 0

    def opened(self) -> None:
        """After an open, its connection still open: the frames it added to the WAL (a new WAL
        starts with a 32-byte header)."""
        size = self._wal_size()
        if self.tracing:
            grown = size - max(self.wal_size, 32) if size else 0
            self.cost.wal["WAL frames (pages)"] += max(grown, 0) / (self.page + 24)
            self.cost.wal["WAL bytes"] += max(grown, 0)
        self.wal_size = size

    def closed(self) -> None:
        """After the request's connection was closed: the last connection to a WAL database
        to close checkpoints it (an fsync of the WAL and one of the database) and removes it."""
        size = self._wal_size()
        if self.tracing:
            self.cost.wal["checkpoints on closing"] += int(self.wal_size > 0 and size == 0)
        self.wal_size = size

    def __exit__(self, *exc: object) -> None:
        from django.db.backends.signals import connection_created

        connection_created.disconnect(self.connected)
        _disconnect()


def _set_columns(sql: str) -> set[str]:
    found = _SET.search(sql)
    if found is None:
        return set()
    return {part.split("=")[0].strip().strip('"') for part in found.group(1).split(",")}


_INDEXES: dict[str, dict[str, list[list[str]]]] = {}


def _sqlite_indexes(path: str) -> dict[str, list[list[str]]]:
    """Per table, the columns of each index (the rowid table itself not counted)."""
    if path not in _INDEXES:
        found: dict[str, list[list[str]]] = {}
        with sqlite3.connect(path) as db:
            tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            for table in tables:
                for row in db.execute(f'PRAGMA index_list("{table}")'):
                    columns = [c[2] for c in db.execute(f'PRAGMA index_info("{row[1]}")')]
                    found.setdefault(table, []).append(columns)
        _INDEXES[path] = found
    return _INDEXES[path]


class PostgresProbe:
    """Counts through libpq's trace of every connection checked out meanwhile (statements by
    their ``CommandComplete``, commits by the return to idle); rows, HOT updates and index
    entries through ``pg_stat_user_tables`` once every backend has exited; the WAL through
    ``pg_stat_wal`` and the insert position, which are the whole server's."""

    def __init__(self, cost: Cost) -> None:
        from django.db import connection

        self.cost, self.tracing, self.last = cost, False, False
        self.params = {**connection.get_connection_params()}
        self.params.pop("cursor_factory", None)
        self.params.pop("context", None)
        self.traced: list[Any] = []
        self.workdir = Path(tempfile.mkdtemp(prefix="open_cost_trace_"))

    def connected(self, sender: Any, connection: Any, **kwargs: Any) -> None:
        """Trace each connection the pool hands out: during the warm-up only to learn the SQL
        of the statements psycopg prepares then, afterwards to count."""
        from psycopg import pq

        raw = connection.connection
        number, phase = next(
            ((n, p) for n, (r, p, _f) in enumerate(self.traced) if r is raw), (None, None)
        )
        if self.tracing:
            self.cost.connections += 1
        wanted = "counted" if self.tracing else "warm"
        if phase == wanted:
            return
        if number is None:
            number = len(self.traced)
            self.traced.append((raw, wanted, None))
        else:
            raw.pgconn.untrace()
            self.traced[number][2].close()
        trace = (self.workdir / f"{number}.{wanted}").open("w")
        raw.pgconn.trace(trace.fileno())
        raw.pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        self.traced[number] = (raw, wanted, trace)

    def start(self) -> None:
        """Counting starts: trace the connection kept from the warm-up too, if any."""
        from django.db import connection

        if connection.connection is not None:
            self.connected(None, connection)

    def opened(self) -> None:
        pass

    def closed(self) -> None:
        pass

    def _stats(self) -> dict[str, Any]:
        import psycopg

        query = """
            SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd,
                   (SELECT count(*) FROM pg_index i WHERE i.indrelid = t.relid)
            FROM pg_stat_user_tables t"""
        with psycopg.connect(**self.params, autocommit=True) as db:
            tables = {row[0]: row[1:] for row in db.execute(query)}
            wal = db.execute(
                "SELECT pg_current_wal_insert_lsn() - '0/0'::pg_lsn, wal_sync FROM pg_stat_wal"
            ).fetchone()
        return {"tables": tables, "wal": wal}

    def __enter__(self) -> PostgresProbe:
        from django.db.backends.signals import connection_created

        _disconnect()
        self.before = self._stats()
        connection_created.connect(self.connected)
        return self

    def __exit__(self, *exc: object) -> None:
        from django.db.backends.signals import connection_created

        connection_created.disconnect(self.connected)
        for raw, _phase, trace in self.traced:
            raw.pgconn.untrace()
            trace.close()
        _disconnect()
        after = self._stats()
        for number in range(len(self.traced)):
            warm, counted = (self.workdir / f"{number}.{p}" for p in ("warm", "counted"))
            prepared: dict[str, str] = {}
            for path in (warm, counted):
                if path.exists():
                    self._read_trace(path.read_text(), prepared, count=path is counted)
                    if not os.environ.get("OPEN_COST_KEEP_TRACE"):
                        path.unlink()
        if not os.environ.get("OPEN_COST_KEEP_TRACE"):
            self.workdir.rmdir()
        for table, (ins, upd, hot, indexes) in after["tables"].items():
            b_ins, b_upd, b_hot, _ = self.before["tables"].get(table, (0, 0, 0, 0))
            ins, upd, hot = (
                (a - b) * self.cost.scale for a, b in [(ins, b_ins), (upd, b_upd), (hot, b_hot)]
            )
            if ins:
                self.cost.inserted[table] += ins
            if upd:
                self.cost.updated[table] += upd
                self.cost.hot_updated[table] += hot
            if ins or upd:
                self.cost.index_entries[table] += (ins + upd - hot) * indexes
        (lsn, syncs), (b_lsn, b_syncs) = after["wal"], self.before["wal"]
        self.cost.wal["WAL bytes (whole server)"] = float(lsn - b_lsn) * self.cost.scale
        self.cost.wal["WAL syncs (whole server)"] = (syncs - b_syncs) * self.cost.scale

    def _read_trace(self, text: str, prepared: dict[str, str], *, count: bool) -> None:
        """Statements, round trips and writing commits of one connection's protocol trace:
        each statement ends in a ``CommandComplete``, each transaction in an idle
        ``ReadyForQuery``; a prepared statement's SQL is in the ``Parse`` that named it."""
        running: list[str] = []  # the SQL of each statement sent and not yet complete
        statements, wrote, sql = 0, False, []
        for line in text.splitlines():
            direction, _length, message, *rest = (line.split("\t") + [""])[:4]
            body = rest[0].strip() if rest else ""
            if not count and message != "Parse":
                continue
            if direction == "F" and message in ("Query", "Sync"):
                self.cost.round_trips = (self.cost.round_trips or 0) + 1
            if direction == "F" and message == "Query":
                running.append(body[1:-1])
            elif direction == "F" and message == "Parse":
                parsed = _PARSE.match(body)
                if parsed is not None:
                    prepared[parsed.group(1)] = parsed.group(2)
            elif direction == "F" and message == "Bind":
                running.append(prepared.get(body.split('"')[3], "?"))
            elif direction == "B" and message == "CommandComplete":
                statement = running.pop(0) if running else body.strip('"')
                kind = statement_kind(statement)
                self.cost.statements[kind] += 1
                sql.append(statement)
                statements += 1
                wrote = wrote or body.strip('"').split()[0] in ("INSERT", "UPDATE", "DELETE")
            elif direction == "B" and message == "ReadyForQuery" and body.startswith("I"):
                self.cost.commits += int(bool(statements) and wrote)
                statements, wrote = 0, False
        if count:  # the last file read: its last open's statements
            per_open = sum(self.cost.statements.values()) // self.cost.opens
            self.cost.sql = sql[-per_open:] if per_open else []


_PARSE = re.compile(r'^"([^"]*)" "(.*)" \d+(?: \S+)*$', re.S)


# -- the report -----------------------------------------------------------------------------------


def rows(costs: dict[str, Cost]) -> list[tuple[str, list[str]]]:
    """The table: one line per measure, one column per surface, values per open."""
    kinds = sorted({kind for cost in costs.values() for kind in cost.statements})
    tables = sorted({t for cost in costs.values() for t in (*cost.inserted, *cost.updated)})
    lines: list[tuple[str, list[str]]] = []

    def line(label: str, value: Callable[[Cost], float | None], always: bool = False) -> None:
        values = [value(cost) for cost in costs.values()]
        if all(v is None for v in values) or not (always or any(values)):
            return
        lines.append(
            (
                label,
                [
                    "–" if v is None else cost.per_open(v)
                    for v, cost in zip(values, costs.values(), strict=True)
                ],
            )
        )

    line("statements", lambda c: sum(c.statements.values()), always=True)
    for kind in kinds:
        line(f"  {kind}", lambda c, kind=kind: c.statements[kind])
    line("round trips", lambda c: c.round_trips)
    line("commits that wrote", lambda c: c.commits, always=True)
    line("connections opened", lambda c: c.connections)
    for table in tables:
        line(f"rows inserted: {table}", lambda c, t=table: c.inserted[t])
        line(f"rows updated: {table}", lambda c, t=table: c.updated[t])
        if any(c.hot_updated or c.updated for c in costs.values()) and any(
            c.hot_updated for c in costs.values()
        ):
            line(f"  HOT: {table}", lambda c, t=table: c.hot_updated[t])
        line(f"index entries: {table}", lambda c, t=table: c.index_entries[t])
    for key in sorted({k for cost in costs.values() for k in cost.wal}):
        line(key, lambda c, k=key: c.wal.get(k))
    line("cache calls", lambda c: sum(c.cache.values()), always=True)
    for method in sorted({m for cost in costs.values() for m in cost.cache}):
        line(f"  {method}", lambda c, m=method: c.cache[m])
    line("uses counted", lambda c: c.uses_counted, always=True)
    line("access log rows (granted)", lambda c: c.log_rows, always=True)
    return lines


def report(vendor: str, settings: str, costs: dict[str, Cost]) -> str:
    opens = next(iter(costs.values())).opens
    header = ["per counted open", *(s.replace("+password", " + password") for s in costs)]
    body = rows(costs)
    width = max(len(header[0]), *(len(label) for label, _ in body))
    out = [f"{vendor} – {settings}; {opens} opens per surface, each figure per open", ""]
    out.append("| " + " | ".join([header[0].ljust(width), *header[1:]]) + " |")
    out.append("| " + " | ".join(["-" * width, *("-" * len(h) for h in header[1:])]) + " |")
    for label, values in body:
        cells = [
            label.ljust(width),
            *(v.rjust(len(h)) for v, h in zip(values, header[1:], strict=True)),
        ]
        out.append("| " + " | ".join(cells) + " |")
    statuses = {s: dict(c.statuses) for s, c in costs.items()}
    out += ["", f"answers: {statuses}", ""]
    for surface, cost in costs.items():
        out.append(f"statements of one {surface} open:")
        out += [f"  {sql[:200]}{' …' if len(sql) > 200 else ''}" for sql in cost.sql]
    return "\n".join(out)


def describe_settings() -> tuple[str, str]:
    from django.db import connection

    options = connection.settings_dict.get("OPTIONS", {})
    if connection.vendor == "sqlite":
        shown = {k: options[k] for k in ("init_command", "transaction_mode") if k in options}
    else:
        shown = {k: options[k] for k in ("pool", "server_side_binding") if k in options}
        shown = {k: (bool(v) if k == "pool" else v) for k, v in shown.items()}
    return connection.vendor, f"options {shown or 'Django defaults'}"


def run(args: argparse.Namespace) -> tuple[str, dict[str, Cost]]:
    with (
        tempfile.TemporaryDirectory(prefix="open_cost_") as workdir,
        database(args, Path(workdir)) as tokens,
    ):
        vendor, settings = describe_settings()
        costs = {s: measure(s, tokens, args.opens, args.warmup) for s in args.surfaces}
        return report(vendor, settings, costs), costs


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    text, costs = run(args)
    print(text)
    if args.json:
        args.json.write_text(json.dumps(as_json(costs), indent=2))
    return 0


def as_json(costs: dict[str, Cost]) -> dict[str, Any]:
    """Every figure per open, by surface."""

    def per_open(counter: Counter[str], cost: Cost) -> dict[str, float]:
        return {key: value / cost.opens for key, value in counter.items() if value}

    return {
        surface: {
            "opens": cost.opens,
            "statements": per_open(cost.statements, cost),
            "commits": cost.commits / cost.opens,
            "connections": cost.connections / cost.opens,
            "inserted": per_open(cost.inserted, cost),
            "updated": per_open(cost.updated, cost),
            "hot_updated": per_open(cost.hot_updated, cost),
            "index_entries": per_open(cost.index_entries, cost),
            "wal": per_open(cost.wal, cost),
            "cache": per_open(cost.cache, cost),
            "uses_counted": cost.uses_counted / cost.opens,
            "log_rows": cost.log_rows / cost.opens,
            "statuses": {str(status): n for status, n in cost.statuses.items()},
        }
        for surface, cost in costs.items()
    }


if __name__ == "__main__":
    sys.exit(main())
