"""`openpractice crypto generate-key` and `openpractice crypto rotate` for the field-encryption keys."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from openpractice.core import crypto


class Command(BaseCommand):
    help = "Field-encryption keys: generate a new key, or re-encrypt every stored value with the first key."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="{generate-key,rotate}")
        generate = actions.add_parser("generate-key", help="Print a new random key for OPENPRACTICE_FIELD_KEYS.")
        generate.add_argument("--json", action="store_true", help="Print JSON.")
        rotate = actions.add_parser(
            "rotate",
            help="Re-encrypt every encrypted field with the first key in OPENPRACTICE_FIELD_KEYS.",
        )
        rotate.add_argument("--batch-size", type=int, default=500, help="Rows per transaction (default 500).")
        rotate.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "generate-key":
            self._generate_key(as_json=options["json"])
        else:
            self._rotate(batch_size=options["batch_size"], as_json=options["json"])

    def _generate_key(self, *, as_json: bool) -> None:
        key = crypto.generate_key()
        if as_json:
            self.stdout.write(json.dumps({"key": key}))
            return
        self.stdout.write(key)
        self.stderr.write(
            "Put this key FIRST in OPENPRACTICE_FIELD_KEYS (comma-separated), keep the old keys after it, run "
            "`openpractice crypto rotate`, then remove the old keys. Store it like a password."
        )

    def _rotate(self, *, batch_size: int, as_json: bool) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            report = crypto.encrypted_fields_rotate(batch_size=batch_size)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        if as_json:
            self.stdout.write(json.dumps(report.as_dict(), indent=2))
        else:
            if not report.fields:
                self.stdout.write("No model has an encrypted field yet: nothing to re-encrypt.")
            for item in report.fields:
                self.stdout.write(
                    f"{item.model}.{item.field}: {item.rotated} re-encrypted, {item.current} already current, "
                    f"{item.empty} empty, {item.undecryptable} undecryptable"
                )
            self.stdout.write(f"Total: {report.rotated} re-encrypted, {report.current} already current.")
        if report.undecryptable:
            first = next(item for item in report.fields if item.undecryptable)
            raise CommandError(
                f"{report.undecryptable} value(s) open with none of the configured keys (first: {first.model} "
                f"pk {', '.join(first.undecryptable_pks[:5])}, field {first.field}). They were left untouched. "
                "Put the key that made them back into OPENPRACTICE_FIELD_KEYS and run rotate again."
            )
