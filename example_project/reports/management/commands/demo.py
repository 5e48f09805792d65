from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from example_project.reports.demo_data import ADMIN_LOGIN, first_report_url, overview, seed


def base_url_for(addrport: str) -> str:
    """The URL a browser on this machine uses for ``runserver ADDRPORT``."""
    host, _, port = addrport.rpartition(":")
    if not port.isdigit():  # only an address was given
        host, port = addrport, "8000"
    if host in ("", "0.0.0.0", "0", "[::]"):  # listening everywhere: loopback works
        host = "127.0.0.1"
    return f"http://{host}:{port}"


class Command(BaseCommand):
    help = "Migrate, seed the demo data, print the links and run the development server."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--addrport",
            default="127.0.0.1:8000",
            help="Address and port for runserver (default: %(default)s).",
        )
        parser.add_argument(
            "--no-serve",
            action="store_false",
            dest="serve",
            help="Stop after printing the links instead of starting the server.",
        )

    def handle(self, *args: Any, addrport: str, serve: bool, **options: Any) -> None:
        verbosity = options["verbosity"]
        call_command("migrate", interactive=False, verbosity=verbosity, stdout=self.stdout)
        base = base_url_for(addrport)
        lines = seed(base)
        rule = "=" * 72
        self.stdout.write(
            "\n".join(
                [
                    rule,
                    "directus_shares demo",
                    f"Admin: {base}/admin/ ({ADMIN_LOGIN[0]} / {ADMIN_LOGIN[1]})",
                    *overview(),
                    "Share links:",
                    *lines,
                    f"Plain report page, for comparison: {base}{first_report_url()}",
                    rule,
                ]
            )
        )
        if serve:
            call_command("runserver", addrport, use_reloader=False)
