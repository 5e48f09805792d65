"""Logging share requests without writing working links into log files."""

from __future__ import annotations

from django.http import HttpRequest


def redacted_path(request: HttpRequest) -> str:
    """The request path with the link's secret cut to its first six characters."""
    prefix, _sep, token = request.path.rstrip("/").rpartition("/")
    return f"{prefix}/{token[:6]}…/"
