"""Reads of the code sets: ICD-10-CM releases and look-ups, procedure codes, modifiers, taxonomy and
place-of-service counts (reference data, no PHI: billing.view anywhere)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.core.codes import place_of_service_codes

from ..codes.icd10 import Icd10Verdict, display_icd10, icd10_check, icd10_release_for, icd10_releases
from ..codes.modifiers import MODIFIERS, modifier_kind
from ..codes.taxonomy import taxonomy_codes
from ..models import ProcedureCode


@dataclass(frozen=True)
class Icd10ReleaseSummary:
    name: str
    effective_from: date
    effective_until: date | None  # the day before the next release, None while it is the latest
    code_count: int
    billable_count: int
    source: str


@dataclass(frozen=True)
class Icd10Lookup:
    code: str             # as printed, with the dot
    on: date
    verdict: Icd10Verdict
    description: str      # "" when the code is unknown or no release covers the date

    @property
    def is_valid(self) -> bool:
        return self.verdict.reason in {"ok", "not_billable"}

    @property
    def is_billable(self) -> bool:
        return self.verdict.ok


def icd10_release_summaries() -> list[Icd10ReleaseSummary]:
    """Every loaded release, newest first, with its code counts (loads each table once per process)."""
    releases = icd10_releases()
    summaries = []
    for index, release in enumerate(releases):
        following = releases[index + 1] if index + 1 < len(releases) else None
        until = date.fromordinal(following.effective_from.toordinal() - 1) if following else None
        summaries.append(Icd10ReleaseSummary(
            name=release.name, effective_from=release.effective_from, effective_until=until,
            code_count=release.code_count, billable_count=release.billable_count, source=release.source))
    return list(reversed(summaries))


def icd10_lookup(*, code: str, on: date) -> Icd10Lookup:
    """Is `code` valid, and billable, for a date of service `on`; with its description and the release."""
    verdict = icd10_check(code, on)
    release = icd10_release_for(on)
    description = release.description(code) if release is not None else ""
    return Icd10Lookup(code=display_icd10(code), on=on, verdict=verdict, description=description)


def procedure_code_list(*, actor: Any, search: str = "") -> QuerySet[ProcedureCode]:
    if not can(actor, Perm.BILLING_VIEW):
        return ProcedureCode.objects.none()
    queryset = ProcedureCode.objects.all()
    text = search.strip()[:60]
    if text:
        queryset = queryset.filter(Q(code__startswith=text.upper()) | Q(descriptor__icontains=text))
    return queryset


def procedure_code_counts(*, actor: Any) -> dict[str, int]:
    """{"total", "cpt", "hcpcs", "with_descriptor"} in one query."""
    counts = procedure_code_list(actor=actor).aggregate(
        total=Count("pk"), cpt=Count("pk", filter=Q(kind="CPT")), hcpcs=Count("pk", filter=Q(kind="HCPCS")),
        with_descriptor=Count("pk", filter=~Q(descriptor="")))
    return {name: value or 0 for name, value in counts.items()}


def modifier_rows() -> list[tuple[str, str, str]]:
    """(code, "CPT"/"HCPCS", description) for every known modifier, by code."""
    return [(code, modifier_kind(code), MODIFIERS[code]) for code in sorted(MODIFIERS)]


def reference_counts() -> dict[str, int]:
    return {"modifiers": len(MODIFIERS), "taxonomy": len(taxonomy_codes()),
            "place_of_service": len(place_of_service_codes())}
