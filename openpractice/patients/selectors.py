"""Reads of patients, coverage and payers, scoped by the actor's permissions and locations.

A user sees the patients whose home location is one where they hold the permission (PATIENTS_DEMOGRAPHICS
unless told otherwise). Selectors do not audit by themselves: the view or API that SHOWS a record calls
`patient_record_viewed()` so exactly one event is written per record shown.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from typing import Any

from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery

from openpractice.accounts.permissions import can, location_ids_where
from openpractice.accounts.roles import Perm
from openpractice.audit.services import Event, record, record_many

from .models import (
    Coverage,
    CoverageCard,
    EligibilityResponse,
    Patient,
    Payer,
    PayerPlan,
    normalize_name,
    phone_digits,
)

DATE_FORMATS: tuple[str, ...] = ("%m/%d/%Y", "%m-%d-%Y", "%Y-%m-%d", "%m/%d/%y", "%m-%d-%y", "%m%d%Y", "%m.%d.%Y")
ACCOUNT_RE = re.compile(r"^P\d{7}$", re.IGNORECASE)


def patient_scoped(*, actor: Any, permission: str = Perm.PATIENTS_DEMOGRAPHICS) -> QuerySet[Patient]:
    """Every patient (active, inactive, merged) at the actor's locations for `permission`."""
    ids = location_ids_where(actor, permission)
    queryset = Patient.objects.select_related("home_location")
    if ids is None:
        return queryset
    return queryset.filter(home_location_id__in=ids)


def patient_get(*, actor: Any, pk: int, permission: str = Perm.PATIENTS_DEMOGRAPHICS) -> Patient:
    """One patient in the actor's scope. Out of scope raises Patient.DoesNotExist, like a missing id."""
    return patient_scoped(actor=actor, permission=permission).select_related(
        "guarantor", "merged_into").get(pk=pk)


def parse_date(text: str) -> datetime.date | None:
    """A date typed the way the front desk types it: 01/31/1980, 1/31/80, 1980-01-31, 01311980 ..."""
    text = text.strip()
    for fmt in DATE_FORMATS:
        try:
            parsed = datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
        # Two-digit years: a birth date is never in the future, so 1/2/30 is 1930, not 2030.
        if "%y" in fmt and parsed > datetime.date.today():
            parsed = parsed.replace(year=parsed.year - 100)
        return parsed
    return None


def _prefix(field: str, key: str) -> Q:
    """`field` starts with `key` (a normalized key: a-z and 0-9), also written as the range [key, next key).

    The range is redundant for the result but lets both databases walk the plain b-tree index: SQLite never uses
    an index for LIKE on a BINARY-collated column (its LIKE is case-insensitive), so a prefix search alone read
    the whole index at 100k patients (docs/benchmarks.md). In the C collation the range is exact."""
    condition = Q(**{f"{field}__startswith": key, f"{field}__gte": key})
    stem = key.rstrip("z")
    if stem:  # "smi" -> below "smj", "ab9" -> below "aba", "az" -> below "b"; "zz" has no upper bound
        last = stem[-1]
        condition &= Q(**{f"{field}__lt": stem[:-1] + ("a" if last == "9" else chr(ord(last) + 1))})
    return condition


def _search_condition(text: str) -> Q | None:
    """Turn typed text into a condition on indexed columns; None when the text holds nothing searchable."""
    text = text.strip()[:100]
    if not text:
        return None
    if ACCOUNT_RE.match(text):
        return Q(account_number=text.upper())
    condition = Q()
    names: list[str] = []
    if "," in text:
        # "Last, First" — the way names are written on charts.
        last, _, first = text.partition(",")
        last_key, first_key = normalize_name(last), normalize_name(first)
        if last_key:
            condition &= _prefix("search_last_name", last_key)
        if first_key:
            condition &= _prefix("search_first_name", first_key)
        return condition if (last_key or first_key) else None
    for token in text.split():
        day = parse_date(token)
        digits = phone_digits(token)
        if day is not None:
            condition &= Q(date_of_birth=day)
        elif re.fullmatch(r"[\d()+.\-]+", token) and len(digits) == 10:
            condition &= Q(phone_mobile_digits=digits) | Q(phone_home_digits=digits)
        elif ACCOUNT_RE.match(token):
            condition &= Q(account_number=token.upper())
        elif normalize_name(token):
            names.append(normalize_name(token))
    if len(names) == 1:
        condition &= _prefix("search_last_name", names[0]) | _prefix("search_first_name", names[0])
    elif len(names) >= 2:
        first, last = names[0], names[-1]
        condition &= ((_prefix("search_first_name", first) & _prefix("search_last_name", last))
                      | (_prefix("search_last_name", first) & _prefix("search_first_name", last)))
    return condition if condition else None


def patient_search(*, actor: Any, text: str, include_inactive: bool = False,
                   permission: str = Perm.PATIENTS_DEMOGRAPHICS) -> QuerySet[Patient]:
    """Patients in scope matching `text`: a name ("smi", "john smith", "Smith, Jo"), a date of birth in
    common formats, a 10-digit phone number or an account number (P0001234); tokens combine
    ("smith 01/31/1980"). Empty text lists everyone in scope."""
    queryset = patient_scoped(actor=actor, permission=permission)
    if not include_inactive:
        queryset = queryset.filter(is_active=True, merged_into__isnull=True)
    condition = _search_condition(text)
    if condition is None:
        return queryset if not text.strip() else queryset.none()
    return queryset.filter(condition)


