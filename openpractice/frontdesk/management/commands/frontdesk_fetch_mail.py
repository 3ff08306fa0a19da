"""`openpractice frontdesk_fetch_mail [--mailbox ADDRESS] [--json]`: read the practice mailboxes now.

What the worker does every two minutes, from the command line (or cron, when no worker runs): each active mailbox
with an IMAP server, or only the one named, is read; the mails received and any error are printed. Exits 1 when
a mailbox could not be read (the error is also on the mailbox's page).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...imap_fetch import mailbox_poll
from ...models import Mailbox


class Command(BaseCommand):
    help = "Read the practice mailboxes (IMAP) now and put their new mail into the front desk queues."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--mailbox", metavar="ADDRESS", help="Only this mailbox (its address).")
        parser.add_argument("--json", action="store_true", help="Print the result as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        mailboxes = Mailbox.objects.filter(is_active=True).exclude(imap_host="").order_by("pk")
        if options["mailbox"]:
            mailboxes = mailboxes.filter(address__iexact=options["mailbox"].strip())
            if not mailboxes.exists():
                raise CommandError(f"No active mailbox with an IMAP server has the address {options['mailbox']}.")
        results = []
        for mailbox in mailboxes:
            received = mailbox_poll(mailbox)
            results.append({"mailbox": mailbox.address, "received": received, "error": mailbox.last_error})
        if options["json"]:
            self.stdout.write(json.dumps({"mailboxes": results}))
        elif not results:
            self.stdout.write("No active mailbox has an IMAP server.")
        for result in results if not options["json"] else []:
            line = f"{result['mailbox']}: {result['received']} received"
            self.stdout.write(line + (f"; error: {result['error']}" if result["error"] else ""))
        if any(result["error"] for result in results):
            raise CommandError("Some mailboxes could not be read.", returncode=1)
