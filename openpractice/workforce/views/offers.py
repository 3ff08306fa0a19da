"""Offer pages under /workforce/hiring/: the offers list, making and editing an offer (with the pay-range
warning to confirm), extending it (optionally emailing the letter), recording the answer, withdrawing, the
letter PDF (permission-checked, audited) and the hire. All need workforce.hiring at the requisition's location;
anything out of scope is a 404. Thin views: parse, call one service or selector, render."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openpractice.accounts.permissions import can, locations_where
from openpractice.accounts.roles import Perm
from openpractice.core.exports import Column, Export
from openpractice.core.selectors import practice_today
from openpractice.core.web import add_service_errors, get_scoped_or_404, permission_required, render_table, table

from ..choices import ApplicantStage, EmployeeStatus, OfferStatus
from ..forms_offers import AnswerForm, ExtendForm, HireForm, OfferForm, WithdrawForm
from ..models import Applicant, Offer
from ..selectors import offers as selectors
from ..selectors.hiring_scope import applicants_scoped
from ..selectors.scope import employees_scoped
from ..services import hiring_hire
from ..services import offers as services

OFFER_DAYS_TO_START = 14
OFFER_DAYS_TO_ANSWER = 7
# The list's columns: no pay (the offer page shows it, audited).
OFFER_EXPORT = Export(name="offers", object_type="workforce.offer", columns=[
    Column(gettext_lazy("Applicant"), "applicant.display_name"),
    Column(gettext_lazy("Position"), "applicant.requisition.position.title"),
    Column(gettext_lazy("Requisition"), "applicant.requisition.reference"),
    Column(gettext_lazy("Location"), "applicant.requisition.location.name"),
    Column(gettext_lazy("Status"), "get_status_display"),
    Column(gettext_lazy("Start"), "start_date"),
    Column(gettext_lazy("Answer by"), "expires_on"),
    Column(gettext_lazy("Made"), "created_at"),
])


def _offer(request: HttpRequest, offer_id: int) -> Offer:
    return get_scoped_or_404(request, selectors.offers_scoped(actor=request.user),
                             permission=Perm.WORKFORCE_HIRING, pk=offer_id)


def _detail_url(offer: Offer) -> str:
    return reverse("workforce:offer_detail", args=[offer.pk])


def applicant_url(applicant: Applicant) -> str:
    return reverse("workforce:applicant_detail", args=[applicant.pk])


@require_GET
@permission_required(Perm.WORKFORCE_HIRING)
def offer_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or "live"
    rows = table(request, selectors.offer_list(actor=request.user, status=status),
                 sorts={"created": "created_at", "start": "start_date", "answer": "expires_on",
                        "name": "applicant__last_name"},
                 default_sort="-created", search_fields=("applicant__first_name", "applicant__last_name",
                                                         "applicant__requisition__position__title"),
                 element_id="offer-table")
    return render_table(request, "workforce/offers/offer_list.html", {
        "table": rows, "table_template": "workforce/offers/_offer_table.html",
        "filter_template": "workforce/offers/_offer_filter.html", "status": status, "export": OFFER_EXPORT,
        "statuses": [("live", _("In progress")), *OfferStatus.choices, ("all", _("All"))],
    })


def _offer_initial(applicant: Applicant) -> dict[str, Any]:
    today = practice_today()
    requisition = applicant.requisition
    start = requisition.target_start if requisition.target_start and requisition.target_start > today else (
        today + dt.timedelta(days=OFFER_DAYS_TO_START))
    return {"start_date": start, "expires_on": min(start, today + dt.timedelta(days=OFFER_DAYS_TO_ANSWER)),
            "pay_basis": requisition.position.pay_basis}


def _save_offer(request: HttpRequest, form: OfferForm, *, applicant: Applicant,
                offer: Offer | None) -> tuple[Offer | None, OfferForm]:
    """Run the service; on the pay-range warning, show the form again with the confirmation box."""
    confirm = bool(form.cleaned_data.get("confirm_out_of_range"))
    try:
        if offer is None:
            saved = services.offer_create(actor=request.user, applicant=applicant, data=form.service_data(),
                                          confirm_out_of_range=confirm)
        else:
            saved = services.offer_update(actor=request.user, offer=offer, data=form.service_data(),
                                          confirm_out_of_range=confirm)
    except PermissionDenied as exc:
        raise Http404() from exc
    except services.PayOutsideRange as exc:
        form = OfferForm(request.POST, show_confirm=True)
        form.is_valid()
        add_service_errors(form, exc)
        return None, form
    except ValidationError as exc:
        add_service_errors(form, exc)
        return None, form
    return saved, form


@require_http_methods(["GET", "POST"])
@permission_required(Perm.WORKFORCE_HIRING)
def offer_create(request: HttpRequest, applicant_id: int) -> HttpResponse:
    applicant = get_scoped_or_404(
        request, applicants_scoped(actor=request.user).select_related("requisition__position",
                                                                      "requisition__location"),
        permission=Perm.WORKFORCE_HIRING, pk=applicant_id)
    form = OfferForm(request.POST or None, initial=_offer_initial(applicant),
                     show_confirm="confirm_out_of_range" in request.POST)
    if request.method == "POST" and form.is_valid():
        offer, form = _save_offer(request, form, applicant=applicant, offer=None)
        if offer is not None:
            messages.success(request, _("Offer drafted. Check the letter, then extend it."))
            return redirect(_detail_url(offer))
    return render(request, "workforce/offers/offer_form.html", {
        "form": form, "applicant": applicant, "offer": None, "applicant_url": applicant_url(applicant),
        "pay_range": selectors.pay_range_for(applicant.requisition, basis=applicant.requisition.position.pay_basis),
    }, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.WORKFORCE_HIRING)
def offer_edit(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = _offer(request, offer_id)
    if offer.status != OfferStatus.DRAFT:
        return _notice(request, offer, _("Only a draft offer can be edited. Withdraw this one and make a new "
                                         "offer to change the terms."))
    if request.method == "GET":
        selectors.record_offers_viewed(actor=request.user, offers=[offer], reason="edit form")
    initial = {name: getattr(offer, name) for name in services.OFFER_FIELDS}
    initial["pay_amount"] = f"{offer.pay_amount:.2f}"
    form = OfferForm(request.POST or None, initial=initial, show_confirm="confirm_out_of_range" in request.POST)
    if request.method == "POST" and form.is_valid():
        saved, form = _save_offer(request, form, applicant=offer.applicant, offer=offer)
        if saved is not None:
            messages.success(request, _("Offer saved."))
            return redirect(_detail_url(saved))
    requisition = offer.applicant.requisition
    return render(request, "workforce/offers/offer_form.html", {
        "form": form, "applicant": offer.applicant, "offer": offer, "applicant_url": applicant_url(offer.applicant),
        "pay_range": selectors.pay_range_for(requisition, basis=requisition.position.pay_basis),
    }, status=400 if form.errors else 200)


@require_GET
@permission_required(Perm.WORKFORCE_HIRING)
def offer_detail(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = _offer(request, offer_id)
    applicant = offer.applicant
    requisition = applicant.requisition
    selectors.record_offers_viewed(actor=request.user, offers=[offer], reason="offer page")
    return render(request, "workforce/offers/offer_detail.html", {
        "offer": offer, "applicant": applicant, "applicant_url": applicant_url(applicant),
        "pay_range": selectors.pay_range_for(requisition, basis=offer.pay_basis),
        "extend_form": ExtendForm(initial={"send_letter": bool(applicant.email)}),
        "answer_form": AnswerForm(), "withdraw_form": WithdrawForm(),
        "can_hire": _may_hire(offer),
        "is_live": offer.status in selectors.LIVE_STATUSES and applicant.employee_id is None,
    })


def _may_hire(offer: Offer) -> bool:
    """The hire button and form: an accepted offer, its applicant still at the offer stage and not yet hired."""
    applicant = offer.applicant
    return (offer.status == OfferStatus.ACCEPTED and applicant.stage == ApplicantStage.OFFER
            and applicant.employee_id is None)


def _notice(request: HttpRequest, offer: Offer, message: str) -> HttpResponse:
    """A page saying why this step is not open for the offer (a link back to it), instead of the form."""
    return render(request, "workforce/offers/notice.html", {
        "offer": offer, "applicant": offer.applicant, "applicant_url": applicant_url(offer.applicant),
        "message": message})


def _post_action(request: HttpRequest, offer: Offer, action: Any, done: str) -> HttpResponse:
    try:
        action()
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    return redirect(_detail_url(offer))


@require_POST
@permission_required(Perm.WORKFORCE_HIRING)
def offer_extend(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = _offer(request, offer_id)
    form = ExtendForm(request.POST)
    send = form.is_valid() and bool(form.cleaned_data["send_letter"])
    return _post_action(request, offer,
                        lambda: services.offer_extend(actor=request.user, offer=offer, send_letter=send),
                        _("Offer extended; the letter is on its way to the applicant.") if send
                        else _("Offer extended. Download the letter to give it to the applicant."))


@require_POST
@permission_required(Perm.WORKFORCE_HIRING)
def offer_answer(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = _offer(request, offer_id)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose accepted or declined."))
        return redirect(_detail_url(offer))
    accepted = form.cleaned_data["answer"] == "accepted"
    return _post_action(request, offer,
                        lambda: services.offer_record_answer(actor=request.user, offer=offer, accepted=accepted),
                        _("Acceptance recorded: the applicant can be hired.") if accepted
                        else _("Decline recorded. Make another offer, or mark the applicant not selected."))


@require_POST
@permission_required(Perm.WORKFORCE_HIRING)
def offer_withdraw(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = _offer(request, offer_id)
    form = WithdrawForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _post_action(request, offer,
                        lambda: services.offer_withdraw(actor=request.user, offer=offer, reason=reason),
                        _("Offer withdrawn."))


@require_GET
@permission_required(Perm.WORKFORCE_HIRING)
def offer_letter(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = _offer(request, offer_id)
    try:
        pdf = services.offer_letter_pdf(actor=request.user, offer=offer)
    except PermissionDenied as exc:
        raise Http404() from exc
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True,
                                                                 filename=services.offer_letter_filename(offer))
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _suggested_username(applicant: Applicant) -> str:
    base = f"{applicant.first_name[:1]}{applicant.last_name}".lower()
    return "".join(ch for ch in base if ch.isalnum() or ch in "._-")[:150]


@require_http_methods(["GET", "POST"])
@permission_required(Perm.WORKFORCE_HIRING)
def offer_hire(request: HttpRequest, offer_id: int) -> HttpResponse:
    offer = _offer(request, offer_id)
    applicant = offer.applicant
    if not _may_hire(offer):
        return _notice(request, offer, _("Only an accepted offer whose applicant is at the offer stage and not yet "
                                         "hired leads to a hire."))
    if request.method == "GET":
        selectors.record_offers_viewed(actor=request.user, offers=[offer], reason="hire form")
    requisition = applicant.requisition
    position = requisition.position
    managers = employees_scoped(actor=request.user, permission=Perm.WORKFORCE_VIEW).exclude(
        status=EmployeeStatus.TERMINATED).order_by("last_name", "first_name", "pk")
    form = HireForm(request.POST or None, managers=managers,
                    locations=locations_where(request.user, Perm.WORKFORCE_HIRING).filter(is_active=True),
                    initial={"employee_number": hiring_hire.next_employee_number(),
                             "username": _suggested_username(applicant), "role": position.role,
                             "tier": position.tier, "locations": [requisition.location_id]})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        account = hiring_hire.AccountRequest(
            username=data["username"], role=data["role"], tier=data["tier"],
            location_ids=frozenset(location.pk for location in data["locations"]),
        ) if data["create_account"] else None
        try:
            result = hiring_hire.applicant_hire(actor=request.user, applicant=applicant, manager=data["manager"],
                                                employee_number=data["employee_number"], account=account)
        except PermissionDenied as exc:
            if account is None:
                raise Http404() from exc
            # Refused for the account only (the hire itself is allowed): say so, nothing was written.
            form.add_error("create_account", str(exc))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(name)s is hired (employee %(number)s).")
                             % {"name": applicant.display_name, "number": result.employee.employee_number})
            if result.checklist is None:
                messages.warning(request, _("No onboarding checklist was started: there is no onboarding template "
                                            "for this position, nor a general one. Start one from the employee "
                                            "record once a template exists."))
            if result.user is not None:
                messages.info(request, _("An invitation to choose a password was emailed to %(email)s.")
                              % {"email": applicant.email})
            if result.requisition_filled:
                messages.info(request, _("The requisition is now filled."))
            return redirect(reverse("workforce:employee_detail", args=[result.employee.pk]))
    return render(request, "workforce/offers/hire_form.html", {
        "form": form, "offer": offer, "applicant": applicant, "applicant_url": applicant_url(applicant),
        "can_invite": can(request.user, Perm.USERS_MANAGE),
    }, status=400 if form.errors else 200)
