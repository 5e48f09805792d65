"""The pure parts of ``bench/ratios.py``: arguments, summaries, ratios, targets, the client.

No timing is judged here; the benchmark itself runs in ``.ci/run`` (``--quick``).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench import ratios
from bench.ratios import CaseResult, Reply, Request


def test_full_and_quick_defaults() -> None:
    full = ratios.parse_args([])
    assert (full.seconds, full.rounds, full.burst, full.tuning) == (2.0, 12, 400, "both")
    quick = ratios.parse_args(["--quick", "--rounds", "2"])
    assert (quick.seconds, quick.rounds, quick.burst) == (1.0, 2, 100)


@pytest.mark.parametrize(
    "argv",
    [
        ["--database-url", "sqlite:///x.db"],
        ["--tuning", "sometimes"],
        ["--peer-url", "http://127.0.0.1:8055/shares/auth", "--peer-header", "no colon"],
    ],
)
def test_arguments_refused(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        ratios.parse_args(argv)


def _replies(count: int, ms: float, ok: bool = True, status: int = 200) -> list[Reply]:
    return [Reply(status, int(ms * 1e6), ok) for _ in range(count)]


def test_summary_rates_are_the_median_round_of_expected_answers() -> None:
    result = CaseResult("opens")
    result.warmup = _replies(3, 1.0)
    result.rounds = [
        (_replies(10, 2.0), 1.0),
        (_replies(30, 2.0) + _replies(2, 9.0, ok=False, status=500), 2.0),
        (_replies(50, 2.0), 2.0),
    ]
    summary = result.summary()
    assert summary["per_second"] == 15.0  # rounds: 10/s, 15/s, 25/s
    assert summary["per_second_by_round"] == [10.0, 15.0, 25.0]
    assert summary["requests"] == 92
    assert summary["p50_ms"] == 2.0
    assert summary["statuses"] == {200: 93, 500: 2}  # warm-up included
    assert summary["unexpected"] == 2


def test_ratios_of_the_pairs_present() -> None:
    cases = {
        "plain": {"per_second": 200.0, "p50_ms": 10.0},
        "share_page": {"per_second": 180.0, "p50_ms": 11.0},
        "api_opens": {"per_second": 100.0, "p50_ms": 20.0},
    }
    found = {tuple(r["pair"]): r for r in ratios.ratios(cases)}
    assert set(found) == {("share_page", "plain"), ("api_opens", "plain")}  # no peer measured
    assert found[("share_page", "plain")]["throughput"] == 0.9
    assert found[("share_page", "plain")]["median_latency"] == 1.1
    assert found[("api_opens", "plain")]["throughput"] == 0.5


def test_targets_say_met_or_missed_and_by_how_much() -> None:
    found = [
        {"pair": ["page_opens", "plain"], "throughput": 0.62},
        {"pair": ["api_opens", "plain"], "throughput": 0.4},
        {"pair": ["share_page", "plain"], "throughput": 0.85},
    ]
    sqlite = ratios.targets("sqlite", found, burst_5xx=0, burst_size=400)
    assert sqlite[0].startswith("[ met  ]") and "(+0.12)" in sqlite[0]
    assert sqlite[1].startswith("[MISSED]") and "(-0.10)" in sqlite[1]
    assert sqlite[2].startswith("[ met  ]")
    assert ratios.targets("sqlite", found, burst_5xx=3, burst_size=400)[2].startswith("[MISSED]")
    assert ratios.targets("sqlite", found, burst_5xx=0, burst_size=100)[2].startswith("[ n/a  ]")
    (postgres,) = ratios.targets("postgresql", found, burst_5xx=0, burst_size=400)
    assert postgres.startswith("[MISSED]") and "(-0.05)" in postgres


def test_with_name() -> None:
    url = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
    assert ratios.with_name(url, "bench_ratios_1") == (
        "postgres://postgres@127.0.0.1:5432/bench_ratios_1?sslmode=disable"
    )


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200 if body == b"{}" else 400)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def local_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/shares/auth"
    server.shutdown()
    server.server_close()


def test_the_client_sends_and_judges(local_server: str) -> None:
    def ok(status: int, body: bytes) -> bool:
        return status == 200 and body == b"ok"

    request = Request("POST", local_server, ok, b"{}")
    replies, seconds = ratios.closed_loop(request, threads=2, seconds=0.2)
    assert replies and all(reply.ok for reply in replies) and seconds >= 0.2
    assert [reply.status for reply in ratios.burst(request, 5)] == [200] * 5
    refused = ratios.send(Request("POST", local_server, ok, b"[]"))
    assert (refused.status, refused.ok) == (400, False)
