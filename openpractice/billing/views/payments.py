"""Patient money pages under /billing/: the patient's account (ledger, balances, open claims, payments, plan),
taking a payment at the desk, the payment's receipt, refunds, write-offs (and their approval), payment plans,
and the list of payments with a way to find a patient's account.

The account and the receipts open for billing.view or billing.collect_payments at the patient's home location
(the front desk sees what is due and takes payments; nothing clinical is shown). Thin views: parse, call one
service or selector, render; a service's refusal becomes the same 404 as a refusal here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openpractice.accounts.permissions import can, location_ids_where
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.core.exports import Column, Export, export_format, export_response
from openpractice.core.web import (
    add_service_errors,
    any_permission_required,
    get_scoped_or_404,
    permission_required,
    render_table,
    table,
)
from openpractice.patients.models import Patient
from openpractice.patients.selectors import patient_record_viewed

from ..choices import WriteOffStatus
from ..forms_payments import (
    PatientPaymentForm,
    PaymentPlanForm,
    RefundForm,
    WriteOffDecisionForm,
    WriteOffForm,
    new_form_key,
)
from ..selectors import patient_accounts as selectors
from ..selectors.charges import patient_text_q
from ..services import patient_payments as services
from ..services.charges import practice_today

ViewFunc = TypeVar("ViewFunc", bound=Callable[..., HttpResponseBase])
ACCOUNT_PERMISSIONS = frozenset(selectors.ACCOUNT_PERMISSIONS)


def _patient(request: HttpRequest, patient_id: int, permission: str | None = None) -> Patient:
    """The patient, when the actor may open their account (or holds `permission` at their home location)."""
    return get_scoped_or_404(request, selectors.account_patient_scoped(actor=request.user, permission=permission),
                             permission=permission or " or ".join(sorted(ACCOUNT_PERMISSIONS)), pk=patient_id)


def _account_url(patient: Patient | int) -> str:
    pk = patient if isinstance(patient, int) else patient.pk
    return reverse("billing:patient_account", kwargs={"patient_id": pk})


def _account(request: HttpRequest, patient: Patient, how: str) -> selectors.PatientAccount:
    account = selectors.patient_account(actor=request.user, patient=patient, today=practice_today())
    patient_record_viewed(actor=request.user, patient=patient, how=how)
    return account


# --- the account ----------------------------------------------------------------------------------------------


@require_GET
@any_permission_required(ACCOUNT_PERMISSIONS)
def patient_account(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = _patient(request, patient_id)
    account = _account(request, patient, "patient account")
    user, home = request.user, patient.home_location_id
    claim_locations = location_ids_where(user, Perm.BILLING_VIEW)
    return render(request, "billing/payments/account.html", {
        "patient": patient, "account": account, "today": practice_today(),
        # Claims link to the claim page only where the user may open it (the front desk may not).
        "claim_locations": claim_locations or frozenset(), "claims_everywhere": claim_locations is None,
        "can_collect": can(user, Perm.BILLING_COLLECT, home),
        "can_refund": can(user, Perm.BILLING_POST, home) and account.credit > 0,
        "can_write_off": can(user, Perm.BILLING_MANAGE, home),
        "can_plan": any(can(user, permission, home) for permission in services.PLAN_PERMISSIONS),
        "threshold": services.write_off_threshold(),
    })


# --- payments -------------------------------------------------------------------------------------------------


def _payment_form_page(request: HttpRequest, patient: Patient, form: PatientPaymentForm) -> HttpResponse:
    account = _account(request, patient, "patient payment")
    return render(request, "billing/payments/payment_form.html", {"patient": patient, "account": account,
                                                                   "form": form},
                  status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.BILLING_COLLECT)
def patient_payment_create(request: HttpRequest, patient_id: int) -> HttpResponse:
    """Take a payment. The form carries a key made when it was shown: sent twice (a double click, a reload), it
    posts one payment and the second answer shows the first."""
    patient = _patient(request, patient_id, Perm.BILLING_COLLECT)
    if request.method != "POST":
        return _payment_form_page(request, patient, PatientPaymentForm(initial={
            "received_on": practice_today(), "method": "cash", "idempotency_key": new_form_key()}))
    form = PatientPaymentForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            outcome = services.patient_payment_record_outcome(
                actor=request.user, patient=patient, amount=data["amount"], method=data["method"],
                received_on=data["received_on"], reference=data["reference"], note=data["note"],
                idempotency_key=data["idempotency_key"])
        except PermissionDenied as exc:
            raise Http404() from exc
        except services.IdempotencyKeyReused as exc:
            # This form was used for another payment: show it again with a fresh key, so a new one can be sent.
            fresh = request.POST.copy()
            fresh["idempotency_key"] = new_form_key()
            form = PatientPaymentForm(fresh)
            form.is_valid()
            add_service_errors(form, exc)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            payment = outcome.payment
            if outcome.created:
                messages.success(request, _("Payment of $%(amount)s recorded.") % {"amount": payment.amount})
            else:
                messages.info(request, _("This payment was already recorded (the form was sent twice): nothing "
                                         "was posted again."))
            return redirect("billing:payment_detail", pk=payment.pk)
    return _payment_form_page(request, patient, form)


@require_GET
@any_permission_required(ACCOUNT_PERMISSIONS)
def payment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The receipt: what was paid, how, and where it went (claims, credit), and what was refunded of it."""
    payment = get_scoped_or_404(request, selectors.payment_scoped(actor=request.user),
                                permission=" or ".join(sorted(ACCOUNT_PERMISSIONS)), pk=pk)
    patient_record_viewed(actor=request.user, patient=payment.patient, how="patient payment receipt")
    return render(request, "billing/payments/payment_detail.html", {
        "payment": payment, "patient": payment.patient, "applications": selectors.payment_applications(payment),
        "refunds": list(payment.refunds.select_related("created_by").order_by("refunded_on", "pk")),
    })


