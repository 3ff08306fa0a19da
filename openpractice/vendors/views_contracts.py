"""Contract and negotiation pages.

Contracts: the list with its filters, "what needs a decision" (active contracts whose notice deadline is near or
passed), a contract, the contract form with its PDF document, and the audited document download. Negotiations:
the log (per vendor or contract) and a new entry, which is the practice manager's duty (vendors.negotiate).

vendors.view opens the pages (contracts are practice-wide); vendors.manage changes contracts. The services check
again: a refusal is the same 404, audited, and changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.core.exports import Column, Export
from openpractice.core.selectors import practice_today
from openpractice.core.web import get_scoped_or_404, permission_required, render_table, run_service, table

from . import selectors
from .choices import ContractKind, ContractStatus, NegotiationOutcome
from .forms import ContractForm, NegotiationForm
from .models import Contract, Negotiation
from .services import documents
from .services import vendors as vendor_services
from .views import choice_param, int_param, vendor_param

DUE_CHOICES = (14, 30, 60, 90, 180, 365)
PHI_CHOICES = {"yes": True, "no": False}
CONTRACT_EXPORT = Export(name="contracts", object_type="vendors.contract", columns=[
    Column(gettext_lazy("Title"), "title"),
    Column(gettext_lazy("Reference"), "reference"),
    Column(gettext_lazy("Vendor"), "vendor.name"),
    Column(gettext_lazy("Type"), "get_kind_display"),
    Column(gettext_lazy("Status"), "get_status_display"),
    Column(gettext_lazy("Starts"), "starts_on"),
    Column(gettext_lazy("Ends"), "ends_on"),
    Column(gettext_lazy("Renews"), "auto_renews"),
    Column(gettext_lazy("Notice deadline"), "notice_deadline"),
    Column(gettext_lazy("Annual value"), "annual_value"),
    Column(gettext_lazy("Handles PHI"), "handles_phi"),
])
NEGOTIATION_EXPORT = Export(name="negotiations", object_type="vendors.negotiation", columns=[
    Column(gettext_lazy("Date"), "held_on"),
    Column(gettext_lazy("Vendor"), "vendor.name"),
    Column(gettext_lazy("Contract"), "contract.title"),
    Column(gettext_lazy("Our people"), lambda negotiation: [person.display_name
                                                            for person in negotiation.our_people.all()]),
    Column(gettext_lazy("Their people"), "their_people"),
    Column(gettext_lazy("What we asked for"), "asks"),
    Column(gettext_lazy("What they offered"), "offers"),
    Column(gettext_lazy("Outcome"), "get_outcome_display"),
    Column(gettext_lazy("Savings a year"), "annual_savings"),
])


def get_contract(request: HttpRequest, pk: int) -> Contract:
    return get_scoped_or_404(request, selectors.contracts_visible(actor=request.user),
                             permission=Perm.VENDORS_VIEW, pk=pk)


def _due_param(value: str | None) -> int | None:
    try:
        days = int(value or "")
    except ValueError:
        return None
    return min(max(days, 0), selectors.DECISION_MAX_DAYS)


# --- contracts -------------------------------------------------------------------------------------------------


def _contract_list(request: HttpRequest, *, decisions: bool) -> HttpResponse:
    params = request.GET
    today = practice_today()
    kind = choice_param(params.get("kind"), ContractKind.values)
    vendor_id = int_param(params.get("vendor"))
    phi_key = choice_param(params.get("phi"), PHI_CHOICES)
    due = _due_param(params.get("due"))
    if decisions:
        status, due = ContractStatus.ACTIVE.value, selectors.DECISION_DAYS if due is None else due
    else:
        status = choice_param(params.get("status"), ContractStatus.values)
    queryset = selectors.contract_rows(actor=request.user, kind=kind, status=status, vendor_id=vendor_id,
                                       phi=PHI_CHOICES.get(phi_key), due_days=due, today=today)
    rows = table(request, queryset, sorts={
        "title": "title", "vendor": "vendor__name", "kind": "kind", "status": "status", "starts": "starts_on",
        "ends": "ends_on", "value": "annual_value",
    }, default_sort="ends" if decisions else "vendor", search_fields=("title", "reference", "vendor__name"),
        element_id="contract-table")
    return render_table(request, "vendors/contract_list.html", {
        "table": rows, "table_template": "vendors/contract_table.html",
        "filter_template": "vendors/contract_filter.html", "decisions": decisions, "today": today,
        "export": CONTRACT_EXPORT,
        "kind": kind, "kinds": ContractKind.choices, "status": status, "statuses": ContractStatus.choices,
        "vendor_id": vendor_id, "vendors": list(selectors.vendor_choices(actor=request.user)),
        "phi": phi_key, "due": due, "due_choices": sorted({*DUE_CHOICES, *([due] if due is not None else [])}),
        "may_manage": can(request.user, Perm.VENDORS_MANAGE),
    })


@require_GET
@permission_required(Perm.VENDORS_VIEW)
def contract_list(request: HttpRequest) -> HttpResponse:
    return _contract_list(request, decisions=False)


@require_GET
@permission_required(Perm.VENDORS_VIEW)
def contract_decisions(request: HttpRequest) -> HttpResponse:
    """The office manager's "what needs a decision": active contracts whose notice deadline is within 60 days (or
    the days asked for), or passed while the contract still runs."""
    return _contract_list(request, decisions=True)


@require_GET
@permission_required(Perm.VENDORS_VIEW)
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_contract(request, pk)
    today = practice_today()
    deadline = contract.notice_deadline
    negotiations = selectors.negotiation_rows(actor=request.user, contract_id=contract.pk)
    return render(request, "vendors/contract_detail.html", {
        "contract": contract, "vendor": contract.vendor, "today": today, "deadline": deadline,
        "days_left": (deadline - today).days if deadline is not None else None,
        "negotiations": list(negotiations), "savings": selectors.savings_total(negotiations),
        "may_manage": can(request.user, Perm.VENDORS_MANAGE),
        "may_negotiate": can(request.user, Perm.VENDORS_NEGOTIATE),
    })


def _save_contract(request: HttpRequest, form: ContractForm, contract: Contract | None) -> Contract | None:
    saved: list[Contract] = []
    upload = form.cleaned_data.get("document")
    if contract is None:
        call = lambda: saved.append(documents.contract_save(  # noqa: E731
            actor=request.user, vendor=form.cleaned_data["vendor"], data=form.service_data(), upload=upload))
    else:
        call = lambda: saved.append(documents.contract_save(  # noqa: E731
            actor=request.user, contract=contract, data=form.service_data(), upload=upload))
    return saved[0] if run_service(form, call) else None


@require_http_methods(["GET", "POST"])
@permission_required(Perm.VENDORS_MANAGE)
def contract_create(request: HttpRequest) -> HttpResponse:
    vendor = vendor_param(request)
    form = ContractForm(request.POST or None, request.FILES or None, actor=request.user,
                        initial={"vendor": vendor.pk if vendor else None, "owner": request.user.pk,
                                 "status": ContractStatus.ACTIVE, "starts_on": practice_today()})
    if request.method == "POST" and form.is_valid():
        created = _save_contract(request, form, None)
        if created is not None:
            messages.success(request, _("Contract recorded."))
            return redirect("vendors:contract_detail", pk=created.pk)
    return render(request, "vendors/contract_form.html", {"form": form, "contract": None, "vendor": vendor},
                  status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.VENDORS_MANAGE)
def contract_edit(request: HttpRequest, pk: int) -> HttpResponse:
    contract = get_contract(request, pk)
    form = ContractForm(request.POST or None, request.FILES or None, instance=contract, actor=request.user)
    if request.method == "POST" and form.is_valid() and _save_contract(request, form, contract) is not None:
        messages.success(request, _("Contract saved."))
        return redirect("vendors:contract_detail", pk=contract.pk)
    return render(request, "vendors/contract_form.html", {"form": form, "contract": contract,
                                                          "vendor": contract.vendor},
                  status=400 if form.errors else 200)


@require_GET
@permission_required(Perm.VENDORS_VIEW)
def contract_document(request: HttpRequest, pk: int) -> FileResponse:
    """The contract's PDF, as a download (audited)."""
    contract = get_contract(request, pk)
    if not contract.document:
        raise Http404()
    try:
        handle: Any = contract.document.open("rb")
    except FileNotFoundError as exc:
        raise Http404() from exc
    documents.contract_document_opened(actor=request.user, contract=contract)
    response = FileResponse(handle, as_attachment=True, content_type=documents.CONTENT_TYPE,
                            filename=contract.document_name or f"contract-{contract.pk}.pdf")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- negotiations ----------------------------------------------------------------------------------------------


