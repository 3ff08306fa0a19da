"""Practice → Integrations in a real browser: a senior practice manager subscribes a receiver the test runs on
127.0.0.1 (the live app allows private addresses, as the test settings do), copies the signing secret that is
shown once, sends a test ping and watches it in the delivery log; the receiver checks the signature with that
secret. Someone without integrations.manage has no Integrations link and finds nothing at its address.

The app runs tasks at once, so the ping's first attempt is made inside the request that sends it. The receiver
refuses that first attempt (HTTP 500) so the retry is run as the worker's minute sweep runs it
(delivery.send_due, through `openpractice shell`), a little after the first backoff has passed. A full-page
screenshot of the delivery log is saved on every run: test-artifacts/integrations/delivery_log.png."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from live_app import ARTIFACTS, DemoUser, LiveApp
from playwright.sync_api import Page, expect

from openpractice.integrations.signing import HEADER, verify
from openpractice.integrations.tests.support import http_receiver

pytestmark = pytest.mark.browser

SCREENSHOTS = ARTIFACTS / "integrations"
NAME = "Browser test warehouse"
NOT_FOUND = "There is nothing here, or it is not yours to see."
MARK = "BROWSER-WEBHOOKS "  # the line of `manage.py shell` output that carries the sweep's count
# The minute's sweep, two minutes on: past the first backoff (one minute), so the retry is due.
SWEEP = ("import datetime as dt; from django.utils import timezone; from openpractice.integrations import delivery; "
         f"print({MARK!r} + str(delivery.send_due(now=timezone.now() + dt.timedelta(minutes=2))))")


def run_sweep(live_app: LiveApp) -> int:
    output = live_app.manage("shell", "-c", SWEEP)
    line = next(line for line in output.splitlines() if line.startswith(MARK))
    return int(line.removeprefix(MARK))


def test_a_senior_manager_subscribes_sees_the_secret_once_and_a_signed_ping_is_delivered(
    page: Page, live_app: LiveApp, sign_in: Callable[[Page, DemoUser], None]
) -> None:
    heading = page.get_by_role("heading", level=1)
    with http_receiver(500) as receiver:
        sign_in(page, live_app.user("practice_manager", "senior"))
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Integrations", exact=True).click()
        expect(page).to_have_url(re.compile(r"/settings/integrations/webhooks/$"))
        expect(heading).to_have_text("Webhooks")

        page.get_by_role("link", name="Add subscription").click()
        page.get_by_label("Name").fill(NAME)
        page.get_by_label("Receiver URL").fill(receiver.url)
        page.get_by_label("Payment posted").check()
        page.get_by_role("button", name="Add subscription").click()
        expect(heading).to_have_text("Subscription added")
        secret = page.get_by_test_id("webhook-secret").inner_text().strip()
        assert len(secret) >= 32

        # Shown once: neither the subscription's page (nor its reload) nor the list shows it again.
        page.get_by_role("link", name="I have copied it").click()
        expect(heading).to_have_text(NAME)
        expect(page.get_by_text("Hidden (shown once when made or rotated)")).to_be_visible()
        assert secret not in page.content()
        page.reload()
        expect(heading).to_have_text(NAME)
        assert secret not in page.content()
        page.get_by_role("link", name="Webhooks").click()
        expect(heading).to_have_text("Webhooks")
        assert secret not in page.content()
        page.get_by_role("link", name=NAME).click()

        # The ping's first attempt is refused by the receiver: the log says it will be tried again.
        page.get_by_role("button", name="Send test ping").click()
        expect(page.locator("[data-flash]")).to_contain_text("Test ping sent")
        row = page.locator("#delivery-table tbody tr").filter(has_text="ping")
        expect(row).to_have_count(1)
        expect(row).to_contain_text("Retrying")
        expect(row).to_contain_text("HTTP 500")
        assert len(receiver.requests) == 1

        # The worker's sweep sends the retry; the log shows it delivered on the second attempt.
        assert run_sweep(live_app) == 1
        page.reload()
        expect(row).to_have_count(1)
        cells = row.locator("td")
        expect(cells.nth(2)).to_have_text("Delivered")
        expect(cells.nth(3)).to_have_text("2")
        expect(cells.nth(4)).to_have_text("200")
        expect(row.get_by_role("button", name="Redeliver")).to_be_visible()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "delivery_log.png"), full_page=True)

    assert len(receiver.requests) == 2
    first, second = receiver.requests
    assert first.path == second.path == "/hooks/openpractice?source=test"
    assert first.body == second.body  # the same event, sent again
    for request in receiver.requests:
        assert request.headers["X-OpenPractice-Event"] == "ping"
        assert verify(secret, request.body, request.headers[HEADER])
        assert not verify(secret[:-1] + ("A" if secret[-1] != "A" else "B"), request.body, request.headers[HEADER])
    payload = json.loads(second.body)
    assert payload["event"] == "ping"
    assert payload["id"] == second.headers["X-OpenPractice-Delivery"]
    assert set(payload["data"]) == {"subscription_id"}
    assert (SCREENSHOTS / "delivery_log.png").stat().st_size > 10_000


def test_a_manager_without_integrations_manage_has_no_link_and_finds_nothing_at_the_address(
    page: Page, live_app: LiveApp, sign_in: Callable[[Page, DemoUser], None]
) -> None:
    # An entry-tier practice manager: the same role as the one above, a tier without integrations.manage.
    sign_in(page, live_app.user("practice_manager", "entry"))
    navigation = page.get_by_role("navigation", name="Main")
    expect(navigation).to_be_visible()
    expect(navigation.get_by_role("link", name="Integrations", exact=True)).to_have_count(0)
    for path in ("/settings/integrations/webhooks/", "/settings/integrations/webhooks/new/"):
        response = page.goto(path)
        assert response is not None
        assert response.status == 404, path
        expect(page.locator("main")).to_contain_text(NOT_FOUND)
        assert NAME not in page.content()
