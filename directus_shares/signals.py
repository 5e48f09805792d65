"""Signals the app sends. Connect receivers with ``@receiver(share_accessed)``."""

from __future__ import annotations

from django.dispatch import Signal

#: Sent after every attempt to open a share (see ``docs/access-log.md``), after it was written to
#: the access log – and also when ``ACCESS_LOG`` is off. Receivers run inside the request, so
#: keep them quick. It is sent robustly: an exception in a receiver is logged to
#: ``directus_shares.logs``, never shown to the visitor (whose use may already be counted).
#:
#: Arguments:
#:     sender: the ``Share`` class.
#:     share: the share that was opened or refused.
#:     recipient: the :class:`~directus_shares.models.ShareRecipient` whose own link was used, or
#:         ``None`` for the share's common link.
#:     granted: ``True`` when a use was counted.
#:     reason: ``"granted"``, ``"wrong_password"``, ``"locked_out"`` (a password sent while too
#:         many wrong ones lock the share or the address: nothing was checked),
#:         ``"service_unavailable"`` (the cache that keeps the password limits did not answer:
#:         nothing was checked), ``"changed"``
#:         (the share changed while it was being opened) or the ``outcomes.Refusal`` code
#:         (``"expired"``, ``"used_up"`` …), or a one-time code's (``"code_requested"``,
#:         ``"wrong_code"``, ``"code_expired"`` …).
#:     address: the client address as the log keeps it (``ACCESS_LOG_ADDRESSES``): full,
#:         truncated to its network (``"192.0.2.0/24"``) or ``""``.
#:     email: the address the visitor proved with a one-time code – or, on a refused code, gave
#:         (``""`` for shares open to anyone with the link; see ``docs/verified-addresses.md``).
#:     request: the ``HttpRequest``.
share_accessed = Signal()


#: Sent when wrong passwords reach a limit and a share stops checking passwords for a while –
#: once per lock (per window of each limit, across processes; again after the window ends or
#: the share is unlocked). Sent robustly: a receiver's exception is logged to
#: ``directus_shares.lockout``, never shown to the visitor. With ``limit="share"`` the share is
#: locked for everybody and the app also mails its creator (``mail.send_lock_notice``).
#: Arguments: ``sender`` (the :class:`~directus_shares.models.Share` class), ``share``,
#: ``address`` (the client address, or ``None`` when unknown) and ``limit`` (``"share"``,
#: ``"addr"`` or ``"recipient"``: which limit was reached; ``"recipient"`` is the per-share limit
#: of one recipient's own link, which locks only that link: no mail).
share_locked = Signal()


#: Sent when a recipient's own link is refused on one device more than it may be opened on
#: (``DEVICES_PER_RECIPIENT``, see ``docs/recipients.md``) – it was probably forwarded – once
#: per flag (across processes; again after staff allow one more device or give the recipient a
#: new link, when the next device past the limit is refused). The app also mails the share's
#: creator (``mail.send_forwarded_notice``). Sent robustly: a receiver's exception is logged to
#: ``directus_shares.devices``, never shown to the visitor.
#: Arguments: ``sender`` (the :class:`~directus_shares.models.Share` class), ``share``,
#: ``recipient`` (the :class:`~directus_shares.models.ShareRecipient` whose link it is, flagged:
#: ``forwarded_at`` set) and ``request`` (the refused visitor's ``HttpRequest``).
share_forwarded = Signal()
