"""`openpractice billing SUBCOMMAND ...`: billing work from the server's command line.

- `billing export-837 --out FILE [--payer PAYER_ID] [--validate] [--json]` builds a batch from the ready claims
  (of one payer, named by its electronic payer ID, or of every payer for the clearinghouse), keeps the batch
  record and writes its 837P to FILE.

Commands run as the system: whoever holds the server's shell is the authority, so there is no acting user (the
audit event's actor is empty and its reason names the command). Human text by default, JSON with --json; a
non-zero exit with a clear message when there is nothing to do or the input is wrong.

- `billing import-ack FILE --user USERNAME [--json]` imports a 999 or 277CA; `billing import-271 FILE --user
  USERNAME [--json]` a 271. These change claims and coverages on a person's authority (their billing.manage
  scope, their name in the audit trail), so they name that person.
- `billing import-835 FILE --user USERNAME [--dry-run] [--json]` posts an 835 remittance on a person's authority
  (billing.post_payments at every location the file pays); exits 1 when the file is refused.
- `billing check-ledger [--json]` recomputes every account balance from the ledger entries and lists the
  differences; exits 1 when there is any.

Adding a subcommand: write a `Subcommand` subclass below and list it in SUBCOMMANDS.
"""

from __future__ import annotations

import json
import shutil
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from openpractice.patients.models import Payer

from ...selectors.batches import batch_file, batch_validation, billing_settings_current
from ...services.batches import batch_build


class Subcommand(ABC):
    """One `openpractice billing NAME` action: its arguments and what it does."""

    name: ClassVar[str]
    help: ClassVar[str]

    def __init__(self, command: BaseCommand) -> None:
        self.command = command

    @classmethod
    @abstractmethod
    def add_arguments(cls, parser: CommandParser) -> None:
        """Declare this subcommand's arguments on its own parser."""

    @abstractmethod
    def run(self, options: dict[str, Any]) -> None:
        """Do the work and print the result (human text, or JSON with --json)."""

    def out(self, text: str) -> None:
        self.command.stdout.write(text)

    def emit_json(self, data: dict[str, Any]) -> None:
        self.command.stdout.write(json.dumps(data))


def _messages(error: ValidationError) -> str:
    return " ".join(error.messages)


class Export837(Subcommand):
    name = "export-837"
    help = "Build a batch from the ready claims and write its 837P (005010X222A1) to a file."

    @classmethod
    def add_arguments(cls, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, type=Path, metavar="FILE", help="Where to write the 837P.")
        parser.add_argument("--payer", metavar="PAYER_ID",
                            help="Only this payer's claims (its electronic payer ID). Default: every payer, one "
                                 "file for the clearinghouse.")
        parser.add_argument("--validate", action="store_true",
                            help="Check the file with pyx12 (slow for large batches: about a second per 100 "
                                 "claims); exits 1 when it finds errors.")
        parser.add_argument("--json", action="store_true", help="Print the result as JSON.")

    def run(self, options: dict[str, Any]) -> None:
        out: Path = options["out"]
        if out.exists() and out.is_dir():
            raise CommandError(f"--out {out} is a directory; give a file name.")
        if not out.parent.is_dir():
            raise CommandError(f"The directory {out.parent} does not exist.")
        if billing_settings_current() is None:
            raise CommandError("Billing settings are missing: enter the submitter and receiver in Billing settings "
                               "(web UI) before exporting claims.")
        payer = self._payer(options["payer"])
        try:
            batch = batch_build(actor=None, payer=payer, validate=options["validate"],
                                reason="openpractice billing export-837")
        except ValidationError as error:
            raise CommandError(f"No batch was built: {_messages(error)}") from error
        if batch is None:
            whose = f" for payer {options['payer']}" if payer is not None else ""
            raise CommandError(f"No claims are ready to send{whose}: nothing was exported.")
        source = batch_file(batch)
        if source is None:
            raise CommandError(f"The batch's file {batch.file_name} disappeared after it was built.")
        try:
            shutil.copyfile(source, out)
        except OSError as error:
            raise CommandError(f"Batch {batch.interchange_control_number:09d} was built (it is kept in the batch "
                               f"list) but {out} could not be written: {error.strerror or error}.") from error
        validation = batch_validation(batch) if options["validate"] else None
        result: dict[str, Any] = {
            "claims": batch.claim_count, "total_charge": f"{batch.total_charge:.2f}", "files": [str(out)],
            "batch": {"id": batch.pk, "interchange_control_number": batch.interchange_control_number,
                      "sha256": batch.file_sha256, "size": batch.file_size},
        }
        if validation is not None:
            result["validation"] = validation.as_dict()
        if options["json"]:
            self.emit_json(result)
        else:
            self.out(self.command.style.SUCCESS(
                f"Exported {batch.claim_count} claim(s), total charge ${batch.total_charge:.2f}, to {out} "
                f"(batch {batch.interchange_control_number:09d}, {batch.file_size:,} bytes)."))
            if validation is not None:
                self.out(f"pyx12: valid ({validation.segments} segments)." if validation.ok else
                         "pyx12 found errors:\n  " + "\n  ".join(validation.errors))
        if validation is not None and not validation.ok:
            raise CommandError("The 837P did not pass pyx12 validation; do not send it.", returncode=1)

    def _payer(self, payer_id: str | None) -> Payer | None:
        if payer_id is None:
            return None
        matches = list(Payer.objects.filter(payer_id=payer_id.strip())[:2])
        if not matches:
            raise CommandError(f"Unknown payer ID “{payer_id}”: no payer has this electronic payer ID.")
        if len(matches) > 1:
            raise CommandError(f"Several payers share the electronic payer ID “{payer_id}”; give each its own.")
        return matches[0]


