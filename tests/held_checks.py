"""Password checks held at one moment, so that tests of attempts under way need no timing."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from directus_shares.models import Share


class HeldChecks:
    """Password checks held until ``checking`` of them are under way at once and ``waiting``
    other attempts have looked for room and waited for them; then all are let through. Records
    the most checks ever under way at once. No assertion depends on timing."""

    def __init__(self, monkeypatch, *, checking: int, waiting: int):
        self.condition = threading.Condition()
        self.expected = (checking, waiting)
        self.checking = self.most = 0
        self.waited: set[int] = set()
        self.released = False

        def pause(seconds: float) -> None:  # an attempt found no room and waits for the checks
            with self.condition:
                self.waited.add(threading.get_ident())
                self._release_when_expected()
                self.condition.wait(0.01)

        # An attempt waits for room by sleeping: each such sleep is an attempt seen waiting.
        monkeypatch.setattr(time, "sleep", pause)

    def _release_when_expected(self) -> None:
        if self.checking >= self.expected[0] and len(self.waited) >= self.expected[1]:
            self.released = True
            self.condition.notify_all()

    @contextmanager
    def check(self) -> Iterator[None]:
        with self.condition:
            self.checking += 1
            self.most = max(self.most, self.checking)
            self._release_when_expected()
            # A safety net, not a measurement: if the expected moment never comes (attempts
            # refused instead of waiting), let the checks go and the results tell.
            self.released = self.condition.wait_for(lambda: self.released, timeout=15) or True
            self.condition.notify_all()
        try:
            yield
        finally:
            with self.condition:
                self.checking -= 1

    def hold_share_password_checks(self, monkeypatch, right: str) -> None:
        """Hold every share password check here; ``right`` is the right password (compared
        as it is: the tests are about the limits, not about Argon2's time)."""

        def held(share: Share, raw: str) -> bool:
            with self.check():
                return raw == right

        monkeypatch.setattr(Share, "check_password", held)
