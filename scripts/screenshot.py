#!/usr/bin/env python
"""Take docs/screenshot.png (the README's picture) from the real demo, signed in as the senior practice manager.

    .venv/bin/python scripts/screenshot.py [--path /] [--role practice_manager --tier senior] [--out docs/screenshot.png]

It starts the app exactly as the browser tests do (tests/browser/live_app.py: a throwaway database with the demo
practice, gunicorn on a free port, Debian's chromium at /usr/bin/chromium), signs in with password and TOTP,
opens the page and saves a 1280×800 picture. Nothing is left running afterwards.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from live_app import CHROMIUM, CHROMIUM_ARGS, LiveApp  # noqa: E402 - found through the path set above


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--path", default="/", help="page to photograph (default: the home page)")
    parser.add_argument("--role", default="practice_manager")
    parser.add_argument("--tier", default="senior")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot.png")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=800)
    args = parser.parse_args(argv)

    from playwright.sync_api import expect, sync_playwright

    with LiveApp() as app, sync_playwright() as playwright:
        user = app.user(args.role, args.tier or None)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(
                base_url=app.url,
                viewport={"width": args.width, "height": args.height},
                device_scale_factor=1,
                locale="en-US",
            )
            page = context.new_page()
            page.goto("/accounts/login/")
            page.get_by_label("Username").fill(user.username)
            page.get_by_label("Password").fill(user.password)
            page.get_by_role("button", name="Sign in").click()
            if user.totp_secret:
                page.get_by_label("Authentication code").fill(app.totp.code(user.username, user.totp_secret))
                page.get_by_role("button", name="Continue").click()
            expect(page).not_to_have_url(re.compile(r"/accounts/(login|mfa)/"))
            page.goto(args.path)
            page.wait_for_load_state("networkidle")
            args.out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(args.out))
        finally:
            browser.close()
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
