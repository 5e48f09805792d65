"""Timing helpers: run cases interleaved, keep every sample, summarise as median, p95, mean."""

from __future__ import annotations

import gc
import math
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Case:
    """One thing to time.

    ``prepare`` runs untimed before every call and returns the call to time (for example a
    request through a fresh client); ``check`` then looks at what the call returned, untimed,
    and raises if the response was not the one the case is about.
    """

    name: str
    label: str
    prepare: Callable[[], Callable[[], Any]]
    check: Callable[[Any], None]


@dataclass(frozen=True)
class Stats:
    """Summary of one case's samples (nanoseconds in, milliseconds out)."""

    samples_ns: tuple[int, ...]

    @property
    def count(self) -> int:
        return len(self.samples_ns)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.samples_ns) / 1e6

    @property
    def p95_ms(self) -> float:
        """95th percentile, nearest rank."""
        ordered = sorted(self.samples_ns)
        return ordered[max(math.ceil(0.95 * len(ordered)) - 1, 0)] / 1e6

    @property
    def mean_ms(self) -> float:
        return statistics.fmean(self.samples_ns) / 1e6

    def as_dict(self) -> dict[str, float | int]:
        return {
            "n": self.count,
            "median_ms": round(self.median_ms, 4),
            "p95_ms": round(self.p95_ms, 4),
            "mean_ms": round(self.mean_ms, 4),
        }


def measure(cases: list[Case], *, iterations: int, warmup: int, seed: int = 0) -> dict[str, Stats]:
    """Time each case ``iterations`` times after ``warmup`` untimed rounds.

    The cases take turns call by call, so drift on a busy machine (other processes, CPU
    frequency) hits all of them alike and ratios between them stay fair. Each round runs them
    in a new random order: no case always follows the same one (whose work may have left the
    CPU caches warm or cold for it).
    """
    samples: dict[str, list[int]] = {case.name: [] for case in cases}
    rng = random.Random(seed)
    order = list(cases)
    gc.collect()
    for round_number in range(warmup + iterations):
        rng.shuffle(order)
        for case in order:
            call = case.prepare()
            start = time.perf_counter_ns()
            result = call()
            elapsed = time.perf_counter_ns() - start
            case.check(result)
            if round_number >= warmup:
                samples[case.name].append(elapsed)
    return {name: Stats(tuple(values)) for name, values in samples.items()}
