"""Disclosure reads. The accounting of disclosures (45 CFR 164.528) is a PHI matter: a compliance.manage holder
keeps the disclosures of the patients in their patient scope (patients.view_demographics) whose home location is
one where they hold compliance.manage. Every page, PDF or API answer that shows a patient's disclosures is an
audited read of that patient: one event per patient shown."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from openpractice.accounts.permissions import can, location_ids_where
from openpractice.accounts.roles import Perm
from openpractice.audit.services import Event, record_many
from openpractice.core.models import Location
from openpractice.core.selectors import practice_timezone_name
from openpractice.patients.models import Patient
from openpractice.patients.selectors import patient_scoped

from ..choices import DisclosurePurpose
from ..models import Disclosure, Incident
from .incidents import incident_scoped, report_locations

PERM = Perm.COMPLIANCE_MANAGE
# A patient may ask for the disclosures of the six years before the request (164.528(a)(3)).
ACCOUNTING_YEARS = 6
# The recorder (or a privacy manager) may correct a disclosure this many days after recording it; then it is
# kept as it is.
EDIT_DAYS = 30


def patient_scope(*, actor: Any) -> QuerySet[Patient]:
    """The patients whose disclosures the actor keeps: in their patient scope, at a compliance.manage location."""
    patients = patient_scoped(actor=actor)
    ids = location_ids_where(actor, PERM)
    return patients if ids is None else patients.filter(home_location_id__in=sorted(ids))


def may_keep(actor: Any, patient: Patient) -> bool:
    """May the actor record and read this patient's disclosures?"""
    return (can(actor, PERM, patient.home_location_id)
            and can(actor, Perm.PATIENTS_DEMOGRAPHICS, patient.home_location_id))


def disclosure_scoped(*, actor: Any) -> QuerySet[Disclosure]:
    queryset = Disclosure.objects.select_related("patient", "location", "recorded_by", "incident")
    if location_ids_where(actor, PERM) is None and location_ids_where(actor, Perm.PATIENTS_DEMOGRAPHICS) is None:
        return queryset  # everywhere: no need to ask the patient table
    return queryset.filter(patient__in=patient_scope(actor=actor).values("pk"))


def disclosure_list(*, actor: Any, purpose: str = "", since: dt.date | None = None, until: dt.date | None = None,
                    account_number: str = "") -> QuerySet[Disclosure]:
    """The practice-wide list: disclosures in scope, filtered by purpose (listed values only), a date range (both
    ends included) and one patient's account number."""
    queryset = disclosure_scoped(actor=actor)
    if purpose:
        queryset = queryset.filter(purpose=purpose) if purpose in DisclosurePurpose.values else queryset.none()
    if since is not None:
        queryset = queryset.filter(disclosed_on__gte=since)
    if until is not None:
        queryset = queryset.filter(disclosed_on__lte=until)
    if account_number:
        queryset = queryset.filter(patient__account_number=account_number.strip().upper())
    return queryset


def window_start(as_of: dt.date) -> dt.date:
    """The first day of the six years before `as_of`: the same calendar date six years earlier, included
    (February 29 has no such date in a common year: February 28)."""
    year = as_of.year - ACCOUNTING_YEARS
    try:
        return as_of.replace(year=year)
    except ValueError:
        return as_of.replace(year=year, day=28)


def accounting(*, patient: Patient, as_of: dt.date) -> list[Disclosure]:
    """The patient's disclosures from window_start(as_of) to as_of (both included), newest first."""
    return list(Disclosure.objects.filter(patient=patient, disclosed_on__gte=window_start(as_of),
                                          disclosed_on__lte=as_of)
                .select_related("location", "recorded_by", "incident").order_by("-disclosed_on", "-pk"))


def disclosures_viewed(*, actor: Any, patients: Iterable[Patient], how: str) -> None:
    """One audit event per patient whose disclosures are shown (HIPAA access log), in one statement."""
    seen: dict[int, Patient] = {}
    for patient in patients:
        seen.setdefault(patient.pk, patient)
    record_many(actor=actor, events=[
        Event(action="patients.viewed", target=patient, patient_id=patient.pk,
              location_id=patient.home_location_id, reason=how[:200])
        for patient in seen.values()])


def record_locations(*, actor: Any) -> QuerySet[Location]:
    """Where a disclosure may say it was made: the active locations the actor's roles reach."""
    return report_locations(actor=actor)


def linkable_incidents(*, actor: Any) -> QuerySet[Incident]:
    """Incidents a disclosure may be linked to: those the actor manages (none without compliance.incidents)."""
    return incident_scoped(actor=actor).order_by("-discovered_on", "-pk")


def may_see_incident(actor: Any, incident_id: int | None) -> bool:
    return incident_id is not None and linkable_incidents(actor=actor).filter(pk=incident_id).exists()


def edit_until(disclosure: Disclosure) -> dt.date:
    """The last practice-local day the disclosure may be corrected."""
    recorded = timezone.localtime(disclosure.recorded_at, zoneinfo.ZoneInfo(practice_timezone_name())).date()
    return recorded + dt.timedelta(days=EDIT_DAYS)


def may_correct(actor: Any, disclosure: Disclosure) -> bool:
    """The recorder, or a privacy manager (compliance.incidents where the patient is), may correct it."""
    return (disclosure.recorded_by_id == getattr(actor, "pk", None)
            or can(actor, Perm.COMPLIANCE_INCIDENTS, disclosure.patient.home_location_id))


def may_edit(actor: Any, disclosure: Disclosure, *, today: dt.date) -> bool:
    return may_keep(actor, disclosure.patient) and may_correct(actor, disclosure) and today <= edit_until(disclosure)
