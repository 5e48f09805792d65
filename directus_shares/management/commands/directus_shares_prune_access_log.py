"""``manage.py directus_shares_prune_access_log``: delete old access log entries."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from directus_shares.management.options import days_before
from directus_shares.models import ShareAccess


class Command(BaseCommand):
    help = "Delete access log entries of shares older than a number of days."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--older-than",
            type=int,
            default=90,
            metavar="DAYS",
            help="Delete entries older than this many days (default: 90).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Only say how many entries would be deleted.",
        )

    def handle(self, *args: Any, older_than: int, dry_run: bool, **options: Any) -> None:
        old = ShareAccess.objects.filter(at__lt=days_before(timezone.now(), older_than))
        if dry_run:
            count = old.count()
            self.stdout.write(
                f"{count} access log entries older than {older_than} days would be deleted."
            )
            return
        # Nothing refers to log entries, so this is one DELETE statement (unless a project
        # connects delete signals to ShareAccess, when Django loads the rows first).
        deleted, _by_model = old.delete()
        self.stdout.write(f"{deleted} access log entries older than {older_than} days deleted.")
