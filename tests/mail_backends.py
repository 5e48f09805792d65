"""Mail backends of the tests: :class:`FailingBackend` for mail failures, and
:class:`DirectoryBackend` for the mails of gunicorn workers (``tests/server_settings.py``)."""

from __future__ import annotations

import os
import uuid
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

#: The folder :class:`DirectoryBackend` writes to.
MAIL_DIR_VARIABLE = "SERVER_MAIL_DIR"


class FailingBackend(BaseEmailBackend):
    """Refuses any address with "fail" in it and delivers the rest to Django's locmem outbox, as
    the test environment's backend does."""

    def send_messages(self, messages):
        for message in messages:
            if any("fail" in address for address in message.to):
                raise OSError("mail server said no")
            mail.outbox.append(message)
        return len(messages)


class DirectoryBackend(BaseEmailBackend):
    """Every message in a file of its own in the folder ``$SERVER_MAIL_DIR``: each worker process
    delivers where the test process reads (:func:`delivered`). A file appears whole or not at
    all (written under another name, then renamed)."""

    def send_messages(self, messages):
        folder = Path(os.environ[MAIL_DIR_VARIABLE])
        for message in messages:
            name = uuid.uuid4().hex
            partial = folder / f"{name}.partial"
            partial.write_bytes(message.message().as_bytes())
            partial.rename(folder / f"{name}.eml")
        return len(messages)


def delivered(folder: Path) -> list[EmailMessage]:
    """The messages :class:`DirectoryBackend` wrote to ``folder`` (headers decoded)."""
    return [
        message_from_bytes(path.read_bytes(), _class=EmailMessage, policy=policy.default)
        for path in sorted(folder.glob("*.eml"))
    ]
