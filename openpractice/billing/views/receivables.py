"""Receivables pages under /billing/receivables/: A/R aging (by payer with a chart, by patient, down to the claims),
the KPIs, payer performance by code and the underpayment worklist.

Permissions: the aging pages, their drill-downs and the underpayments name patients and claims, so they need
billing.view and show only balances at the locations where the person holds it. The KPIs and payer performance
name no patient: they need reports.financial (at the locations where it is held), which an auditor has and an
entry-level practice manager does not. Lists that show patients write one audit event per page shown; the
drill-down of one patient writes that patient's `patients.viewed` event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.core.exports import Column, Export, export_format, export_query, export_response
from openpractice.core.models import Location
from openpractice.core.selectors import location_scoped
from openpractice.core.web import Table, permission_required, render_table, table
from openpractice.patients.models import Payer
from openpractice.patients.selectors import patient_record_viewed, payer_choices

from ..choices import Party
from ..selectors import receivables as selectors

PER_PAGE = 25
DEFAULT_PERIOD_DAYS = 90
CHART_WIDTH, CHART_HEIGHT, CHART_TOP = 640, 220, 20


# --- forms (GET filters) ---------------------------------------------------------------------------------------


class LocationFilterForm(forms.Form):
    location = forms.ModelChoiceField(label=gettext_lazy("Location"), required=False,
                                      queryset=Location.objects.none(), empty_label=gettext_lazy("All my locations"))

    def __init__(self, *args: Any, locations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations  # type: ignore[attr-defined]

    def location_id(self) -> int | None:
        location = self.cleaned_data.get("location") if self.is_valid() else None
        return location.pk if location is not None else None


class PeriodForm(LocationFilterForm):
    start = forms.DateField(label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", _("The period must end on or after its first day."))
        return data

    def period(self) -> tuple[dt.date, dt.date]:
        """The chosen period; by default the 90 days to today. An invalid choice falls back to the default."""
        day = selectors.today()
        data = self.cleaned_data if self.is_valid() else {}
        end = data.get("end") or day
        start = data.get("start") or end - dt.timedelta(days=DEFAULT_PERIOD_DAYS - 1)
        return start, end


class PayerPerformanceForm(PeriodForm):
    code = forms.CharField(label=gettext_lazy("CPT/HCPCS"), required=False, max_length=5,
                           widget=forms.TextInput(attrs={"size": 7, "autocomplete": "off"}))

    def clean_code(self) -> str:
        value = (self.cleaned_data.get("code") or "").strip().upper()
        return "".join(char for char in value if char.isascii() and char.isalnum())[:5]


class UnderpaymentForm(PeriodForm):
    payer = forms.ModelChoiceField(label=gettext_lazy("Payer"), required=False, queryset=Payer.objects.none(),
                                   empty_label=gettext_lazy("Any payer"))
    tolerance = forms.DecimalField(label=gettext_lazy("Tolerance ($)"), required=False, min_value=Decimal(0),
                                   max_digits=8, decimal_places=2,
                                   help_text=gettext_lazy("Differences up to this amount are not listed."))

    def __init__(self, *args: Any, payers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["payer"].queryset = payers  # type: ignore[attr-defined]


def _nav(request: HttpRequest) -> dict[str, bool]:
    """Which receivables pages the person may open (the links at the top of each page)."""
    return {"billing": can(request.user, Perm.BILLING_VIEW), "financial": can(request.user, Perm.REPORTS_FINANCIAL)}


def _locations(request: HttpRequest, permission: str) -> Any:
    return location_scoped(actor=request.user, permission=permission).order_by("name")


def _int(value: str | None, *, low: int = 0, high: int | None = None) -> int | None:
    if value is None or not value.isdigit():
        return None
    number = int(value)
    if number < low or (high is not None and number > high):
        return None
    return number


# --- the chart -------------------------------------------------------------------------------------------------


def aging_chart(aging: selectors.Aging) -> dict[str, Any]:
    """Geometry of a bar chart of the buckets, insurance stacked under patients (SVG drawn by the template).
    Credits (negative sums) draw as nothing; the table shows them."""
    payers = [max(amount, Decimal(0)) for amount in aging.payer_total.amounts]
    patients = [max(amount, Decimal(0)) for amount in aging.patients.amounts]
    peak = max((a + b for a, b in zip(payers, patients, strict=True)), default=Decimal(0)) or Decimal(1)
    usable = CHART_HEIGHT - CHART_TOP - 30
    slot = CHART_WIDTH // len(selectors.BUCKETS)
    bars = []
    for bucket, payer, patient, total in zip(selectors.BUCKETS, payers, patients, aging.total.amounts, strict=True):
        payer_height = int(payer / peak * usable)
        patient_height = int(patient / peak * usable)
        base = CHART_HEIGHT - 30
        bars.append({
            "label": bucket.label, "total": total, "x": bucket.index * slot + slot // 5, "width": slot * 3 // 5,
            "label_x": bucket.index * slot + slot // 2, "label_y": CHART_HEIGHT - 10,
            "payer_y": base - payer_height, "payer_height": payer_height,
            "patient_y": base - payer_height - patient_height, "patient_height": patient_height,
            "value_y": max(CHART_TOP - 4, base - payer_height - patient_height - 6),
        })
    return {"width": CHART_WIDTH, "height": CHART_HEIGHT, "bars": bars, "axis_y": CHART_HEIGHT - 30}


# --- exports ---------------------------------------------------------------------------------------------------


def _bucket_columns(read: Callable[[Any, int], Decimal]) -> list[Column]:
    """One column per aging bucket; `read(row, index)` gives the row's amount in that bucket."""

    def column(bucket: selectors.Bucket) -> Column:
        return Column(bucket.label, lambda row: read(row, bucket.index))

    return [column(bucket) for bucket in selectors.BUCKETS]


