"""``bench/open_cost.py`` on SQLite with the example project's settings, quickly: the facts one
counted open must show whatever the host – one use, one log row, one counting ``UPDATE`` – and
the writes this project removed staying removed. Nothing is timed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import open_cost

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def figures(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("open_cost") / "figures.json"
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "DATABASE_TUNING", "DJANGO_SETTINGS_MODULE")
    }
    argv = ["--opens", "3", "--warmup", "2", "--json", str(out)]
    done = subprocess.run(
        [sys.executable, "-m", "bench.open_cost", *argv],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "| per counted open" in done.stdout
    return json.loads(out.read_text())


def test_every_surface_counts_one_use_with_its_log_row(figures: dict) -> None:
    assert set(figures) == set(open_cost.SURFACES)
    for surface, cost in figures.items():
        expected = "303" if surface.startswith("page") else "200"
        assert cost["statuses"] == {expected: 3}, surface
        assert cost["uses_counted"] == 1 and cost["log_rows"] == 1, surface
        assert cost["updated"]["directus_shares_share"] == 1, surface
        assert cost["inserted"] == {"directus_shares_shareaccess": 1}, surface
        assert cost["statements"]["UPDATE"] == 1 and cost["statements"]["INSERT"] == 1, surface


def test_what_was_removed_stays_removed(figures: dict) -> None:
    for surface, cost in figures.items():
        # No AUTOINCREMENT counter row, no index entry for the share's times_used. The log row's
        # two: its (share, -at) index and its recipient's foreign key (empty for the common
        # link, but indexed: deleting a share or a recipient looks its log rows up by it).
        assert set(cost["updated"]) == {"directus_shares_share"}, surface
        assert cost["index_entries"] == {"directus_shares_shareaccess": 2}, surface
        # Persistent connections: no connection (and no PRAGMA) per open, no checkpoint on close.
        assert cost["connections"] == 0 and "PRAGMA" not in cost["statements"], surface
        assert "checkpoints on closing" not in cost["wal"], surface
        assert not any(kind in cost["statements"] for kind in ("BEGIN", "SAVEPOINT")), surface
    # A share without a password asks the cache nothing; one with asks for the limits.
    assert figures["page"]["cache"] == figures["api"]["cache"] == {}
    assert figures["api+password"]["cache"]["get_many"] == 2


@pytest.mark.parametrize(
    "argv",
    [["--database-url", "sqlite:///x.db"], ["--opens", "0"], ["--surfaces", "page,nowhere"]],
)
def test_arguments_refused(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        open_cost.parse_args(argv)


@pytest.mark.parametrize(
    ("sql", "kind"),
    [
        ("SELECT 1", "SELECT"),
        ("WITH s AS (SELECT 1) SELECT * FROM s", "SELECT"),
        (
            'WITH c AS (UPDATE "t" SET n = n + 1 RETURNING id) INSERT INTO "l" SELECT id FROM c',
            "WITH UPDATE … INSERT",
        ),
        ("begin immediate", "BEGIN"),
    ],
)
def test_statement_kinds(sql: str, kind: str) -> None:
    assert open_cost.statement_kind(sql) == kind
