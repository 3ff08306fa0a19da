"""`openpractice practice create ...`: set up the practice of a new (production) installation.

The demo creates its own practice; a real installation runs this once after `migrate`, then
`openpractice users create-admin`, and the administrator does the rest in Settings.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from openpractice.core.choices import PracticeKind
from openpractice.core.services import practice_create

OPTIONS = {
    "name": "name", "legal_name": "legal-name", "ein": "ein", "group_npi": "group-npi", "kind": "kind",
    "timezone": "timezone", "phone": "phone", "address_line1": "address", "address_line2": "address-line2",
    "city": "city", "state": "state", "postal_code": "zip",
}  # fmt: skip
REQUIRED = {"name", "legal_name", "ein", "kind", "address_line1", "city", "state", "postal_code"}


class Command(BaseCommand):
    help = "Set up the practice of a new installation."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Create the practice (once).")
        for field, flag in OPTIONS.items():
            kwargs: dict[str, Any] = {"dest": field, "required": field in REQUIRED}
            if field == "kind":
                kwargs["choices"] = PracticeKind.values
            create.add_argument(f"--{flag}", **kwargs)
        create.add_argument("--json", action="store_true", help="Print the result as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        data = {field: options[field] for field in OPTIONS if options.get(field) is not None}
        try:
            practice = practice_create(actor=None, data=data)
        except ValidationError as exc:
            details = exc.message_dict if hasattr(exc, "error_dict") else {"practice": exc.messages}
            lines = [f"{OPTIONS.get(field, field)}: {' '.join(messages)}" for field, messages in details.items()]
            raise CommandError("The practice was not created:\n" + "\n".join(lines)) from exc
        if options["json"]:
            self.stdout.write(json.dumps({"id": practice.pk, "name": practice.name, "created": True}))
        else:
            self.stdout.write(self.style.SUCCESS(f"Created the practice {practice.name}."))
            self.stdout.write("Next: openpractice users create-admin, then sign in and add locations in Settings.")
