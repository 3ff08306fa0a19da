"""Acknowledgements under /billing/acknowledgements/: the imported 999 and 277CA files, and the upload that
imports one and shows what it did to the claims (accepted, rejected, unknown, not the user's)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET, require_http_methods

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.core.web import permission_required, render_table, table

from ..choices import AcknowledgementKind
from ..forms_acks import AckUploadForm
from ..selectors import acknowledgements as selectors
from ..services import acknowledgements as services
from .x12_upload import x12_upload_page


@require_GET
@permission_required(Perm.BILLING_VIEW)
def ack_list(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind") or ""
    queryset = selectors.ack_import_list(actor=request.user)
    if kind in AcknowledgementKind.values:
        queryset = queryset.filter(kind=kind)
    else:
        kind = ""
    rows = table(request, queryset,
                 sorts={"when": "imported_at", "kind": "kind", "file": "file_name", "who": "imported_by__username"},
                 default_sort="-when", search_fields=("file_name",), element_id="ack-table")
    return render_table(request, "billing/ack_list.html", {
        "table": rows, "table_template": "billing/ack_table.html", "filter_template": "billing/ack_filter.html",
        "kind": kind, "kinds": AcknowledgementKind.choices, "can_manage": can(request.user, Perm.BILLING_MANAGE),
    })


@require_http_methods(["GET", "POST"])
@permission_required(Perm.BILLING_MANAGE)
def ack_import(request: HttpRequest) -> HttpResponse:
    return x12_upload_page(request, form_class=AckUploadForm, importer=services.acknowledgement_import, template="billing/ack_import.html")
