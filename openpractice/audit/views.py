"""The audit viewer: a filtered, sortable list for the privacy officer and the auditor, and its exports.

Exporting takes audit.export. The CSV is streamed (any number of rows, the list's own sort from the list, chain
order from /audit/export.csv); the XLSX is built in memory, so it goes through core.exports and its row cap. Both
write an `audit.exported` event naming the filters used (never their values).
"""

from __future__ import annotations

import csv
import zoneinfo
from collections.abc import Iterator
from typing import Any

from django.http import HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.core.exports import Column, Export, export_format, export_query, export_response
from openpractice.core.selectors import practice_timezone_name
from openpractice.core.spreadsheet import csv_cell
from openpractice.core.web import permission_required, render_table, require, table

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


def _headers(zone_name: str) -> list[str]:
    return [
        _("Seq"), _("Time (%(zone)s)") % {"zone": zone_name}, _("User"), _("Action"), _("Object type"),
        _("Object id"), _("Patient id"), _("Location id"), _("Outcome"), _("Changed fields"), _("Reason"),
        _("IP address"), _("User agent"), _("Hash"),
    ]


def _xlsx_export() -> Export:
    """The CSV's columns (times in the practice's zone: the request's active time zone)."""
    values = ["seq", "occurred_at", "actor_label", "action", "object_type", "object_id", "patient_id",
              "location_id", "outcome", "changed_fields", "reason", "ip_address", "user_agent", "hash"]
    return Export(name="audit trail", object_type=AuditEvent._meta.label_lower,
                  columns=[Column(header, value) for header, value in zip(_headers(practice_timezone_name()),
                                                                           values, strict=True)])


def _record_export(request: HttpRequest, form: AuditFilterForm) -> None:
    names = form.used_filter_names()
    services.record(actor=request.user, action="audit.exported", object_type=AuditEvent._meta.label_lower,
                    reason=f"filters: {', '.join(names) if names else 'none'}")


@permission_required(Perm.AUDIT_VIEW)
def event_list(request: HttpRequest) -> HttpResponseBase:
    form = _filter_form(request)
    events = audit_event_list(actor=request.user, **form.selector_filters()) if form.is_valid() \
        else audit_event_list(actor=request.user).none()
    rows = table(request, events, sorts=SORTS, default_sort="-seq", per_page=PER_PAGE)
    file_format = export_format(request)
    if file_format and form.is_valid() and rows.queryset is not None:
        require(request, Perm.AUDIT_EXPORT)  # reading the trail is not exporting it: 404 + audited
        if file_format == "csv":
            return _stream_csv(request, form, rows.queryset)
        _record_export(request, form)
        return export_response(request, rows.queryset, _xlsx_export())
    filter_params = request.GET.copy()
    for key in ("page", "sort", "q"):
        filter_params.pop(key, None)
    context: dict[str, Any] = {
        "form": form,
        "table": rows,
        "timezone_name": practice_timezone_name(),
        "can_export": can(request.user, Perm.AUDIT_EXPORT),
        "export_query": filter_params.urlencode(),
        "xlsx_query": export_query(request, "xlsx"),
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
    yield writer.writerow(_headers(tz.key))
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
    return _stream_csv(request, form, events)


def _stream_csv(request: HttpRequest, form: AuditFilterForm, events: Any) -> StreamingHttpResponse:
    _record_export(request, form)
    # The time zone is fixed now: the rows are written after the view (and its middleware) have returned.
    tz = zoneinfo.ZoneInfo(practice_timezone_name())
    stamp = timezone.localtime(timezone.now(), tz).strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(_csv_lines(events, tz), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-trail-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response
