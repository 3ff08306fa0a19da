"""Charge pages under /billing/charges/: the list (with the checked-out visits still to be coded), a stand-alone
charge, the charge page with its diagnosis and line editors, void and "build claim".

Thin views: parse, call one service or selector, render. A service's refusal becomes the same 404 as a refusal
here (the service already audited it); its ValidationError lands on the form or in a message.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openpractice.accounts.permissions import can, location_ids_where
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.core.exports import Column, Export
from openpractice.core.selectors import location_scoped
from openpractice.core.web import add_service_errors, get_scoped_or_404, permission_required, render_table, table
from openpractice.patients.selectors import patient_record_viewed, patient_search
from openpractice.scheduling.models import Provider
from openpractice.scheduling.params import parse_id
from openpractice.scheduling.selectors import appointment_list, provider_list, referring_provider_list

from ..choices import ChargeStatus
from ..codes.icd10 import display_icd10, icd10_release_for
from ..forms_charges import ChargeCreateForm, ChargeFilterForm, ChargeHeaderForm, DiagnosesForm, LineForm
from ..models import Charge, ChargeLine
from ..selectors import charges as selectors
from ..services import charges as services
from ..services import claims as claim_services
from ..services.scrubbing import claim_scrub

TO_CODE_LIMIT = 50
PATIENT_PICK_LIMIT = 20


def _status(*forms: BaseForm | None) -> int:
    return 400 if any(form is not None and form.errors for form in forms) else 200


def _charge(request: HttpRequest, pk: int, permission: str) -> Charge:
    return get_scoped_or_404(request, selectors.charge_detail_queryset(actor=request.user, permission=permission),
                             permission=permission, pk=pk)


def _manage_ids(actor: Any) -> frozenset[int] | None:
    return location_ids_where(actor, Perm.BILLING_MANAGE)


# --- list ------------------------------------------------------------------------------------------------------


CHARGE_EXPORT = Export(name="charges", object_type="billing.charge", patient_id=lambda charge: charge.patient_id,
                       columns=[
    Column(gettext_lazy("ID"), "pk"),
    Column(gettext_lazy("Date of service"), "date_of_service"),
    Column(gettext_lazy("Patient"), lambda charge: f"{charge.patient.last_name}, {charge.patient.first_name}"),
    Column(gettext_lazy("Account"), "patient.account_number"),
    Column(gettext_lazy("Provider"), "rendering_provider.display_name"),
    Column(gettext_lazy("Location"), "location.name"),
    Column(gettext_lazy("Lines"), "line_count"),
    Column(gettext_lazy("Total"), "total"),
    Column(gettext_lazy("Status"), "get_status_display"),
])


@require_GET
@permission_required(Perm.BILLING_VIEW)
def charge_list(request: HttpRequest) -> HttpResponse:
    locations = location_scoped(actor=request.user, permission=Perm.BILLING_VIEW).order_by("name")
    filters = ChargeFilterForm(request.GET or None, locations=locations)
    values: dict[str, Any] = filters.cleaned_data if filters.is_valid() else {}
    location = values.get("location")
    text = (request.GET.get("q") or "").strip()[:100]
    queryset = selectors.charge_list(
        actor=request.user, status=values.get("status") or "", location_id=location.pk if location else None,
        date_from=values.get("date_from"), date_to=values.get("date_to"), text=text)
    rows = table(request, queryset,
                 sorts={"dos": "date_of_service", "patient": "patient__last_name", "location": "location__name",
                        "provider": "rendering_provider__last_name", "status": "status", "total": "total"},
                 default_sort="-dos", element_id="charge-table")
    if text:
        # A search shows several patients' billing records: one event for it (never the text itself, it is PHI).
        record(actor=request.user, action="patients.searched", object_type="billing.charge",
               reason=f"charges: {rows.page.paginator.count} match(es), page {rows.page.number}")
    to_code = selectors.appointments_to_charge(actor=request.user, location_id=location.pk if location else None)
    manage_ids = _manage_ids(request.user)
    return render_table(request, "billing/charge_list.html", {
        "table": rows, "table_template": "billing/charge_table.html", "filter_template": "billing/charge_filter.html",
        "filters": filters, "to_code": list(to_code[:TO_CODE_LIMIT]), "to_code_count": to_code.count(),
        "manage_all": manage_ids is None, "manage_ids": manage_ids or frozenset(),
        "can_create": can(request.user, Perm.BILLING_MANAGE), "export": CHARGE_EXPORT,
    })


# --- create ----------------------------------------------------------------------------------------------------


def _create_form(request: HttpRequest, data: Any = None, initial: dict[str, Any] | None = None) -> ChargeCreateForm:
    providers = provider_list(actor=request.user, permission=Perm.BILLING_MANAGE).filter(
        is_active=True, is_rendering=True)
    return ChargeCreateForm(data, initial=initial or {},
                            locations=location_scoped(actor=request.user, permission=Perm.BILLING_MANAGE).filter(
                                is_active=True).order_by("name"),
                            providers=providers, referring=referring_provider_list())


@require_http_methods(["GET", "POST"])
@permission_required(Perm.BILLING_MANAGE)
def charge_create(request: HttpRequest) -> HttpResponse:
    """A stand-alone charge. ?q= searches patients (name, date of birth, phone, account number); choosing one
    fills in the account number."""
    matches: list[Any] = []
    search = (request.GET.get("q") or "").strip()[:100]
    if request.method == "GET" and search:
        matches = list(patient_search(actor=request.user, text=search)[:PATIENT_PICK_LIMIT])
        record(actor=request.user, action="patients.searched", object_type="patients.patient",
               reason=f"charge patient picker: {len(matches)} shown")
    initial = {"patient_account": (request.GET.get("patient") or "")[:12]}
    form = _create_form(request, request.POST or None, initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        patient = patient_search(actor=request.user, text=data["patient_account"]).filter(
            account_number=data["patient_account"]).first()
        if patient is None:
            form.add_error("patient_account", _("No active patient with this account number at your locations."))
        else:
            try:
                charge = services.charge_create(
                    actor=request.user, patient=patient, location=data["location"],
                    rendering_provider=data["rendering_provider"], date_of_service=data["date_of_service"],
                    place_of_service=data["place_of_service"] or "", referring_provider=data["referring_provider"],
                    prior_authorization=data["prior_authorization"])
            except PermissionDenied as exc:
                raise Http404() from exc
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Charge started: add the diagnoses and the lines."))
                return redirect(charge.get_absolute_url())
    return render(request, "billing/charge_create.html", {"form": form, "matches": matches, "search": search},
                  status=_status(form))


@require_POST
@permission_required(Perm.BILLING_MANAGE)
def charge_create_for_appointment(request: HttpRequest, appointment_id: int) -> HttpResponse:
    appointment = get_scoped_or_404(request, appointment_list(actor=request.user, permission=Perm.BILLING_MANAGE),
                                    permission=Perm.BILLING_MANAGE, pk=appointment_id)
    try:
        charge = services.charge_create_from_appointment(actor=request.user, appointment=appointment)
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        if exc.code == "charge_exists" and exc.params:
            messages.info(request, exc.messages[0])
            return redirect(reverse("billing:charge_detail", args=[exc.params["charge_id"]]))
        for message in exc.messages:
            messages.error(request, message)
        return redirect(appointment.get_absolute_url())
    messages.success(request, _("Charge started from the visit: add the diagnoses and the lines."))
    return redirect(charge.get_absolute_url())


# --- one charge ------------------------------------------------------------------------------------------------


def _header_form(charge: Charge, data: Any = None) -> ChargeHeaderForm:
    at_location = Provider.objects.filter(locations=charge.location_id, is_active=True).order_by(
        "last_name", "first_name")
    return ChargeHeaderForm(
        data, providers=at_location.filter(is_rendering=True),
        billing=Provider.objects.filter(is_billing=True, is_active=True).order_by("last_name", "first_name"),
        referring=referring_provider_list(),
        initial={"date_of_service": charge.date_of_service, "place_of_service": charge.place_of_service,
                 "rendering_provider": charge.rendering_provider_id, "billing_provider": charge.billing_provider_id,
                 "referring_provider": charge.referring_provider_id,
                 "prior_authorization": charge.prior_authorization})


def _line_initial(line: ChargeLine) -> dict[str, Any]:
    return {"procedure_code": line.procedure_code, "modifiers": " ".join(line.modifiers), "units": line.units,
            "service_date_from": line.service_date_from, "service_date_to": line.service_date_to,
            "pointers": " ".join(str(p) for p in line.pointers), "amount": line.amount}


def _render_detail(request: HttpRequest, charge: Charge, *, diagnoses_form: DiagnosesForm | None = None,
                   line_form: LineForm | None = None) -> HttpResponse:
    patient_record_viewed(actor=request.user, patient=charge.patient, how=f"charge {charge.pk}")
    diagnoses = list(charge.diagnoses.all())
    release = icd10_release_for(charge.date_of_service)
    editable = selectors.charge_is_editable(charge)
    may_manage = can(request.user, Perm.BILLING_MANAGE, charge.location_id)
    if diagnoses_form is None:
        diagnoses_form = DiagnosesForm(codes=[display_icd10(d.code) for d in diagnoses])
    if line_form is None:
        line_form = LineForm(initial={"service_date_from": charge.date_of_service,
                                      "service_date_to": charge.date_of_service})
    lines = list(charge.lines.all())
    claims = list(charge.claims.all())
    return render(request, "billing/charge_detail.html", {
        "charge": charge,
        "diagnoses": [(d.position, display_icd10(d.code), release.description(d.code) if release else "")
                      for d in diagnoses],
        "code_set": release.name if release else "",
        "lines": lines, "total": sum((line.amount for line in lines), start=0),
        "claims": claims, "rebuildable": selectors.claims_editable(claims),
        "editable": editable, "can_manage": may_manage, "can_edit": may_manage and editable,
        "can_bill": may_manage and charge.status != ChargeStatus.VOID and bool(diagnoses) and bool(lines),
        "diagnoses_form": diagnoses_form, "line_form": line_form,
    }, status=_status(diagnoses_form, line_form))


@require_GET
@permission_required(Perm.BILLING_VIEW)
def charge_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _charge(request, pk, Perm.BILLING_VIEW))


def _done(request: HttpRequest, charge: Charge, message: str) -> HttpResponse:
    """After a change: the charge's claims not yet sent went back to draft (charge services do that), say so."""
    messages.success(request, message)
    stale = selectors.claims_editable(selectors.charge_claims(charge))
    if stale:
        messages.info(request, ngettext(
            "This charge is billed: claim %(claims)s is back in draft. Rebuild it so it carries the change.",
            "This charge is billed: claims %(claims)s are back in draft. Rebuild them so they carry the change.",
            len(stale)) % {"claims": ", ".join(claim.claim_number for claim in stale)})
    return redirect(charge.get_absolute_url())


