"""CPU time of processes on this machine (Linux ``/proc``): what the gunicorn workers, the
database's backends and the load generator spend per request, whatever else the machine runs."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: Iterable[int]) -> float:
    """User plus system CPU seconds the processes ``pids`` have used so far (gone ones: 0)."""
    total = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()  # after "pid (name)"; utime, stime are 14, 15
        total += int(fields[11]) + int(fields[12])
    return total / _TICKS


def children(pid: int) -> list[int]:
    """The direct children of ``pid`` (gunicorn's workers, for its master)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def database_backends() -> list[int]:
    """PostgreSQL's backend processes connected to the current database, but this process's."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


def load_average() -> float:
    """The machine's one-minute load average."""
    return os.getloadavg()[0]
