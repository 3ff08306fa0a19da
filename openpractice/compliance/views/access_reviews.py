"""Access review pages: the list (compliance.view), a new review for a period (compliance.manage), a review's
findings grouped by kind with the reviewer's notes (compliance.manage, until sign-off) and the privacy officer's
sign-off. Findings name users and counts, never patients: no page here is a PHI read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openpractice.accounts.roles import Perm
from openpractice.core.exports import Column, Export
from openpractice.core.selectors import practice_today
from openpractice.core.web import add_service_errors, get_scoped_or_404, permission_required, render_table, table

from ..forms_access_reviews import AccessReviewForm, FindingNoteForm, SignOffForm
from ..models import AccessReview
from ..selectors import access_reviews as selectors
from ..services import access_reviews as services

PERM = selectors.PERM
MANAGE = Perm.COMPLIANCE_MANAGE


def _review(request: HttpRequest, pk: int, permission: str = PERM) -> AccessReview:
    return get_scoped_or_404(request, selectors.review_scoped(actor=request.user), permission=permission, pk=pk)


def _run(form: Any, call: Callable[[], Any]) -> bool:
    """Call the service; a refusal is the 404 of an object out of reach, a rule broken goes onto the form."""
    try:
        call()
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        add_service_errors(form, exc)
        return False
    return True


ACCESSREVIEW_EXPORT = Export(name="access reviews", object_type="compliance.accessreview", columns=[
    Column(gettext_lazy("Period start"), "period_start"),
    Column(gettext_lazy("Period end"), "period_end"),
    Column(gettext_lazy("Findings"), "finding_count"),
    Column(gettext_lazy("Created"), "created_at"),
    Column(gettext_lazy("Created by"), "created_by.display_name"),
    Column(gettext_lazy("Signed off"), "signed_off_at"),
    Column(gettext_lazy("Signed off by"), "signed_off_by.display_name"),
])


@require_GET
@permission_required(PERM)
def accessreview_list(request: HttpRequest) -> HttpResponse:
    rows = table(request, selectors.review_list(actor=request.user),
                 sorts={"period": "period_end", "created": "created_at", "signed": "signed_off_at"},
                 default_sort="-period", search_fields=(), element_id="accessreview-table")
    return render_table(request, "compliance/access_reviews/accessreview_list.html", {
        "table": rows, "table_template": "compliance/access_reviews/accessreview_table.html",
        "export": ACCESSREVIEW_EXPORT, "can_manage": selectors.may_manage(request.user),
    })


@require_http_methods(["GET", "POST"])
@permission_required(MANAGE)
def accessreview_new(request: HttpRequest) -> HttpResponse:
    start, end = services.last_full_quarter(practice_today())
    form = AccessReviewForm(request.POST or None, initial={"period_start": start, "period_end": end})
    created: list[AccessReview] = []
    if request.method == "POST" and form.is_valid() and _run(form, lambda: created.append(
            services.access_review_create(actor=request.user, period_start=form.cleaned_data["period_start"],
                                          period_end=form.cleaned_data["period_end"]))):
        messages.success(request, _("Access review created."))
        return redirect(reverse("compliance:accessreview_detail", args=[created[0].pk]))
    return render(request, "compliance/access_reviews/accessreview_form.html", {"form": form},
                  status=400 if form.errors else 200)


def _detail(request: HttpRequest, review: AccessReview, *, sign_off: SignOffForm | None = None,
            note_error: str = "", status: int = 200) -> HttpResponse:
    editable = review.signed_off_at is None and selectors.may_manage(request.user)
    may_sign = selectors.may_sign_off(request.user, review)
    return render(request, "compliance/access_reviews/accessreview_detail.html", {
        "review": review, "groups": selectors.finding_groups(review=review), "editable": editable,
        "sign_off_form": (sign_off or SignOffForm()) if may_sign else None, "note_error": note_error,
        "volume_threshold": services.VOLUME_THRESHOLD, "dormant_days": services.DORMANT_DAYS,
    }, status=status)


@require_GET
@permission_required(PERM)
def accessreview_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _review(request, pk))


@require_POST
@permission_required(MANAGE)
def accessreview_note(request: HttpRequest, pk: int) -> HttpResponse:
    review = _review(request, pk, MANAGE)
    form = FindingNoteForm(request.POST)
    if form.is_valid() and _run(form, lambda: services.access_review_note(
            actor=request.user, review=review, finding_id=form.cleaned_data["finding"],
            note=form.cleaned_data["note"])):
        messages.success(request, _("Note saved."))
        return redirect(reverse("compliance:accessreview_detail", args=[review.pk]) + f"#finding-{form.cleaned_data['finding']}")
    return _detail(request, review, note_error=" ".join(str(e) for e in form.errors.values()) or _("Not saved."),
                   status=400)


@require_POST
@permission_required(MANAGE)
def accessreview_sign_off(request: HttpRequest, pk: int) -> HttpResponse:
    review = _review(request, pk, MANAGE)
    form = SignOffForm(request.POST)
    if form.is_valid() and _run(form, lambda: services.access_review_sign_off(
            actor=request.user, review=review, conclusion=form.cleaned_data["conclusion"])):
        messages.success(request, _("Access review signed off."))
        return redirect(reverse("compliance:accessreview_detail", args=[review.pk]))
    return _detail(request, review, sign_off=form, status=400)
