"""Share page benchmark: ``python -m bench.share_page [--quick] [--json PATH]``.

Runs the example project in-process (``django.test.Client``, no network) on a throwaway database
seeded with the demo data, and reports median, p95 and mean latency and the query count of

(a) a granted share page view, (b) a counted open, (b2) a counted open of a password share and
(c) the plain ``DetailView`` of the same report – plus how often Argon2 runs and how the share
lookup scales from 1 000 to 1 000 000 shares. It reports; it never fails on timings.
See ``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import os
import platform
import random
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import django
from django.db import DEFAULT_DB_ALIAS

from .timing import Case

if TYPE_CHECKING:
    from .scenarios import Fixture

PAGE_RATIO_TARGET = 1.2
LOOKUP_RATIO_TARGET = 1.1
SETTINGS_MODULE = "example_project.settings"
SMALL_DB = "small_share_table"  # the database that holds the small share table


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.share_page", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--iterations", type=int, help="timed page views per case (2000)")
    parser.add_argument("--open-iterations", type=int, help="timed counted opens (500)")
    parser.add_argument(
        "--argon2-iterations", type=int, help="timed counted opens of the password share (30)"
    )
    parser.add_argument("--lookup-iterations", type=int, help="timed lookups per size (3000)")
    parser.add_argument("--small-table-size", type=int, default=1_000, help="(1000)")
    parser.add_argument(
        "--big-table-size", type=int, help="shares for the big lookup; 0 skips it (1000000)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: few iterations, 20 000 shares"
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results here")
    parser.add_argument(
        "--database-url",
        help="a database server to run on instead of SQLite, e.g. postgres://user@host/db; "
        "a throwaway database next to it is created and dropped, the named one is not written",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="random seed: shares looked up, order of the cases"
    )
    args = parser.parse_args(argv)
    defaults = (
        {"iterations": 100, "open_iterations": 50, "argon2_iterations": 5,
         "lookup_iterations": 300, "big_table_size": 20_000}
        if args.quick
        else {"iterations": 2_000, "open_iterations": 500, "argon2_iterations": 30,
              "lookup_iterations": 3_000, "big_table_size": 1_000_000}
    )  # fmt: skip
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.database_url and args.database_url.startswith("sqlite"):
        parser.error("SQLite runs use a temporary file already; --database-url is for servers.")
    if 0 < args.big_table_size <= args.small_table_size:
        parser.error("--big-table-size must exceed --small-table-size (or be 0).")
    return args


def setup_django(args: argparse.Namespace, workdir: Path) -> None:
    """Point the example project at throwaway databases and start Django (DEBUG off).

    ``default`` holds the demo data (and later the big share table); a second database,
    :data:`SMALL_DB`, only the small share table.
    """
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["DJANGO_DEBUG"] = "0"  # as in production; DEBUG would also log every query
    from django.conf import settings

    small = copy.deepcopy(settings.DATABASES[DEFAULT_DB_ALIAS])
    if not args.database_url:
        small["NAME"] = workdir / "small.sqlite3"
    settings.DATABASES[SMALL_DB] = small  # before any connection exists, so Django sees it
    django.setup()


@contextmanager
def throwaway_databases(server: bool) -> Iterator[None]:
    """Migrate the temporary SQLite files, or create (and drop) test databases on a server."""
    from django.core.management import call_command
    from django.db import connections

    aliases = [DEFAULT_DB_ALIAS, SMALL_DB]
    if not server:
        for alias in aliases:
            call_command("migrate", database=alias, verbosity=0, interactive=False)
        yield
        return
    created = []
    try:
        for alias in aliases:
            connection = connections[alias]
            connection.settings_dict["TEST"]["NAME"] = (
                f"directus_shares_bench_{os.getpid()}_{alias}"
            )
            name = connection.creation.create_test_db(
                verbosity=0, autoclobber=True, serialize=False
            )
            created.append((connection, name))
        yield
    finally:
        for connection, name in reversed(created):
            connection.creation.destroy_test_db(name, verbosity=0)


def machine() -> dict[str, Any]:
    from django.db import connection

    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "database": connection.display_name,
        "database_version": ".".join(map(str, connection.get_database_version())),
    }


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Seed, time every case and the lookup scaling; return all results."""
    from django.test import override_settings

    from . import scenarios as sc
    from .timing import measure

    counter = sc.Argon2Counter()
    options = vars(args) | {"json": None, "database_url": bool(args.database_url)}  # no secrets
    results: dict[str, Any] = {"machine": machine(), "options": options, "argon2": {}}
    with counter.installed(), override_settings(MEDIA_ROOT=workdir / "media"):
        progress("Seeding the demo data …")
        fx = sc.seed()
        groups = sc.cases(fx)
        stats = {}
        for group, cases, iterations, rounds in (
            ("page_views", groups.page_views, args.iterations, warmup(args.iterations)),
            ("opens", groups.opens, args.open_iterations, warmup(args.open_iterations)),
            ("password_opens", groups.password_opens, args.argon2_iterations, 1),
        ):
            progress(f"Timing {group.replace('_', ' ')}: {iterations} × {len(cases)} …")
            before = counter.calls
            stats |= measure(cases, iterations=iterations, warmup=rounds, seed=args.seed)
            results["argon2"][group] = {
                "requests": (iterations + rounds) * len(cases),
                "hashes": counter.calls - before,
            }
        results["cases"] = {}
        for case in [*groups.page_views, *groups.opens, *groups.password_opens]:
            sql, hashes = sc.inspect(case, counter)
            results["cases"][case.name] = {
                "label": case.label,
                **stats[case.name].as_dict(),
                "queries": len(sql),
                "argon2_per_request": hashes,
                "sql": sql,
            }
        results["lookup"] = lookup_scaling(args, fx, groups.page_views)
    return results


