"""`openpractice seed --size small|medium|large`: bulk data on top of the demo practice, for benchmarks.

large = 100,000 patients and 1,000,000 appointments over five years; medium = 10k / 100k; small = 1k / 10k
(tests). Demo mode only, and only on a database where `openpractice demo` ran. Each app registers its bulk
seeder in its own `seed_large.py` (core.seeding.large_seeder); they run in order inside ONE transaction, so a
refusal or a failure leaves the database as it was. One bulk seed per database: a second run is refused.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from openpractice.accounts.management.commands.demo import require_demo_mode
from openpractice.core.seeding import SEED_SIZES, SEED_YEARS, SeedRefused, large_seeders
from openpractice.core.selectors import practice_get


class Command(BaseCommand):
    help = "Add bulk patients and appointments to the demo practice (demo mode only), for benchmarks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--size", choices=list(SEED_SIZES), default="small",
                            help="small: 1k patients / 10k appointments; medium: 10k / 100k; large: 100k / 1M.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (the same seed gives the same data).")

    def handle(self, *args: Any, **options: Any) -> None:
        require_demo_mode("seed")
        if practice_get() is None:
            raise CommandError("This database has no practice. `openpractice seed` adds bulk data to the demo "
                               "practice: run `openpractice demo` first.")
        patients, appointments = SEED_SIZES[options["size"]]
        context: dict[str, Any] = {"size": options["size"], "patients": patients, "appointments": appointments,
                                   "seed": options["seed"], "years": SEED_YEARS, "report": []}
        started = time.perf_counter()
        try:
            with transaction.atomic():
                for step in large_seeders():
                    step_started = time.perf_counter()
                    step.run(context)
                    if options["verbosity"] >= 2:
                        self.stdout.write(f"{step.name}: {time.perf_counter() - step_started:.1f} s")
        except SeedRefused as exc:
            raise CommandError(f"{exc} Nothing was added.") from exc
        # Fresh planner statistics (both databases understand ANALYZE): the tables just grew a hundredfold.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stdout.write(self.style.SUCCESS(
            f"Seeded ({options['size']}) in {time.perf_counter() - started:.0f} s: " + "; ".join(context["report"])))
