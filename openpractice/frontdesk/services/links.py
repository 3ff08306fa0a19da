"""What a message is about: links to a patient, an appointment, a claim, a case or a work order, opening a case
or a work order from a message, and its category.

Only someone who may work the message (selectors_messages.may_work) links it, and each linked record must be one
the actor may see through its own app's selectors (a patient at a location where they see demographics, a claim
only with billing.view there, …). Replacing or removing a link needs the same sight of the record linked before.
A refusal is audited before any transaction opens and changes nothing. Every link lands on the message's timeline
(a LINKED entry that names the kind of record, never the patient) and in the audit trail with the patient's id.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from openpractice.accounts.permissions import refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.billing.selectors.claims import claim_scoped
from openpractice.cases import selectors as case_selectors
from openpractice.cases.choices import CaseKind
from openpractice.cases.models import Case, CaseCategory
from openpractice.cases.services import case_file
from openpractice.core.models import Location
from openpractice.core.selectors import practice_timezone_name
from openpractice.facilities import selectors_work_orders as work_order_selectors
from openpractice.facilities.choices import Priority as WorkOrderPriority
from openpractice.facilities.choices import WorkOrderSource
from openpractice.facilities.models import WorkOrder
from openpractice.facilities.services.work_orders import may_report_at
from openpractice.facilities.services.work_orders_open import work_order_open
from openpractice.patients.selectors import patient_scoped
from openpractice.scheduling.selectors import appointment_list

from ..choices import EntryKind
from ..models import Message, MessageEntry
from ..selectors_messages import may_work

LINK_FIELDS: tuple[str, ...] = ("patient", "appointment", "claim", "case", "work_order")
# What the actor needs to see each kind of record (for the refusal's audit reason).
LINK_PERMISSIONS: dict[str, str] = {
    "patient": Perm.PATIENTS_DEMOGRAPHICS, "appointment": Perm.SCHEDULE_VIEW, "claim": Perm.BILLING_VIEW,
    "case": f"{Perm.CASES_VIEW} or {Perm.CASES_STAFF}", "work_order": Perm.FACILITIES_VIEW,
}
LINK_LABELS: dict[str, Any] = {"patient": gettext_lazy("patient"), "appointment": gettext_lazy("appointment"),
                               "claim": gettext_lazy("claim"), "case": gettext_lazy("case"),
                               "work_order": gettext_lazy("work order")}


def link_scope(*, actor: Any, field: str) -> QuerySet[Any]:
    """The records of this kind the actor may link: those they may see, through each app's own selector."""
    if field == "patient":
        return patient_scoped(actor=actor)
    if field == "appointment":
        return appointment_list(actor=actor)
    if field == "claim":
        return claim_scoped(actor=actor)
    if field == "case":
        return case_selectors.case_scoped(actor=actor)
    if field == "work_order":
        return work_order_selectors.work_orders_visible(actor=actor)
    raise ValueError(field)


def may_see(actor: Any, field: str, target: Model) -> bool:
    return link_scope(actor=actor, field=field).filter(pk=target.pk).exists()


def _refuse_unless_works(actor: Any, message: Message, action: str) -> None:
    if not may_work(actor=actor, message=message):
        raise refuse(actor=actor, permission=Perm.FRONTDESK_MANAGE, action=action, target=message,
                     reason="may not work this message")


def _entry(message: Message, body: str, actor: Any, now: dt.datetime) -> MessageEntry:
    entry = MessageEntry(message=message, kind=EntryKind.LINKED, created_at=now, body=body,
                         author=actor if getattr(actor, "pk", None) else None)
    entry.full_clean(exclude=["message", "author"])
    entry.save(force_insert=True)
    return entry


def _describe(field: str, target: Model | None) -> str:
    """The timeline's words: the kind of record, and the number of a case or work order (never a patient's)."""
    if target is None:
        return _("The %(kind)s link was removed.") % {"kind": LINK_LABELS[field]}
    if field in ("case", "work_order"):
        return _("Linked to %(number)s.") % {"number": target.number}  # type: ignore[attr-defined]
    return _("Linked to a %(kind)s.") % {"kind": LINK_LABELS[field]}


def _set_link(*, actor: Any, message: Message, locked: Message, field: str, target: Model | None,
              now: dt.datetime) -> None:
    """Inside the caller's transaction, on the locked row: store the link, the timeline line and the audit
    event."""
    previous_id = getattr(locked, f"{field}_id")
    setattr(locked, field, target)
    locked.save(update_fields=[field, "updated_at"])
    setattr(message, field, target)
    message.updated_at = locked.updated_at
    _entry(message, _describe(field, target), actor, now)
    patient_id = (target.pk if target is not None else previous_id) if field == "patient" else locked.patient_id
    record(actor=actor, action="frontdesk.message_linked", target=message, patient_id=patient_id,
           location_id=message.location_id, changed_fields=[field],
           reason=f"{field} {'removed' if target is None else target.pk}")


def _refuse_link(actor: Any, message: Message, field: str, record_: Model) -> PermissionDenied:
    return refuse(actor=actor, permission=LINK_PERMISSIONS[field], action="frontdesk.message_link",
                  target=message, reason=f"{field} {record_.pk} out of scope")


