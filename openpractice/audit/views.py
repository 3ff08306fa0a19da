"""The audit viewer: a filtered, sortable list for the privacy officer and the auditor, and its CSV export."""

from __future__ import annotations

import csv
import zoneinfo
from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.core.selectors import practice_timezone_name
from openpractice.core.spreadsheet import csv_cell
from openpractice.core.web import permission_required, render_table, table

from . import services
from .forms import AuditFilterForm
from .models import AuditEvent
from .selectors import audit_action_names, audit_event_list, audit_user_choices

# Public sort keys -> ORM orderings: only these ever reach ORDER BY.
SORTS = {
    "seq": "seq",
    "time": "occurred_at",
    "user": "actor_label",
    "action": "action",
    "patient": "patient_id",
    "outcome": "outcome",
}
PER_PAGE = 50
# A cell starting with one of these is a formula to a spreadsheet (CSV injection): prefix it with a quote.


def _filter_form(request: HttpRequest) -> AuditFilterForm:
    return AuditFilterForm(request.GET, user_choices=audit_user_choices(actor=request.user))


@permission_required(Perm.AUDIT_VIEW)
def event_list(request: HttpRequest) -> HttpResponse:
    form = _filter_form(request)
    events = audit_event_list(actor=request.user, **form.selector_filters()) if form.is_valid() \
        else audit_event_list(actor=request.user).none()
    rows = table(request, events, sorts=SORTS, default_sort="-seq", per_page=PER_PAGE)
    filter_params = request.GET.copy()
    for key in ("page", "sort", "q"):
        filter_params.pop(key, None)
    context: dict[str, Any] = {
        "form": form,
        "table": rows,
        "timezone_name": practice_timezone_name(),
        "can_export": can(request.user, Perm.AUDIT_EXPORT),
        "export_query": filter_params.urlencode(),
        "action_names": audit_action_names(actor=request.user),
        "table_template": "audit/_event_rows.html",
        "table_caption": _("Audit events"),
        "empty_message": _("No audit events match these filters."),
    }
    # Only sorting and paging (aimed at the table) get the rows alone; a filter change, a boosted link or the
    # back button restoring history get the whole page.
    return render_table(request, "audit/event_list.html", context)


class _Echo:
    """csv.writer wants a file; this one hands each written line back so it can be streamed."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(events: Any, tz: zoneinfo.ZoneInfo) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow([
        _("Seq"), _("Time (%(zone)s)") % {"zone": tz.key}, _("User"), _("Action"), _("Object type"),
        _("Object id"), _("Patient id"), _("Location id"), _("Outcome"), _("Changed fields"), _("Reason"),
        _("IP address"), _("User agent"), _("Hash"),
    ])
    event: AuditEvent
    for event in events.iterator(chunk_size=2000):
        yield writer.writerow([csv_cell(value) for value in (
            event.seq, timezone.localtime(event.occurred_at, tz).isoformat(), event.actor_label, event.action,
            event.object_type, event.object_id, event.patient_id, event.location_id, event.outcome,
            event.changed_fields, event.reason, event.ip_address, event.user_agent, event.hash,
        )])


@permission_required(Perm.AUDIT_EXPORT)
def event_export(request: HttpRequest) -> HttpResponseBase:
    form = _filter_form(request)
    if not form.is_valid():
        context = {
            "form": form, "table": None, "timezone_name": practice_timezone_name(), "can_export": True,
            "export_query": "", "action_names": audit_action_names(actor=request.user),
        }
        return render(request, "audit/event_list.html", context, status=400)
    events = audit_event_list(actor=request.user, **form.selector_filters()).order_by("seq")
    names = form.used_filter_names()
    services.record(actor=request.user, action="audit.exported", object_type=AuditEvent._meta.label_lower,
                    reason=f"filters: {', '.join(names) if names else 'none'}")
    # The time zone is fixed now: the rows are written after the view (and its middleware) have returned.
    tz = zoneinfo.ZoneInfo(practice_timezone_name())
    stamp = timezone.localtime(timezone.now(), tz).strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(_csv_lines(events, tz), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-trail-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response
