from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from example_project.reports.demo_data import ADMIN_LOGIN, overview, seed


class Command(BaseCommand):
    help = "Create (or refresh) the demo users, roles, reports and shares; print the share links."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help="Where the site runs, to print full links (default: %(default)s).",
        )

    def handle(self, *args: Any, base_url: str, **options: Any) -> None:
        lines = seed(base_url)
        base = base_url.rstrip("/")
        self.stdout.write(f"Admin: {base}/admin/ ({ADMIN_LOGIN[0]} / {ADMIN_LOGIN[1]})")
        self.stdout.write("\n".join(overview()))
        self.stdout.write("Shares:")
        self.stdout.write("\n".join(lines))