AGING_EXPORT = Export(name="AR aging", object_type="billing.accountbalance", columns=[
    Column(gettext_lazy("Owed by"), "label"),
    *_bucket_columns(lambda row, index: row.amounts[index]),
    Column(gettext_lazy("Total"), "total"),
    Column(gettext_lazy("Balances"), "count"),
])

PATIENT_AGING_EXPORT = Export(
    name="AR aging by patient", object_type="patients.patient", patient_id=lambda row: row["patient_id"], columns=[
        Column(gettext_lazy("Patient ID"), "patient_id"),
        Column(gettext_lazy("Patient"), lambda row: f"{row['patient__last_name']}, {row['patient__first_name']}"),
        Column(gettext_lazy("Account"), "patient__account_number"),
        *_bucket_columns(lambda row, index: selectors.cents(row[f"b{index}"])),
        Column(gettext_lazy("Total"), lambda row: selectors.cents(row["total"])),
        Column(gettext_lazy("Claims"), "count"),
    ])


def _aging_claims_export(as_of: dt.date) -> Export:
    return Export(name="AR open balances", object_type="billing.accountbalance",
                  patient_id=lambda balance: balance.patient_id, columns=[
        Column(gettext_lazy("ID"), "pk"),
        Column(gettext_lazy("Claim"), lambda balance: balance.claim.claim_number if balance.claim else _("On account")),
        Column(gettext_lazy("Claim status"), lambda balance: balance.claim.get_status_display() if balance.claim
               else ""),
        Column(gettext_lazy("Date of service"), "service_date"),
        Column(gettext_lazy("Age (days)"), lambda balance: None if balance.service_date is None
               else (as_of - balance.service_date).days),
        Column(gettext_lazy("Patient"), lambda balance: f"{balance.patient.last_name}, {balance.patient.first_name}"),
        Column(gettext_lazy("Account"), "patient.account_number"),
        Column(gettext_lazy("Owed by"), lambda balance: balance.payer.name if balance.party == Party.PAYER
               and balance.payer else _("Patient")),
        Column(gettext_lazy("Location"), "location.name"),
        Column(gettext_lazy("Balance"), lambda balance: selectors.cents(balance.balance)),
    ])


PAYER_PERFORMANCE_EXPORT = Export(name="payer performance by code", object_type="billing.remittanceline", columns=[
    Column(gettext_lazy("Code"), "procedure_code"),
    Column(gettext_lazy("Payer"), "payer_name"),
    Column(gettext_lazy("Pays best"), "best"),
    Column(gettext_lazy("Lines"), "count"),
    Column(gettext_lazy("Average allowed"), "average_allowed"),
    Column(gettext_lazy("Average paid"), "average_paid"),
    Column(gettext_lazy("Average days to pay"), "average_days_to_pay"),
])

UNDERPAYMENT_EXPORT = Export(
    name="underpayments", object_type="billing.remittanceline",
    patient_id=lambda line: line.remittance_claim.claim.patient_id if line.remittance_claim.claim else None, columns=[
        Column(gettext_lazy("ID"), "pk"),
        Column(gettext_lazy("Payer"), "remittance_claim.remittance.payer.name"),
        Column(gettext_lazy("Claim"), "remittance_claim.claim.claim_number"),
        Column(gettext_lazy("Payer claim number"), "remittance_claim.payer_claim_number"),
        Column(gettext_lazy("Patient"), lambda line: f"{line.remittance_claim.claim.patient.last_name}, "
                                                     f"{line.remittance_claim.claim.patient.first_name}"),
        Column(gettext_lazy("Code"), lambda line: "-".join([line.procedure_code, *(line.modifiers or [])])),
        Column(gettext_lazy("Date of service"), "service_on"),
        Column(gettext_lazy("Units"), "units_billed"),
        Column(gettext_lazy("Contract fee"), lambda line: selectors.cents(line.contract_fee)),
        Column(gettext_lazy("Expected"), lambda line: selectors.cents(line.expected)),
        Column(gettext_lazy("Paid"), lambda line: selectors.cents(line.paid_amount)),
        Column(gettext_lazy("Patient share"), lambda line: selectors.cents(line.patient_share)),
        Column(gettext_lazy("Variance"), lambda line: selectors.cents(line.variance)),
    ])