def lookup_scaling(
    args: argparse.Namespace, fx: Fixture, page_views: list[Case]
) -> dict[str, Any] | None:
    """``find_share`` with the small and the big share table, side by side, and the pages."""
    from django.test import override_settings

    from . import scenarios as sc
    from .timing import measure

    if not args.big_table_size:
        return None
    rng = random.Random(args.seed)
    tables = {SMALL_DB: args.small_table_size, DEFAULT_DB_ALIAS: args.big_table_size}
    for alias, size in tables.items():
        progress(f"Filling a share table to {size:,} rows …")
        sc.fill_shares(size, str(fx.report.pk), using=alias)
    results: dict[str, Any] = {"sizes": list(tables.values()), "plans": {}}
    lookups, sql_alone = [], []
    with override_settings(DATABASE_ROUTERS=["bench.scenarios.ShareLookupRouter"]):
        for alias, size in tables.items():
            keys = sc.sample_keys(200, rng, using=alias)
            results["sql"], results["plans"][size] = sc.explain_lookup(keys[0], using=alias)
            lookups.append(
                sc.lookup(
                    f"find_share_{size}", f"find_share(token), {size:,} shares", keys, using=alias
                )
            )
            sql_alone.append(
                sc.lookup_sql(
                    f"sql_{size}",
                    f"  its SQL alone, {size:,} shares",
                    keys,
                    using=alias,
                )
            )
        page_labels = {"a": "(a) share page", "c": "(c) plain DetailView"}
        pages = [
            dataclasses.replace(
                sc.routed(case, DEFAULT_DB_ALIAS),
                label=f"{page_labels[case.name]}, {args.big_table_size:,} shares",
            )
            for case in page_views
            if case.name in page_labels
        ]
        cases = [*lookups, *sql_alone, *pages]
        progress(f"Timing lookups and pages: {args.lookup_iterations} × {len(cases)} …")
        stats = measure(
            cases,
            iterations=args.lookup_iterations,
            warmup=warmup(args.lookup_iterations),
            seed=args.seed,
        )
    results["cases"] = {
        case.name: {"label": case.label, **stats[case.name].as_dict()} for case in cases
    }
    return results


