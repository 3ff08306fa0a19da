"""`openpractice totp USERNAME`: the current authenticator code of a demo user (demo mode only), so people and
browser tests can sign in to the demo without an authenticator app."""

from __future__ import annotations

import json
import math
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from .demo import require_demo_mode


class Command(BaseCommand):
    help = "Print the current TOTP code of a demo user (demo mode only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--json", action="store_true", help="Print code and seconds left as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        require_demo_mode("totp")
        device = (
            TOTPDevice.objects.filter(user__username=options["username"], confirmed=True).order_by("pk").first()
        )
        if device is None:
            raise CommandError(f"No user “{options['username']}” with an authenticator.")
        now = time.time()
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        totp.time = now
        code = str(totp.token()).zfill(device.digits)
        # Rounded up: with 0.4 s left the code still works, and "0 seconds left" would read as expired.
        seconds_left = math.ceil(device.step - ((now - device.t0) % device.step))
        if options["json"]:
            self.stdout.write(json.dumps({"username": options["username"], "code": code,
                                          "seconds_left": seconds_left}))
            return
        self.stdout.write(code)
        # A code works once; the note goes to stderr so scripts can read the code alone from stdout.
        self.stderr.write(f"valid for {seconds_left} more second(s); each code can be used once.")
