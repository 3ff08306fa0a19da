"""/statement-runs and /statements: patient statements, as the statements pages show them (metadata only: the
PDFs stay in the web interface).

A run (a date, a cycle, counts and a total) holds no patient data: everybody with billing.view lists and reads
runs. Making one is practice-wide billing.manage (billing.manage at every location), through the same service as
"Run statements": one statement per guarantor due one. A statement is addressed to a guarantor: it opens for
people who hold billing.view at the guarantor's home location and at that of every patient naming the guarantor
(selectors.statements). Statements are PHI: every guarantor shown is recorded in the audit trail (once per page
for the list). Out of role or out of scope answers 404 and is audited; nothing changes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from openpractice.accounts.roles import Perm
from openpractice.billing.models import Statement
from openpractice.billing.selectors import statements as selectors
from openpractice.billing.services import statements as services
from openpractice.core.web import get_scoped_or_404, require
from openpractice.patients.selectors import patient_record_viewed, patient_records_viewed

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES, error_body
from ..pagination import Page, PageIn, paginate
from ..schemas.appointments import PatientRefOut
from ..schemas.claims import ActorOut

runs_router = Router(tags=["statements"])
router = Router(tags=["statements"])
ID = Field(None, ge=1, le=2_147_483_647)
CENTS = Decimal("0.01")


class StatementRunOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 12, "statement_date": "2026-11-15", "cycle_day": 15, "minimum_balance": "5.00",
         "created_by": {"id": 6, "username": "tkeller"}, "created_at": "2026-11-15T13:00:02Z",
         "statement_count": 48, "email_count": 20, "emailed_count": 19, "failed_count": 1,
         "total_due": "6120.35"}]}}
    id: int
    statement_date: dt.date
    cycle_day: int | None = Field(description="Guarantors of this cycle (their day of birth, 29-31 folded onto "
                                              "1-3); empty: everybody with a balance")
    minimum_balance: Decimal = Field(description="The run's own minimum (the practice's may be higher)")
    created_by: ActorOut
    created_at: dt.datetime
    statement_count: int = Field(description="Statements in the run, practice-wide")
    email_count: int = Field(description="Of them, to be emailed")
    emailed_count: int = Field(description="Emails sent")
    failed_count: int = Field(description="Emails that could not be sent (they go into the printable PDF)")
    total_due: Decimal = Field(description="What the run's statements ask for, together")

    @staticmethod
    def resolve_total_due(obj: Any) -> Decimal:
        return Decimal(obj.total_due or 0).quantize(CENTS)  # SQLite sums lose their cents


class StatementRunIn(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"statement_date": "2026-11-15", "cycle_day": 15, "minimum_balance": "5.00"},
        {"statement_date": "2026-11-30", "cycle_day": None, "minimum_balance": "0.00"}]}}
    statement_date: dt.date = Field(description="Today or earlier", examples=["2026-11-15"])
    cycle_day: int | None = Field(None, ge=1, le=28, description="Only guarantors of this cycle; empty: everybody",
                                  examples=[15])
    minimum_balance: Decimal = Field(Decimal("0.00"), description="Skip balances below this (the practice's own "
                                                                  "minimum applies too)", examples=["5.00"])


class StatementRunFilter(PageIn):
    statement_from: dt.date | None = Field(None, description="Dated on or after this day")
    statement_to: dt.date | None = Field(None, description="Dated on or before this day")
    cycle_day: int | None = Field(None, ge=1, le=28)


class AgingBucketOut(Schema):
    bucket: str = Field(description="0-30, 31-60, 61-90, 91-120 or 120+ (days since the date of service)")
    amount: Decimal


class StatementOut(Schema):
    model_config = {"json_schema_extra": {"examples": [
        {"id": 5531, "run_id": 12, "statement_date": "2026-11-15",
         "guarantor": {"id": 1042, "account_number": "A100245", "first_name": "Jordan", "last_name": "Sample"},
         "amount_due": "145.20", "delivery": "email", "emailed_at": "2026-11-15T13:01:40Z", "email_failed": False,
         "aging": [{"bucket": "0-30", "amount": "45.20"}, {"bucket": "31-60", "amount": "100.00"},
                   {"bucket": "61-90", "amount": "0.00"}, {"bucket": "91-120", "amount": "0.00"},
                   {"bucket": "120+", "amount": "0.00"}]}]}}
    id: int
    run_id: int
    statement_date: dt.date
    guarantor: PatientRefOut = Field(description="The account the statement is addressed to")
    amount_due: Decimal = Field(description="What the guarantor's patients owed when the run was made")
    delivery: str = Field(description="email or print")
    emailed_at: dt.datetime | None
    email_failed: bool = Field(description="The email could not be sent (the statement goes into the printable "
                                           "PDF); the reason is on the run's page")
    aging: list[AgingBucketOut] = Field(description="The amount due by age, oldest bucket last")

    @staticmethod
    def resolve_statement_date(obj: Statement) -> dt.date:
        return obj.run.statement_date

    @staticmethod
    def resolve_email_failed(obj: Statement) -> bool:
        return bool(obj.email_error)

    @staticmethod
    def resolve_aging(obj: Statement) -> list[dict[str, Any]]:
        return [{"bucket": label, "amount": amount} for label, amount in selectors.statement_buckets(obj)]


class StatementFilter(PageIn):
    run_id: int | None = ID
    guarantor_id: int | None = ID
    delivery: Literal["email", "print"] | None = None


# --- runs ----------------------------------------------------------------------------------------------------------


@runs_router.get("", response={200: Page[StatementRunOut], **COMMON_RESPONSES}, url_name="statement_run_list",
                 summary="Statement runs",
                 description=f"Needs `{Perm.BILLING_VIEW}`. Every run, newest first, with its practice-wide counts "
                             "(no patient data). Filters: statement_from / statement_to (inclusive), cycle_day.")
def statement_run_list(request: HttpRequest, filters: Query[StatementRunFilter]) -> Any:
    require(request, Perm.BILLING_VIEW)
    queryset = selectors.statement_run_list(actor=request.user)
    if filters.statement_from is not None:
        queryset = queryset.filter(statement_date__gte=filters.statement_from)
    if filters.statement_to is not None:
        queryset = queryset.filter(statement_date__lte=filters.statement_to)
    if filters.cycle_day is not None:
        queryset = queryset.filter(cycle_day=filters.cycle_day)
    return paginate(queryset.order_by("-created_at", "-pk"), filters)


@runs_router.get("/{int:statement_run_id}", response={200: StatementRunOut, **COMMON_RESPONSES},
                 url_name="statement_run_detail", summary="One statement run",
                 description=f"Needs `{Perm.BILLING_VIEW}`. Its statements: GET /statements?run_id=.")
def statement_run_detail(request: HttpRequest, statement_run_id: int) -> Any:
    require(request, Perm.BILLING_VIEW)
    return get_scoped_or_404(request, selectors.statement_run_list(actor=request.user),
                             permission=Perm.BILLING_VIEW, pk=statement_run_id)


@runs_router.post("", response={201: StatementRunOut, **WRITE_RESPONSES}, url_name="statement_run_create",
                  summary="Run statements: one per guarantor due one",
                  description=f"Needs `{Perm.BILLING_MANAGE}` at every location (a guarantor's statement adds up "
                              "balances from every location; 403 otherwise). Guarantors whose patients owe at "
                              "least the minimum, in the cycle when one is given, and without a statement in the "
                              "25 days around the date. Nobody due one answers 422 and no run is kept. Emailing "
                              "and printing stay in the web interface.")
def statement_run_create(request: HttpRequest, payload: StatementRunIn) -> Any:
    require(request, Perm.BILLING_MANAGE)
    try:
        run = services.statement_run_create(actor=request.user, statement_date=payload.statement_date,
                                            cycle_day=payload.cycle_day, minimum_balance=payload.minimum_balance)
    except PermissionDenied as refused:
        # Billing managers of some locations only: the service audited the refusal and says why.
        return Status(403, error_body("forbidden", str(refused)))
    return Status(201, selectors.statement_run_list(actor=request.user).get(pk=run.pk))


# --- statements ----------------------------------------------------------------------------------------------------


@router.get("", response={200: Page[StatementOut], **COMMON_RESPONSES}, url_name="statement_list",
            summary="Patient statements you may see",
            description=f"Needs `{Perm.BILLING_VIEW}` at the guarantor's home location and at that of every patient "
                        "naming the guarantor. Newest run first, then by guarantor name. Filters: run_id, "
                        "guarantor_id, delivery. Each guarantor on the page is recorded in the audit trail once.")
def statement_list(request: HttpRequest, filters: Query[StatementFilter]) -> Any:
    require(request, Perm.BILLING_VIEW)
    queryset = selectors.statement_scoped(actor=request.user, permission=Perm.BILLING_VIEW)
    if filters.run_id is not None:
        queryset = queryset.filter(run_id=filters.run_id)
    if filters.guarantor_id is not None:
        queryset = queryset.filter(guarantor_id=filters.guarantor_id)
    if filters.delivery is not None:
        queryset = queryset.filter(delivery=filters.delivery)
    result = paginate(queryset.order_by("-run__created_at", "-run_id", "guarantor__last_name",
                                        "guarantor__first_name", "pk"), filters)
    patient_records_viewed(actor=request.user, patients=(item.guarantor for item in result["items"]),
                           how="api statement list")
    return result


@router.get("/{int:statement_id}", response={200: StatementOut, **COMMON_RESPONSES}, url_name="statement_detail",
            summary="One patient statement (its metadata; the PDF is in the web interface)",
            description=f"Needs `{Perm.BILLING_VIEW}` as for the list. The read is audited.")
def statement_detail(request: HttpRequest, statement_id: int) -> Any:
    require(request, Perm.BILLING_VIEW)
    statement: Statement = get_scoped_or_404(
        request, selectors.statement_scoped(actor=request.user, permission=Perm.BILLING_VIEW),
        permission=Perm.BILLING_VIEW, pk=statement_id)
    patient_record_viewed(actor=request.user, patient=statement.guarantor, how=f"api statement {statement.pk}")
    return statement

