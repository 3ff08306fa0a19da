"""Case reports and category pages.

- The report (cases.view or cases.staff): open cases by age and category, overdue and escalated counts, cases
  received and resolved per category over twelve months (a table and a server-drawn SVG chart), and the median
  days to resolve per category. Every figure counts only the cases the reader may see.
- Categories (list: cases.view or cases.staff; create and edit: cases.manage or cases.staff): a category is edited
  by those who work its kind of case at every location; any other category is not found (404, audited) and
  nothing changes.
"""

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
from django.views.decorators.http import require_GET, require_http_methods

from openpractice.accounts.roles import Perm
from openpractice.core.exports import Column, Export, export_format, export_query, export_response
from openpractice.core.selectors import practice_today
from openpractice.core.web import add_service_errors, any_permission_required, deny

from . import selectors, selectors_reports, services
from .forms_admin import CategoryForm
from .models import CaseCategory

SEE_CASES = frozenset({Perm.CASES_VIEW, Perm.CASES_STAFF})
WORK_CASES = frozenset({Perm.CASES_MANAGE, Perm.CASES_STAFF})


# --- the report ------------------------------------------------------------------------------------------------


def _column_totals(rows: list[list[int]], width: int) -> list[int]:
    return [sum(row[index] for row in rows) for index in range(width)]


def _nth(field: str, index: int) -> Callable[[Any], int]:
    """The `index`-th number of a report row's `field` (a bucket's or a month's count)."""
    return lambda row: int(getattr(row, field)[index])


def _age_export() -> Export:
    return Export(name="open cases by age", object_type="cases.case", columns=[
        Column(gettext_lazy("Category"), "category"),
        *(Column(label, _nth("counts", index)) for index, (label, _low, _high) in enumerate(selectors.AGE_BUCKETS)),
        Column(gettext_lazy("Total"), "total"),
    ])


def _trend_export(starts: list[Any]) -> Export:
    return Export(name="cases received per month", object_type="cases.case", columns=[
        Column(gettext_lazy("Category"), "category"),
        *(Column(start.strftime("%b %y"), _nth("received", index)) for index, start in enumerate(starts)),
        Column(gettext_lazy("Received"), lambda row: sum(row.received)),
        Column(gettext_lazy("Resolved"), lambda row: sum(row.resolved)),
    ])


RESOLVE_EXPORT = Export(name="time to resolve cases", object_type="cases.case", columns=[
    Column(gettext_lazy("Category"), "category"),
    Column(gettext_lazy("Resolved"), "resolved"),
    Column(gettext_lazy("Median days"), "median_days"),
    Column(gettext_lazy("On time"), "within_target"),
])


@require_GET
@any_permission_required(SEE_CASES)
def report(request: HttpRequest) -> HttpResponse:
    """The report; each of its tables exports with ?table=age|trend|resolve&export=csv|xlsx."""
    today = practice_today()
    age_rows, age_totals = selectors.open_by_age(actor=request.user, today=today)
    starts, trend_rows = selectors.trends(actor=request.user, today=today)
    if export_format(request):
        wanted = request.GET.get("table")
        if wanted == "age":
            return export_response(request, age_rows, _age_export())
        if wanted == "trend":
            return export_response(request, trend_rows, _trend_export(starts))
        if wanted == "resolve":
            return export_response(request, selectors_reports.resolve_times(actor=request.user, today=today),
                                   RESOLVE_EXPORT)
    received = _column_totals([row.received for row in trend_rows], len(starts))
    resolved = _column_totals([row.resolved for row in trend_rows], len(starts))
    return render(request, "cases/reports/report.html", {
        "today": today,
        "buckets": [label for label, _low, _high in selectors.AGE_BUCKETS],
        "age_rows": age_rows, "age_totals": age_totals, "open_total": sum(age_totals),
        "overdue": selectors_reports.overdue_count(actor=request.user, today=today),
        "escalated": selectors_reports.escalated_open_count(actor=request.user),
        "months": starts,
        "trend_rows": [(row, sum(row.received), sum(row.resolved)) for row in trend_rows],
        "received": received, "resolved": resolved,
        "received_total": sum(received), "resolved_total": sum(resolved),
        "chart": selectors_reports.trend_chart(starts, received, resolved),
        "resolve_rows": selectors_reports.resolve_times(actor=request.user, today=today),
        "window_start": starts[0] if starts else today,
    })


