"""The WSGI application the load server runs (``bench/server.py``): the example project's, warmed
up before gunicorn forks its workers (``--preload``), so no worker's first request pays for
importing the views, the API and the translations.

The warm-up request is a link token that is not one, which is refused before any database work:
the master process never opens a connection its forked workers would share.

Errors of requests (a 500's traceback, e.g. "database is locked") go to gunicorn's stderr also
with ``DEBUG`` off, where the benchmarks look for them.

The cache keys get the run's ``SERVER_CACHE_PREFIX``, so no run meets another's password limits
in a shared Redis; ``BENCH_TRUSTED_PROXY_COUNT`` (bench only) sets the app's
``TRUSTED_PROXY_COUNT``, so a load client can name each request's client address.
"""

from __future__ import annotations

import io
import logging
import os
from typing import Any

from django.conf import settings
from django.db import connections
from django.test.utils import override_settings

from example_project.wsgi import application

from .server import HOST, PROBE_PATH


def _warm_up() -> None:
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": PROBE_PATH,
        "SERVER_NAME": HOST,
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": HOST,
        "wsgi.input": io.BytesIO(),
        "wsgi.url_scheme": "http",
    }

    def start_response(status: str, headers: list[Any], *args: Any) -> None:
        if not status.startswith("404"):
            raise RuntimeError(f"The warm-up request answered {status}, not 404.")

    b"".join(application(environ, start_response))
    connections.close_all()


if os.environ.get("SERVER_CACHE_PREFIX"):
    override_settings(
        CACHES={
            **settings.CACHES,
            "default": {
                **settings.CACHES["default"],
                "KEY_PREFIX": os.environ["SERVER_CACHE_PREFIX"],
            },
        }
    ).enable()
if os.environ.get("BENCH_TRUSTED_PROXY_COUNT"):
    override_settings(
        DIRECTUS_SHARES={
            **getattr(settings, "DIRECTUS_SHARES", {}),
            "TRUSTED_PROXY_COUNT": int(os.environ["BENCH_TRUSTED_PROXY_COUNT"]),
        }
    ).enable()

_errors = logging.StreamHandler()
_errors.setLevel(logging.ERROR)  # 5xx only: the 4xx a benchmark asks for would flood the log
logging.getLogger("django.request").addHandler(_errors)
_warm_up()

__all__ = ["application"]