@require_GET
@permission_required(Perm.VENDORS_VIEW)
def negotiation_list(request: HttpRequest) -> HttpResponse:
    params = request.GET
    vendor_id = int_param(params.get("vendor"))
    contract_id = int_param(params.get("contract"))
    outcome = choice_param(params.get("outcome"), NegotiationOutcome.values)
    queryset = selectors.negotiation_rows(actor=request.user, vendor_id=vendor_id, contract_id=contract_id,
                                          outcome=outcome)
    rows = table(request, queryset, sorts={
        "date": "held_on", "vendor": "vendor__name", "outcome": "outcome", "savings": "annual_savings",
    }, default_sort="-date", search_fields=("vendor__name", "asks", "offers", "their_people"),
        element_id="negotiation-table")
    contract = (selectors.contracts_visible(actor=request.user).filter(pk=contract_id).first()
                if contract_id else None)
    return render_table(request, "vendors/negotiation_list.html", {
        "table": rows, "table_template": "vendors/negotiation_table.html",
        "filter_template": "vendors/negotiation_filter.html", "export": NEGOTIATION_EXPORT,
        "vendor_id": vendor_id, "vendors": list(selectors.vendor_choices(actor=request.user)),
        "contract": contract, "outcome": outcome, "outcomes": NegotiationOutcome.choices,
        "savings": selectors.savings_total(queryset),
        "may_negotiate": can(request.user, Perm.VENDORS_NEGOTIATE),
    })


