"""``manage.py directus_shares_purge``: delete shares that can no longer open, and one-time codes
that ended."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from directus_shares.management.options import days_before
from directus_shares.models import Share, ShareAccess, ShareStatus
from directus_shares.verification import ended_codes

DEFAULT_GRACE_DAYS = 30


@dataclass(frozen=True)
class Kind:
    """A kind of share that can no longer open, and how to select those past the grace period."""

    name: str
    help: str
    select: Callable[[datetime, datetime], QuerySet[Share]]  # (now, cutoff) -> shares


def _orphaned(now: datetime, cutoff: datetime) -> QuerySet[Share]:
    # No grace period: nothing records when an object or a user was deleted, and such a share
    # never opens again (a re-created object with the same key would even revive it).
    return Share.objects.filter(
        Q(creator_removed=True) | Q(pk__in=Share.objects.orphaned().values("pk"))
    )


def _revoked(now: datetime, cutoff: datetime) -> QuerySet[Share]:
    return Share.objects.with_status(ShareStatus.REVOKED, now).filter(revoked_at__lte=cutoff)


def _expired(now: datetime, cutoff: datetime) -> QuerySet[Share]:
    return Share.objects.with_status(ShareStatus.EXPIRED, now).filter(date_end__lte=cutoff)


def _used_up(now: datetime, cutoff: datetime) -> QuerySet[Share]:
    # The time of the last use is not stored on the share: its access log and its last change
    # both have to be older than the cutoff.
    recent = ShareAccess.objects.filter(share=OuterRef("pk"), at__gt=cutoff)
    used_up = Share.objects.with_status(ShareStatus.USED_UP, now)
    return used_up.filter(updated_at__lte=cutoff).exclude(Exists(recent))


def _utc(moment: datetime | None) -> str:
    return "?" if moment is None else f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def reason(kind: str, share: Share, object_deleted: bool) -> str:
    """Why ``share`` goes, for the dry run's list."""
    if kind == "revoked":
        role = ", role deleted" if share.role_removed else ""
        return f"revoked {_utc(share.revoked_at)}{role}"
    if kind == "expired":
        return f"expired {_utc(share.date_end)}"
    if kind == "used-up":
        return f"used up ({share.times_used} of {share.max_uses} uses)"
    gone = []
    if share.shared_model is None:
        gone.append("model removed")
    elif object_deleted:
        gone.append("object deleted")
    if share.creator_removed:
        gone.append("creator deleted")
    return ", ".join(gone)


#: In this order: an orphaned share is counted (and deleted) as orphaned, whatever its status.
KINDS = (
    Kind("orphaned", "shares whose object, model or creator was deleted (no grace)", _orphaned),
    Kind("revoked", "shares revoked more than DAYS ago (also: role deleted)", _revoked),
    Kind("expired", "shares whose end passed more than DAYS ago", _expired),
    Kind("used-up", "used-up shares last used and changed more than DAYS ago", _used_up),
)


def delete_shares(shares: QuerySet[Share]) -> tuple[int, int]:
    """Delete ``shares`` and their access log; (shares, log entries) deleted.

    The log goes first in one ``DELETE``; the shares then through Django's collector, so delete
    signals and any other relation to a share are honoured.
    """
    entries, _by_model = ShareAccess.objects.filter(share__in=shares).delete()
    _total, by_model = shares.delete()
    return by_model.get(Share._meta.label, 0), entries


def summary(counts: list[tuple[str, int, int]], verb: str = "") -> str:
    """``3 shares deleted, with 5 access log entries`` (``verb``: "deleted") of ``counts``."""
    shares = sum(shares for _name, shares, _entries in counts)
    entries = sum(entries for _name, _shares, entries in counts)
    return (
        f"{shares} {'share' if shares == 1 else 'shares'}{f' {verb}' if verb else ''}, "
        f"with {entries} access log {'entry' if entries == 1 else 'entries'}"
    )


def interrupted(
    counts: list[tuple[str, int, int]], kinds: int, transaction_ended: bool, dry_run: bool
) -> str:
    """What an interrupted purge did, for the message that replaces the traceback. The shares
    of every kind are deleted in one transaction: interrupted before it ends, it is rolled back."""
    if dry_run:
        return "Interrupted. Nothing was deleted (a dry run deletes nothing)."
    if transaction_ended:
        return f"Interrupted after the purge was committed: {summary(counts, 'deleted')}."
    if len(counts) < kinds:
        return (
            "Interrupted: nothing was deleted (the purge is one transaction, and it was rolled "
            "back). Run the command again to purge."
        )
    return (
        f"Interrupted while the purge was being committed: either all of it ({summary(counts)}) "
        "or nothing was deleted. Run the command with --dry-run to see what is left."
    )


