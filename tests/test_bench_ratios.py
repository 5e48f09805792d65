"""The pure parts of ``bench/ratios.py``: arguments, summaries, ratios, targets, the client.

No timing is judged here; the benchmark itself runs in ``.ci/run`` (``--quick``).
"""

from __future__ import annotations

import json
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
        ["--peer-url", "http://127.0.0.1:8055"],  # without its shares and item
        ["--peer-url", "http://127.0.0.1:8055", "--peer-share", "a", "--peer-item", "reports/1"],
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


def test_peer_options_together() -> None:
    args = ratios.parse_args(
        ["--peer-url", "http://127.0.0.1:8055", "--peer-share", "s", "--peer-password-share", "p",
         "--peer-item", "reports/1?fields=*"]
    )  # fmt: skip
    assert (args.peer_share, args.peer_password_share, args.peer_item) == (
        "s",
        "p",
        "reports/1?fields=*",
    )
    assert ratios.parse_args([]).peer_url is None


def test_ratios_against_the_peer() -> None:
    cases = {
        "plain": {"per_second": 200.0, "p50_ms": 10.0},
        "api_opens": {"per_second": 300.0, "p50_ms": 8.0},
        "api_reads": {"per_second": 240.0, "p50_ms": 9.0},
        "wrong_passwords": {"per_second": 4.0, "p50_ms": 900.0},
        "peer_opens": {"per_second": 100.0, "p50_ms": 40.0},
        "peer_reads": {"per_second": 120.0, "p50_ms": 30.0},
        "peer_wrong_passwords": {"per_second": 8.0, "p50_ms": 450.0},
    }
    found = {tuple(r["pair"]): r["throughput"] for r in ratios.ratios(cases)}
    assert found[("api_opens", "peer_opens")] == 3.0
    assert found[("api_reads", "peer_reads")] == 2.0
    assert found[("wrong_passwords", "peer_wrong_passwords")] == 0.5
    assert ("page_opens", "peer_opens") not in found  # not measured
    postgres = ratios.targets("postgresql", ratios.ratios(cases), burst_5xx=0, burst_size=400)
    assert [line[:8] for line in postgres] == ["[MISSED]", "[MISSED]"]  # 3.0 < 4, 2.0 < 3
    assert "api_opens / peer_opens" in postgres[0] and "(-1.00)" in postgres[0]
    sqlite = ratios.targets("sqlite", ratios.ratios(cases), burst_5xx=0, burst_size=400)
    assert any(line.startswith("[ met  ] api_opens / peer_opens") for line in sqlite)


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


def test_a_case_of_several_requests_sends_them_in_turn(local_server: str) -> None:
    def ok(status: int, body: bytes) -> bool:
        return status == 200

    good, bad = Request("POST", local_server, ok, b"{}"), Request("POST", local_server, ok, b"[]")
    next_request = ratios.turns((good, bad, good))
    assert [next_request() for _ in range(4)] == [good, bad, good, good]
    assert ratios.turns(next_request) is next_request  # rounds go on where the last one stopped
    assert next_request() == bad
    replies = ratios.burst((good, bad), 6)
    assert sorted(reply.status for reply in replies) == [200] * 3 + [400] * 3


class _Directus(BaseHTTPRequestHandler):
    """Answers like Directus 11: ``/shares/auth`` and an item read with the share's token."""

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path == "/shares/auth" and body == {"share": "open-share"}:
            self._answer(200, {"data": {"access_token": "share-session", "expires": 900000}})
        else:
            self._answer(401, {"errors": [{"message": "Invalid user credentials."}]})

    def do_GET(self) -> None:
        if (
            self.path == "/items/reports/1?fields=*,author.*"
            and self.headers["Authorization"] == "Bearer share-session"
        ):
            self._answer(200, {"data": {"id": 1, "title": "Quarterly sales review"}})
        else:
            self._answer(403, {"errors": [{"message": "Forbidden"}]})

    def _answer(self, status: int, data: object) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_peer_cases_open_read_with_the_share_token_and_refuse_a_wrong_password() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Directus)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        args = ratios.parse_args(
            ["--peer-url", f"http://127.0.0.1:{server.server_address[1]}/",
             "--peer-share", "open-share", "--peer-password-share", "password-share",
             "--peer-item", "/reports/1?fields=*,author.*"]
        )  # fmt: skip
        found = ratios.peer_cases(args)
        assert set(found) == {"peer_opens", "peer_reads", "peer_wrong_passwords"}
        replies = {key: ratios.send(case) for key, case in found.items()}
        assert {key: (r.status, r.ok) for key, r in replies.items()} == {
            "peer_opens": (200, True),
            "peer_reads": (200, True),
            "peer_wrong_passwords": (401, True),
        }
    finally:
        server.shutdown()
        server.server_close()