@require_http_methods(["GET", "POST"])
@permission_required(Perm.BILLING_MANAGE)
def charge_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The charge's editors post here with `part`: header (default), diagnoses, line_add, line (a line's change)
    or line_delete. GET shows the header form, or with ?line=<id> one line's form."""
    charge = _charge(request, pk, Perm.BILLING_MANAGE)
    part = request.POST.get("part") or "header"
    line_id = parse_id(request.POST.get("line") if request.method == "POST" else request.GET.get("line"))
    if line_id is not None or part in ("line", "line_delete"):
        line = charge.lines.filter(pk=line_id).first() if line_id is not None else None
        if line is None:
            raise Http404()
        if part == "line_delete" and request.method == "POST":
            return _delete_line(request, charge, line)
        return _edit_line(request, charge, line)
    if request.method == "POST" and part == "diagnoses":
        return _set_diagnoses(request, charge)
    if request.method == "POST" and part == "line_add":
        return _add_line(request, charge)
    return _edit_header(request, charge)


def _call(form: BaseForm, action: Any, **kwargs: Any) -> Any:
    """Run a service for a form: a refusal is a 404, a ValidationError goes onto the form (returns None)."""
    try:
        return action(**kwargs)
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        add_service_errors(form, exc)
        return None


def _edit_header(request: HttpRequest, charge: Charge) -> HttpResponse:
    form = _header_form(charge, request.POST or None)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        if _call(form, services.charge_update, actor=request.user, charge=charge, **changes) is not None:
            return _done(request, charge, _("Charge saved."))
    patient_record_viewed(actor=request.user, patient=charge.patient, how=f"charge {charge.pk}: header")
    return render(request, "billing/charge_header_form.html", {
        "charge": charge, "form": form, "editable": selectors.charge_is_editable(charge)}, status=_status(form))


