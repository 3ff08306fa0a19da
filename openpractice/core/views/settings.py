"""Settings pages for the practice, its locations (with opening hours) and departments, under /settings/.

Thin views: parse the form, call one service or selector, render. Services check permission again and audit;
a refusal from a service becomes the same 404 as a refusal here (the service already recorded it).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openpractice.accounts.permissions import can, has_all_locations
from openpractice.accounts.roles import Perm
from openpractice.core import selectors, services
from openpractice.core.exports import Column, Export
from openpractice.core.forms import DepartmentForm, LocationForm, OpeningHoursForm, PracticeForm
from openpractice.core.models import Department, Location, Practice
from openpractice.core.web import add_service_errors, deny, get_scoped_or_404, permission_required, render_table, table

_ACTIVE_FILTER = {"active": True, "inactive": False}


def _practice_or_404() -> Practice:
    practice = selectors.practice_get()
    if practice is None:
        raise Http404()
    return practice


def _require_practice_wide(request: HttpRequest) -> None:
    """Practice-wide settings take PRACTICE_MANAGE at every location, as the services demand."""
    if not has_all_locations(request.user, Perm.PRACTICE_MANAGE):
        raise deny(request, permission=f"{Perm.PRACTICE_MANAGE} (all locations)")


def _status_filter(request: HttpRequest) -> str:
    value = request.GET.get("status") or "active"
    return value if value in ("active", "inactive", "all") else "active"


# --- practice ------------------------------------------------------------------------------------------------


@require_GET
@permission_required(Perm.PRACTICE_VIEW)
def practice_detail(request: HttpRequest) -> HttpResponse:
    practice = _practice_or_404()
    return render(request, "core/practice_detail.html", {
        "practice": practice,
        "can_manage": has_all_locations(request.user, Perm.PRACTICE_MANAGE),
    })


@require_http_methods(["GET", "POST"])
@permission_required(Perm.PRACTICE_MANAGE)
def practice_edit(request: HttpRequest) -> HttpResponse:
    _require_practice_wide(request)
    practice = _practice_or_404()
    # The form validates a copy of its own, so a rejected edit never shows half-changed values elsewhere.
    form = PracticeForm(request.POST or None, instance=_practice_or_404())
    if request.method == "POST" and form.is_valid():
        try:
            services.practice_update(actor=request.user, practice=practice, data=form.cleaned_data)
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Practice settings saved."))
            return redirect("core:practice")
    status = 400 if form.errors else 200
    return render(request, "core/practice_form.html", {"form": form, "practice": practice}, status=status)


# --- locations -----------------------------------------------------------------------------------------------


def _active(item: Location | Department) -> str:
    return _("Active") if item.is_active else _("Deactivated")


LOCATION_EXPORT = Export(name="locations", object_type="core.location", columns=[
    Column(gettext_lazy("ID"), "pk"),
    Column(gettext_lazy("Name"), "name"),
    Column(gettext_lazy("Code"), "code"),
    Column(gettext_lazy("City"), "city"),
    Column(gettext_lazy("State"), "state"),
    Column(gettext_lazy("Place of service"), "place_of_service"),
    Column(gettext_lazy("Place of service name"), "place_of_service_name"),
    Column(gettext_lazy("Departments"), "department_count"),
    Column(gettext_lazy("Status"), _active),
])

DEPARTMENT_EXPORT = Export(name="departments", object_type="core.department", columns=[
    Column(gettext_lazy("ID"), "pk"),
    Column(gettext_lazy("Name"), "name"),
    Column(gettext_lazy("Location"), lambda department: department.location.name if department.location
           else _("Practice-wide")),
    Column(gettext_lazy("Shared email"), "email"),
    Column(gettext_lazy("Phone"), "phone"),
    Column(gettext_lazy("Status"), _active),
])


@require_GET
@permission_required(Perm.PRACTICE_VIEW)
def location_list(request: HttpRequest) -> HttpResponse:
    status = _status_filter(request)
    queryset = selectors.location_list(actor=request.user, permission=Perm.PRACTICE_VIEW)
    if status in _ACTIVE_FILTER:
        queryset = queryset.filter(is_active=_ACTIVE_FILTER[status])
    rows = table(
        request, queryset,
        sorts={"name": "name", "code": "code", "city": "city", "pos": "place_of_service",
               "departments": "department_count", "status": "is_active"},
        default_sort="name", search_fields=("name", "code", "city", "address_line1", "phone"),
        element_id="location-table",
    )
    return render_table(request, "core/location_list.html", {
        "table": rows,
        "table_template": "core/_location_table.html",
        "filter_template": "core/_status_filter.html",
        "status": status,
        "can_create": has_all_locations(request.user, Perm.PRACTICE_MANAGE),
        "export": LOCATION_EXPORT,
    })


@require_GET
@permission_required(Perm.PRACTICE_VIEW)
def location_detail(request: HttpRequest, pk: int) -> HttpResponse:
    location = get_scoped_or_404(
        request, selectors.location_list(actor=request.user, permission=Perm.PRACTICE_VIEW),
        permission=Perm.PRACTICE_VIEW, pk=pk,
    )
    departments = selectors.department_list(actor=request.user, permission=Perm.PRACTICE_VIEW).filter(location=location)
    return render(request, "core/location_detail.html", {
        "location": location,
        "hours": selectors.opening_hours_by_day(location),
        "departments": departments,
        "can_manage": can(request.user, Perm.PRACTICE_MANAGE, location),
    })


def _managed_location(request: HttpRequest, pk: int) -> Location:
    return get_scoped_or_404(
        request, selectors.location_scoped(actor=request.user, permission=Perm.PRACTICE_MANAGE),
        permission=Perm.PRACTICE_MANAGE, pk=pk,
    )


@require_http_methods(["GET", "POST"])
@permission_required(Perm.PRACTICE_MANAGE)
def location_create(request: HttpRequest) -> HttpResponse:
    _require_practice_wide(request)
    practice = _practice_or_404()
    form = LocationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            location = services.location_create(actor=request.user, practice=practice, data=form.cleaned_data)
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Location “%(name)s” added. Now set its opening hours.") % {"name": location.name})
            return redirect("core:location_hours", pk=location.pk)
    return render(request, "core/location_form.html", {"form": form, "location": None},
                  status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.PRACTICE_MANAGE)
def location_edit(request: HttpRequest, pk: int) -> HttpResponse:
    location = _managed_location(request, pk)
    form = LocationForm(request.POST or None, instance=Location.objects.get(pk=location.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.location_update(actor=request.user, location=location, data=form.cleaned_data)
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Location saved."))
            return redirect(location)
    return render(request, "core/location_form.html", {"form": form, "location": location},
                  status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.PRACTICE_MANAGE)
def location_hours(request: HttpRequest, pk: int) -> HttpResponse:
    location = _managed_location(request, pk)
    form = OpeningHoursForm(request.POST or None, location=location)
    if request.method == "POST" and form.is_valid():
        try:
            services.location_set_opening_hours(actor=request.user, location=location, periods=form.periods())
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Opening hours saved."))
            return redirect(location)
    return render(request, "core/location_hours.html", {"form": form, "location": location},
                  status=400 if form.errors else 200)


def _switch_location(request: HttpRequest, pk: int, *, active: bool) -> HttpResponse:
    location = _managed_location(request, pk)
    try:
        if active:
            services.location_reactivate(actor=request.user, location=location)
        else:
            services.location_deactivate(actor=request.user, location=location)
    except PermissionDenied as exc:
        raise Http404() from exc
    text = _("“%(name)s” is active again.") if active else _("“%(name)s” was deactivated.")
    messages.success(request, text % {"name": location.name})
    return redirect(location)


@require_POST
@permission_required(Perm.PRACTICE_MANAGE)
def location_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _switch_location(request, pk, active=False)


@require_POST
@permission_required(Perm.PRACTICE_MANAGE)
def location_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _switch_location(request, pk, active=True)


# --- departments ---------------------------------------------------------------------------------------------


@require_GET
@permission_required(Perm.PRACTICE_VIEW)
def department_list(request: HttpRequest) -> HttpResponse:
    status = _status_filter(request)
    queryset = selectors.department_list(actor=request.user, permission=Perm.PRACTICE_VIEW)
    if status in _ACTIVE_FILTER:
        queryset = queryset.filter(is_active=_ACTIVE_FILTER[status])
    rows = table(
        request, queryset,
        sorts={"name": "name", "location": "location__name", "status": "is_active"},
        default_sort="name", search_fields=("name", "email", "location__name"),
        element_id="department-table",
    )
    return render_table(request, "core/department_list.html", {
        "table": rows,
        "table_template": "core/_department_table.html",
        "filter_template": "core/_status_filter.html",
        "status": status,
        "can_create": can(request.user, Perm.PRACTICE_MANAGE),
        "export": DEPARTMENT_EXPORT,
    })


@require_GET
@permission_required(Perm.PRACTICE_VIEW)
def department_detail(request: HttpRequest, pk: int) -> HttpResponse:
    department = get_scoped_or_404(
        request, selectors.department_list(actor=request.user, permission=Perm.PRACTICE_VIEW),
        permission=Perm.PRACTICE_VIEW, pk=pk,
    )
    manageable = selectors.department_scoped(actor=request.user, permission=Perm.PRACTICE_MANAGE)
    return render(request, "core/department_detail.html", {
        "department": department,
        "can_manage": manageable.filter(pk=department.pk).exists(),
    })


def _managed_department(request: HttpRequest, pk: int) -> Department:
    return get_scoped_or_404(
        request, selectors.department_scoped(actor=request.user, permission=Perm.PRACTICE_MANAGE),
        permission=Perm.PRACTICE_MANAGE, pk=pk,
    )


def _department_form_page(request: HttpRequest, form: DepartmentForm, department: Department | None) -> HttpResponse:
    return render(request, "core/department_form.html", {"form": form, "department": department},
                  status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.PRACTICE_MANAGE)
def department_create(request: HttpRequest) -> HttpResponse:
    practice = _practice_or_404()
    form = DepartmentForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            department = services.department_create(actor=request.user, practice=practice, data=form.cleaned_data)
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Department “%(name)s” added.") % {"name": department.name})
            return redirect(department)
    return _department_form_page(request, form, None)


@require_http_methods(["GET", "POST"])
@permission_required(Perm.PRACTICE_MANAGE)
def department_edit(request: HttpRequest, pk: int) -> HttpResponse:
    department = _managed_department(request, pk)
    form = DepartmentForm(request.POST or None, actor=request.user, instance=Department.objects.get(pk=department.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.department_update(actor=request.user, department=department, data=form.cleaned_data)
        except PermissionDenied as exc:
            raise Http404() from exc
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Department saved."))
            return redirect(department)
    return _department_form_page(request, form, department)


def _switch_department(request: HttpRequest, pk: int, *, active: bool) -> HttpResponse:
    department = _managed_department(request, pk)
    try:
        if active:
            services.department_reactivate(actor=request.user, department=department)
        else:
            services.department_deactivate(actor=request.user, department=department)
    except PermissionDenied as exc:
        raise Http404() from exc
    text = _("“%(name)s” is active again.") if active else _("“%(name)s” was deactivated.")
    messages.success(request, text % {"name": department.name})
    return redirect(department)


@require_POST
@permission_required(Perm.PRACTICE_MANAGE)
def department_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _switch_department(request, pk, active=False)


@require_POST
@permission_required(Perm.PRACTICE_MANAGE)
def department_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    return _switch_department(request, pk, active=True)
