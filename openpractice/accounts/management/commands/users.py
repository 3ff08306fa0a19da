"""`openpractice users ...`: people from the command line (for administrators with shell access).

- `users token --username U [--name NAME] [--json]` creates a personal API token for U and prints it once.
- `users create-admin --username U --email E --first-name F --last-name L [--password-file PATH]` creates the
  first system administrator of a new installation (password from the file, or typed twice at a prompt);
  they set up their authenticator at first sign-in.
"""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.services.tokens import token_create
from openpractice.accounts.services.users import RoleSpec, user_provision


def _errors(error: ValidationError) -> str:
    return " ".join(error.messages)


class Command(BaseCommand):
    help = "People from the command line: create an API token (token) or the first administrator (create-admin)."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True, title="subcommands")
        token = subcommands.add_parser("token", help="Create a personal API token for a user; it is shown once.")
        token.add_argument("--username", required=True)
        token.add_argument("--name", default="Command line", help="What the token is for (default: Command line).")
        token.add_argument("--json", action="store_true", help="Print the token as JSON.")
        admin = subcommands.add_parser("create-admin", help="Create a system administrator (all locations).")
        admin.add_argument("--username", required=True)
        admin.add_argument("--email", required=True)
        admin.add_argument("--first-name", required=True)
        admin.add_argument("--last-name", required=True)
        admin.add_argument("--password-file", type=Path,
                           help="Read the password from this file (else it is asked for twice).")
        admin.add_argument("--json", action="store_true", help="Print the new user as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "token":
            self._token(options)
        else:
            self._create_admin(options)

    def _token(self, options: dict[str, Any]) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user “{options['username']}”.")
        if not user.is_active:
            raise CommandError(f"{user.username} is inactive (deactivated, or has not accepted the invitation); "
                               "inactive users cannot have API tokens.")
        try:
            # Whoever runs this controls the server; the token is created as if by its owner.
            token, secret = token_create(actor=user, user=user, name=options["name"])
        except (ValidationError, PermissionDenied) as error:
            raise CommandError(_errors(error) if isinstance(error, ValidationError) else str(error)) from error
        if options["json"]:
            self.stdout.write(json.dumps({"username": user.username, "name": token.name, "prefix": token.prefix,
                                          "token": secret, "created_at": token.created_at.isoformat()}))
            return
        self.stdout.write(secret)
        self.stderr.write(f"API token “{token.name}” for {user.username}. It is shown once: store it now. "
                          "Send it as `Authorization: Bearer <token>`.")

    def _password(self, options: dict[str, Any]) -> str:
        path: Path | None = options["password_file"]
        if path is not None:
            try:
                return path.read_text().rstrip("\n")
            except OSError as error:
                raise CommandError(f"Cannot read {path}: {error.strerror}.") from error
        if not sys.stdin.isatty():
            raise CommandError("Give --password-file, or run this in a terminal to type the password.")
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords differ.")
        return first

    def _create_admin(self, options: dict[str, Any]) -> None:
        password = self._password(options)
        try:
            user = user_provision(
                email=options["email"], username=options["username"], first_name=options["first_name"],
                last_name=options["last_name"], job_title="System administrator", password=password,
                roles=[RoleSpec(role=Role.ADMINISTRATOR, tier=Tier.STANDARD, all_locations=True)],
                reason="openpractice users create-admin",
            )
        except ValidationError as error:
            raise CommandError(_errors(error)) from error
        if options["json"]:
            self.stdout.write(json.dumps({"id": user.pk, "username": user.username, "email": user.email,
                                          "roles": [Role.ADMINISTRATOR]}))
            return
        self.stdout.write(self.style.SUCCESS(
            f"Administrator {user.username} created. At first sign-in they set up an authenticator app."
        ))
