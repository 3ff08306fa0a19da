"""Reads of saved reports: a person's own reports, and which lists may be saved at all.

A saved report is a list page (its URL name) with the query string of its filters, search and sort. Only list
pages qualify: the routes below, each a page without URL arguments that renders a core.web table (the "Save
this view" link sits in templates/components/table_results.html). tests/test_saved_reports.py checks both ways
that this set matches the views. Opening a report re-runs the list as the person is now: a report never widens
access, and one whose list the person may no longer open is shown as unavailable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import QueryDict
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils.translation import gettext_lazy as _

from openpractice.accounts.permissions import can
from openpractice.core.navigation import items as navigation_items

from .models import SavedReport

# The list pages a person may save (URL name -> how "My reports" names the list when the menu has no entry).
SAVABLE_ROUTES: dict[str, Any] = {
    # foundation
    "accounts:user_list": None, "accounts:outbox": None, "core:location_list": None, "core:department_list": None,
    "audit:event_list": None,
    # patients and scheduling
    "patients:patient_list": None, "patients:payer_list": None, "scheduling:provider_list": None,
    "scheduling:referring_list": _("Referring providers"), "scheduling:waitlist": None,
    # billing
    "billing:charge_list": None, "billing:claim_list": None, "billing:batch_list": None, "billing:ack_list": None,
    "billing:fee_schedule_list": None, "billing:rule_list": None, "billing:remittance_list": None,
    "billing:remittance_import_list": _("Imported 835 files"), "billing:remittance_exceptions": None,
    "billing:payment_list": None, "billing:writeoff_pending": _("Write-offs to approve"),
    "billing:statement_list": None, "billing:receivables_patients": _("A/R aging by patient"),
    "billing:receivables_claims": _("A/R open balances"), "billing:receivables_underpayments": _("Underpayments"),
    "billing:denial_list": None,
    # workforce
    "workforce:position_list": None, "workforce:employee_list": None, "workforce:credential_expiring": None,
    "workforce:credential_type_list": None, "workforce:training_list": None, "workforce:training_overdue": None,
    "workforce:course_list": None, "workforce:discipline_list": None, "workforce:timesheet_list": None,
    "workforce:requisition_list": None, "workforce:offer_list": None,
    # compliance and cases
    "compliance:policy_list": None, "compliance:incident_list": None, "compliance:associate_list": None,
    "compliance:disclosure_list": None, "compliance:risk_list": None, "compliance:accessreview_list": None,
    "cases:case_list": None,
    # vendors, inventory, facilities, front desk, reporting
    "vendors:vendor_list": None, "vendors:contract_list": None, "vendors:contract_decisions": None,
    "vendors:negotiation_list": None, "vendors:repvisit_list": None,
    "inventory:item_list": None, "inventory:stock_list": None, "inventory:movement_list": None,
    "inventory:expiring_list": None, "inventory:belowpar_list": None, "inventory:par_list": None,
    "inventory:stockcount_list": None, "inventory:supplyreq_list": None, "inventory:supplyreq_queue": None,
    "inventory:supplyreq_all": None, "inventory:po_list": None, "inventory:vinvoice_list": None,
    "inventory:rfq_list": None,
    "facilities:asset_list": None, "facilities:plan_list": None, "facilities:workorder_list": None,
    "facilities:workorder_mine": None, "facilities:cleaninginspection_list": None,
    "frontdesk:queue_home": None,
    "reporting:brief_list": None,
    # integrations
    "integrations:webhook_list": None,
}
# Never part of a saved report: the page number and the file format of an export.
DROPPED_PARAMS = ("page", "export")
QUERY_MAX_LENGTH = SavedReport._meta.get_field("query").max_length or 2000
_MISSING = object()


def route_label(route: str) -> str:
    """How the list is called: its own label here, else its menu entry, else the URL name."""
    label = SAVABLE_ROUTES.get(route)
    if label is None:
        label = next((item.label for item in navigation_items() if item.url_name == route), route)
    return str(label)


def route_open_to(actor: Any, route: str) -> bool:
    """Whether `route` is a savable list the actor may open now (the view's declared permission, as the route
    tests read it: None for any signed-in person, a permission, or a set of which any one will do)."""
    if route not in SAVABLE_ROUTES or not getattr(actor, "is_authenticated", False):
        return False
    try:
        view = resolve(reverse(route)).func
    except (NoReverseMatch, Resolver404):
        return False
    permission = getattr(view, "required_permission", _MISSING)
    if permission is None:
        return True
    if isinstance(permission, str):
        return can(actor, permission)
    if isinstance(permission, frozenset):
        return any(can(actor, each) for each in permission)
    return False


def clean_query(query: str) -> str:
    """The list's query string as saved: without a leading "?", NUL characters, the page number or an export
    format (re-encoded, so the same filters always read the same)."""
    params = QueryDict(query.strip().lstrip("?").replace("\x00", ""), mutable=True)
    for name in DROPPED_PARAMS:
        params.pop(name, None)
    return params.urlencode()


def saved_report_list(*, actor: Any) -> QuerySet[SavedReport]:
    """The actor's own reports, by name (nobody sees another person's)."""
    if not getattr(actor, "is_authenticated", False):
        return SavedReport.objects.none()
    return SavedReport.objects.filter(owner_id=actor.pk).order_by("name", "pk")


@dataclass(frozen=True)
class SavedReportRow:
    report: SavedReport
    label: str  # the list's name
    path: str  # the list's address; "" when the actor may not open the list now
    filters: list[tuple[str, str]]  # the saved parameters, as name/value pairs

    @property
    def available(self) -> bool:
        return bool(self.path)

    def _with(self, extra: str) -> str:
        query = "&".join(part for part in (self.report.query, extra) if part)
        return f"{self.path}?{query}" if query else self.path

    @property
    def url(self) -> str:
        return self._with("")

    @property
    def csv_url(self) -> str:
        return self._with("export=csv")

    @property
    def xlsx_url(self) -> str:
        return self._with("export=xlsx")


def saved_report_rows(*, actor: Any) -> list[SavedReportRow]:
    """"My reports": each report with its list's name and links, checked against what the actor may open now.
    One query."""
    return [
        SavedReportRow(report=report, label=route_label(report.route),
                       path=reverse(report.route) if route_open_to(actor, report.route) else "",
                       filters=[(name, value) for name, values in QueryDict(report.query).lists() for value in values])
        for report in saved_report_list(actor=actor)
    ]
