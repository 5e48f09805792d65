"""Recording attempts to open a share: the access log row and the ``share_accessed`` signal."""

from __future__ import annotations

import functools
import ipaddress
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from django.db import connections, router, transaction
from django.db.models import Field
from django.http import HttpRequest

from .conf import get_config
from .logs import logger
from .models import Share, ShareAccess
from .networks import Address, client_address
from .signals import share_accessed

#: The network a truncated address is kept as, per IP version.
TRUNCATED_PREFIX = {4: 24, 6: 48}


def loggable_address(address: Address | None) -> str:
    """``address`` as ``ACCESS_LOG_ADDRESSES`` allows it to be kept: in full, as its network
    (``"192.0.2.0/24"``, ``"2001:db8:1::/48"``), or ``""``."""
    mode = get_config()["ACCESS_LOG_ADDRESSES"]
    if address is None or mode == "off":
        return ""
    if mode == "full":
        return str(address)
    # Anything else (a typo is reported by check E012) keeps the default, the truncated form.
    network = ipaddress.ip_network((address, TRUNCATED_PREFIX[address.version]), strict=False)
    return str(network)


def record_access(request: HttpRequest, share: Share, *, granted: bool, reason: str) -> None:
    """Log one attempt to open ``share`` (unless ``ACCESS_LOG`` is off), then send
    :data:`~directus_shares.signals.share_accessed`.

    A failure to write, or of a receiver, is logged and swallowed: the visitor's page never
    breaks for it.
    """
    reason = str(reason)  # an AccessReason member is sent on as its plain code
    address = loggable_address(client_address(request))
    if get_config()["ACCESS_LOG"]:
        try:
            alias = router.db_for_write(ShareAccess)
            with _own_savepoint(alias):
                entry = ShareAccess(share=share, granted=granted, reason=reason, address=address)
                _insert(entry, alias)
        except Exception:  # whatever fails, the page must not
            logger.exception("Could not write the access log of share %s (%s)", share.pk, reason)
    # Robust: by now a use may be counted, and a failing receiver must not take the visitor's
    # grant with it.
    for receiver, error in share_accessed.send_robust(
        sender=Share, share=share, granted=granted, reason=reason, address=address, request=request
    ):
        if isinstance(error, Exception):
            logger.error("A share_accessed receiver failed: %r", receiver, exc_info=error)


def _own_savepoint(alias: str) -> AbstractContextManager[Any]:
    """Inside a transaction (``ATOMIC_REQUESTS``, a caller's ``atomic``), a savepoint: a failed
    write leaves that transaction usable. Outside one the write commits on its own, and a
    transaction around it would only cost two more round trips to the database."""
    if transaction.get_connection(alias).in_atomic_block:
        return transaction.atomic(using=alias)
    return nullcontext()


def _insert(entry: ShareAccess, alias: str) -> None:
    """Write ``entry`` with one ``INSERT``, its SQL built once per database: the ORM spent more
    CPU building it than the database spent on it, on every counted open. Like ``bulk_create``
    it sends no ``pre_save``/``post_save``; :data:`~directus_shares.signals.share_accessed` is
    the signal to listen to."""
    connection = connections[alias]
    values = [
        field.get_db_prep_save(field.pre_save(entry, add=True), connection)
        for field in _written_fields()
    ]
    with connection.cursor() as cursor:
        cursor.execute(_insert_statement(alias), values)


@functools.cache
def _written_fields() -> tuple[Field, ...]:
    return tuple(field for field in ShareAccess._meta.concrete_fields if not field.primary_key)


@functools.cache
def _insert_statement(alias: str) -> str:
    quote = connections[alias].ops.quote_name
    columns = ", ".join(quote(field.column) for field in _written_fields())
    placeholders = ", ".join(["%s"] * len(_written_fields()))
    table = quote(ShareAccess._meta.db_table)
    return f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608 – names only
