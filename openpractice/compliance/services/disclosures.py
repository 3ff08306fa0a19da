"""Disclosure writes: record a disclosure of a patient's PHI, correct it within 30 days, and issue the patient's
accounting of disclosures (45 CFR 164.528) as a PDF letter.

Everything needs compliance.manage with the patient in the actor's patient scope; refusals are audited before any
transaction opens and change nothing. Disclosures are never deleted: an accounting reaches six years back.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import refuse
from openpractice.audit.services import record
from openpractice.core.models import Location
from openpractice.core.pdf import render_pdf
from openpractice.core.selectors import practice_get, practice_today
from openpractice.patients.models import Patient

from ..choices import DisclosurePurpose
from ..models import Disclosure, Incident
from ..selectors import disclosures as selectors

PERM = selectors.PERM
DISCLOSURE_FIELDS = ("disclosed_on", "recipient", "recipient_address", "purpose", "purpose_detail", "information",
                     "location", "incident")


def _authorize(*, actor: Any, patient: Patient, action: str, target: Any = None) -> None:
    if not selectors.may_keep(actor, patient):
        raise refuse(actor=actor, permission=PERM, action=action, target=target or patient)


def _values(*, actor: Any, disclosed_on: dt.date, recipient: str, recipient_address: str, purpose: str,
            purpose_detail: str, information: str, location: Location | None, incident: Incident | None,
            current_incident_id: int | None = None) -> dict[str, Any]:
    """The checked values of a disclosure; an incident link may stay as it is even when the actor cannot see
    the incident (only a change needs compliance.incidents over it)."""
    if disclosed_on > practice_today():
        raise ValidationError({"disclosed_on": _("The disclosure date cannot be in the future.")})
    if not recipient.strip():
        raise ValidationError({"recipient": _("Name the recipient.")})
    if purpose not in DisclosurePurpose.values:
        raise ValidationError({"purpose": _("Choose the purpose.")})
    if purpose == DisclosurePurpose.OTHER and not purpose_detail.strip():
        raise ValidationError({"purpose_detail": _("Say what the purpose was.")})
    if not information.strip():
        raise ValidationError({"information": _("Say what was disclosed.")})
    if location is not None and not selectors.record_locations(actor=actor).filter(pk=location.pk).exists():
        raise ValidationError({"location": _("Choose a location you work at, or none.")})
    incident_id = incident.pk if incident is not None else None
    if incident_id != current_incident_id:
        if incident_id is not None and not selectors.may_see_incident(actor, incident_id):
            raise ValidationError({"incident": _("Choose an incident you manage, or none.")})
        if current_incident_id is not None and not selectors.may_see_incident(actor, current_incident_id):
            raise ValidationError({"incident": _("Only someone who manages the linked incident may change the "
                                                 "link.")})
    return {"disclosed_on": disclosed_on, "recipient": recipient.strip(),
            "recipient_address": recipient_address.strip(), "purpose": purpose,
            "purpose_detail": purpose_detail.strip(), "information": information.strip(), "location": location,
            "incident": incident}


def disclosure_record(*, actor: Any, patient: Patient, disclosed_on: dt.date, recipient: str, purpose: str,
                      information: str, recipient_address: str = "", purpose_detail: str = "",
                      location: Location | None = None, incident: Incident | None = None) -> Disclosure:
    """Record one disclosure the patient may ask an accounting of."""
    _authorize(actor=actor, patient=patient, action="compliance.disclosure_record")
    values = _values(actor=actor, disclosed_on=disclosed_on, recipient=recipient,
                     recipient_address=recipient_address, purpose=purpose, purpose_detail=purpose_detail,
                     information=information, location=location, incident=incident)
    disclosure = Disclosure(patient=patient, recorded_by=actor, **values)
    disclosure.full_clean()
    with transaction.atomic():
        disclosure.save(force_insert=True)
        record(actor=actor, action="compliance.disclosure_recorded", target=disclosure, patient_id=patient.pk,
               location_id=patient.home_location_id, changed_fields=DISCLOSURE_FIELDS)
    return disclosure


def disclosure_update(*, actor: Any, disclosure: Disclosure, disclosed_on: dt.date, recipient: str, purpose: str,
                      information: str, recipient_address: str = "", purpose_detail: str = "",
                      location: Location | None = None, incident: Incident | None = None) -> Disclosure:
    """Correct a disclosure: the recorder or a privacy manager, within EDIT_DAYS of recording it."""
    patient = disclosure.patient
    _authorize(actor=actor, patient=patient, action="compliance.disclosure_update", target=disclosure)
    if not selectors.may_correct(actor, disclosure):
        raise refuse(actor=actor, permission=f"{PERM} (the recorder) or compliance.incidents",
                     action="compliance.disclosure_update", target=disclosure)
    if practice_today() > selectors.edit_until(disclosure):
        raise ValidationError(_("Disclosures can be corrected for %(days)s days after they are recorded; this one "
                                "is kept as it is.") % {"days": selectors.EDIT_DAYS}, code="locked")
    values = _values(actor=actor, disclosed_on=disclosed_on, recipient=recipient,
                     recipient_address=recipient_address, purpose=purpose, purpose_detail=purpose_detail,
                     information=information, location=location, incident=incident,
                     current_incident_id=disclosure.incident_id)
    with transaction.atomic():
        locked = Disclosure.objects.select_for_update().get(pk=disclosure.pk)
        changed = [name for name, value in values.items() if getattr(locked, name) != value]
        for name, value in values.items():
            setattr(locked, name, value)
        locked.full_clean()
        if changed:
            locked.save(update_fields=changed)
            record(actor=actor, action="compliance.disclosure_updated", target=locked, patient_id=patient.pk,
                   location_id=patient.home_location_id, changed_fields=changed)
    for field in locked._meta.concrete_fields:
        setattr(disclosure, field.attname, getattr(locked, field.attname))
    return disclosure


# --- the accounting --------------------------------------------------------------------------------------------


def check_as_of(as_of: dt.date) -> None:
    if as_of > practice_today():
        raise ValidationError({"as_of": _("The accounting cannot end in the future.")})


def accounting_html(*, patient: Patient, as_of: dt.date) -> str:
    """The letter of 164.528(b): each disclosure's date, recipient (with the address when known), what was
    disclosed and why; a statement when there were none."""
    return render_to_string("compliance/disclosures/accounting.html", {
        "patient": patient, "practice": practice_get(), "letter_date": practice_today(),
        "start": selectors.window_start(as_of), "end": as_of,
        "rows": selectors.accounting(patient=patient, as_of=as_of),
    })


def accounting_pdf(*, actor: Any, patient: Patient, as_of: dt.date) -> bytes:
    """The accounting as a PDF for the patient: it shows their disclosures, so it is an audited PHI read."""
    _authorize(actor=actor, patient=patient, action="compliance.disclosure_accounting")
    check_as_of(as_of)
    pdf = render_pdf(accounting_html(patient=patient, as_of=as_of))
    with transaction.atomic():
        record(actor=actor, action="compliance.disclosure_accounting_issued", target=patient,
               patient_id=patient.pk, location_id=patient.home_location_id,
               reason=f"{selectors.window_start(as_of).isoformat()}..{as_of.isoformat()}")
    return pdf


def accounting_filename(*, patient: Patient, as_of: dt.date) -> str:
    """ASCII only, and no name: the account number identifies the patient to the practice."""
    return f"accounting-of-disclosures-{patient.account_number}-{as_of.isoformat()}.pdf"