def _set_diagnoses(request: HttpRequest, charge: Charge) -> HttpResponse:
    form = DiagnosesForm(request.POST)
    if form.is_valid() and _call(form, services.charge_set_diagnoses, actor=request.user, charge=charge,
                                 codes=form.codes()) is not None:
        return _done(request, charge, _("Diagnoses saved."))
    if not form.errors:
        form.add_error(None, _("The diagnoses were not saved."))
    return _render_detail(request, charge, diagnoses_form=form)


def _line_values(form: LineForm, *, changed_only: bool = False) -> dict[str, Any]:
    data = form.cleaned_data
    values = {"procedure_code": data["procedure_code"], "modifiers": data["modifiers"], "units": data["units"],
              "service_date_from": data["service_date_from"], "service_date_to": data["service_date_to"],
              "pointers": data["pointers"], "amount": data["amount"]}
    if changed_only:
        values = {name: value for name, value in values.items() if name in form.changed_data}
    return values


def _add_line(request: HttpRequest, charge: Charge) -> HttpResponse:
    form = LineForm(request.POST)
    if form.is_valid() and _call(form, services.charge_line_add, actor=request.user, charge=charge,
                                 **_line_values(form)) is not None:
        return _done(request, charge, _("Line added."))
    return _render_detail(request, charge, line_form=form)


