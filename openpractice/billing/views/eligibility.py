"""Eligibility under /billing/eligibility/: the 270 request for one coverage (a page, and a POST that downloads
the file), and the upload that imports a payer's 271 answers onto the coverages."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from openpractice.accounts.roles import Perm
from openpractice.core.web import get_scoped_or_404, permission_required
from openpractice.patients.models import Coverage
from openpractice.patients.selectors import coverage_latest_eligibility, patient_record_viewed

from ..forms_acks import EligibilityUploadForm
from ..selectors import acknowledgements as selectors
from ..services import eligibility as services
from .x12_upload import x12_upload_page


def _coverage(request: HttpRequest, coverage_id: int) -> Coverage:
    return get_scoped_or_404(request, selectors.eligibility_coverages(actor=request.user),
                             permission=Perm.BILLING_MANAGE, pk=coverage_id)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.BILLING_MANAGE)
def eligibility_request(request: HttpRequest, coverage_id: int) -> HttpResponse:
    coverage = _coverage(request, coverage_id)
    if request.method == "POST":
        try:
            text, trace = services.eligibility_270_build(actor=request.user, coverage=coverage)
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            response = HttpResponse(text.encode("ascii", "replace"), content_type="application/edi-x12")
            response["Content-Disposition"] = f'attachment; filename="270-{trace}.x12"'
            response["Cache-Control"] = "no-store"
            return response
    else:
        patient_record_viewed(actor=request.user, patient=coverage.patient, how="eligibility request")
    return render(request, "billing/eligibility_request.html", {
        "coverage": coverage, "patient": coverage.patient,
        "latest": coverage_latest_eligibility(actor=request.user, coverage=coverage, permission=Perm.BILLING_MANAGE),
    }, status=400 if request.method == "POST" else 200)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.BILLING_MANAGE)
def eligibility_import(request: HttpRequest) -> HttpResponse:
    return x12_upload_page(request, form_class=EligibilityUploadForm, importer=services.eligibility_271_import, template="billing/eligibility_import.html")
