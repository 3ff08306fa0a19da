"""`openpractice frontdesk_smtp_server [--host 127.0.0.1] [--port 2525] [--max-size MB]`: receive mail over SMTP.

Runs the built-in SMTP endpoint (smtp_endpoint) until stopped (Ctrl-C or SIGTERM). It takes mail only for the
addresses of active mailboxes; put it behind the practice's mail server (e.g. Postfix `transport_maps` or
`relayhost` pointing at it) rather than on the open internet: it has no TLS or authentication of its own.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ...smtp_endpoint import DATA_SIZE_LIMIT, controller


class Command(BaseCommand):
    help = "Receive mail for the practice mailboxes over SMTP and put it into the front desk queues."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on (default 127.0.0.1).")
        parser.add_argument("--port", type=int, default=2525, help="Port to listen on (default 2525).")
        parser.add_argument("--max-size", type=int, default=DATA_SIZE_LIMIT // (1024 * 1024), metavar="MB",
                            help="Largest mail accepted, in MB (default %(default)s).")

    def handle(self, *args: Any, **options: Any) -> None:
        server = controller(host=options["host"], port=options["port"],
                            data_size_limit=max(1, options["max_size"]) * 1024 * 1024)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_args: stop.set())
        server.start()
        self.stdout.write(f"Receiving mail on {options['host']}:{options['port']} (Ctrl-C to stop).")
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
            self.stdout.write("Stopped.")
