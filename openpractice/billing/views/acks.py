"""Acknowledgements under /billing/acknowledgements/: the imported 999 and 277CA files, and the upload that
imports one and shows what it did to the claims (accepted, rejected, unknown, not the user's)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.core.exports import Column, Export
from openpractice.core.web import permission_required, render_table, table

from ..choices import AcknowledgementKind
from ..forms_acks import AckUploadForm
from ..selectors import acknowledgements as selectors
from ..services import acknowledgements as services
from .x12_upload import x12_upload_page


def ack_result(item: Any) -> str:
    """The "Result" cell of the list in words (what the file did), as the page shows it."""
    summary = item.summary or {}
    if item.kind == "271":
        parts = [_("%(recorded)s recorded (%(active)s active)") % {
            "recorded": summary.get("recorded") or 0, "active": summary.get("active") or 0}]
        labels = {"unknown": _("%(count)s not matched"), "ambiguous": _("%(count)s ambiguous"),
                  "not_yours": _("%(count)s at other locations"), "already": _("%(count)s already recorded")}
    else:
        parts = []
        labels = {"accepted": _("%(count)s accepted"), "rejected": _("%(count)s rejected"),
                  "unknown": _("%(count)s unknown"), "skipped": _("%(count)s left alone"),
                  "not_yours": _("%(count)s at other locations")}
    parts += [label % {"count": summary[key]} for key, label in labels.items() if summary.get(key)]
    return ", ".join(parts) or _("No claim changed")


ACK_EXPORT = Export(name="acknowledgements", object_type="billing.acknowledgementimport", columns=[
    Column(gettext_lazy("ID"), "pk"),
    Column(gettext_lazy("Imported"), "imported_at"),
    Column(gettext_lazy("Kind"), "kind"),
    Column(gettext_lazy("File"), "file_name"),
    Column(gettext_lazy("By"), "imported_by.display_name"),
    Column(gettext_lazy("Result"), ack_result),
])


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
        "export": ACK_EXPORT,
    })


@require_http_methods(["GET", "POST"])
@permission_required(Perm.BILLING_MANAGE)
def ack_import(request: HttpRequest) -> HttpResponse:
    return x12_upload_page(request, form_class=AckUploadForm, importer=services.acknowledgement_import, template="billing/ack_import.html")