# --- import-ack, import-271 (files coming back from the clearinghouse) ------------------------------------------


class _ImportFile(Subcommand):
    """An X12 file imported on a named person's authority: claim statuses and coverages change in their name
    (the audit trail names them), within the locations where they hold billing.manage."""

    permission: ClassVar[str] = "billing.manage"

    @classmethod
    def add_arguments(cls, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, metavar="FILE", help="The X12 file the clearinghouse sent.")
        parser.add_argument("--user", required=True, metavar="USERNAME",
                            help=f"Who imports it: a person with {cls.permission} (the audit trail names them).")
        parser.add_argument("--json", action="store_true", help="Print the result as JSON.")

    def max_bytes(self) -> int:
        from ...services.acknowledgements import MAX_FILE_BYTES

        return MAX_FILE_BYTES

    def read(self, options: dict[str, Any]) -> tuple[Any, str, bytes]:
        from django.contrib.auth import get_user_model

        path: Path = options["file"]
        limit = self.max_bytes()
        if not path.is_file():
            raise CommandError(f"{path} is not a file.")
        if path.stat().st_size > limit:
            raise CommandError(f"{path} is larger than {limit // (1024 * 1024)} MB; nothing was imported.")
        user = get_user_model().objects.filter(username=options["user"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user “{options['user']}”.")
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"{path} cannot be read: {error.strerror or error}.") from error
        return user, path.name, content

    def call(self, function: Any, user: Any, **kwargs: Any) -> Any:
        from django.core.exceptions import PermissionDenied

        try:
            return function(actor=user, **kwargs)
        except PermissionDenied as error:
            raise CommandError(f"{user.get_username()} may not import billing files (billing.manage); nothing "
                               "was imported.") from error
        except ValidationError as error:
            raise CommandError(_messages(error)) from error


class ImportAck(_ImportFile):
    name = "import-ack"
    help = "Import a 999 or 277CA acknowledgement: claims become accepted or rejected with the payer's reasons."

    def run(self, options: dict[str, Any]) -> None:
        from ...services.acknowledgements import acknowledgement_import

        user, file_name, content = self.read(options)
        result = self.call(acknowledgement_import, user, file_name=file_name, content=content)
        if options["json"]:
            self.emit_json({
                "kind": result.kind, "file": result.file_name, "duplicate": result.duplicate,
                "import_id": result.import_id,
                "accepted": [o.claim_number for o in result.accepted],
                "rejected": [{"claim": o.claim_number, "reason": o.reason} for o in result.rejected],
                "unchanged": [{"claim": o.claim_number, "reason": o.reason} for o in result.unchanged],
                "skipped": [{"claim": o.claim_number, "status": o.status} for o in result.skipped],
                "unknown": result.unknown, "not_yours": result.not_yours, "notes": result.notes,
            })
            return
        if result.duplicate:
            self.out(result.notes[0])
            return
        self.out(self.command.style.SUCCESS(
            f"Imported {result.kind} {result.file_name}: {len(result.accepted)} claim(s) accepted, "
            f"{len(result.rejected)} rejected."))
        for note in result.notes:
            self.out(f"  {note}")
        for outcome in result.rejected:
            self.out(f"  rejected {outcome.claim_number}: {outcome.reason}")
        for label, items in (("unknown", result.unknown), ("left alone", [o.claim_number for o in result.skipped])):
            if items:
                self.out(f"  {label}: {', '.join(items)}")
        if result.not_yours:
            self.out(f"  not in your locations: {result.not_yours} claim(s), left unchanged")


class Import271(_ImportFile):
    name = "import-271"
    help = "Import a 271 eligibility response: each answer is kept on its coverage and shown at check-in."

    def run(self, options: dict[str, Any]) -> None:
        from ...services.eligibility import eligibility_271_import

        user, file_name, content = self.read(options)
        result = self.call(eligibility_271_import, user, file_name=file_name, content=content)

        def money(value: Any) -> str | None:
            return None if value is None else f"{value:.2f}"

        if options["json"]:
            self.emit_json({
                "file": result.file_name, "duplicate": result.duplicate, "import_id": result.import_id,
                "recorded": [{"coverage_id": o.coverage_id, "patient_id": o.patient_id, "active": o.is_active,
                              "copay": money(o.copay), "deductible": money(o.deductible),
                              "deductible_remaining": money(o.deductible_remaining)} for o in result.recorded],
                "unknown": result.unknown, "ambiguous": result.ambiguous, "not_yours": result.not_yours,
                "already": result.already, "notes": result.notes,
            })
            return
        if result.duplicate:
            self.out(result.notes[0])
            return
        active = sum(1 for o in result.recorded if o.is_active)
        self.out(self.command.style.SUCCESS(
            f"Imported 271 {result.file_name}: {len(result.recorded)} answer(s) recorded, {active} active."))
        for note in result.notes:
            self.out(f"  {note}")
        for label, items in (("no matching coverage", result.unknown), ("several coverages match", result.ambiguous)):
            if items:
                self.out(f"  {label}: {'; '.join(items)}")
        if result.not_yours:
            self.out(f"  not in your locations: {result.not_yours} answer(s), left unchanged")
        if result.already:
            self.out(f"  already recorded by an earlier import of this file: {result.already}")


class Import835(_ImportFile):
    name = "import-835"
    help = ("Post an 835 remittance: payments, adjustments, the patient's share, denials and reversals, each payment "
            "once; claims that match none of ours wait in the exceptions queue.")
    permission = "billing.post_payments"

    @classmethod
    def add_arguments(cls, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--dry-run", action="store_true",
                            help="Work out what the import would post and print it; change nothing.")

    def max_bytes(self) -> int:
        return MAX_835_BYTES

    def run(self, options: dict[str, Any]) -> None:
        from django.core.exceptions import PermissionDenied

        from ...services.remittance_posting import remittance_import

        user, file_name, content = self.read(options)
        try:
            summary = remittance_import(actor=user, filename=file_name, data=content, dry_run=options["dry_run"])
        except PermissionDenied as error:
            raise CommandError(f"{user.get_username()}: {error} Nothing was posted.") from error
        if options["json"]:
            self.emit_json(summary.as_json())
        else:
            self._print(summary, file_name)
        if summary.errors:
            raise CommandError("The file was refused: nothing was posted.", returncode=1)

    def _print(self, summary: Any, file_name: str) -> None:
        if summary.errors:
            for error in summary.errors:
                self.out(self.command.style.ERROR(error))
            return
        verb = "Would post" if summary.dry_run else "Posted"
        self.out(self.command.style.SUCCESS(
            f"{verb} {file_name}: {summary.payments} payment(s) ({summary.duplicates_skipped} already posted), "
            f"{summary.claims_matched} claim(s) posted, {summary.claims_unmatched} to the exceptions queue; paid "
            f"${summary.paid_total:.2f}, adjusted ${summary.adjustment_total:.2f}, patient responsibility "
            f"${summary.patient_responsibility_total:.2f}; {summary.denied_claims} denied, "
            f"{summary.reversed_claims} reversed."))
        for notice in summary.as_json()["notices"]:
            self.out(f"  {notice}")
        if summary.dry_run:
            self.out("Dry run: nothing was changed.")


class CheckLedger(Subcommand):
    name = "check-ledger"
    help = "Recompute every account balance from the ledger entries; exit 1 when any differs."

    @classmethod
    def add_arguments(cls, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print the result as JSON.")

    def run(self, options: dict[str, Any]) -> None:
        from ...services.ledger import ledger_differences

        differences = ledger_differences()
        if options["json"]:
            self.emit_json({"ok": not differences, "differences": [
                {"key": d.key, "cached": f"{d.cached:.2f}", "from_entries": f"{d.from_entries:.2f}"}
                for d in differences]})
        elif not differences:
            self.out(self.command.style.SUCCESS(
                "The ledger is sound: every account balance equals the sum of its entries."))
        else:
            self.out(f"{len(differences)} account balance(s) differ from their entries "
                     "(key patient:claim:party:payer, cached, from the entries):")
            for d in differences:
                self.out(f"  {d.key}: {d.cached:.2f} != {d.from_entries:.2f}")
        if differences:
            raise CommandError(f"{len(differences)} account balance(s) differ from the ledger.", returncode=1)


# Files an import reads into memory at once (the reader streams, the command reads the file whole).
MAX_835_BYTES = 512 * 1024 * 1024

SUBCOMMANDS: tuple[type[Subcommand], ...] = (Export837, ImportAck, Import271, Import835, CheckLedger)


class Command(BaseCommand):
    help = "Billing from the command line: " + ", ".join(sub.name for sub in SUBCOMMANDS) + "."

    def add_arguments(self, parser: CommandParser) -> None:
        subparsers = parser.add_subparsers(dest="subcommand", required=True, title="subcommands")
        for sub in SUBCOMMANDS:
            sub.add_arguments(subparsers.add_parser(sub.name, help=sub.help, description=sub.help))

    def handle(self, *args: Any, **options: Any) -> None:
        chosen = {sub.name: sub for sub in SUBCOMMANDS}[options["subcommand"]]
        chosen(self).run(options)
