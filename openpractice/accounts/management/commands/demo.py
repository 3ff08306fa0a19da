"""`openpractice demo`: create the demo practice (demo mode only) and print its logins.

Every app's seeders (registered in core.seeding) run in order inside one transaction: either the whole demo
practice is created or nothing is. `--if-empty` leaves an existing practice alone and only prints the logins;
`--json` prints them for tools (username, roles, tier, locations, password, TOTP secret, recovery codes).
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from openpractice.accounts.demo import DEMO_PASSWORD, demo_logins
from openpractice.core.seeding import seeders
from openpractice.core.selectors import practice_get


def require_demo_mode(command: str) -> None:
    if getattr(settings, "OPENPRACTICE_PRODUCTION", False):
        raise CommandError(f"`openpractice {command}` is refused under production settings: it creates or prints "
                           "known demo passwords and authenticator secrets.")
    if not settings.DEMO_MODE:
        raise CommandError(f"`openpractice {command}` works in demo mode only. Set OPENPRACTICE_DEMO=1 on a "
                           "throw-away database (`make run` does this).")


class Command(BaseCommand):
    help = "Create the demo practice with one user for every role and tier (demo mode only), and print the logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true",
                            help="If a practice already exists, create nothing and just print the logins.")
        parser.add_argument("--json", action="store_true", help="Print the logins as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        require_demo_mode("demo")
        created = False
        if practice_get() is not None:
            if not options["if_empty"]:
                raise CommandError("This database already has a practice; the demo goes into an empty database "
                                   "only. Use --if-empty to print the demo logins instead.")
        else:
            context: dict[str, Any] = {"report": []}
            with transaction.atomic():
                for step in seeders():
                    step.run(context)
            created = True
        practice = practice_get()
        logins = demo_logins()
        if options["json"]:
            self.stdout.write(json.dumps({
                "created": created,
                "practice": practice.name if practice else None,
                "url": settings.OPENPRACTICE_BASE_URL,
                "password": DEMO_PASSWORD,
                "users": logins,
            }, indent=2))
            return
        self._print_table(practice.name if practice else "", logins, created)

    def _print_table(self, practice: str, logins: list[dict[str, Any]], created: bool) -> None:
        out = self.stdout
        out.write(self.style.SUCCESS(f"Demo practice “{practice}” {'created' if created else 'already exists'}."))
        if not logins:
            out.write("No demo users found in this database (it was not created by `openpractice demo`).")
            return
        rows = [("USERNAME", "ROLE", "TIER", "LOCATIONS")] + [
            (login["username"], login["role"], login["tier"],
             "all" if login["all_locations"] else ", ".join(login["locations"]))
            for login in logins
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        out.write("")
        for row in rows:
            out.write("  ".join(cell.ljust(widths[i]) if i < 3 else cell for i, cell in enumerate(row)))
        out.write("")
        out.write(f"Password for every demo user: {DEMO_PASSWORD}")
        out.write("Each has an authenticator: `openpractice totp USERNAME` prints the current 6-digit code.")
        out.write(f"Sign in at {settings.OPENPRACTICE_BASE_URL}/accounts/login/ ; mail the app sends appears under "
                  "Demo → Outbox (user admin).")
