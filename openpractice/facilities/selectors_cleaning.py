"""Cleaning reads: schedules and inspections at the actor's locations (facilities.view there to see them,
facilities.manage to change them), with pass rates. Lists cost the same number of queries whatever their size."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from openpractice.accounts.permissions import location_ids_where
from openpractice.accounts.roles import Perm
from openpractice.vendors import selectors as vendor_selectors
from openpractice.vendors.choices import VendorKind
from openpractice.vendors.models import Contract, Vendor

from .models import CleaningInspection, CleaningInspectionItem, CleaningSchedule, WorkOrder

WEEKDAY_NAMES = (_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun"))


def _scope(actor: Any, permission: str, field_name: str) -> Q | None:
    ids = location_ids_where(actor, permission)
    if ids is None:
        return Q()
    if not ids:
        return None
    return Q(**{f"{field_name}__in": ids})


def schedules_visible(*, actor: Any, permission: str = Perm.FACILITIES_VIEW) -> QuerySet[CleaningSchedule]:
    condition = _scope(actor, permission, "location_id")
    if condition is None:
        return CleaningSchedule.objects.none()
    return CleaningSchedule.objects.filter(condition).select_related("location", "vendor", "contract")


def schedule_rows(*, actor: Any, location_id: int | None = None, active: bool | None = True) -> QuerySet[CleaningSchedule]:
    """Schedules with their inspection count, last inspection and pass rate (tasks passed over tasks inspected)."""
    queryset = schedules_visible(actor=actor)
    if location_id is not None:
        queryset = queryset.filter(location_id=location_id)
    if active is not None:
        queryset = queryset.filter(is_active=active)
    return queryset.annotate(
        inspection_count=Count("inspections", distinct=True),
        last_inspected_on=Max("inspections__inspected_on"),
        items_total=Count("inspections__items"),
        items_passed=Count("inspections__items", filter=Q(inspections__items__passed=True)),
    ).order_by("location__name", "room", "pk")


def inspections_visible(*, actor: Any, permission: str = Perm.FACILITIES_VIEW) -> QuerySet[CleaningInspection]:
    condition = _scope(actor, permission, "schedule__location_id")
    if condition is None:
        return CleaningInspection.objects.none()
    return CleaningInspection.objects.filter(condition).select_related(
        "schedule__location", "schedule__vendor", "inspector")


def inspection_rows(*, actor: Any, schedule_id: int | None = None) -> QuerySet[CleaningInspection]:
    queryset = inspections_visible(actor=actor)
    if schedule_id is not None:
        queryset = queryset.filter(schedule_id=schedule_id)
    return queryset.annotate(
        items_total=Count("items"), items_passed=Count("items", filter=Q(items__passed=True)),
    ).order_by("-inspected_on", "-pk")


def inspection_detail(inspection: CleaningInspection) -> CleaningInspection:
    """The inspection with its items and the work orders opened from it (two more queries)."""
    return (CleaningInspection.objects.select_related("schedule__location", "schedule__vendor", "inspector")
            .prefetch_related(Prefetch("items", queryset=CleaningInspectionItem.objects.order_by("position", "pk")),
                              Prefetch("work_orders", queryset=WorkOrder.objects.order_by("pk")))
            .get(pk=inspection.pk))


def pass_rate(passed: int | None, total: int | None) -> int | None:
    """Whole percent of tasks passed, or None before any inspection."""
    if not total:
        return None
    return round(100 * (passed or 0) / total)


def weekdays_label(weekdays: str) -> str:
    if not weekdays:
        return str(_("every day"))
    return ", ".join(str(WEEKDAY_NAMES[int(day)]) for day in weekdays.split(",") if day.strip().isdigit()
                     and 0 <= int(day) <= 6)


def firm_choices(*, actor: Any, include: Vendor | None = None) -> QuerySet[Vendor]:
    """Firms a schedule may name: active cleaning, maintenance and service firms the actor sees (vendors.view)."""
    condition = Q(kind__in=[VendorKind.CLEANING, VendorKind.MAINTENANCE, VendorKind.SERVICE])
    queryset = vendor_selectors.vendor_choices(actor=actor, include=include)
    if include is not None:
        condition |= Q(pk=include.pk)
    return queryset.filter(condition)


def contract_choices(*, actor: Any) -> QuerySet[Contract]:
    return vendor_selectors.contract_choices(actor=actor).filter(
        vendor__kind__in=[VendorKind.CLEANING, VendorKind.MAINTENANCE, VendorKind.SERVICE])
