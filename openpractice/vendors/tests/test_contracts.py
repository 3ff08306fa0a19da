"""Contracts: the notice deadline and its alerts (each once, to the owner and the vendor managers, through a real
SMTP server), automatic renewal, and the PHI flag feeding the compliance BAA register."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import user_with_role
from openpractice.compliance.models import BusinessAssociate
from openpractice.vendors.choices import ContractKind, VendorKind
from openpractice.vendors.models import Contract, Vendor
from openpractice.vendors.services import contracts, vendors

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 27)


@pytest.fixture
def buyer(north: Any) -> Any:
    return user_with_role(Role.OFFICE_MANAGER, Tier.MID, locations=[north], email="buyer@example.test")


@pytest.fixture
def vendor(buyer: Any) -> Vendor:
    return vendors.vendor_create(actor=buyer, data={"name": "Sparkle Cleaning", "kind": VendorKind.CLEANING})


def _contract(buyer: Any, vendor: Vendor, **data: Any) -> Contract:
    values = {"kind": ContractKind.CLEANING, "title": "Nightly cleaning", "starts_on": dt.date(2026, 1, 1),
              "ends_on": dt.date(2026, 12, 31), "auto_renews": True, "renewal_months": 12, "notice_days": 60,
              "owner": buyer}
    return contracts.contract_create(actor=buyer, vendor=vendor, data={**values, **data})


@pytest.mark.parametrize(("left", "already", "expected"), [
    (61, [], None), (60, [], 60), (45, [60], None), (30, [60], 30), (20, [], 30), (0, [60, 30, 14, 7], 0),
    (-1, [], None), (7, [60, 30, 14, 7], None),
])
def test_alert_thresholds(left: int, already: list[int], expected: int | None) -> None:
    assert contracts.alert_threshold(deadline=TODAY + dt.timedelta(days=left), today=TODAY,
                                     already=already) == expected


def test_notice_alerts_go_once_each_to_the_owner_and_vendor_managers(
        buyer: Any, vendor: Vendor, smtp_server: Any) -> None:
    contract = _contract(buyer, vendor)  # deadline: 2026-11-01
    user_with_role(Role.FRONT_DESK, email="desk@example.test")
    deadline = contract.notice_deadline
    assert deadline == dt.date(2026, 11, 1)
    assert contracts.contract_jobs_run(today=deadline - dt.timedelta(days=61)) == (0, 0)
    assert contracts.contract_jobs_run(today=deadline - dt.timedelta(days=60)) == (0, 1)
    assert contracts.contract_jobs_run(today=deadline - dt.timedelta(days=60)) == (0, 0)
    assert [message.get_all("To") for message in smtp_server.messages] == [["buyer@example.test"]]
    assert "60 days to the notice deadline: Nightly cleaning" in smtp_server.messages[0]["Subject"]
    assert contracts.contract_jobs_run(today=deadline) == (0, 1)  # 30, 14 and 7 were missed: one mail
    contract.refresh_from_db()
    assert contract.notice_alerts_sent == [60, 0]


def test_the_mail_server_down_leaves_the_alert_for_the_next_run(buyer: Any, vendor: Vendor, settings: Any) -> None:
    contract = _contract(buyer, vendor)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    assert contracts.contract_jobs_run(today=dt.date(2026, 9, 2)) == (0, 0)
    contract.refresh_from_db()
    assert contract.notice_alerts_sent == []


def test_auto_renewal_moves_the_end_and_starts_the_alerts_over(buyer: Any, vendor: Vendor) -> None:
    contract = _contract(buyer, vendor, ends_on=dt.date(2024, 2, 29), starts_on=dt.date(2023, 3, 1))
    Contract.objects.filter(pk=contract.pk).update(notice_alerts_sent=[60, 30])
    assert contracts.contract_jobs_run(today=TODAY) == (1, 1)
    contract.refresh_from_db()
    assert contract.ends_on == dt.date(2027, 2, 28)  # 2025-02-28, 2026-02-28, 2027-02-28
    # The old term's alerts are gone; the new deadline (2026-12-30) is 33 days away: its 60-day alert went.
    assert contract.notice_alerts_sent == [60]


def test_renewal_needs_an_end_and_notice_must_fit(buyer: Any, vendor: Vendor) -> None:
    with pytest.raises(ValidationError, match="end date"):
        _contract(buyer, vendor, ends_on=None)
    with pytest.raises(ValidationError, match="longer than the contract"):
        _contract(buyer, vendor, notice_days=400)
    assert not Contract.objects.exists()


def test_a_contract_involving_phi_puts_the_vendor_in_the_baa_register_once(buyer: Any, vendor: Vendor) -> None:
    _contract(buyer, vendor, handles_phi=True)
    _contract(buyer, vendor, handles_phi=True, title="Day porter")
    associate = BusinessAssociate.objects.get()
    assert associate.vendor == vendor
    assert associate.handles_phi


def test_a_vendor_marked_as_handling_phi_links_the_register_entry_of_the_same_name(buyer: Any) -> None:
    officer = user_with_role(Role.PRIVACY_OFFICER)
    BusinessAssociate.objects.create(name="cloud ehr inc", services="EHR hosting", created_by=officer)
    vendor = vendors.vendor_create(actor=buyer, data={"name": "Cloud EHR Inc", "kind": VendorKind.SERVICE})
    assert BusinessAssociate.objects.get().vendor is None
    vendors.vendor_update(actor=buyer, vendor=vendor, data={"handles_phi": True})
    associate = BusinessAssociate.objects.get()
    assert associate.vendor_id == vendor.pk


def test_front_desk_cannot_record_contracts(vendor: Vendor, north: Any) -> None:
    desk = user_with_role(Role.FRONT_DESK, locations=[north])
    with pytest.raises(PermissionDenied):
        contracts.contract_create(actor=desk, vendor=vendor, data={
            "kind": ContractKind.SUPPLY, "title": "x", "starts_on": TODAY})
    assert not Contract.objects.exists()
