"""A small asyncio HTTP/1.1 client over raw sockets: cheap enough to load a server on the same
machine without taking much of its CPU, and able to release many requests at the same moment.

Every request has its own connection and says ``Connection: close`` (gunicorn's sync workers
close it anyway), so the reply is everything read until the server closes the socket.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlencode


@dataclass(frozen=True)
class Target:
    """Where requests go (a loopback server), and the local address they come from."""

    host: str
    port: int
    source: str | None = None  # e.g. "127.0.0.2": another client address on loopback


@dataclass(frozen=True)
class Reply:
    """One answer: status, headers (names in lower case), body, and the time from connecting to
    the last byte."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    elapsed_ns: int

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key == name.lower()), None)

    def cookies(self) -> dict[str, str]:
        """The cookies the reply sets (name → value)."""
        jar: SimpleCookie = SimpleCookie()
        for key, value in self.headers:
            if key == "set-cookie":
                jar.load(value)
        return {name: morsel.value for name, morsel in jar.items()}

    def json(self) -> Any:
        return json.loads(self.body)


def request(
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    host: str = "127.0.0.1",
) -> bytes:
    """The bytes of one HTTP/1.1 request."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if body or method in {"POST", "PUT", "PATCH"}:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def post_json(path: str, data: dict[str, Any], headers: dict[str, str] | None = None) -> bytes:
    body = json.dumps(data).encode()
    headers = {"Content-Type": "application/json", **(headers or {})}
    return request("POST", path, headers=headers, body=body)


def post_form(path: str, data: dict[str, str], cookies: dict[str, str]) -> bytes:
    """A form ``POST`` as a browser sends it, with ``cookies``."""
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": cookie_header(cookies),
    }
    return request("POST", path, headers=headers, body=urlencode(data).encode())


def cookie_header(cookies: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())


def parse(raw: bytes, elapsed_ns: int) -> Reply:
    """A whole response as read until the server closed the connection."""
    head, _sep, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/"):
        raise ConnectionError(f"Not an HTTP response: {raw[:80]!r}")
    headers = []
    for line in header_lines:
        name, _colon, value = line.partition(":")
        headers.append((name.strip().lower(), value.strip()))
    return Reply(int(parts[1]), tuple(headers), body, elapsed_ns)


async def _connect(target: Target) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    local = (target.source, 0) if target.source else None
    return await asyncio.open_connection(target.host, target.port, local_addr=local)


async def _exchange(
    streams: tuple[asyncio.StreamReader, asyncio.StreamWriter], raw: bytes, started: int
) -> Reply:
    reader, writer = streams
    try:
        writer.write(raw)
        await writer.drain()
        answer = await reader.read(-1)
    finally:
        writer.close()
    return parse(answer, time.perf_counter_ns() - started)


async def send(target: Target, raw: bytes) -> Reply:
    """One request on a new connection; its time includes connecting."""
    started = time.perf_counter_ns()
    return await _exchange(await _connect(target), raw, started)


async def send_together(target: Target, raws: list[bytes]) -> list[Reply]:
    """Connect once per request first, then send all of them at the same moment."""
    connections = await asyncio.gather(*(_connect(target) for _ in raws))
    started = time.perf_counter_ns()
    return list(
        await asyncio.gather(
            *(
                _exchange(streams, raw, started)
                for streams, raw in zip(connections, raws, strict=True)
            )
        )
    )


async def closed_loop(
    target: Target, requests: Iterable[bytes], *, concurrency: int, seconds: float
) -> tuple[list[Reply], float]:
    """Keep ``concurrency`` requests in flight, taking the next from ``requests``, until
    ``seconds`` have passed or ``requests`` runs out; the replies and the time it took."""
    queue = iter(requests)
    replies: list[Reply] = []
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        for raw in queue:
            replies.append(await send(target, raw))
            if time.perf_counter() >= deadline:
                return

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return replies, time.perf_counter() - started
