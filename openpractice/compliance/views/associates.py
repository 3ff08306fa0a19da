"""Business associate pages: the register (each associate's standing, the flagged ones first to the eye), an
associate with its agreements, and the agreement workflow (draft -> in force -> terminated) with its signed PDF.

compliance.view reads everything here; compliance.manage changes. Associates are practice-wide: anyone without the
permission gets 404, audited.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.core.exports import Column, Export
from openpractice.core.selectors import practice_today
from openpractice.core.web import add_service_errors, get_scoped_or_404, permission_required, render_table, table

from ..choices import AgreementStatus
from ..forms_associates import (
    ActivateForm,
    AgreementActiveForm,
    AgreementCreateForm,
    AgreementForm,
    AssociateForm,
    DocumentForm,
    TerminateForm,
)
from ..models import BusinessAssociate, BusinessAssociateAgreement
from ..selectors import associates as selectors
from ..services import associates as services

ASSOCIATE_SORTS = {"name": "name", "services": "services", "standing": "standing", "until": "baa_expires_on",
                   "review": "baa_review_on"}
STANDING_LABELS = {selectors.FLAGGED: gettext_lazy("No BAA — handles PHI"), selectors.REVIEW_DUE: gettext_lazy("Review due"),
                   selectors.COVERED: gettext_lazy("Covered"), selectors.INACTIVE: gettext_lazy("No longer used"),
                   selectors.NOT_NEEDED: gettext_lazy("No PHI: no BAA needed")}
ASSOCIATE_EXPORT = Export(name="business associates", object_type="compliance.businessassociate", columns=[
    Column(gettext_lazy("Name"), "name"),
    Column(gettext_lazy("Services"), "services"),
    Column(gettext_lazy("Handles PHI"), "handles_phi"),
    Column(gettext_lazy("Active"), "is_active"),
    Column(gettext_lazy("Status"), lambda associate: STANDING_LABELS.get(associate.standing, "")),
    Column(gettext_lazy("Draft in negotiation"), "has_draft"),
    Column(gettext_lazy("Agreement ends"), "baa_expires_on"),
    Column(gettext_lazy("Next review"), "baa_review_on"),
])


def _associate(request: HttpRequest, pk: int) -> BusinessAssociate:
    return get_scoped_or_404(request, selectors.associates_visible(actor=request.user),
                             permission=Perm.COMPLIANCE_VIEW, pk=pk)


def _agreement(request: HttpRequest, pk: int) -> BusinessAssociateAgreement:
    return get_scoped_or_404(request, selectors.agreements_visible(actor=request.user),
                             permission=Perm.COMPLIANCE_VIEW, pk=pk)


def _form_page(request: HttpRequest, form: Form, template: str, context: dict[str, Any],
               call: Callable[[], Any], success: str, target: Callable[[Any], str],
               blocked: str = "") -> HttpResponse:
    """Validate the form, run the service: a refusal is a 404, a broken rule goes on the form (status 400)."""
    if request.method == "POST" and form.is_valid():
        try:
            result = call()
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, success)
            return redirect(target(result))
    return render(request, template, {"form": form, "blocked": blocked, **context},
                  status=400 if form.errors else 200)


# --- associates ------------------------------------------------------------------------------------------------


@require_GET
@permission_required(Perm.COMPLIANCE_VIEW)
def associate_list(request: HttpRequest) -> HttpResponse:
    today = practice_today()
    flagged_only = request.GET.get("flagged") == "1"
    rows = table(request, selectors.associate_list(actor=request.user, today=today, flagged_only=flagged_only),
                 sorts=ASSOCIATE_SORTS, default_sort="name", search_fields=("name", "services"),
                 element_id="associate-table")
    return render_table(request, "compliance/associates/associate_list.html", {
        "table": rows, "table_template": "compliance/associates/associate_table.html",
        "filter_template": "compliance/associates/associate_filter.html", "flagged_only": flagged_only,
        "export": ASSOCIATE_EXPORT,
        "flagged": selectors.flagged_count(actor=request.user, today=today),
        "horizon": selectors.REVIEW_HORIZON_DAYS, "can_manage": can(request.user, Perm.COMPLIANCE_MANAGE),
    })


@require_http_methods(["GET", "POST"])
@permission_required(Perm.COMPLIANCE_MANAGE)
def associate_create(request: HttpRequest) -> HttpResponse:
    form = AssociateForm(request.POST or None)
    return _form_page(
        request, form, "compliance/associates/associate_form.html", {"associate": None},
        lambda: services.associate_create(actor=request.user, data={
            name: form.cleaned_data[name] for name in services.ASSOCIATE_FIELDS}),
        _("Business associate added."), lambda associate: reverse("compliance:associate_detail", args=[associate.pk]))


@require_GET
@permission_required(Perm.COMPLIANCE_VIEW)
def associate_detail(request: HttpRequest, pk: int) -> HttpResponse:
    today = practice_today()
    associate = selectors.associate_standing(associate=_associate(request, pk), today=today)
    agreements = list(selectors.associate_agreements(associate))
    return render(request, "compliance/associates/associate_detail.html", {
        "associate": associate, "agreements": agreements, "today": today,
        "in_force": {row.pk for row in agreements if selectors.agreement_in_force(row, today)},
        "horizon": selectors.REVIEW_HORIZON_DAYS, "can_manage": can(request.user, Perm.COMPLIANCE_MANAGE),
    })


@require_http_methods(["GET", "POST"])
@permission_required(Perm.COMPLIANCE_MANAGE)
def associate_edit(request: HttpRequest, pk: int) -> HttpResponse:
    associate = _associate(request, pk)
    form = AssociateForm(request.POST or None, initial={name: getattr(associate, name)
                                                        for name in services.ASSOCIATE_FIELDS})
    return _form_page(
        request, form, "compliance/associates/associate_form.html", {"associate": associate},
        lambda: services.associate_update(actor=request.user, associate=associate, data={
            name: form.cleaned_data[name] for name in services.ASSOCIATE_FIELDS}),
        _("Business associate saved."), lambda saved: reverse("compliance:associate_detail", args=[saved.pk]))


@require_http_methods(["GET", "POST"])
@permission_required(Perm.COMPLIANCE_MANAGE)
def associate_agreement_new(request: HttpRequest, pk: int) -> HttpResponse:
    associate = _associate(request, pk)
    form = AgreementCreateForm(request.POST or None, request.FILES or None)
    return _form_page(
        request, form, "compliance/associates/agreement_form.html", {"associate": associate, "agreement": None},
        lambda: services.agreement_create(
            actor=request.user, associate=associate,
            data={name: form.cleaned_data[name] for name in services.DRAFT_FIELDS},
            upload=form.cleaned_data.get("document") or None),
        _("Agreement started as a draft."), lambda agreement: reverse("compliance:agreement_detail",
                                                                       args=[agreement.pk]))


# --- agreements ------------------------------------------------------------------------------------------------


@require_GET
@permission_required(Perm.COMPLIANCE_VIEW)
def agreement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = _agreement(request, pk)
    today = practice_today()
    return render(request, "compliance/associates/agreement_detail.html", {
        "agreement": agreement, "associate": agreement.associate, "today": today,
        "in_force": selectors.agreement_in_force(agreement, today),
        "can_manage": can(request.user, Perm.COMPLIANCE_MANAGE),
    })


def _to_agreement(agreement: BusinessAssociateAgreement) -> str:
    return reverse("compliance:agreement_detail", args=[agreement.pk])


def _blocked(agreement: BusinessAssociateAgreement, allowed: tuple[str, ...], message: str) -> str:
    """Why the page's action is closed for this agreement's status ("" when open). The page still opens (it says
    why); a POST goes to the service, which refuses it with the same rule."""
    return "" if agreement.status in allowed else message


@require_http_methods(["GET", "POST"])
@permission_required(Perm.COMPLIANCE_MANAGE)
def agreement_edit(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = _agreement(request, pk)
    blocked = _blocked(agreement, (AgreementStatus.DRAFT, AgreementStatus.ACTIVE),
                       _("A terminated agreement cannot be changed."))
    is_draft = agreement.status == AgreementStatus.DRAFT
    fields = services.DRAFT_FIELDS if is_draft else services.ACTIVE_FIELDS
    form_class = AgreementForm if is_draft else AgreementActiveForm
    form = form_class(request.POST or None, initial={name: getattr(agreement, name) for name in fields})
    return _form_page(
        request, form, "compliance/associates/agreement_form.html",
        {"associate": agreement.associate, "agreement": agreement},
        lambda: services.agreement_update(actor=request.user, agreement=agreement,
                                          data={name: form.cleaned_data[name] for name in fields}),
        _("Agreement saved."), _to_agreement, blocked)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.COMPLIANCE_MANAGE)
def agreement_activate(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = _agreement(request, pk)
    blocked = _blocked(agreement, (AgreementStatus.DRAFT,), _("Only a draft can be put in force."))
    form = ActivateForm(request.POST or None, request.FILES or None, initial={
        "signed_on": agreement.signed_on, "effective_on": agreement.effective_on,
        "expires_on": agreement.expires_on, "review_on": agreement.review_on})
    return _form_page(
        request, form, "compliance/associates/agreement_action.html",
        {"associate": agreement.associate, "agreement": agreement, "heading": _("Put the agreement in force"),
         "submit_label": _("Put in force")},
        lambda: services.agreement_activate(
            actor=request.user, agreement=agreement, signed_on=form.cleaned_data["signed_on"],
            effective_on=form.cleaned_data["effective_on"], expires_on=form.cleaned_data["expires_on"],
            review_on=form.cleaned_data["review_on"], upload=form.cleaned_data.get("document") or None),
        _("The agreement is in force."), _to_agreement, blocked)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.COMPLIANCE_MANAGE)
def agreement_terminate(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = _agreement(request, pk)
    blocked = _blocked(agreement, (AgreementStatus.ACTIVE,), _("Only an agreement in force can be terminated."))
    form = TerminateForm(request.POST or None, initial={"terminated_on": practice_today()})
    return _form_page(
        request, form, "compliance/associates/agreement_action.html",
        {"associate": agreement.associate, "agreement": agreement, "heading": _("Terminate the agreement"),
         "submit_label": _("Terminate")},
        lambda: services.agreement_terminate(actor=request.user, agreement=agreement,
                                             terminated_on=form.cleaned_data["terminated_on"],
                                             reason=form.cleaned_data["reason"]),
        _("The agreement is terminated."), _to_agreement, blocked)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.COMPLIANCE_MANAGE)
def agreement_upload(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = _agreement(request, pk)
    blocked = _blocked(agreement, (AgreementStatus.DRAFT, AgreementStatus.ACTIVE),
                       _("A terminated agreement cannot be changed."))
    form = DocumentForm(request.POST or None, request.FILES or None)
    return _form_page(
        request, form, "compliance/associates/agreement_action.html",
        {"associate": agreement.associate, "agreement": agreement, "heading": _("Upload the document"),
         "submit_label": _("Upload")},
        lambda: services.agreement_document_set(actor=request.user, agreement=agreement,
                                                upload=form.cleaned_data["document"]),
        _("Document uploaded."), _to_agreement, blocked)


@require_GET
@permission_required(Perm.COMPLIANCE_VIEW)
def agreement_document(request: HttpRequest, pk: int) -> FileResponse:
    agreement = _agreement(request, pk)
    if not agreement.document:
        raise Http404()
    try:
        handle: Any = agreement.document.open("rb")
    except FileNotFoundError as exc:
        raise Http404() from exc
    services.agreement_document_opened(actor=request.user, agreement=agreement)
    response = FileResponse(handle, as_attachment=True,
                            content_type=services.agreement_document_content_type(agreement),
                            filename=f"baa-{agreement.associate_id}-{agreement.pk}.pdf")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