def message_link_set(*, actor: Any, message: Message, field: str, target: Model | None,
                     now: dt.datetime | None = None) -> Message:
    """Link the message to `target` (None removes the link of that kind). The link being replaced is read on
    the locked row: nobody replaces or removes a link to a record they may not see, even in a race."""
    if field not in LINK_FIELDS:
        raise ValidationError({"kind": _("Choose what to link.")})
    _refuse_unless_works(actor, message, "frontdesk.message_link")
    if target is not None and not may_see(actor, field, target):
        raise _refuse_link(actor, message, field, target)
    hidden: Model | None = None
    with transaction.atomic():
        locked = Message.objects.select_for_update().get(pk=message.pk)
        if not locked.is_open:
            raise ValidationError(_("This message is closed: reopen it before changing it."))
        current = getattr(locked, field)
        if current is not None and not may_see(actor, field, current):
            hidden = current
        elif current is None and target is None:
            raise ValidationError({"number": _("There is no %(kind)s link to remove.") % {
                "kind": LINK_LABELS[field]}})
        elif current is None or target is None or current.pk != target.pk:
            _set_link(actor=actor, message=message, locked=locked, field=field, target=target,
                      now=now or timezone.now())
    if hidden is not None:
        # After the transaction, so the refusal stays on record.
        raise _refuse_link(actor, message, field, hidden)
    return message


# --- a case or a work order from a message ---------------------------------------------------------------------


def case_categories() -> QuerySet[CaseCategory]:
    """The categories a message may be filed under: the active patient-case ones (a caller's complaint)."""
    return case_selectors.categories(kind=CaseKind.PATIENT)


def _contact(message: Message) -> str:
    return "\n".join(part for part in (message.sender_phone or message.callback_number, message.sender_email) if part)


def _locked_without(message: Message, field: str) -> Message:
    """The message locked, refused when it is closed or (since it was read) linked to a record of that kind:
    two people clicking at once open one case or work order, not two."""
    locked = Message.objects.select_for_update().get(pk=message.pk)
    if not locked.is_open:
        raise ValidationError(_("This message is closed: reopen it before changing it."))
    if getattr(locked, f"{field}_id") is not None:
        raise ValidationError(_("This message is linked to %(number)s already.") % {
            "number": getattr(locked, field).number})
    return locked


def message_case_open(*, actor: Any, message: Message, category: CaseCategory, severity: str = "medium",
                      subject: str = "", now: dt.datetime | None = None) -> Case:
    """File a case with the message's words (a complaint that came in by phone, mail or the web form) and link it.
    The patient (and claim) go with it when the actor may see them; cases.services.case_file decides the rest."""
    _refuse_unless_works(actor, message, "frontdesk.message_case_open")
    if message.case_id is not None:
        raise ValidationError(_("This message is linked to %(number)s already.") % {"number": message.case.number})  # type: ignore[union-attr]
    linked_patient, linked_claim = message.patient, message.claim
    patient = linked_patient if linked_patient is not None and may_see(actor, "patient", linked_patient) else None
    claim = None
    if patient is not None and linked_claim is not None and linked_claim.patient_id == patient.pk \
            and may_see(actor, "claim", linked_claim):
        claim = linked_claim
    now = now or timezone.now()
    received_on = message.received_at.astimezone(zoneinfo.ZoneInfo(practice_timezone_name())).date()
    narrative = message.body.strip() or message.subject
    with transaction.atomic():
        locked = _locked_without(message, "case")
        case = case_file(actor=actor, category=category, subject=(subject or message.subject).strip()[:200],
                         narrative=narrative, location=message.location, received_on=received_on,
                         severity=severity, complainant_name=message.sender_name[:200],
                         complainant_contact=_contact(message), patient=patient, claim=claim)
        _set_link(actor=actor, message=message, locked=locked, field="case", target=case, now=now)
    return case


def message_work_order_open(*, actor: Any, message: Message, location: Location, title: str, description: str = "",
                            priority: str = WorkOrderPriority.NORMAL, room: str = "",
                            now: dt.datetime | None = None) -> WorkOrder:
    """Open a work order for a problem a message reports (a caller says the door is stuck) and link it. Like
    reporting a problem: at a location one of the actor's roles reaches."""
    _refuse_unless_works(actor, message, "frontdesk.message_work_order_open")
    if not may_report_at(actor, location.pk):
        raise refuse(actor=actor, permission="a role at the location", action="frontdesk.message_work_order_open",
                     target=location)
    if message.work_order_id is not None:
        raise ValidationError(_("This message is linked to %(number)s already.")
                              % {"number": message.work_order.number})  # type: ignore[union-attr]
    if not (title or "").strip():
        raise ValidationError({"title": _("Say what the problem is.")})
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked_without(message, "work_order")
        work_order = work_order_open(actor=actor, location=location, title=title, description=description,
                                     room=room, priority=priority, source=WorkOrderSource.REPORTED)
        _set_link(actor=actor, message=message, locked=locked, field="work_order", target=work_order, now=now)
    return work_order