@require_GET
@permission_required(Perm.VENDORS_VIEW)
def negotiation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    negotiation: Negotiation = get_scoped_or_404(request, selectors.negotiations_visible(actor=request.user),
                                                 permission=Perm.VENDORS_VIEW, pk=pk)
    return render(request, "vendors/negotiation_detail.html", {
        "negotiation": negotiation, "people": list(negotiation.our_people.all())})


@require_http_methods(["GET", "POST"])
@permission_required(Perm.VENDORS_NEGOTIATE)
def negotiation_create(request: HttpRequest) -> HttpResponse:
    """Log a round of talks with a vendor (?vendor= presets it, ?contract= the contract talked about)."""
    vendor = vendor_param(request)
    contract_id = int_param(request.GET.get("contract"))
    contract = (selectors.contracts_visible(actor=request.user).filter(pk=contract_id).first()
                if contract_id else None)
    if contract is not None and vendor is None:
        vendor = contract.vendor
    form = NegotiationForm(request.POST or None, actor=request.user, vendor=vendor, initial={
        "vendor": vendor.pk if vendor else None, "contract": contract.pk if contract else None,
        "held_on": practice_today(), "our_people": [request.user.pk],
        "outcome": NegotiationOutcome.OPEN})
    if request.method == "POST" and form.is_valid():
        logged: list[Negotiation] = []
        if run_service(form, lambda: logged.append(vendor_services.negotiation_log(
                actor=request.user, vendor=form.cleaned_data["vendor"], data=form.service_data(),
                our_people=form.cleaned_data["our_people"]))):
            messages.success(request, _("Negotiation logged."))
            return redirect("vendors:negotiation_detail", pk=logged[0].pk)
    return render(request, "vendors/negotiation_form.html", {"form": form, "vendor": vendor},
                  status=400 if form.errors else 200)

