"""Denial pages under /billing/denials/: the worklist (grouped by category, with filters and each denial's
suggested next step), the denial page (the claim, the payer's codes, the history and notes) and its actions:
assign, add a note, appeal (the appeal letter as a PDF), record the corrected claim, close as resolved or written
off. "Correct the claim" is the claim's own corrected-claim flow (billing:claim_correct).

Seeing needs billing.view, acting billing.manage, both at the claim's location: a denial elsewhere is a 404 and
the attempt is audited. A service's refusal becomes the same 404 (the service already audited it).
"""

from __future__ import annotations

from typing import Any

import weasyprint
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.core.exports import Column, Export
from openpractice.core.models import Location
from openpractice.core.selectors import location_scoped, practice_get, practice_now
from openpractice.core.web import add_service_errors, get_scoped_or_404, permission_required, render_table, table
from openpractice.patients.models import Payer
from openpractice.patients.selectors import patient_record_viewed, payer_choices

from ..choices import SENT_CLAIM_STATUSES, ClaimFrequency, DenialCategory, DenialStatus
from ..models import Denial
from ..selectors import denials as selectors
from ..services import denials as services

PER_PAGE = 25


class DenialFilterForm(forms.Form):
    category = forms.ChoiceField(label=gettext_lazy("Category"), required=False,
                                 choices=[("", gettext_lazy("Any category")), *DenialCategory.choices])
    payer = forms.ModelChoiceField(label=gettext_lazy("Payer"), required=False, queryset=Payer.objects.none(),
                                   empty_label=gettext_lazy("Any payer"))
    status = forms.ChoiceField(label=gettext_lazy("Status"), required=False,
                               choices=[("", gettext_lazy("Being worked")), *DenialStatus.choices])
    assigned = forms.ChoiceField(label=gettext_lazy("Assigned to"), required=False)
    location = forms.ModelChoiceField(label=gettext_lazy("Location"), required=False,
                                      queryset=Location.objects.none(), empty_label=gettext_lazy("All my locations"))

    def __init__(self, *args: Any, payers: Any, locations: Any, assignees: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["payer"].queryset = payers  # type: ignore[attr-defined]
        self.fields["location"].queryset = locations  # type: ignore[attr-defined]
        self.fields["assigned"].choices = [  # type: ignore[attr-defined]
            ("", _("Anyone")), (selectors.MINE, _("Me")), (selectors.UNASSIGNED, _("Nobody")),
            *((str(user.pk), user.display_name) for user in assignees)]


class AppealForm(forms.Form):
    argument = forms.CharField(
        label=gettext_lazy("Why the claim should be paid"), max_length=services.MAX_ARGUMENT,
        widget=forms.Textarea(attrs={"rows": 10, "cols": 80}),
        help_text=gettext_lazy("Printed in the letter as written: the facts, what was corrected or attached "
                               "(records, the authorization number, proof of timely filing), what you ask for."))


def _denial(request: HttpRequest, pk: int, permission: str) -> Denial:
    return get_scoped_or_404(request, selectors.denial_detail_queryset(actor=request.user, permission=permission),
                             permission=permission, pk=pk)


def _say_errors(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


# --- the worklist ----------------------------------------------------------------------------------------------


DENIAL_EXPORT = Export(name="denials", object_type="billing.denial", patient_id=lambda denial: denial.claim.patient_id,
                       columns=[
    Column(gettext_lazy("ID"), "pk"),
    Column(gettext_lazy("Claim"), "claim.claim_number"),
    Column(gettext_lazy("Patient"), lambda denial: f"{denial.claim.patient.last_name}, "
                                                   f"{denial.claim.patient.first_name}"),
    Column(gettext_lazy("Account"), "claim.patient.account_number"),
    Column(gettext_lazy("Payer"), "claim.payer.name"),
    Column(gettext_lazy("Location"), "claim.location.name"),
    Column(gettext_lazy("Date of service"), "claim.date_of_service"),
    Column(gettext_lazy("Category"), "get_category_display"),
    Column(gettext_lazy("Reason codes"), "reason_codes"),
    Column(gettext_lazy("Remark codes"), "remark_codes"),
    Column(gettext_lazy("Amount"), "amount"),
    Column(gettext_lazy("Status"), "get_status_display"),
    Column(gettext_lazy("Assigned to"), "assigned_to.display_name"),
    Column(gettext_lazy("Next step"), selectors.next_step),
    Column(gettext_lazy("Denied"), "created_at"),
])


@require_GET
@permission_required(Perm.BILLING_VIEW)
def denial_list(request: HttpRequest) -> HttpResponse:
    filters = DenialFilterForm(
        request.GET or None, payers=payer_choices(include_inactive=True).order_by("name"),
        locations=location_scoped(actor=request.user, permission=Perm.BILLING_VIEW).order_by("name"),
        assignees=selectors.assignee_choices(actor=request.user))
    values: dict[str, Any] = filters.cleaned_data if filters.is_valid() else {}
    payer, location = values.get("payer"), values.get("location")
    arguments: dict[str, Any] = {
        "actor": request.user, "payer_id": payer.pk if payer else None, "status": values.get("status") or "",
        "assigned": values.get("assigned") or "", "location_id": location.pk if location else None}
    category = values.get("category") or ""
    # The category cards count every category under the other filters, so each shows what choosing it gives.
    groups = selectors.denial_groups(selectors.denial_list(**arguments))
    rows = table(request, selectors.denial_list(category=category, **arguments),
                 sorts={"created": "created_at", "amount": "amount", "dos": "claim__date_of_service",
                        "payer": "claim__payer__name", "category": "category", "status": "status"},
                 default_sort="-created", element_id="denial-table", per_page=PER_PAGE)
    rows.page.object_list = selectors.with_next_steps(rows.page.object_list)
    if rows.page.object_list:
        record(actor=request.user, action="billing.denials_viewed", object_type="billing.denial",
               reason=f"{len(rows.page.object_list)} denial(s) shown, page {rows.page.number}")
    return render_table(request, "billing/denials/list.html", {
        "table": rows, "table_template": "billing/denials/table.html", "filters": filters, "groups": groups,
        "category": category, "export": DENIAL_EXPORT,
    })


# --- one denial ------------------------------------------------------------------------------------------------


def _render_detail(request: HttpRequest, denial: Denial) -> HttpResponse:
    claim = denial.claim
    patient_record_viewed(actor=request.user, patient=claim.patient, how=f"denial {denial.pk}, claim {claim.claim_number}")
    may_manage = can(request.user, Perm.BILLING_MANAGE, claim.location_id)
    working = denial.status not in services.CLOSED_STATUSES
    corrected = [other for other in claim.replacements.all() if other.frequency_code == ClaimFrequency.CORRECTED]
    remittance_claim = denial.remittance_claim
    adjustments = list(remittance_claim.adjustments.all())
    return render(request, "billing/denials/detail.html", {
        "denial": denial, "claim": claim, "next_step": selectors.next_step(denial),
        "claim_lines": list(claim.lines.all()), "history": list(claim.status_changes.all()),
        "remittance_claim": remittance_claim, "remittance": remittance_claim.remittance,
        "paid_lines": list(remittance_claim.lines.all()),
        "claim_adjustments": [a for a in adjustments if a.line_id is None],
        "line_adjustments": [a for a in adjustments if a.line_id is not None],
        "corrected": corrected, "notes": denial.note,
        "can_manage": may_manage, "working": working,
        "can_correct": may_manage and working and not corrected and claim.status in SENT_CLAIM_STATUSES
        and claim.frequency_code != ClaimFrequency.VOID,
        "can_mark_corrected": may_manage and working and bool(corrected)
        and denial.status != DenialStatus.CORRECTED,
        "assignees": list(selectors.denial_assignees(location_id=claim.location_id)) if may_manage else [],
        "close_choices": [(DenialStatus.RESOLVED, DenialStatus.RESOLVED.label),
                          (DenialStatus.WRITTEN_OFF, DenialStatus.WRITTEN_OFF.label)],
    })


@require_GET
@permission_required(Perm.BILLING_VIEW)
def denial_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _denial(request, pk, Perm.BILLING_VIEW))


def _act(request: HttpRequest, denial: Denial, action: Any, done: str, **arguments: Any) -> HttpResponse:
    """Run one service action on the denial; say what happened (or why not) and go back to the denial page."""
    try:
        action(actor=request.user, denial=denial, **arguments)
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        _say_errors(request, exc)
    else:
        messages.success(request, done)
    return redirect(denial.get_absolute_url())


@require_POST
@permission_required(Perm.BILLING_MANAGE)
def denial_assign(request: HttpRequest, pk: int) -> HttpResponse:
    denial = _denial(request, pk, Perm.BILLING_MANAGE)
    chosen = request.POST.get("assignee", "")
    assignee = None
    if chosen:
        assignee = next((user for user in selectors.denial_assignees(location_id=denial.claim.location_id)
                         if str(user.pk) == chosen), None)
        if assignee is None:
            messages.error(request, _("Choose someone who manages billing at %(location)s.")
                           % {"location": denial.claim.location.name})
            return redirect(denial.get_absolute_url())
    done = (_("Assigned to %(name)s.") % {"name": assignee.display_name}) if assignee else _("Nobody is assigned now.")
    return _act(request, denial, services.denial_assign, done, assignee=assignee)


@require_POST
@permission_required(Perm.BILLING_MANAGE)
def denial_note(request: HttpRequest, pk: int) -> HttpResponse:
    denial = _denial(request, pk, Perm.BILLING_MANAGE)
    return _act(request, denial, services.denial_note_add, _("Note added."), text=request.POST.get("text", ""))


@require_POST
@permission_required(Perm.BILLING_MANAGE)
def denial_close(request: HttpRequest, pk: int) -> HttpResponse:
    denial = _denial(request, pk, Perm.BILLING_MANAGE)
    outcome = request.POST.get("outcome", "")
    done = _("Denial written off. Request the write-off of the balance from the patient's account.") \
        if outcome == DenialStatus.WRITTEN_OFF else _("Denial resolved.")
    return _act(request, denial, services.denial_close, done, outcome=outcome, note=request.POST.get("note", ""))


@require_POST
@permission_required(Perm.BILLING_MANAGE)
def denial_corrected(request: HttpRequest, pk: int) -> HttpResponse:
    denial = _denial(request, pk, Perm.BILLING_MANAGE)
    return _act(request, denial, services.denial_mark_corrected, _("The denial is marked as corrected."))


def appeal_letter_pdf(request: HttpRequest, denial: Denial, argument: str) -> bytes:
    """The appeal letter: the practice's letterhead, the payer, the patient and claim, the denied codes and the
    biller's argument, rendered by WeasyPrint from a Django template (no outside resources)."""
    claim = denial.claim
    html = render_to_string("billing/denials/appeal_letter.html", {
        "practice": practice_get(), "location": claim.location, "payer": claim.payer, "patient": claim.patient,
        "coverage": claim.coverage, "claim": claim, "denial": denial, "remittance_claim": denial.remittance_claim,
        "lines": list(claim.lines.all()), "argument": argument, "today": practice_now().date(),
        "signer": request.user,
    })
    return weasyprint.HTML(string=html).write_pdf()  # type: ignore[no-any-return]


@require_http_methods(["GET", "POST"])
@permission_required(Perm.BILLING_MANAGE)
def denial_appeal(request: HttpRequest, pk: int) -> HttpResponse:
    """The appeal form; a valid POST marks the denial (and the claim) appealed and answers with the letter as a
    PDF attachment. Writing the letter again for an appealed denial appeals it again with the new argument."""
    denial = _denial(request, pk, Perm.BILLING_MANAGE)
    form = AppealForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        argument = form.cleaned_data["argument"]
        try:
            services.denial_appeal(actor=request.user, denial=denial, argument=argument)
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            denial = _denial(request, pk, Perm.BILLING_MANAGE)
            pdf = appeal_letter_pdf(request, denial, argument)
            patient_record_viewed(actor=request.user, patient=denial.claim.patient,
                                  how=f"appeal letter (PDF) for denial {denial.pk}, claim {denial.claim.claim_number}")
            response = HttpResponse(pdf, content_type="application/pdf")
            response["Content-Disposition"] = f'attachment; filename="appeal-{denial.claim.claim_number}.pdf"'
            return response
    patient_record_viewed(actor=request.user, patient=denial.claim.patient, how=f"appeal of denial {denial.pk}")
    return render(request, "billing/denials/appeal.html", {
        "denial": denial, "claim": denial.claim, "form": form, "next_step": selectors.next_step(denial),
        "working": denial.status not in services.CLOSED_STATUSES,
    }, status=400 if form.errors else 200)
