"""Vendor writes: the encrypted tax ID, unique names, primary contacts, negotiations (practice manager's duty) and
sales-rep visits checked against the practice's policy."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import user_with_role
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.core.selectors import practice_timezone_name
from openpractice.vendors.choices import NegotiationOutcome, VendorKind
from openpractice.vendors.models import Negotiation, RepVisit, Vendor
from openpractice.vendors.services import vendors as services

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer(north: Any) -> Any:
    return user_with_role(Role.OFFICE_MANAGER, Tier.MID, locations=[north])


def _vendor(actor: Any, **data: Any) -> Vendor:
    return services.vendor_create(actor=actor, data={"name": "Medline", "kind": VendorKind.SUPPLIER, **data})


def test_the_tax_id_is_encrypted_at_rest_and_its_last_four_shown(buyer: Any) -> None:
    vendor = _vendor(buyer, tax_id="123456789")
    vendor.refresh_from_db()
    assert vendor.tax_id == "12-3456789"
    assert vendor.tax_id_last4 == "6789"
    with connection.cursor() as cursor:
        cursor.execute("SELECT tax_id FROM vendors_vendor WHERE id = %s", [vendor.pk])
        assert "3456789" not in cursor.fetchone()[0]
    event = AuditEvent.objects.get(action="vendors.vendor_created")
    assert "tax_id" in event.changed_fields
    assert "3456789" not in str(event.changed_fields) + event.reason


@pytest.mark.parametrize("bad", ["12345678", "12-34567890", "AB-1234567"])
def test_a_malformed_tax_id_is_refused(buyer: Any, bad: str) -> None:
    with pytest.raises(ValidationError, match="EIN"):
        _vendor(buyer, tax_id=bad)
    assert not Vendor.objects.exists()


def test_vendor_names_are_unique_ignoring_case(buyer: Any) -> None:
    _vendor(buyer)
    with pytest.raises(ValidationError, match="already on file"):
        _vendor(buyer, name="MEDLINE")
    assert Vendor.objects.count() == 1


def test_front_desk_cannot_add_a_vendor(north: Any) -> None:
    desk = user_with_role(Role.FRONT_DESK, locations=[north])
    with pytest.raises(PermissionDenied):
        _vendor(desk)
    assert not Vendor.objects.exists()
    assert AuditEvent.objects.filter(actor_id=desk.pk, outcome=Outcome.DENIED).exists()


def test_one_primary_contact_per_vendor(buyer: Any) -> None:
    vendor = _vendor(buyer)
    first = services.contact_save(actor=buyer, vendor=vendor, data={"name": "Ann", "is_primary": True})
    second = services.contact_save(actor=buyer, vendor=vendor, data={"name": "Bo", "is_primary": True})
    first.refresh_from_db()
    assert not first.is_primary
    assert second.is_primary


def test_negotiations_are_the_practice_managers(buyer: Any, north: Any) -> None:
    vendor = _vendor(buyer)
    data = {"held_on": dt.date(2026, 11, 2), "asks": "5% off gloves", "outcome": NegotiationOutcome.AGREED,
            "annual_savings": Decimal("1200.00")}
    with pytest.raises(PermissionDenied):
        services.negotiation_log(actor=buyer, vendor=vendor, data=data)
    assert not Negotiation.objects.exists()
    senior = user_with_role(Role.PRACTICE_MANAGER, Tier.SENIOR)
    negotiation = services.negotiation_log(actor=senior, vendor=vendor, data=data, our_people=[senior])
    assert negotiation.annual_savings == Decimal("1200.00")
    assert list(negotiation.our_people.all()) == [senior]


def test_a_rep_visit_records_what_it_did_against_the_policy(buyer: Any, north: Any) -> None:
    vendor = _vendor(buyer)
    policy = services.rep_policy()
    policy.appointment_only, policy.allowed_weekdays = True, [2, 4]  # Tuesdays and Thursdays
    policy.earliest, policy.latest, policy.max_visits_per_month = dt.time(9), dt.time(16), 1
    policy.save()
    zone = zoneinfo.ZoneInfo(practice_timezone_name())
    tuesday = dt.datetime(2026, 11, 3, 10, 0, tzinfo=zone)
    ok = services.rep_visit_log(actor=buyer, vendor=vendor, data={
        "rep_name": "Pat Rep", "location": north, "visited_at": tuesday, "had_appointment": True})
    assert ok.policy_exceptions == []
    friday_evening = dt.datetime(2026, 11, 6, 17, 30, tzinfo=zone)
    late = services.rep_visit_log(actor=buyer, vendor=vendor, data={
        "rep_name": "Pat Rep", "location": north, "visited_at": friday_evening, "had_appointment": False})
    assert len(late.policy_exceptions) == 4  # no appointment, Friday, after 16:00, a second visit this month
    assert RepVisit.objects.count() == 2


def test_a_rep_visit_must_name_the_rep(buyer: Any, north: Any) -> None:
    vendor = _vendor(buyer)
    with pytest.raises(ValidationError, match="Name the representative"):
        services.rep_visit_log(actor=buyer, vendor=vendor, data={
            "location": north, "visited_at": dt.datetime(2026, 11, 3, 15, tzinfo=dt.UTC)})
    assert not RepVisit.objects.exists()


def test_someone_who_manages_no_vendors_is_refused_before_their_data_is_read(buyer: Any, north: Any) -> None:
    """An unknown field from an unpermitted caller is an audited refusal, not a validation message."""
    vendor = _vendor(buyer)
    clerk = user_with_role(Role.FRONT_DESK, Tier.STANDARD, locations=[north])
    with pytest.raises(PermissionDenied):
        services.rep_visit_log(actor=clerk, vendor=vendor, data={"colour": "red"})
    assert AuditEvent.objects.filter(actor=clerk, outcome=Outcome.DENIED, action="vendors.rep_visit_log").exists()
    assert not RepVisit.objects.exists()
