"""CPU per request of the share page against the plain page, in one process:
``python -m bench.page_cpu [--requests N] [--pairs N] [--database-url URL] [--profile PATH]``.

The page-view cases of :mod:`bench.share_page` – (a) the granted share page, (a2) the same for a
password share, (c) the plain ``DetailView`` – take turns request by request in a random order;
each call is timed with ``time.process_time_ns()`` (CPU of this process: client and app, not the
database server's), so a busy machine inflates the ratio less than wall time would. It prints the
mean CPU per request and the ratios to (c) for each of ``--pairs`` back-to-back runs.
``--profile PATH`` writes a cProfile (CPU clock) of ``--requests`` calls of each case alone to
``PATH.<case>``.
See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import cProfile
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from .share_page import setup_django, throwaway_databases


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.page_cpu", description=__doc__)
    parser.add_argument("--requests", type=int, default=400, help="timed requests per case (400)")
    parser.add_argument("--pairs", type=int, default=3, help="back-to-back runs (3)")
    parser.add_argument("--database-url", help="a database server instead of SQLite")
    parser.add_argument(
        "--profile", type=Path, metavar="PATH", help="cProfile of each case: PATH.a, …"
    )
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="directus-shares-bench-") as tmp:
        workdir = Path(tmp)
        args.big_table_size = 0
        setup_django(args, workdir)
        with throwaway_databases(server=bool(args.database_url)):
            from django.test import override_settings

            from . import scenarios as sc

            with override_settings(MEDIA_ROOT=workdir / "media"):
                cases = sc.cases(sc.seed()).page_views
                rng = random.Random(args.seed)
                for case in cases:  # warm-up, checked
                    for _ in range(max(args.requests // 10, 5)):
                        case.check(case.prepare()())
                for run in range(args.pairs):
                    samples: dict[str, list[int]] = {case.name: [] for case in cases}
                    order = list(cases)
                    for _ in range(args.requests):
                        rng.shuffle(order)
                        for case in order:
                            call = case.prepare()
                            start = time.process_time_ns()
                            result = call()
                            samples[case.name].append(time.process_time_ns() - start)
                            case.check(result)
                    means = {
                        name: statistics.fmean(values) / 1e6 for name, values in samples.items()
                    }
                    print(
                        f"run {run + 1}: "
                        + ", ".join(f"({name}) {ms:.3f} ms" for name, ms in means.items())
                        + " | "
                        + ", ".join(
                            f"{name}/c {means[name] / means['c']:.3f}×"
                            for name in means
                            if name != "c"
                        ),
                        flush=True,
                    )
                for page in cases if args.profile else []:
                    profiler = cProfile.Profile(time.process_time)
                    for _ in range(args.requests):
                        call = page.prepare()
                        profiler.enable()
                        call()
                        profiler.disable()
                    path = args.profile.with_name(f"{args.profile.name}.{page.name}")
                    profiler.dump_stats(path)
                    print(f"profile of ({page.name}) written to {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