# --- categories ------------------------------------------------------------------------------------------------


CATEGORY_EXPORT = Export(name="case categories", object_type="cases.casecategory", columns=[
    Column(gettext_lazy("ID"), "pk"),
    Column(gettext_lazy("Category"), "name"),
    Column(gettext_lazy("Kind"), "get_kind_display"),
    Column(gettext_lazy("Acknowledge (days)"), "acknowledge_days"),
    Column(gettext_lazy("Resolve (days)"), "resolve_days"),
    Column(gettext_lazy("Opens an incident"), "opens_incident"),
    Column(gettext_lazy("In use"), "is_active"),
])


@require_GET
@any_permission_required(SEE_CASES)
def category_list(request: HttpRequest) -> HttpResponse:
    managed = selectors.category_kinds_managed(request.user)
    categories = list(selectors_reports.categories_visible(actor=request.user))
    if export_format(request):
        return export_response(request, categories, CATEGORY_EXPORT)
    return render(request, "cases/categories/category_list.html", {
        "categories": categories, "managed": managed,
        "export_links": {fmt: export_query(request, fmt) for fmt in ("csv", "xlsx")},
    })


def _save(request: HttpRequest, form: CategoryForm, call: Callable[[], CaseCategory]) -> bool:
    """Run the service: a refusal is the 404 of a category out of reach, a rule broken goes onto the form."""
    try:
        saved = call()
    except PermissionDenied as exc:
        raise Http404() from exc
    except ValidationError as exc:
        add_service_errors(form, exc)
        return False
    messages.success(request, _("Category “%(name)s” saved.") % {"name": saved.name})
    return True


def _form_page(request: HttpRequest, form: CategoryForm, category: CaseCategory | None) -> HttpResponse:
    return render(request, "cases/categories/category_form.html", {"form": form, "category": category},
                  status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@any_permission_required(WORK_CASES)
def category_create(request: HttpRequest) -> HttpResponse:
    kinds = selectors.category_kinds_managed(request.user)
    if not kinds:  # works cases somewhere, not everywhere: categories are practice-wide
        raise deny(request, permission=" or ".join(sorted(WORK_CASES)), object_type="cases.casecategory")
    form = CategoryForm(request.POST or None, kinds=kinds)
    if request.method == "POST" and form.is_valid():
        data: dict[str, Any] = form.cleaned_data
        if _save(request, form, lambda: services.category_save(
                actor=request.user, category=None, kind=data["kind"], name=data["name"],
                acknowledge_days=data["acknowledge_days"], resolve_days=data["resolve_days"],
                opens_incident=data["opens_incident"], is_active=data["is_active"])):
            return redirect(reverse("cases:category_list"))
    return _form_page(request, form, None)


@require_http_methods(["GET", "POST"])
@any_permission_required(WORK_CASES)
def category_edit(request: HttpRequest, pk: int) -> HttpResponse:
    category = CaseCategory.objects.filter(pk=pk).first()
    if category is None:
        raise Http404()
    kinds = selectors.category_kinds_managed(request.user)
    if category.kind not in kinds:
        raise deny(request, permission=selectors.WORK_PERMISSION[category.kind],
                   object_type="cases.casecategory", object_id=category.pk)
    form = CategoryForm(request.POST or None, kinds=kinds, category=category)
    if request.method == "POST" and form.is_valid():
        data: dict[str, Any] = form.cleaned_data
        if _save(request, form, lambda: services.category_save(
                actor=request.user, category=category, kind=category.kind, name=data["name"],
                acknowledge_days=data["acknowledge_days"], resolve_days=data["resolve_days"],
                opens_incident=data["opens_incident"], is_active=data["is_active"])):
            return redirect(reverse("cases:category_list"))
    return _form_page(request, form, category)
