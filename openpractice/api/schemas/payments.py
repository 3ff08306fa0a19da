"""Patient payments: what was paid, how, and where it went (claims, credit on the account)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, Schema

from openpractice.billing.choices import PaymentMethod
from openpractice.billing.selectors.patient_accounts import cents

from .appointments import PatientRefOut
from .claims import ActorOut
from .common import LocationRefOut


class PaymentOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 877, "patient": {"id": 1042, "account_number": "A100245", "first_name": "Jordan", "last_name": "Sample"},
         "location": {"id": 1, "name": "Raleigh Main", "code": "ral"}, "amount": "40.00", "method": "card",
         "reference": "auth 829301", "received_on": "2026-11-20", "note": "Paid at check-out",
         "received_by": {"id": 6, "username": "tkeller"}, "created_at": "2026-11-20T16:42:05Z", "applied": "22.00",
         "credit": "18.00", "refunded": "0.00"}]}}
    id: int
    patient: PatientRefOut
    location: LocationRefOut
    amount: Decimal
    method: str = Field(description="cash, card, check or ach.")
    reference: str = Field(description="Check number or card reference.")
    received_on: dt.date
    note: str
    received_by: ActorOut
    created_at: dt.datetime
    applied: Decimal = Field(description="Put on the patient's claims, oldest date of service first.")
    credit: Decimal = Field(description="Kept on the account as a credit (more than the patient owed).")
    refunded: Decimal = Field(description="Refunded of this payment.")

    @staticmethod
    def resolve_applied(obj: object) -> Decimal:
        return cents(obj.applied_total)  # type: ignore[attr-defined]

    @staticmethod
    def resolve_credit(obj: object) -> Decimal:
        return cents(obj.credit_total)  # type: ignore[attr-defined]

    @staticmethod
    def resolve_refunded(obj: object) -> Decimal:
        return cents(obj.refunded_total)  # type: ignore[attr-defined]


class PaymentApplicationOut(Schema):
    claim_id: int | None = Field(description="Empty for the credit kept on the account.")
    claim_number: str
    date_of_service: dt.date | None
    amount: Decimal


class RefundOut(Schema):
    id: int
    amount: Decimal
    method: str
    refunded_on: dt.date
    reason: str


class PaymentDetailOut(PaymentOut):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 877, "patient": {"id": 1042, "account_number": "A100245", "first_name": "Jordan", "last_name": "Sample"},
         "location": {"id": 1, "name": "Raleigh Main", "code": "ral"}, "amount": "40.00", "method": "card",
         "reference": "auth 829301", "received_on": "2026-11-20", "note": "Paid at check-out",
         "received_by": {"id": 6, "username": "tkeller"}, "created_at": "2026-11-20T16:42:05Z", "applied": "22.00",
         "credit": "18.00", "refunded": "0.00",
         "applications": [{"claim_id": 2291, "claim_number": "C-2026-000187", "date_of_service": "2026-10-14", "amount": "22.00"}, {"claim_id": None, "claim_number": "", "date_of_service": None, "amount": "18.00"}],
         "refunds": []}]}}
    applications: list[PaymentApplicationOut] = Field(description="Where the money went, oldest claim first; the "
                                                                  "credit kept on the account last.")
    refunds: list[RefundOut]

    @staticmethod
    def resolve_refunds(obj: Any) -> list[Any]:
        return list(obj.refunds.order_by("refunded_on", "pk"))


class PaymentFilters(Schema):
    patient_id: int | None = None
    received_from: dt.date | None = Field(None, description="Received on or after this day.")
    received_to: dt.date | None = Field(None, description="Received on or before this day.")
    method: PaymentMethod | None = None


class PaymentIn(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"patient_id": 1042, "amount": "40.00", "method": "card", "received_on": "2026-11-20",
         "reference": "auth 829301"}]}}
    patient_id: int
    amount: Decimal = Field(description="More than 0, at most 2 decimals, at most 100000.00.")
    method: str = Field(description="cash, card, check or ach.")
    received_on: dt.date
    reference: str = Field("", max_length=60, description="Required for a check: the check number.")
    note: str = Field("", max_length=300)