def _edit_line(request: HttpRequest, charge: Charge, line: ChargeLine) -> HttpResponse:
    form = LineForm(request.POST if request.method == "POST" else None, initial=_line_initial(line))
    # Only what the person changed: an untouched amount does not stop a new code from being repriced.
    if request.method == "POST" and form.is_valid() and _call(
            form, services.charge_line_update, actor=request.user, line=line,
            **_line_values(form, changed_only=True)) is not None:
        return _done(request, charge, _("Line %(n)s saved.") % {"n": line.line_number})
    patient_record_viewed(actor=request.user, patient=charge.patient, how=f"charge {charge.pk}: line")
    return render(request, "billing/charge_line_form.html", {
        "charge": charge, "line": line, "form": form, "diagnoses": [
            (d.position, display_icd10(d.code)) for d in charge.diagnoses.all()]}, status=_status(form))


def _delete_line(request: HttpRequest, charge: Charge, line: ChargeLine) -> HttpResponse:
    try:
        services.charge_line_delete(actor=request.user, line=line)
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(charge.get_absolute_url())
    return _done(request, charge, _("Line %(n)s removed.") % {"n": line.line_number})


@require_POST
@permission_required(Perm.BILLING_MANAGE)
def charge_void(request: HttpRequest, pk: int) -> HttpResponse:
    charge = _charge(request, pk, Perm.BILLING_MANAGE)
    try:
        services.charge_void(actor=request.user, charge=charge)
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Charge voided."))
    return redirect(charge.get_absolute_url())


@require_POST
@permission_required(Perm.BILLING_MANAGE)
def charge_build_claim(request: HttpRequest, pk: int) -> HttpResponse:
    """Build the primary claim and scrub it at once: the biller lands on the claim, ready or with what to fix."""
    charge = _charge(request, pk, Perm.BILLING_MANAGE)
    try:
        claim = claim_services.claim_build(actor=request.user, charge=charge)
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        if exc.code == "claim_exists" and exc.params:
            messages.info(request, exc.messages[0])
            return redirect(reverse("billing:claim_detail", args=[exc.params["claim_id"]]))
        for message in exc.messages:
            messages.error(request, message)
        return redirect(charge.get_absolute_url())
    try:
        issues = claim_scrub(actor=request.user, claim=claim)
    except (PermissionDenied, ValidationError):
        messages.warning(request, _("Claim %(number)s built; scrub it before sending.")
                         % {"number": claim.claim_number})
        return redirect(claim.get_absolute_url())
    errors = sum(1 for issue in issues if issue.severity == "error")
    if errors:
        messages.warning(request, _("Claim %(number)s built and held by the scrubber: fix the %(count)s problem(s) "
                                    "below.") % {"number": claim.claim_number, "count": errors})
    else:
        messages.success(request, _("Claim %(number)s built and ready to send.") % {"number": claim.claim_number})
    return redirect(claim.get_absolute_url())
