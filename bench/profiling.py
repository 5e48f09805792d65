"""gunicorn hooks that profile each worker with cProfile (``python -m bench.load --profile DIR``):
every worker writes ``DIR/worker-<pid>.prof`` when it exits; read them with :mod:`pstats`.

CPU time, not wall time: waits for the database do not count, and a busy machine does not
inflate what a function costs by the time others ran meanwhile."""

from __future__ import annotations

import cProfile
import os
import time
from pathlib import Path
from typing import Any

_profiler = cProfile.Profile(time.process_time)


def post_fork(server: Any, worker: Any) -> None:
    _profiler.enable()


def worker_exit(server: Any, worker: Any) -> None:
    _profiler.disable()
    _profiler.dump_stats(Path(os.environ["SERVER_PROFILE_DIR"]) / f"worker-{os.getpid()}.prof")
