"""A cache that is away: its calls fail the way a cache client does when its server is down.

``OPTIONS["ERROR"]`` names the exception class raised (default: redis-py's ``ConnectionError``,
what Django's ``RedisCache`` passes on when Redis refuses connections); ``OPTIONS["FAIL"]`` lists
the calls that fail (default: all of them) – the others work, as Django's in-process cache.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.cache.backends.locmem import LocMemCache
from django.utils.module_loading import import_string

CALLS = ("add", "get", "set", "touch", "delete", "clear", "incr", "decr", "has_key")
CALLS += ("get_many", "set_many", "delete_many")


class UnreachableCache(LocMemCache):
    """Raises ``OPTIONS["ERROR"]`` on the calls named in ``OPTIONS["FAIL"]``."""

    def __init__(self, name: str, params: dict[str, Any]) -> None:
        super().__init__(name, params)
        options = params.get("OPTIONS", {})
        self.error = import_string(options.get("ERROR", "redis.exceptions.ConnectionError"))
        self.failing = set(options.get("FAIL", CALLS))


def _call(name: str) -> Callable[..., Any]:
    def call(self: UnreachableCache, *args: Any, **kwargs: Any) -> Any:
        if name in self.failing:
            raise self.error("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        return getattr(super(UnreachableCache, self), name)(*args, **kwargs)

    return call


for _name in CALLS:
    setattr(UnreachableCache, _name, _call(_name))
