"""A firm's access to one work order, without an account.

Dispatching (facilities.manage at the work order's location) creates a VendorLink (a random nonce, an expiry: 14
days by default, at most MAX_LINK_DAYS) and emails the firm a URL whose token is
`signing.dumps([link.pk, nonce], salt=SIGNING_SALT)`; the token is stored nowhere. The link opens the work order
while: the signature holds, the row exists with that nonce, it is not revoked, not expired, the firm is still the
one assigned, and the work order is not verified or cancelled. Anything else is one answer, "this link no longer
works", whatever the reason (no existence leak); a well-signed link that stopped working is audited.

Through the link the firm sees that work order only (no names of staff, nothing about patients) and can set its
status (scheduled, in progress, waiting for parts, done: never verified or cancelled), add a note, a cost or a
photo. Each is a WorkOrderEvent with `by_vendor` and an audit event without an actor (reason "vendor link"). At
most ACTIONS_PER_HOUR changes an hour and PHOTOS_PER_WORK_ORDER photos per work order come through links.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import smtplib
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from openpractice.audit.services import record, record_denied
from openpractice.core.selectors import practice_settings

from ..choices import WorkOrderStatus
from ..models import VendorLink, WorkOrder, WorkOrderCost, WorkOrderEvent, WorkOrderPhoto
from . import work_orders as wo

logger = logging.getLogger(__name__)

SIGNING_SALT = "facilities.vendor-link"
DEFAULT_LINK_DAYS = 14
MAX_LINK_DAYS = 60
# The signature itself stops being accepted a little after the longest expiry (the row's expiry decides first).
TOKEN_MAX_AGE = dt.timedelta(days=MAX_LINK_DAYS + 1)
TOKEN_MAX_LENGTH = 400
ACTIONS_PER_HOUR = 60
PHOTOS_PER_WORK_ORDER = 20
# What a firm may set through its link.
VENDOR_STATUSES: tuple[str, ...] = (WorkOrderStatus.SCHEDULED, WorkOrderStatus.IN_PROGRESS,
                                    WorkOrderStatus.WAITING_FOR_PARTS, WorkOrderStatus.DONE)
REASON = "vendor link"


class VendorLinkInvalid(Exception):
    """The link does not open anything (bad, unknown, revoked, expired, or its work order is closed)."""


# --- the token -------------------------------------------------------------------------------------------------


def link_token(link: VendorLink) -> str:
    return signing.dumps([link.pk, link.nonce], salt=SIGNING_SALT)


def link_url(token: str) -> str:
    return str(settings.OPENPRACTICE_BASE_URL or "").rstrip("/") + reverse("facilities:vendorlink_page",
                                                                          kwargs={"token": token})


def link_usable(link: VendorLink, now: dt.datetime) -> str:
    """Why the link no longer works ("" when it does)."""
    work_order = link.work_order
    if link.revoked_at is not None:
        return "revoked"
    if link.expires_at <= now:
        return "expired"
    if work_order.status not in wo.ACTIVE_STATUSES:
        return "work order closed"
    if work_order.vendor_id != link.vendor_id:
        return "firm no longer assigned"
    return ""


def link_from_token(token: str, *, now: dt.datetime | None = None, for_update: bool = False) -> VendorLink:
    """The usable link the token names, with its work order; VendorLinkInvalid otherwise."""
    now = now or timezone.now()
    if not token or len(token) > TOKEN_MAX_LENGTH:
        raise VendorLinkInvalid
    try:
        payload = signing.loads(token, salt=SIGNING_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature as exc:
        raise VendorLinkInvalid from exc
    if (not isinstance(payload, list) or len(payload) != 2 or not isinstance(payload[0], int)
            or isinstance(payload[0], bool) or not isinstance(payload[1], str)):
        raise VendorLinkInvalid
    pk, nonce = payload
    queryset = VendorLink.objects.select_related("work_order__location", "work_order__asset", "vendor")
    if for_update:
        queryset = queryset.select_for_update(of=("self", "work_order"))
    link = queryset.filter(pk=pk).first()
    if link is None or not constant_time_compare(link.nonce, nonce):
        raise VendorLinkInvalid
    why = link_usable(link, now)
    if why:
        if not for_update:  # inside an action's transaction the refusal would roll back: audited on the GET
            record_denied(actor=None, action="facilities.vendor_link_refused", object_type="facilities.vendorlink",
                          object_id=link.pk, reason=f"{REASON}: {why}")
        raise VendorLinkInvalid
    return link


def link_seen(link: VendorLink, now: dt.datetime | None = None) -> None:
    VendorLink.objects.filter(pk=link.pk).update(last_used_at=now or timezone.now())


# --- dispatch and revoke (staff) -------------------------------------------------------------------------------


def _dispatch_mail(link: VendorLink, token: str, message: str) -> EmailMultiAlternatives:
    work_order = link.work_order
    context = {"work_order": work_order, "link": link, "url": link_url(token), "message": message,
               "practice_name": practice_settings().name, "location": work_order.location,
               "asset": work_order.asset, "expires_at": link.expires_at, "scheduled_for": work_order.scheduled_for}
    subject = " ".join(wo.render_mail("facilities/email/work_order_dispatch_subject.txt", context).split())
    mail = EmailMultiAlternatives(subject=subject, body=wo.render_mail("facilities/email/work_order_dispatch.txt",
                                                                         context),
                                  from_email=settings.DEFAULT_FROM_EMAIL, to=[link.sent_to])
    mail.attach_alternative(wo.render_mail("facilities/email/work_order_dispatch.html", context), "text/html")
    return mail


def _send_dispatch(link_id: int, token: str, message: str) -> None:
    """After the commit: email the link. If the mail server refuses, the link (which nobody received) is withdrawn
    and the timeline says so, so the manager sends it again."""
    link = VendorLink.objects.select_related("work_order__location", "work_order__asset", "vendor").get(pk=link_id)
    try:
        get_connection(fail_silently=False).send_messages([_dispatch_mail(link, token, message)])
    except (OSError, smtplib.SMTPException):
        logger.warning("Dispatch mail for work order %s not sent: mail server unavailable", link.work_order_id,
                       exc_info=True)
        with transaction.atomic():
            VendorLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
            wo.event_add(link.work_order, "dispatch_failed", note=_(
                "The mail to %(address)s was not accepted by the mail server; the link was withdrawn. "
                "Send the work order again.") % {"address": link.sent_to})
            wo.audit(None, "facilities.work_order_dispatch_failed", link.work_order, ["vendor_links"],
                     reason="mail server unavailable")


def work_order_dispatch(*, actor: Any, work_order: WorkOrder, sent_to: str, days_valid: int = DEFAULT_LINK_DAYS,
                        message: str = "", now: dt.datetime | None = None) -> VendorLink:
    """Email the firm assigned to the work order a link to it (valid `days_valid` days). Sending again makes a new
    link; earlier ones keep working until they expire or are revoked."""
    wo._require_manage(actor, work_order, "facilities.work_order_dispatch")
    sent_to = (sent_to or "").strip()
    try:
        validate_email(sent_to)
    except ValidationError as exc:
        raise ValidationError({"sent_to": _("Give the firm's email address.")}) from exc
    if not isinstance(days_valid, int) or not 1 <= days_valid <= MAX_LINK_DAYS:
        raise ValidationError({"days_valid": _("The link can work from 1 to %(days)s days.")
                               % {"days": MAX_LINK_DAYS}})
    message = wo.clean_note(message, field="message")
    now = now or timezone.now()
    with transaction.atomic():
        locked = wo._lock(work_order)
        if locked.vendor_id is None:
            raise ValidationError(_("Assign the work order to a firm first."))
        if locked.status not in wo.OPEN_STATUSES:
            raise ValidationError(_("This work order is finished; there is nothing to send."))
        link = VendorLink(work_order=locked, vendor_id=locked.vendor_id, sent_to=sent_to,
                          nonce=secrets.token_urlsafe(32), expires_at=now + dt.timedelta(days=days_valid),
                          created_by=actor)
        link.full_clean()
        link.save(force_insert=True)
        changed = ["vendor_links"]
        if locked.dispatched_at is None:
            locked.dispatched_at = now
            locked.save(update_fields=["dispatched_at", "updated_at"])
            changed.append("dispatched_at")
        wo.event_add(locked, "dispatched", actor=actor, note=message, status_to="")
        wo.audit(actor, "facilities.work_order_dispatched", locked, changed,
                 reason=f"link {link.pk}, {days_valid} days")
        token = link_token(link)
        transaction.on_commit(lambda: _send_dispatch(link.pk, token, message))
    wo._refresh(work_order, locked)
    link.refresh_from_db(fields=["revoked_at"])
    if link.revoked_at is not None:  # the mail went nowhere (sent at once when no outer transaction is open)
        raise ValidationError(_("The mail server did not take the message; the link was withdrawn. Try again "
                                "later."))
    return link


def vendor_link_revoke(*, actor: Any, link: VendorLink, now: dt.datetime | None = None) -> VendorLink:
    """The link stops working at once."""
    wo._require_manage(actor, link.work_order, "facilities.vendor_link_revoke")
    now = now or timezone.now()
    with transaction.atomic():
        locked = wo._lock(link.work_order)
        updated = VendorLink.objects.filter(pk=link.pk, work_order=locked, revoked_at__isnull=True).update(
            revoked_at=now)
        if not updated:
            raise ValidationError(_("This link was already withdrawn."))
        wo.event_add(locked, "link_revoked", actor=actor, note=_("Link sent to %(address)s withdrawn")
                     % {"address": link.sent_to})
        wo.audit(actor, "facilities.vendor_link_revoked", locked, ["vendor_links"], reason=f"link {link.pk}")
    link.refresh_from_db()
    return link


# --- what the firm does through the link -----------------------------------------------------------------------


def _acting(token: str, now: dt.datetime) -> VendorLink:
    """Inside the action's transaction: the link and its work order, locked, checked again (it may have been
    revoked a moment ago), and under the hourly limit."""
    link = link_from_token(token, now=now, for_update=True)
    recent = WorkOrderEvent.objects.filter(work_order_id=link.work_order_id, by_vendor_id=link.vendor_id,
                                           at__gte=now - dt.timedelta(hours=1)).count()
    if recent >= ACTIONS_PER_HOUR:
        raise ValidationError(_("Too many changes in the last hour. Try again later."), code="throttled")
    VendorLink.objects.filter(pk=link.pk).update(last_used_at=now)
    return link


def _audit(link: VendorLink, action: str, changed: list[str], detail: str = "") -> None:
    record(actor=None, action=action, target=link.work_order, location_id=link.work_order.location_id,
           changed_fields=changed, reason=f"{REASON} {link.pk}{': ' + detail if detail else ''}"[:200])


def vendor_status_set(*, token: str, status: str, note: str = "", now: dt.datetime | None = None) -> WorkOrder:
    if status not in VENDOR_STATUSES:
        raise ValidationError({"status": _("Choose scheduled, in progress, waiting for parts or done.")})
    note = wo.clean_note(note)
    now = now or timezone.now()
    with transaction.atomic():
        link = _acting(token, now)
        locked = link.work_order
        before = locked.status
        changed = wo.status_apply(locked, status, now=now, by_vendor=True)
        changed += wo.mark_responded(locked, now)
        locked.save(update_fields=[*changed, "updated_at"])
        wo.event_add(locked, "status", vendor=link.vendor, note=note, status_from=before, status_to=status)
        _audit(link, "facilities.work_order_status_changed", changed, f"{before} -> {status}")
    return locked


def vendor_note_add(*, token: str, note: str, now: dt.datetime | None = None) -> WorkOrderEvent:
    note = wo.clean_note(note, required=True)
    now = now or timezone.now()
    with transaction.atomic():
        link = _acting(token, now)
        locked = link.work_order
        changed = wo.mark_responded(locked, now)
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
        event = wo.event_add(locked, "note", vendor=link.vendor, note=note)
        _audit(link, "facilities.work_order_note_added", ["events", *changed])
    return event


def vendor_cost_add(*, token: str, cost: wo.CostIn, now: dt.datetime | None = None) -> WorkOrderCost:
    cost = wo.cost_validate(cost)
    now = now or timezone.now()
    with transaction.atomic():
        link = _acting(token, now)
        row = wo.cost_record(link.work_order, cost, vendor=link.vendor)
        _audit(link, "facilities.work_order_cost_added", ["costs"], f"{cost.kind} {cost.amount}")
    return row


def vendor_photo_add(*, token: str, upload: UploadedFile, now: dt.datetime | None = None) -> WorkOrderPhoto:
    checked = wo.photo_check(upload)
    now = now or timezone.now()
    stored = ""
    try:
        with transaction.atomic():
            link = _acting(token, now)
            if WorkOrderPhoto.objects.filter(work_order_id=link.work_order_id,
                                             via_vendor_link=True).count() >= PHOTOS_PER_WORK_ORDER:
                raise ValidationError({"photo": _("This work order already has %(count)s photos from you.")
                                       % {"count": PHOTOS_PER_WORK_ORDER}})
            stored = wo.photo_store(checked)
            photo = wo.photo_save(link.work_order, stored, checked.content_type, vendor=link.vendor)
            _audit(link, "facilities.work_order_photo_added", ["photos"])
    except BaseException:
        wo.photo_delete(stored)
        raise
    return photo
