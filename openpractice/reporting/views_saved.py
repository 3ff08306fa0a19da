"""Saved reports: "My reports" (each opens its list with the saved filters, or downloads it as CSV or XLSX),
"Save this view" (the link under every list opens a form naming the list as it is shown) and deleting one's own
report.

Every signed-in person has their own reports; another person's report does not exist for them (404, audited).
Thin views: parse, call one service or selector, render.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openpractice.core.web import get_scoped_or_404, login_required, run_service

from . import selectors_saved as selectors
from . import services_saved as services
from .forms_saved import SavedReportForm
from .models import SavedReport


@require_GET
@login_required
def saved_report_list(request: HttpRequest) -> HttpResponse:
    return render(request, "reporting/saved/list.html", {"rows": selectors.saved_report_rows(actor=request.user)})


def _list_url(route: str, query: str) -> str:
    return reverse(route) + (f"?{query}" if query else "")


@require_http_methods(["GET", "POST"])
@login_required
def saved_report_create(request: HttpRequest) -> HttpResponse:
    """GET (the "Save this view" link under a list): the naming form for that list and its filters. POST: save."""
    if request.method == "GET":
        route = request.GET.get("route", "")
        query = selectors.clean_query(request.GET.get("query", ""))
        form = SavedReportForm(initial={"route": route, "query": query})
        status = 200
    else:
        form = SavedReportForm(request.POST)
        saved: list[SavedReport] = []
        if form.is_valid() and run_service(form, lambda: saved.append(services.saved_report_create(
                actor=request.user, name=form.cleaned_data["name"], route=form.cleaned_data["route"],
                query=form.cleaned_data["query"]))):
            report = saved[0]
            messages.success(request, _("Saved as “%(name)s”. You find it under My reports.") % {"name": report.name})
            return redirect(_list_url(report.route, report.query))
        route, query = form.data.get("route", ""), selectors.clean_query(form.data.get("query", ""))
        status = 400
    savable = selectors.route_open_to(request.user, route)
    return render(request, "reporting/saved/create.html", {
        "form": form, "savable": savable, "back": _list_url(route, query) if savable else "",
        "label": selectors.route_label(route) if savable else "",
    }, status=status)


@require_POST
@login_required
def saved_report_delete(request: HttpRequest, pk: int) -> HttpResponse:
    report = get_scoped_or_404(request, selectors.saved_report_list(actor=request.user),
                               permission="own saved report", pk=pk)
    form = SavedReportForm()  # run_service puts a refusal's message on a form; none is shown here
    if run_service(form, lambda: services.saved_report_delete(actor=request.user, report=report)):
        messages.success(request, _("Report “%(name)s” deleted.") % {"name": report.name})
    return redirect("reporting:saved_report_list")