def patient_record_viewed(*, actor: Any, patient: Patient, how: str = "") -> None:
    """The audit event for one patient record shown or exported (HIPAA access log)."""
    record(actor=actor, action="patients.viewed", target=patient, patient_id=patient.pk,
           location_id=patient.home_location_id, reason=how)


def patient_records_viewed(*, actor: Any, patients: Iterable[Patient], how: str = "") -> None:
    """patients.viewed once per distinct patient a list shows, written in one statement (a page of 200 rows costs
    the same few queries as a page of 2)."""
    shown: dict[int, Patient] = {}
    for patient in patients:
        shown.setdefault(patient.pk, patient)
    record_many(actor=actor, events=[
        Event(action="patients.viewed", target=patient, patient_id=patient.pk,
              location_id=patient.home_location_id, reason=how)
        for patient in shown.values()])


def coverage_scoped(*, actor: Any, permission: str = Perm.PATIENTS_DEMOGRAPHICS) -> QuerySet[Coverage]:
    ids = location_ids_where(actor, permission)
    queryset = Coverage.objects.select_related("payer", "plan", "patient", "patient__home_location")
    if ids is None:
        return queryset
    return queryset.filter(patient__home_location_id__in=ids)


def coverage_list(*, actor: Any, patient: Patient) -> list[Coverage]:
    """A patient's coverages (active first, by rank) with their card images, in two queries."""
    if not can(actor, Perm.PATIENTS_DEMOGRAPHICS, patient.home_location_id):
        return []
    return list(
        Coverage.objects.filter(patient=patient).select_related("payer", "plan")
        .prefetch_related(Prefetch("cards", queryset=CoverageCard.objects.order_by("side", "-uploaded_at")))
        .order_by("-is_active", "rank", "-effective_from")
    )


def coverages_active_on(*, actor: Any, patient: Patient, on_date: datetime.date) -> list[Coverage]:
    """The coverages that pay for a service on `on_date`, primary first. Empty when the actor may not see the
    patient's coverage (the caller treats that the same as "no coverage")."""
    if not can(actor, Perm.PATIENTS_DEMOGRAPHICS, patient.home_location_id):
        return []
    return list(
        Coverage.objects.filter(patient=patient, is_active=True, effective_from__lte=on_date)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on_date))
        .select_related("payer", "plan").order_by("rank")
    )


def card_scoped(*, actor: Any) -> QuerySet[CoverageCard]:
    ids = location_ids_where(actor, Perm.PATIENTS_DEMOGRAPHICS)
    queryset = CoverageCard.objects.select_related("coverage", "coverage__patient")
    if ids is None:
        return queryset
    return queryset.filter(coverage__patient__home_location_id__in=ids)


def payer_list(*, actor: Any, include_inactive: bool = True) -> QuerySet[Payer]:
    """Payers are practice-wide reference data: anyone with PAYERS_VIEW (anywhere) sees them all."""
    if not can(actor, Perm.PAYERS_VIEW):
        return Payer.objects.none()
    queryset = Payer.objects.all()
    return queryset if include_inactive else queryset.filter(is_active=True)


def payer_choices(*, include_inactive: bool = False) -> QuerySet[Payer]:
    """Payers offered when adding coverage (no permission of its own: the coverage form checks the patient)."""
    queryset = Payer.objects.all()
    return queryset if include_inactive else queryset.filter(is_active=True)


def plan_choices(*, payer: Payer | None = None) -> QuerySet[PayerPlan]:
    queryset = PayerPlan.objects.filter(is_active=True).select_related("payer")
    return queryset.filter(payer=payer) if payer is not None else queryset


def coverages_latest_eligibility(*, actor: Any, coverages: Iterable[Coverage],
                                 permission: str = Perm.PATIENTS_DEMOGRAPHICS) -> dict[int, EligibilityResponse]:
    """The latest eligibility response of each of `coverages` the actor may see, by coverage id, in one query.
    Coverages without a response (or out of scope) are absent."""
    ids = {coverage.pk for coverage in coverages}
    if not ids:
        return {}
    latest = (EligibilityResponse.objects.filter(coverage_id=OuterRef("coverage_id"))
              .order_by("-received_at", "-pk").values("pk")[:1])
    queryset = EligibilityResponse.objects.filter(coverage_id__in=ids, pk=Subquery(latest))
    locations = location_ids_where(actor, permission)
    if locations is not None:
        queryset = queryset.filter(coverage__patient__home_location_id__in=locations)
    return {response.coverage_id: response for response in queryset}


def coverage_latest_eligibility(*, actor: Any, coverage: Coverage,
                                permission: str = Perm.PATIENTS_DEMOGRAPHICS) -> EligibilityResponse | None:
    """The latest eligibility response for one coverage, or None (none yet, or out of the actor's scope)."""
    return coverages_latest_eligibility(actor=actor, coverages=[coverage], permission=permission).get(coverage.pk)


def patient_search_condition(text: str) -> Q | None:
    """The condition patient_search applies, for callers that filter rows of their own scope by patient (billing
    finds charges at the biller's locations whatever the patient's home location)."""
    return _search_condition(text)