def _export_links(request: HttpRequest) -> dict[str, str]:
    """The query strings of the page's CSV and XLSX links (a page that is not a core.web table)."""
    return {file_format: export_query(request, file_format) for file_format in ("csv", "xlsx")}


# --- aging -----------------------------------------------------------------------------------------------------


@require_GET
@permission_required(Perm.BILLING_VIEW)
def receivables(request: HttpRequest) -> HttpResponse:
    """A/R aging by payer and for patients, with totals and a chart; each amount links to its claims."""
    filters = LocationFilterForm(request.GET or None, locations=_locations(request, Perm.BILLING_VIEW))
    aging = selectors.aging_summary(actor=request.user, location_id=filters.location_id())
    if export_format(request):
        return export_response(request, [*aging.payers, aging.payer_total, aging.patients, aging.total], AGING_EXPORT)
    return render(request, "billing/receivables/aging.html", {
        "export_links": _export_links(request),
        "aging": aging, "buckets": selectors.BUCKETS, "chart": aging_chart(aging), "filters": filters,
        "location_id": filters.location_id(), "over_share": selectors.percent(aging.total.over_120, aging.total.total),
        "total_shares": aging.share(aging.total), "nav": _nav(request),
    })


def _manual_table(request: HttpRequest, rows: Any, *, sorts: list[str], sort: str, element_id: str) -> Table:
    """A Table (core.web) over a grouped queryset the selector already sorted: core.web.table() would add the
    primary key to its ordering, which would split the groups."""
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    params["sort"] = sort
    return Table(page=page, sort=sort, search="", sort_options=sorts, query_string=params.urlencode(),
                 params=params, element_id=element_id)


@require_GET
@permission_required(Perm.BILLING_VIEW)
def receivables_patients(request: HttpRequest) -> HttpResponse:
    """What patients owe, by bucket, largest first; a patient links to their claims."""
    filters = LocationFilterForm(request.GET or None, locations=_locations(request, Perm.BILLING_VIEW))
    sort = request.GET.get("sort") or "-total"
    if sort.lstrip("-") not in selectors.PATIENT_SORTS:
        sort = "-total"
    as_of = selectors.today()
    grouped = selectors.aging_by_patient(actor=request.user, as_of=as_of, sort=sort,
                                         location_id=filters.location_id())
    rows = _manual_table(request, grouped, sorts=list(selectors.PATIENT_SORTS), sort=sort,
                         element_id="patient-aging")
    rows.queryset = grouped  # every patient, for the export
    if export_format(request):
        return export_response(request, grouped, PATIENT_AGING_EXPORT)
    rows.page.object_list = selectors.patient_aging_rows(rows.page.object_list)
    if rows.page.object_list:
        record(actor=request.user, action="billing.receivables_viewed", object_type="patients.patient",
               reason=f"patient aging: {len(rows.page.object_list)} patient(s) shown, page {rows.page.number}")
    return render_table(request, "billing/receivables/patients.html", {
        "table": rows, "table_template": "billing/receivables/patient_table.html",
        "filters": filters, "as_of": as_of, "buckets": selectors.BUCKETS, "nav": _nav(request),
        "export": PATIENT_AGING_EXPORT,
    })


