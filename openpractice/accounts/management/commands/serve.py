"""`openpractice serve`: the demo / development server. Starts the background worker as a subprocess, runs
Django's runserver on 127.0.0.1:8000, and stops the worker when the server stops. Production uses gunicorn
and `openpractice worker` as separate services (docs/operations.md)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser


def worker_command() -> list[str]:
    return [sys.executable, "-m", "openpractice.cli", "worker"]


def stop(process: subprocess.Popen[bytes], *, timeout: float = 10) -> None:
    """Ask the worker to finish (SIGINT lets huey stop cleanly), then insist."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Command(BaseCommand):
    help = "Run the development server with the background worker beside it (demo and development only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000",
                            help="Address and port (default 127.0.0.1:8000).")
        parser.add_argument("--noreload", action="store_true", help="Do not restart when code changes.")
        parser.add_argument("--no-worker", action="store_true", help="Do not start the background worker.")

    def handle(self, *args: Any, **options: Any) -> None:
        if getattr(settings, "OPENPRACTICE_PRODUCTION", False):
            raise CommandError("`openpractice serve` is for demo and development. In production run gunicorn and "
                               "`openpractice worker` (see docs/operations.md).")
        # With the autoreloader, this command runs again in a child process (RUN_MAIN=true) on every code
        # change; only the outer process owns the worker, so there is exactly one.
        is_reloader_child = os.environ.get("RUN_MAIN") == "true"
        worker: subprocess.Popen[bytes] | None = None
        if not options["no_worker"] and not is_reloader_child:
            worker = subprocess.Popen(worker_command())
            # `kill` (SIGTERM) should stop the worker too: turn it into SystemExit so `finally` runs.
            signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
            self.stdout.write(f"Background worker started (pid {worker.pid}).")
        try:
            call_command("runserver", options["addrport"], use_reloader=not options["noreload"])
        finally:
            if worker is not None:
                stop(worker)
                self.stdout.write("Background worker stopped.")
