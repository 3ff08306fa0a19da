"""/remittances: 835 payments at your locations with their claim payments, lines and adjustments; the imported
files; importing an 835 (multipart upload, optionally check only). billing.view to read, billing.post_payments to
import. Claim payments name patients: every patient shown is recorded in the audit trail.

Scope as on the web pages (billing/selectors/remittances.py): a remittance is listed when it pays a claim at one
of your locations, and shows only those claim payments; unmatched ones only to users covering every location.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Status, UploadedFile

from openpractice.accounts.roles import Perm
from openpractice.billing.choices import RemittanceImportStatus
from openpractice.billing.models import RemittanceImport
from openpractice.billing.selectors import remittances as selectors
from openpractice.billing.services import remittance_posting as posting
from openpractice.billing.services.acknowledgements import MAX_FILE_BYTES
from openpractice.core.web import get_scoped_or_404, require

from ..errors import COMMON_RESPONSES, WRITE_RESPONSES, error_body
from ..idempotency import idempotent
from ..pagination import Page, PageIn, paginate
from ..schemas.remittances import (
    ImportSummaryOut,
    RemittanceDetailOut,
    RemittanceFilters,
    RemittanceImportFilters,
    RemittanceImportOut,
    RemittanceOut,
)

router = Router(tags=["remittances"])


def _mark_messages(request: HttpRequest, imports: list[RemittanceImport]) -> list[RemittanceImport]:
    everywhere = selectors.practice_wide(actor=request.user)
    for remittance_import in imports:
        remittance_import.hide_messages = (  # type: ignore[attr-defined]
            not everywhere and remittance_import.imported_by_id != request.user.pk)
    return imports


@router.get("", response={200: Page[RemittanceOut], **COMMON_RESPONSES}, url_name="remittance_list",
            summary="Remittances (835 payments) paying claims at your locations",
            description=f"Needs `{Perm.BILLING_VIEW}`. Filters: payer_id, payment_date_from, payment_date_to "
                        "(BPR16), trace_number (TRN02, exact). Newest payment first. No patient is shown here.")
def remittance_list(request: HttpRequest, filters: Query[RemittanceFilters], page: Query[PageIn]) -> Any:
    require(request, Perm.BILLING_VIEW)
    queryset = selectors.remittance_list(actor=request.user, payer_id=filters.payer_id,
                                         date_from=filters.payment_date_from, date_to=filters.payment_date_to,
                                         trace_number=filters.trace_number)
    return paginate(queryset.order_by("-payment_date", "-pk"), page)


@router.get("/{int:remittance_id}", response={200: RemittanceDetailOut, **COMMON_RESPONSES},
            url_name="remittance_detail",
            summary="One remittance: its claim payments with lines and CAS adjustments, and its PLB adjustments",
            description=f"Needs `{Perm.BILLING_VIEW}` at the location of one of its claims. Only the claim payments "
                        "at your locations are listed (unmatched ones when you cover every location); each patient "
                        "shown is recorded in the audit trail once.")
def remittance_detail(request: HttpRequest, remittance_id: int) -> Any:
    require(request, Perm.BILLING_VIEW)
    remittance = get_scoped_or_404(request, selectors.remittance_detail_queryset(actor=request.user),
                                   permission=Perm.BILLING_VIEW, pk=remittance_id)
    shown = list(selectors.remittance_claims_shown(actor=request.user, remittance=remittance))
    selectors.claim_payments_viewed(actor=request.user, remittance=remittance, claim_payments=shown,
                                    how="api remittance")
    remittance.shown_claims = shown  # type: ignore[attr-defined]
    return remittance


@router.post("/imports", response={200: ImportSummaryOut, 201: ImportSummaryOut, **WRITE_RESPONSES},
             url_name="remittance_import_create", summary="Import an 835 file",
             description=f"Needs `{Perm.BILLING_POST}`. Multipart form: `file` (the 835, at most "
                         f"{MAX_FILE_BYTES // (1024 * 1024)} MB) and optionally `dry_run=true` (check only: read, "
                         "match and report, post nothing). Answers the import summary: 201 when the file was "
                         "posted, 200 for a dry run or a duplicate (already imported: nothing posted, `notices` "
                         "says so). A damaged or unbalanced file is refused with 422 naming the segment; nothing "
                         "is posted. A file paying claims at locations where you may not post is refused with 403.")
@idempotent
def remittance_import_create(request: HttpRequest, file: File[UploadedFile], dry_run: Form[bool] = False) -> Any:
    require(request, Perm.BILLING_POST)
    if not file.size:
        raise ValidationError({"file": _("The file is empty.")})
    if file.size > MAX_FILE_BYTES:
        raise ValidationError({"file": _("The file is larger than %(mb)s MB; ask the clearinghouse for smaller "
                                         "files.") % {"mb": MAX_FILE_BYTES // (1024 * 1024)}})
    try:
        summary = posting.remittance_import(actor=request.user, filename=file.name or "upload.835",
                                            data=file.read(), dry_run=dry_run)
    except PermissionDenied as exc:
        # The caller posts payments (checked above) but the file also pays claims at locations where they do not:
        # their own file, so say why (the service audited the refusal).
        return Status(403, error_body("forbidden", str(exc)))
    body = summary.as_json()
    made = RemittanceImport.objects.filter(pk=summary.import_id).first() if summary.import_id is not None else None
    if (made is not None and made.status == RemittanceImportStatus.REFUSED) or (
            made is None and summary.errors and not summary.payments):
        return Status(422, error_body("file_refused", _("The 835 was refused: nothing was posted."), errors=[
            {"loc": ["body", "file"], "msg": message, "type": "refused"} for message in summary.errors]))
    created = made is not None and made.status == RemittanceImportStatus.POSTED and not summary.dry_run
    return Status(201 if created else 200, body)


@router.get("/imports", response={200: Page[RemittanceImportOut], **COMMON_RESPONSES},
            url_name="remittance_import_list", summary="Imported 835 files",
            description=f"Needs `{Perm.BILLING_VIEW}`. The files you imported, those paying claims at your locations, "
                        "or every file when you cover every location. Newest first; filter by status.")
def remittance_import_list(request: HttpRequest, filters: Query[RemittanceImportFilters], page: Query[PageIn]) -> Any:
    require(request, Perm.BILLING_VIEW)
    queryset = selectors.remittance_import_scoped(actor=request.user)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    result = paginate(queryset.order_by("-imported_at", "-pk"), page)
    _mark_messages(request, result["items"])
    return result


@router.get("/imports/{int:import_id}", response={200: RemittanceImportOut, **COMMON_RESPONSES},
            url_name="remittance_import_detail", summary="One imported 835 file and its summary",
            description=f"Needs `{Perm.BILLING_VIEW}`, and the file must be yours, pay a claim at your locations, or "
                        "you cover every location.")
def remittance_import_detail(request: HttpRequest, import_id: int) -> Any:
    require(request, Perm.BILLING_VIEW)
    remittance_import = get_scoped_or_404(request, selectors.remittance_import_scoped(actor=request.user),
                                          permission=Perm.BILLING_VIEW, pk=import_id)
    return _mark_messages(request, [remittance_import])[0]
