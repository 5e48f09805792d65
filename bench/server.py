"""Serve the project with gunicorn on loopback: several worker processes on one PostgreSQL
database, password counters in Redis. The multi-process test and the load benchmark start it
the same way (``tests/server_settings.py`` holds the workers' settings).

Environment: ``REDIS_URL`` (the default cache, else Redis's database 0 on loopback) and
``SERVER_PORTS`` (``first-last``: gunicorn listens on the first free port of that range – a
machine shared by several runs gives each its own; unset, the system picks any free port).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_MODULE = "tests.server_settings"
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
HOST = "127.0.0.1"
_LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")
#: Answers 404 without touching the database: how readiness is probed.
PROBE_PATH = "/api/shares/open/ready/info/"


@dataclass(frozen=True)
class ServerConfig:
    """How gunicorn runs: ``workers`` sync processes (gthread ones with ``threads``) on
    ``database_url``, cache in Redis under a prefix of its own (so runs never see each other's
    password counters)."""

    database_url: str
    redis_url: str = REDIS_URL
    workers: int = 4
    threads: int = 1  # more than one: gunicorn's gthread workers, each answering this many at once
    conn_max_age: int = 600  # seconds a worker keeps its database connection
    cache_prefix: str = field(default_factory=lambda: f"directus-shares-{uuid.uuid4().hex[:12]}")
    # psycopg prepares a statement on its 5th run on a connection (server-side binding): the
    # share lookup is then planned once per worker, not once per request. None: Django's default.
    prepare_threshold: int | None = 5
    profile_dir: Path | None = None  # each worker's cProfile statistics go here (bench.profiling)
    # The workers' settings; bench.ratios serves the example project's, as a user gets them.
    settings_module: str = SETTINGS_MODULE
    extra_environment: dict[str, str] = field(default_factory=dict)  # e.g. DATABASE_TUNING=0

    def environment(self) -> dict[str, str]:
        profiling = {"SERVER_PROFILE_DIR": str(self.profile_dir)} if self.profile_dir else {}
        return {
            **os.environ,
            **profiling,
            "DJANGO_SETTINGS_MODULE": self.settings_module,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "SERVER_CACHE_PREFIX": self.cache_prefix,
            "SERVER_CONN_MAX_AGE": str(self.conn_max_age),
            "SERVER_PREPARE_THRESHOLD": ""
            if self.prepare_threshold is None
            else str(self.prepare_threshold),
            **self.extra_environment,
        }

    def command(self) -> list[str]:
        command = [
            sys.executable, "-m", "gunicorn", "bench.wsgi:application",
            "--bind", f"{HOST}:{free_port()}",  # 0: any free port; read back from the log
            "--workers", str(self.workers),
            "--threads", str(self.threads),
            "--preload",  # Django is imported and warmed up once; every worker is ready when forked
            "--chdir", str(ROOT), "--pythonpath", str(ROOT),
            "--log-level", "info",
            "--graceful-timeout", "30" if self.profile_dir else "1",  # see Server.stop()
        ]  # fmt: skip
        if self.profile_dir:
            command += ["--config", "python:bench.profiling"]
        if _has_control_socket():
            command.append("--no-control-socket")  # gunicorn ≥ 24: no shared socket in $HOME
        return command


def _has_control_socket() -> bool:
    from gunicorn.config import Config

    return "control_socket_disable" in Config().settings


def free_port() -> int:
    """The port gunicorn is to listen on: the first of ``SERVER_PORTS`` that nothing listens on,
    or 0 without that variable (the system picks one)."""
    ports = os.environ.get("SERVER_PORTS")
    if not ports:
        return 0
    first, _dash, last = ports.partition("-")
    for port in range(int(first), int(last or first) + 1):
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
            try:
                probe.bind((HOST, port))
            except OSError:
                continue
        return port
    raise ServerFailed(f"No free port in SERVER_PORTS={ports}.")


def database_url(settings: dict[str, Any]) -> str:
    """A ``postgres://`` (or ``mysql://``) URL for a Django ``DATABASES`` entry (the one the
    test process uses)."""
    user = quote(settings.get("USER") or "", safe="")
    password = settings.get("PASSWORD") or ""
    credentials = f"{user}:{quote(password, safe='')}@" if password else f"{user}@"
    port = f":{settings['PORT']}" if settings.get("PORT") else ""
    host = settings.get("HOST") or "127.0.0.1"
    scheme = "mysql" if settings.get("ENGINE") == "django.db.backends.mysql" else "postgres"
    return f"{scheme}://{credentials}{host}{port}/{quote(str(settings['NAME']), safe='')}"


def redis_unavailable(url: str = REDIS_URL) -> str | None:
    """Why Redis at ``url`` cannot serve as the cache (``None``: it answers)."""
    try:
        import redis
    except ImportError:
        return "the redis package is not installed"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
    except redis.RedisError as error:
        return f"Redis at {url} does not answer: {error}"
    return None


class ServerFailed(RuntimeError):
    """gunicorn exited or never answered; the message ends with what it wrote to stderr."""


@dataclass
class Server:
    """A running gunicorn master and its workers."""

    process: subprocess.Popen[bytes]
    log: TextIO
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def stderr(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def fail(self, message: str) -> ServerFailed:
        return ServerFailed(f"{message}\n--- gunicorn's stderr ---\n{self.stderr()}")

    def wait_until_ready(self, timeout: float) -> None:
        """Wait for the listening port in the log, then for an HTTP answer on it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise self.fail(f"gunicorn exited with status {self.process.returncode}.")
            if not self.port and (found := _LISTENING.search(self.stderr())):
                self.port = int(found.group(1))
            if self.port and _answers(self.base_url + PROBE_PATH):
                return
            time.sleep(0.05)
        raise self.fail(f"gunicorn did not answer within {timeout:.0f} s.")

    def stop(self) -> None:
        """Graceful stop (``SIGTERM``, one second for a request under way: gunicorn's master
        lingers until the graceful timeout even when its idle workers exit at once); the whole
        process group is killed if that hangs."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # our own session: gunicorn's only
                self.process.wait()
        self.log.close()


def _answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=2).close()
    except urllib.error.HTTPError:
        return True  # any HTTP status: a worker is serving
    except OSError:
        return False
    return True


@contextmanager
def serving(config: ServerConfig, *, timeout: float = 30) -> Iterator[Server]:
    """Start gunicorn with ``config``, wait until it answers, stop it on the way out."""
    log = tempfile.TemporaryFile("w+", prefix="gunicorn-", suffix=".log")  # noqa: SIM115
    process = subprocess.Popen(
        config.command(),
        env=config.environment(),
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
        start_new_session=True,  # its own process group, so a hung stop can kill all of it
    )
    server = Server(process, log)
    try:
        server.wait_until_ready(timeout)
        yield server
    finally:
        server.stop()


def run_benchmark(
    name: str,
    args: Any,
    run: Callable[[Any], dict[str, Any]],
    render: Callable[[dict[str, Any]], str],
    counts: Callable[[dict[str, Any]], Iterable[dict[str, Any]]],
) -> int:
    """Run a benchmark that serves through gunicorn with Redis: print its report (and write it to
    ``args.json``); the exit code is 2 without Redis, 1 when a use count was wrong, else 0."""
    from .share_page import progress

    problem = redis_unavailable(args.redis_url)
    if problem:
        progress(f"The {name} benchmark needs Redis: {problem}")
        return 2
    report = run(args)
    print(render(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str) + "\n")
        progress(f"Results written to {args.json}")
    exact = all(check["expected"] == check["found"] for check in counts(report))
    return 0 if exact else 1
