"""Requests for quotes: several vendors, side-by-side comparison, award turns quotes into prices."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import user_with_role
from openpractice.inventory.models import RequestForQuote, VendorItem
from openpractice.inventory.services import quotes
from openpractice.inventory.tests.factories import ItemFactory
from openpractice.vendors.choices import VendorKind
from openpractice.vendors.models import Vendor

pytestmark = pytest.mark.django_db


def test_compare_then_award_a_vendor_who_priced_everything(north: Any) -> None:
    senior = user_with_role(Role.PRACTICE_MANAGER, Tier.SENIOR)
    a, b = (Vendor.objects.create(name=name, kind=VendorKind.SUPPLIER) for name in ("Alpha", "Beta"))
    gloves = ItemFactory.create(name="Gloves")
    gauze = ItemFactory.create(name="Gauze")
    rfq = quotes.rfq_create(actor=senior, title="Exam room supplies", due_on=dt.date(2026, 12, 15),
                            vendors=[a, b], lines=[(gloves, 10), (gauze, 5)])
    line_gloves, line_gauze = rfq.lines.order_by("pk")
    quotes.quote_record(actor=senior, rfq=rfq, vendor=a, prices={line_gloves.pk: Decimal("8.00"),
                                                                 line_gauze.pk: Decimal("3.00")})
    quotes.quote_record(actor=senior, rfq=rfq, vendor=b, prices={line_gloves.pk: Decimal("7.50")})
    comparison = quotes.rfq_compare(rfq)
    assert [vendor.name for vendor in comparison.vendors] == ["Alpha", "Beta"]
    assert comparison.totals == [Decimal("95.00"), Decimal("75.00")]
    assert comparison.complete == [True, False]
    assert [row[2] for row in comparison.rows] == [Decimal("7.50"), Decimal("3.00")]
    with pytest.raises(ValidationError, match="priced every line"):
        quotes.rfq_award(actor=senior, rfq=rfq, vendor=b, effective_from=dt.date(2027, 1, 1))
    quotes.rfq_award(actor=senior, rfq=rfq, vendor=a, effective_from=dt.date(2027, 1, 1))
    assert sorted(VendorItem.objects.filter(vendor=a).values_list("price", flat=True)) == [
        Decimal("3.0000"), Decimal("8.0000")]
    with pytest.raises(ValidationError, match="already awarded"):
        quotes.quote_record(actor=senior, rfq=rfq, vendor=b, prices={})


def test_requests_need_two_vendors_and_the_practice_managers_duty(north: Any) -> None:
    senior = user_with_role(Role.PRACTICE_MANAGER, Tier.SENIOR)
    buyer = user_with_role(Role.OFFICE_MANAGER, Tier.EXPERIENCED)
    a = Vendor.objects.create(name="Alpha", kind=VendorKind.SUPPLIER)
    item = ItemFactory.create()
    with pytest.raises(ValidationError, match="two vendors"):
        quotes.rfq_create(actor=senior, title="x", due_on=dt.date(2026, 12, 1), vendors=[a], lines=[(item, 1)])
    b = Vendor.objects.create(name="Beta", kind=VendorKind.SUPPLIER)
    with pytest.raises(PermissionDenied):
        quotes.rfq_create(actor=buyer, title="x", due_on=dt.date(2026, 12, 1), vendors=[a, b], lines=[(item, 1)])
    assert not RequestForQuote.objects.exists()