@require_GET
@permission_required(Perm.BILLING_VIEW)
def receivables_claims(request: HttpRequest) -> HttpResponse:
    """The drill-down: the open balances behind one cell of an aging table (?party=payer|patient, ?payer=,
    ?patient=, ?bucket=0..4), one row per claim and party."""
    filters = LocationFilterForm(request.GET or None, locations=_locations(request, Perm.BILLING_VIEW))
    party = request.GET.get("party", "")
    party = party if party in Party.values else ""
    payer_id = _int(request.GET.get("payer"), low=1)
    patient_id = _int(request.GET.get("patient"), low=1)
    bucket = _int(request.GET.get("bucket"), high=len(selectors.BUCKETS) - 1)
    as_of = selectors.today()
    balances = selectors.aging_claims(actor=request.user, as_of=as_of, party=party, payer_id=payer_id,
                                      patient_id=patient_id, bucket=bucket, location_id=filters.location_id())
    rows = table(request, balances,
                 sorts={"dos": "service_date", "balance": "balance", "claim": "claim__claim_number",
                        "patient": "patient__last_name", "payer": "payer__name"},
                 default_sort="dos", element_id="aging-claims", per_page=PER_PAGE)
    export = _aging_claims_export(as_of)
    if export_format(request):
        return export_response(request, rows.queryset if rows.queryset is not None else balances, export)
    shown = list(rows.page.object_list)
    for balance in shown:
        balance.age_days = None if balance.service_date is None else (  # type: ignore[attr-defined]
            as_of - balance.service_date).days
    rows.page.object_list = shown
    patient = shown[0].patient if patient_id is not None and shown else None
    if patient is not None:
        patient_record_viewed(actor=request.user, patient=patient, how="A/R: open balances")
    elif shown:
        record(actor=request.user, action="billing.receivables_viewed", object_type="billing.claim",
               reason=f"aging drill-down: {len(shown)} balance(s) shown, page {rows.page.number}")
    payer = shown[0].payer if payer_id is not None and shown else None
    return render_table(request, "billing/receivables/claims.html", {
        "table": rows, "table_template": "billing/receivables/claim_table.html", "filters": filters,
        "as_of": as_of, "party": party,
        "bucket": selectors.BUCKETS[bucket] if bucket is not None else None, "payer": payer, "patient": patient,
        "export": export,
    })


# --- KPIs and payer performance --------------------------------------------------------------------------------


@require_GET
@permission_required(Perm.REPORTS_FINANCIAL)
def receivables_kpis(request: HttpRequest) -> HttpResponse:
    """The practice KPIs for a period (the last 90 days by default), each with its numerator and denominator."""
    form = PeriodForm(request.GET or None, locations=_locations(request, Perm.REPORTS_FINANCIAL))
    start, end = form.period()
    kpis = selectors.practice_kpis(actor=request.user, start=start, end=end, location_id=form.location_id())
    return render(request, "billing/receivables/kpis.html", {"kpis": kpis, "form": form, "nav": _nav(request)},
                  status=400 if form.errors else 200)


@require_GET
@permission_required(Perm.REPORTS_FINANCIAL)
def receivables_payers(request: HttpRequest) -> HttpResponse:
    """Payer performance by code: which payer reimburses best for a code, and how fast."""
    form = PayerPerformanceForm(request.GET or None, locations=_locations(request, Perm.REPORTS_FINANCIAL))
    start, end = form.period()
    code = form.cleaned_data.get("code", "") if form.is_valid() else ""
    rows = selectors.payer_performance(actor=request.user, start=start, end=end, code=code,
                                       location_id=form.location_id())
    if export_format(request) and not form.errors:
        return export_response(request, rows, PAYER_PERFORMANCE_EXPORT)
    return render(request, "billing/receivables/payers.html", {
        "rows": rows, "form": form, "start": start, "end": end, "code": code, "nav": _nav(request),
        "export_links": _export_links(request),
    }, status=400 if form.errors else 200)


# --- underpayments ---------------------------------------------------------------------------------------------


@require_GET
@permission_required(Perm.BILLING_VIEW)
def receivables_underpayments(request: HttpRequest) -> HttpResponse:
    """Lines paid below the payer's contract, largest variance first."""
    form = UnderpaymentForm(request.GET or None, locations=_locations(request, Perm.BILLING_VIEW),
                            payers=payer_choices(include_inactive=True).order_by("name"))
    start, end = form.period()
    data = form.cleaned_data if form.is_valid() else {}
    tolerance = data.get("tolerance")
    tolerance = selectors.DEFAULT_TOLERANCE if tolerance is None else tolerance
    payer = data.get("payer")
    lines = selectors.underpayments(actor=request.user, start=start, end=end, tolerance=tolerance,
                                    payer_id=payer.pk if payer else None, location_id=form.location_id())
    rows = table(request, lines,
                 sorts={"variance": "variance", "dos": "service_on", "paid": "paid_amount",
                        "payer": "remittance_claim__remittance__payer__name", "code": "procedure_code"},
                 default_sort="-variance", element_id="underpayments", per_page=PER_PAGE)
    if export_format(request) and not form.errors and rows.queryset is not None:
        return export_response(request, rows.queryset, UNDERPAYMENT_EXPORT)
    if rows.page.object_list:
        record(actor=request.user, action="billing.receivables_viewed", object_type="billing.claim",
               reason=f"underpayments: {len(rows.page.object_list)} line(s) shown, page {rows.page.number}")
    return render_table(request, "billing/receivables/underpayments.html", {
        "table": rows, "table_template": "billing/receivables/underpayment_table.html", "form": form,
        "start": start, "end": end, "tolerance": tolerance, "nav": _nav(request),
        "export": None if form.errors else UNDERPAYMENT_EXPORT,
    }, status=400 if form.errors else 200)
