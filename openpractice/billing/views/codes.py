"""The code sets page under /billing/codes/: ICD-10-CM releases and a look-up, procedure codes with the
descriptor import, modifiers, taxonomy and place-of-service counts. billing.view to read; importing descriptors
is a practice-wide change: billing.manage at every location."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from openpractice.accounts.permissions import has_all_locations
from openpractice.accounts.roles import Perm
from openpractice.core.web import permission_required

from ..forms_codes import DescriptorImportForm, Icd10LookupForm
from ..selectors import codes as selectors
from ..services import codes as services
from ..services.authorization import authorize_practice_wide


def _lookup(request: HttpRequest) -> tuple[Icd10LookupForm, selectors.Icd10Lookup | None]:
    form = Icd10LookupForm(request.GET if "code" in request.GET else None)
    if form.is_bound and form.is_valid():
        return form, selectors.icd10_lookup(code=form.cleaned_data["code"], on=form.cleaned_data["on"])
    return form, None


@require_GET
@permission_required(Perm.BILLING_VIEW)
def code_sets(request: HttpRequest) -> HttpResponse:
    form, lookup = _lookup(request)
    return render(request, "billing/codes_sets.html", {
        "releases": selectors.icd10_release_summaries(),
        "lookup_form": form, "lookup": lookup,
        "procedure_counts": selectors.procedure_code_counts(actor=request.user),
        "modifiers": selectors.modifier_rows(),
        "reference_counts": selectors.reference_counts(),
        "can_manage": has_all_locations(request.user, Perm.BILLING_MANAGE),
    })


@require_GET
@permission_required(Perm.BILLING_VIEW)
def icd10_lookup(request: HttpRequest) -> HttpResponse:
    """GET ?code=&on= — the answer alone for htmx, else a page with the form and the answer."""
    form, lookup = _lookup(request)
    context: dict[str, Any] = {"lookup_form": form, "lookup": lookup}
    htmx = getattr(request, "htmx", None)
    template = "billing/codes_lookup_result.html" if htmx else "billing/codes_lookup.html"
    response = render(request, template, context, status=400 if form.errors else 200)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_http_methods(["GET", "POST"])
@permission_required(Perm.BILLING_MANAGE)
def procedure_import(request: HttpRequest) -> HttpResponse:
    try:
        authorize_practice_wide(actor=request.user, action="billing.procedure_descriptors_import")
    except PermissionDenied as exc:
        raise Http404() from exc
    form = DescriptorImportForm(request.POST or None, request.FILES or None)
    report: services.CsvReport | None = None
    if request.method == "POST" and form.is_valid():
        try:
            report = services.procedure_descriptors_import(actor=request.user, file=form.cleaned_data["file"],
                                                           source=form.cleaned_data["source"])
        except PermissionDenied as exc:
            raise Http404() from exc
        if report.saved:
            messages.success(request, _("Descriptors imported: %(created)s new codes, %(updated)s changed, "
                                        "%(unchanged)s unchanged.") % {
                "created": report.created, "updated": report.updated, "unchanged": report.unchanged})
    return render(request, "billing/codes_procedure_import.html", {"form": form, "report": report},
                  status=400 if form.errors or (report is not None and not report.ok) else 200)