PAYMENT_EXPORT = Export(name="patient payments", object_type="billing.patientpayment",
                        patient_id=lambda payment: payment.patient_id, columns=[
    Column(gettext_lazy("ID"), "pk"),
    Column(gettext_lazy("Received"), "received_on"),
    Column(gettext_lazy("Patient"), lambda payment: f"{payment.patient.last_name}, {payment.patient.first_name}"),
    Column(gettext_lazy("Account"), "patient.account_number"),
    Column(gettext_lazy("Amount"), "amount"),
    Column(gettext_lazy("Paid by"), "get_method_display"),
    Column(gettext_lazy("Location"), "location.name"),
    Column(gettext_lazy("Applied"), lambda payment: selectors.cents(payment.applied_total)),
    Column(gettext_lazy("Credit"), lambda payment: selectors.cents(payment.credit_total)),
])


@require_GET
@any_permission_required(ACCOUNT_PERMISSIONS)
def payment_list(request: HttpRequest) -> HttpResponse:
    """Payments taken at my locations (search by patient), and a patient search to open an account."""
    text = (request.GET.get("q") or "").replace("\x00", "").strip()[:100]
    queryset = selectors.payment_list(actor=request.user)
    if text:
        queryset = queryset.filter(patient_text_q(text))
    rows = table(request, queryset,
                 sorts={"received": "received_on", "patient": "patient__last_name", "amount": "amount",
                        "method": "method", "location": "location__name"},
                 default_sort="-received", element_id="payment-table")
    lookup = (request.GET.get("patient") or "").replace("\x00", "").strip()[:100]
    patients = selectors.account_patient_search(actor=request.user, text=lookup) if lookup else []
    if text or lookup:
        record(actor=request.user, action="patients.searched", object_type="billing.patientpayment",
               reason=f"payments: {rows.page.paginator.count} match(es), accounts: {len(patients)}")
    return render_table(request, "billing/payments/payment_list.html", {
        "table": rows, "table_template": "billing/payments/payment_table.html", "lookup": lookup,
        "patients": patients, "export": PAYMENT_EXPORT,
    })


# --- refunds --------------------------------------------------------------------------------------------------


def _refund_choices(account: selectors.PatientAccount) -> list[tuple[int, str]]:
    return [(row.payment.pk, _("$%(amount)s %(method)s on %(date)s (up to $%(left)s)") % {
        "amount": row.payment.amount, "method": row.payment.get_method_display().lower(),
        "date": row.payment.received_on.strftime("%m/%d/%Y"), "left": row.refundable})
        for row in account.refundable_payments]