#: The option that selects the one-time codes (``--codes``) among the kinds.
CODES = "codes"


class Command(BaseCommand):
    help = (
        "Delete shares that can no longer open: orphaned (their object, model or creator was "
        "deleted), revoked, expired and used up; and one-time e-mail codes that expired or were "
        "used more than a day ago. Without a kind option, all kinds and the codes. Active and "
        "not-yet-open shares are never deleted. Deleting a share deletes its access log."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        for kind in KINDS:
            parser.add_argument(
                f"--{kind.name}",
                action="append_const",
                const=kind.name,
                dest="kinds",
                help=f"Delete {kind.help}.",
            )
        parser.add_argument(
            f"--{CODES}",
            action="append_const",
            const=CODES,
            dest="kinds",
            help="Delete one-time e-mail codes that expired or were used more than a day ago "
            "(whatever --older-than says).",
        )
        parser.add_argument(
            "--older-than",
            type=int,
            default=DEFAULT_GRACE_DAYS,
            metavar="DAYS",
            help="Grace period: keep revoked, expired and used-up shares until they ended this "
            f"many days ago (default: {DEFAULT_GRACE_DAYS}; 0: all of them).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="List the shares that would be deleted (id, name, object, reason); delete none.",
        )

    def handle(
        self,
        *args: Any,
        kinds: list[str] | None,
        older_than: int,
        dry_run: bool,
        **options: Any,
    ) -> None:
        now = timezone.now()
        cutoff = days_before(now, older_than)
        selected = [kind for kind in KINDS if not kinds or kind.name in kinds]
        counts: list[tuple[str, int, int]] = []
        codes: int | None = None
        orphaned: QuerySet[Share] | None = None
        transaction_ended = False
        try:
            with transaction.atomic():
                if not kinds or CODES in kinds:
                    codes = self._purge_codes(now, dry_run)
                for kind in selected:
                    shares = kind.select(now, cutoff)
                    if kind.name == "orphaned":
                        orphaned = shares
                    elif dry_run and orphaned is not None:
                        # The other kinds exclude one another; an orphaned share of one of them
                        # counts as orphaned (the real run has deleted it by now).
                        shares = shares.exclude(pk__in=orphaned.values("pk"))
                    counts.append((kind.name, *self._purge(kind, shares, dry_run)))
            transaction_ended = True
            self._report(counts, codes, older_than, dry_run)
        except KeyboardInterrupt:  # Ctrl-C: say what happened instead of a traceback
            message = interrupted(counts, len(selected), transaction_ended, dry_run)
            raise CommandError(message, returncode=130) from None

    def _purge(self, kind: Kind, shares: QuerySet[Share], dry_run: bool) -> tuple[int, int]:
        """Delete ``shares`` (or list them, with ``dry_run``); how many shares and log entries."""
        if not dry_run:
            return delete_shares(shares)
        listed = list(shares.select_related("content_type").order_by("pk"))
        deleted_objects: set[int] = set()
        if kind.name == "orphaned":
            orphans = Share.objects.filter(pk__in=shares.values("pk")).orphaned()
            deleted_objects = set(orphans.values_list("pk", flat=True))
        for share in listed:
            content_type = share.content_type
            self.stdout.write(
                f"#{share.pk} {share.name or '(no name)'!r} "
                f"{content_type.app_label}.{content_type.model} {share.object_pk}: "
                f"{reason(kind.name, share, share.pk in deleted_objects)}"
            )
        return len(listed), ShareAccess.objects.filter(share__in=shares).count()

    @staticmethod
    def _purge_codes(now: datetime, dry_run: bool) -> int:
        """Delete the one-time codes that ended (or count them, with ``dry_run``): one
        ``DELETE``, as nothing refers to a code."""
        codes = ended_codes(now)
        if dry_run:
            return codes.count()
        deleted, _by_model = codes.delete()
        return deleted

    def _report(
        self, counts: list[tuple[str, int, int]], codes: int | None, older_than: int, dry_run: bool
    ) -> None:
        verb = "would be deleted" if dry_run else "deleted"
        for name, shares, _entries in counts:
            self.stdout.write(f"{name}: {shares} {'share' if shares == 1 else 'shares'} {verb}")
        if codes is not None:
            noun = "code" if codes == 1 else "codes"
            self.stdout.write(f"one-time codes: {codes} {noun} {verb} (ended more than a day ago)")
        self.stdout.write(f"{summary(counts, verb)} (grace period: {older_than} days).")