def warmup(iterations: int) -> int:
    return max(iterations // 10, 5)


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- report -------------------------------------------------------------------------------------


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target of the issue with the measured value and whether it is met."""
    cases, argon2 = results["cases"], results["argon2"]
    page_ratio = cases["a"]["median_ms"] / cases["c"]["median_ms"]
    found = [
        {
            "target": f"(a) share page median <= {PAGE_RATIO_TARGET}x (c) DetailView median",
            "value": f"{page_ratio:.2f}x (p95: {cases['a']['p95_ms'] / cases['c']['p95_ms']:.2f}x)",
            "met": page_ratio <= PAGE_RATIO_TARGET,
        },
        {
            "target": "Argon2 never runs on a granted page view",
            "value": f"{argon2['page_views']['hashes']} hashes in "
            f"{argon2['page_views']['requests']} page views (a, a2, c, warm-up included)",
            "met": argon2["page_views"]["hashes"] == 0,
        },
        {
            "target": "Argon2 runs once per grant",
            "value": f"{argon2['password_opens']['hashes']} hashes in "
            f"{argon2['password_opens']['requests']} password opens (b2, warm-up included)",
            "met": argon2["password_opens"]["hashes"] == argon2["password_opens"]["requests"],
        },
    ]
    lookup = results["lookup"]
    if lookup is not None:
        small, big = lookup["sizes"]
        lookups = lookup["cases"]

        def ratio(name: str) -> float:
            return lookups[f"{name}_{big}"]["median_ms"] / lookups[f"{name}_{small}"]["median_ms"]

        page_ratio_big = lookups["a"]["median_ms"] / lookups["c"]["median_ms"]
        found += [
            {
                "target": f"find_share median, {big:,} vs {small:,} shares <= "
                f"{LOOKUP_RATIO_TARGET}x",
                "value": f"{ratio('find_share'):.2f}x (its SQL alone: {ratio('sql'):.2f}x)",
                "met": ratio("find_share") <= LOOKUP_RATIO_TARGET,
            },
            {
                "target": f"(a) / (c) median with {big:,} shares in the table",
                "value": f"{page_ratio_big:.2f}x",
                "met": None,  # for comparison with the first target, not a target itself
            },
        ]
    return found


def _row(label: str, stats: dict[str, Any], *extra: str) -> str:
    return (
        f"{label:<42} {stats['n']:>6} {stats['median_ms']:>10.3f} {stats['p95_ms']:>9.3f} "
        f"{stats['mean_ms']:>9.3f}" + "".join(f" {value:>8}" for value in extra)
    )


def render(results: dict[str, Any]) -> str:
    """The results as the plain-text tables docs/benchmarks.md shows."""
    m = results["machine"]
    header = f"{'':<42} {'n':>6} {'median ms':>10} {'p95 ms':>9} {'mean ms':>9}"
    lines = [
        f"directus_shares share page benchmark – Python {m['python']}, Django {m['django']}, "
        f"{m['database']} {m['database_version']}, {m['cpus']} × {m['cpu']}",
        "",
        f"{header} {'queries':>8} {'Argon2':>8}",
    ]
    for name, case in results["cases"].items():
        lines.append(
            _row(
                f"({name}) {case['label']}",
                case,
                str(case["queries"]),
                str(case["argon2_per_request"]),
            )
        )
    lookup = results["lookup"]
    if lookup is not None:
        lines += ["", header + "  (side by side)"]
        lines += [_row(case["label"], case) for case in lookup["cases"].values()]
        lines += ["", "Lookup SQL:", f"  {lookup['sql']}"]
        for size, plan in lookup["plans"].items():
            lines.append(f"Query plan with {size:,} shares:")
            lines += [f"  {step}" for step in plan]
    lines += ["", "Targets:"]
    for target in results["targets"]:
        verdict = {True: "met", False: "NOT met", None: "info"}[target["met"]]
        lines.append(f"  [{verdict:^7}] {target['target']}: {target['value']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="directus-shares-bench-") as tmp:
        workdir = Path(tmp)
        setup_django(args, workdir)
        with throwaway_databases(server=bool(args.database_url)):
            results = run(args, workdir)
    results["targets"] = targets(results)
    print(render(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
        progress(f"Results written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