@require_http_methods(["GET", "POST"])
@permission_required(Perm.BILLING_POST)
def patient_refund_create(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = _patient(request, patient_id, Perm.BILLING_POST)
    account = _account(request, patient, "patient refund")
    form = RefundForm(request.POST if request.method == "POST" else None, payments=_refund_choices(account),
                      initial={"amount": account.credit or None})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        payment = next((row.payment for row in account.payments if row.payment.pk == data["payment"]), None)
        try:
            refund = services.refund_issue(actor=request.user, patient=patient, amount=data["amount"],
                                           method=data["method"], reason=data["reason"], payment=payment)
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Refund of $%(amount)s recorded.") % {"amount": refund.amount})
            return redirect(_account_url(patient))
    return render(request, "billing/payments/refund_form.html", {"patient": patient, "account": account,
                                                                  "form": form},
                  status=400 if form.errors else 200)


# --- write-offs -----------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission_required(Perm.BILLING_MANAGE)
def patient_writeoff_create(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = _patient(request, patient_id, Perm.BILLING_MANAGE)
    account = _account(request, patient, "patient write-off")
    claims = {line.claim.pk: line for line in account.claims}
    choices = [(pk, _("%(number)s of %(date)s: patient $%(patient)s, payer $%(payer)s") % {
        "number": line.claim.claim_number, "date": line.claim.date_of_service.strftime("%m/%d/%Y"),
        "patient": line.patient_balance, "payer": line.payer_balance}) for pk, line in claims.items()]
    form = WriteOffForm(request.POST if request.method == "POST" else None, claims=choices)
    threshold = services.write_off_threshold()
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        line = claims.get(data["claim"]) if data["claim"] is not None else None
        try:
            write_off = services.write_off_request(
                actor=request.user, patient=patient, claim=line.claim if line else None, party=data["party"],
                amount=data["amount"], reason=data["reason"])
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if write_off.status == WriteOffStatus.PENDING:
                messages.info(request, _("The write-off of $%(amount)s is above $%(threshold)s: it waits for a senior "
                                         "practice manager's approval.") % {"amount": write_off.amount,
                                                                             "threshold": threshold})
            else:
                messages.success(request, _("$%(amount)s written off.") % {"amount": write_off.amount})
            return redirect(_account_url(patient))
    return render(request, "billing/payments/writeoff_form.html", {
        "patient": patient, "account": account, "form": form, "threshold": threshold,
    }, status=400 if form.errors else 200)


WRITE_OFF_EXPORT = Export(name="write-offs to approve", object_type="billing.writeoff",
                          patient_id=lambda write_off: write_off.patient_id, columns=[
    Column(gettext_lazy("ID"), "pk"),
    Column(gettext_lazy("Asked on"), "requested_at"),
    Column(gettext_lazy("Patient"), lambda item: f"{item.patient.last_name}, {item.patient.first_name}"),
    Column(gettext_lazy("Account"), "patient.account_number"),
    Column(gettext_lazy("Balance of"), "get_party_display"),
    Column(gettext_lazy("Claim"), lambda item: item.claim.claim_number if item.claim else _("all claims")),
    Column(gettext_lazy("Amount"), "amount"),
    Column(gettext_lazy("Reason"), "reason"),
    Column(gettext_lazy("Asked by"), "requested_by.display_name"),
    Column(gettext_lazy("Location"), "location.name"),
])


@require_GET
@permission_required(Perm.BILLING_WRITE_OFF)
def writeoff_pending(request: HttpRequest) -> HttpResponse:
    """Write-offs waiting for approval at my locations, oldest first."""
    rows = table(request, selectors.write_offs_pending(actor=request.user),
                 sorts={"requested": "requested_at", "amount": "amount", "patient": "patient__last_name"},
                 default_sort="requested", element_id="writeoff-table",
                 search_fields=("patient__last_name", "patient__account_number"))
    if export_format(request) and rows.queryset is not None:
        # The file audits each patient in it (patients.exported); the page's per-patient views are not shown.
        return export_response(request, rows.queryset, WRITE_OFF_EXPORT)
    seen: set[int] = set()
    for write_off in rows.page.object_list:
        if write_off.patient_id not in seen:
            seen.add(write_off.patient_id)
            patient_record_viewed(actor=request.user, patient=write_off.patient, how="write-offs to approve")
    return render_table(request, "billing/payments/writeoff_pending.html", {
        "table": rows, "table_template": "billing/payments/writeoff_table.html", "export": WRITE_OFF_EXPORT,
    })


@require_POST
@permission_required(Perm.BILLING_WRITE_OFF)
def writeoff_decide(request: HttpRequest, pk: int) -> HttpResponse:
    write_off = get_scoped_or_404(request, selectors.write_off_scoped(actor=request.user),
                                  permission=Perm.BILLING_WRITE_OFF, pk=pk)
    form = WriteOffDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or reject."))
        return redirect("billing:writeoff_pending")
    approve = form.cleaned_data["decision"] == "approve"
    try:
        services.write_off_decide(actor=request.user, write_off=write_off, approve=approve,
                                  note=form.cleaned_data["note"])
    except PermissionDenied as exc:
        if write_off.requested_by_id != request.user.pk:
            raise Http404() from exc
        messages.error(request, str(exc))  # their own request: the service said why (and audited it)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        if approve:
            messages.success(request, _("Write-off of $%(amount)s approved and posted.") % {"amount": write_off.amount})
        else:
            messages.success(request, _("Write-off of $%(amount)s rejected.") % {"amount": write_off.amount})
    return redirect("billing:writeoff_pending")


# --- payment plans --------------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission_required(Perm.BILLING_COLLECT)
def patient_plan_create(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = _patient(request, patient_id, Perm.BILLING_COLLECT)
    account = _account(request, patient, "patient payment plan")
    form = PaymentPlanForm(request.POST if request.method == "POST" else None,
                           initial={"total": account.amount_due or None, "starts_on": practice_today()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.payment_plan_create(actor=request.user, patient=patient, total=data["total"],
                                         installment=data["installment"], starts_on=data["starts_on"],
                                         day_of_month=data["day_of_month"], note=data["note"])
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Payment plan agreed."))
            return redirect(_account_url(patient))
    return render(request, "billing/payments/plan_form.html", {"patient": patient, "account": account,
                                                                "form": form},
                  status=400 if form.errors else 200)


@require_POST
@permission_required(Perm.BILLING_COLLECT)
def patient_plan_end(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = _patient(request, patient_id, Perm.BILLING_COLLECT)
    plan = selectors.active_plan(patient=patient)
    if plan is None:
        messages.error(request, _("This patient has no active payment plan."))
        return redirect(_account_url(patient))
    try:
        services.payment_plan_end(actor=request.user, plan=plan)
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The payment plan has ended."))
    return redirect(_account_url(patient))

