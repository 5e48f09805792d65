"""A cache that is away: every call fails the way a cache client does when its server is down.

``OPTIONS["ERROR"]`` names the exception class raised (default: redis-py's
``ConnectionError``, what Django's ``RedisCache`` passes on when Redis refuses connections).
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.base import BaseCache
from django.utils.module_loading import import_string


class UnreachableCache(BaseCache):
    """Raises ``OPTIONS["ERROR"]`` on every read and write."""

    def __init__(self, location: str, params: dict[str, Any]) -> None:
        super().__init__(params)
        self.error = import_string(params.get("OPTIONS", {}).get("ERROR", DEFAULT_ERROR))

    def fail(self, *args: Any, **kwargs: Any) -> Any:
        raise self.error("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    add = get = set = touch = delete = clear = incr = decr = has_key = fail
    get_many = set_many = delete_many = fail


DEFAULT_ERROR = "redis.exceptions.ConnectionError"
