"""`openpractice audit verify` proves the hash chain; `openpractice audit head` prints its newest row.

Exit codes of `verify`: 0 intact, 1 tampered (the first bad row is named), 2 bad usage.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS

from openpractice.audit.verify import DEFAULT_CHUNK_SIZE, Head, VerifyResult, chain_head, verify_chain


class Command(BaseCommand):
    help = "Check the audit trail's hash chain (verify) or print its newest row (head)."

    def add_arguments(self, parser: CommandParser) -> None:
        subcommands = parser.add_subparsers(dest="subcommand", required=True, title="subcommands")
        verify = subcommands.add_parser(
            "verify", help="Walk the whole chain; exit 1 and name the first bad row if it was tampered with.",
        )
        verify.add_argument("--json", action="store_true", help="Print the result as JSON.")
        verify.add_argument(
            "--anchor", action="append", default=[], metavar="SEQ:HASH",
            help="A head printed earlier (by `audit head` or `audit verify`) and kept outside the database. "
                 "Catches deletion of the newest rows and a chain rewritten from an edited row on. Repeatable.",
        )
        verify.add_argument("--database", default=DEFAULT_DB_ALIAS, help="Database alias (default: default).")
        verify.add_argument("--table", default=None, help="Verify another table with the same columns "
                            "(for example a copy restored from a backup).")
        verify.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE, help="Rows fetched at a time.")
        head = subcommands.add_parser("head", help="Print the newest row's seq and hash (SEQ:HASH).")
        head.add_argument("--json", action="store_true", help="Print the head as JSON.")
        head.add_argument("--database", default=DEFAULT_DB_ALIAS, help="Database alias (default: default).")
        head.add_argument("--table", default=None, help="Another table with the same columns.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["subcommand"] == "head":
            self._head(options)
        else:
            self._verify(options)

    def _head(self, options: dict[str, Any]) -> None:
        try:
            head = chain_head(using=options["database"], table=options["table"])
        except ValueError as error:
            raise CommandError(str(error), returncode=2) from error
        if options["json"]:
            self.stdout.write(json.dumps({"seq": head.seq, "hash": head.hash} if head else None))
        elif head is None:
            # Nothing on stdout: scripts append stdout to their list of kept heads.
            self.stderr.write("The audit trail is empty.")
        else:
            self.stdout.write(str(head))

    def _verify(self, options: dict[str, Any]) -> None:
        try:
            anchors = {anchor.seq: anchor.hash for anchor in map(Head.parse, options["anchor"])}
            result = verify_chain(using=options["database"], table=options["table"],
                                  chunk_size=options["chunk_size"], anchors=anchors)
        except ValueError as error:
            raise CommandError(str(error), returncode=2) from error
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict()))
        else:
            self.stdout.write(self._describe(result))
        if not result.ok:
            raise CommandError(
                f"audit trail tampered: first bad row seq {result.first_bad_seq} (id {result.first_bad_id})",
                returncode=1,
            )

    def _describe(self, result: VerifyResult) -> str:
        if result.ok:
            lines = [self.style.SUCCESS(
                f"Audit trail intact: {result.rows_checked:,} rows checked in {result.seconds:.2f} s."
            )]
            if result.anchors_checked:
                lines.append(f"Matches the head(s) kept for row(s) {', '.join(map(str, result.anchors_checked))}.")
            if result.head:
                lines += [
                    f"Head: {result.head}",
                    "Keep this head outside the database (a ticket, a printed log, another system) and pass it "
                    "later as --anchor: the chain alone cannot show that its newest rows were deleted.",
                ]
            return "\n".join(lines)
        where = f"seq {result.first_bad_seq}" + (f" (id {result.first_bad_id})" if result.first_bad_id else "")
        lines = [
            self.style.ERROR(f"Audit trail TAMPERED. First bad row: {where}."),
            f"Problem: {result.problem}. {result.detail}",
            f"Rows checked: {result.rows_checked:,}.",
        ]
        if result.head:
            lines.append(f"Last good row: {result.head}")
        return "\n".join(lines)
