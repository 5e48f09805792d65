"""A mail backend for tests of mail failures: it refuses any address with "fail" in it and
delivers the rest to Django's locmem outbox, as the test environment's backend does."""

from __future__ import annotations

from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend


class FailingBackend(BaseEmailBackend):
    def send_messages(self, messages):
        for message in messages:
            if any("fail" in address for address in message.to):
                raise OSError("mail server said no")
            mail.outbox.append(message)
        return len(messages)
