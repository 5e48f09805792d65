"""Recording attempts to open a share: the access log row and the ``share_accessed`` signal."""

from __future__ import annotations

import functools
import ipaddress
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from typing import Any

from django.db import (
    DataError,
    IntegrityError,
    ProgrammingError,
    connections,
    router,
    transaction,
)
from django.db.models import Field
from django.http import HttpRequest

from . import counting
from .conf import get_config
from .counting import Condition
from .logs import logger
from .models import AccessReason, Share, ShareAccess
from .networks import Address, client_address
from .signals import share_accessed

#: The network a truncated address is kept as, per IP version.
TRUNCATED_PREFIX = {4: 24, 6: 48}
_GRANTED = str(AccessReason.GRANTED)


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
        _write(ShareAccess(share=share, granted=granted, reason=reason, address=address))
    _announce(request, share, granted=granted, reason=reason, address=address)


def record_counted_use(
    request: HttpRequest, share: Share, now: datetime, condition: Condition | None = None
) -> bool:
    """Count one use of ``share`` at ``now`` if ``condition`` holds (:func:`.counting.count_use`)
    and, when it was counted, record the granted access as :func:`record_access` does; True when
    counted.

    On PostgreSQL, outside a transaction and with the log on the shares' database, the count and
    the log row are one statement – an ``UPDATE … RETURNING`` feeding the ``INSERT`` – which saves
    a round trip and a commit on every counted open. Should that statement fail for its row, the
    use is counted on its own and the row written apart, as everywhere else: a broken log never
    takes a visitor's use.
    """
    alias = router.db_for_write(Share)
    if get_config()["ACCESS_LOG"] and _counts_and_logs_at_once(alias):
        address = loggable_address(client_address(request))
        entry = ShareAccess(share=share, granted=True, reason=_GRANTED, address=address)
        try:
            counted = _count_and_insert(share, now, entry, alias, condition)
        except (DataError, IntegrityError, ProgrammingError):  # the row, not the connection
            message = "Counting a use of share %s and logging it at once failed: two steps"
            logger.warning(message, share.pk, exc_info=True)
        else:
            if counted:
                _announce(request, share, granted=True, reason=_GRANTED, address=address)
            return counted
    counted = counting.count_use(share, now, condition)
    if counted:
        record_access(request, share, granted=True, reason=_GRANTED)
    return counted


def _write(entry: ShareAccess) -> None:
    try:
        alias = router.db_for_write(ShareAccess)
        with _own_savepoint(alias):
            _insert(entry, alias)
    except Exception:  # whatever fails, the page must not
        logger.exception(
            "Could not write the access log of share %s (%s)", entry.share_id, entry.reason
        )


def _announce(
    request: HttpRequest, share: Share, *, granted: bool, reason: str, address: str
) -> None:
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
    with connection.cursor() as cursor:
        cursor.execute(_insert_statement(alias), _values(entry, connection, _written_fields()))


def _counts_and_logs_at_once(alias: str) -> bool:
    """Whether :func:`record_counted_use` may count and log in one statement on ``alias``:
    PostgreSQL (a data-modifying ``WITH``), the log written there too, and no transaction
    around it (in one, a failed statement would take the caller's transaction with it)."""
    connection = connections[alias]
    return (
        connection.vendor == "postgresql"
        and router.db_for_write(ShareAccess) == alias
        and not connection.in_atomic_block
    )


def _count_and_insert(
    share: Share, now: datetime, entry: ShareAccess, alias: str, condition: Condition | None
) -> bool:
    """Count a use of ``share`` (if ``condition`` holds) and, if counted, insert ``entry`` – one
    statement: ``WITH c AS (<the counting UPDATE> RETURNING <key>) INSERT … SELECT … FROM c``."""
    connection = connections[alias]
    update, parameters = counting.with_condition(
        counting.statement(alias), counting.parameters(share, now, alias), condition
    )
    parameters += _values(entry, connection, _written_fields()[1:])
    returning, insert = _insert_counted(alias)
    with connection.cursor() as cursor:
        cursor.execute(f"WITH c AS ({update} {returning}) {insert}", parameters)
        return cursor.rowcount == 1


def _values(entry: ShareAccess, connection: Any, fields: tuple[Field, ...]) -> list[Any]:
    return [field.get_db_prep_save(field.pre_save(entry, add=True), connection) for field in fields]


@functools.cache
def _written_fields() -> tuple[Field, ...]:
    """The columns an ``INSERT`` writes, the share first."""
    share = ShareAccess._meta.get_field("share")
    others = [field for field in ShareAccess._meta.concrete_fields if not field.primary_key]
    return (share, *(field for field in others if field is not share))


def _insert_into(alias: str) -> str:
    quote = connections[alias].ops.quote_name
    columns = ", ".join(quote(field.column) for field in _written_fields())
    return f"INSERT INTO {quote(ShareAccess._meta.db_table)} ({columns})"


@functools.cache
def _insert_statement(alias: str) -> str:
    placeholders = ", ".join(["%s"] * len(_written_fields()))
    return f"{_insert_into(alias)} VALUES ({placeholders})"


@functools.cache
def _insert_counted(alias: str) -> tuple[str, str]:
    """The ``RETURNING`` clause of the counting ``UPDATE`` in ``WITH c AS (…)``, and the
    ``INSERT`` of a row for the share it returns. The values are cast to their columns' types,
    which a ``SELECT`` list does not tell the database."""
    connection = connections[alias]
    key = connection.ops.quote_name(Share._meta.pk.column)
    # Field.cast_db_type() is public (Cast() uses it); django-stubs 5.2 leaves it out
    casts = ", ".join(
        f"CAST(%s AS {field.cast_db_type(connection)})"  # type: ignore[attr-defined]
        for field in _written_fields()[1:]
    )
    insert = f"{_insert_into(alias)} SELECT c.{key}, {casts} FROM c"  # noqa: S608 – names only
    return f"RETURNING {key}", insert
