"""Sales-rep visit pages: the log (visits at the locations where the user holds vendors.view), one visit, logging
a visit (vendors.manage at its location; the service records what it did against the practice's policy), and the
practice's rep-access policy (everyone with vendors.view reads it, vendors.manage changes it).

Samples a rep left go into sample stock from the inventory pages (inventory links them to the visit); this
module does not touch stock.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.core.exports import Column, Export
from openpractice.core.selectors import practice_now
from openpractice.core.web import get_scoped_or_404, permission_required, render_table, run_service, table

from . import selectors
from .choices import Weekday
from .forms import RepPolicyForm, RepVisitForm
from .models import RepVisit
from .services import setup as setup_services
from .services import vendors as services
from .views import int_param, vendor_param

REPVISIT_EXPORT = Export(name="sales-rep visits", object_type="vendors.repvisit", columns=[
    Column(gettext_lazy("When"), "visited_at"),
    Column(gettext_lazy("Company"), "vendor.name"),
    Column(gettext_lazy("Representative"), lambda visit: visit.rep.name if visit.rep else visit.rep_name),
    Column(gettext_lazy("Had an appointment"), "had_appointment"),
    Column(gettext_lazy("Location"), "location.name"),
    Column(gettext_lazy("Met with"), lambda visit: [person.display_name for person in visit.met_with.all()]),
    Column(gettext_lazy("Products discussed"), "products"),
    Column(gettext_lazy("Policy exceptions"), lambda visit: "; ".join(visit.policy_exceptions)),
])


@require_GET
@permission_required(Perm.VENDORS_VIEW)
def repvisit_list(request: HttpRequest) -> HttpResponse:
    params = request.GET
    vendor_id = int_param(params.get("vendor"))
    location_id = int_param(params.get("location"))
    exceptions = params.get("exceptions") == "1"
    queryset = selectors.rep_visit_rows(actor=request.user, vendor_id=vendor_id, location_id=location_id,
                                        exceptions_only=exceptions)
    rows = table(request, queryset, sorts={"when": "visited_at", "vendor": "vendor__name",
                                           "location": "location__name"},
                 default_sort="-when", search_fields=("vendor__name", "rep__name", "rep_name", "products"),
                 element_id="repvisit-table")
    return render_table(request, "vendors/repvisit_list.html", {
        "table": rows, "table_template": "vendors/repvisit_table.html",
        "filter_template": "vendors/repvisit_filter.html", "export": REPVISIT_EXPORT,
        "vendor_id": vendor_id, "vendors": list(selectors.vendor_choices(actor=request.user)),
        "location_id": location_id, "locations": list(selectors.rep_visit_view_locations(actor=request.user)),
        "exceptions": exceptions, "may_log": can(request.user, Perm.VENDORS_MANAGE),
    })


@require_GET
@permission_required(Perm.VENDORS_VIEW)
def repvisit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    visit: RepVisit = get_scoped_or_404(request, selectors.rep_visits_visible(actor=request.user),
                                        permission=Perm.VENDORS_VIEW, pk=pk)
    return render(request, "vendors/repvisit_detail.html", {
        "visit": visit, "people": list(visit.met_with.all())})


@require_http_methods(["GET", "POST"])
@permission_required(Perm.VENDORS_MANAGE)
def repvisit_create(request: HttpRequest) -> HttpResponse:
    """Log a visit (?vendor= presets the company and lists only its contacts as the rep)."""
    vendor = vendor_param(request)
    form = RepVisitForm(request.POST or None, actor=request.user, vendor=vendor, initial={
        "vendor": vendor.pk if vendor else None, "had_appointment": True,
        "visited_at": practice_now().replace(second=0, microsecond=0, tzinfo=None),
        "met_with": [request.user.pk]})
    if request.method == "POST" and form.is_valid():
        logged: list[RepVisit] = []
        if run_service(form, lambda: logged.append(services.rep_visit_log(
                actor=request.user, vendor=form.cleaned_data["vendor"], data=form.service_data(),
                met_with=form.cleaned_data["met_with"]))):
            visit = logged[0]
            if visit.policy_exceptions:
                messages.warning(request, _("Visit logged. Against the rep-access policy: %(what)s.")
                                 % {"what": "; ".join(visit.policy_exceptions)})
            else:
                messages.success(request, _("Visit logged."))
            return redirect("vendors:repvisit_detail", pk=visit.pk)
    return render(request, "vendors/repvisit_form.html", {
        "form": form, "vendor": vendor, "policy": selectors.rep_policy_current(),
    }, status=400 if form.errors else 200)


def _policy_days(days: list[int]) -> list[str]:
    return [str(Weekday(day).label) for day in sorted(days) if day in Weekday.values]


@require_GET
@permission_required(Perm.VENDORS_VIEW)
def reppolicy(request: HttpRequest) -> HttpResponse:
    policy = selectors.rep_policy_current()
    return render(request, "vendors/reppolicy.html", {
        "policy": policy, "days": _policy_days(list(policy.allowed_weekdays or [])),
        "may_manage": can(request.user, Perm.VENDORS_MANAGE)})


@require_http_methods(["GET", "POST"])
@permission_required(Perm.VENDORS_MANAGE)
def reppolicy_edit(request: HttpRequest) -> HttpResponse:
    policy = selectors.rep_policy_current()
    form = RepPolicyForm(request.POST or None, instance=policy)
    if request.method == "POST" and form.is_valid() and run_service(form, lambda: setup_services.rep_policy_update(
            actor=request.user, data=form.service_data())):
        messages.success(request, _("Rep-access policy saved."))
        return redirect("vendors:reppolicy")
    return render(request, "vendors/reppolicy_form.html", {"form": form}, status=400 if form.errors else 200)
