from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import PayPeriodStatus, PtoStatus, TimeKind, TimeSource


class PayPeriod(models.Model):
    """A pay period. Closing it freezes its time entries and is what the payroll export reads."""

    starts_on = models.DateField(_("first day"), unique=True)
    ends_on = models.DateField(_("last day"))
    status = models.CharField(_("status"), max_length=6, choices=PayPeriodStatus.choices,
                              default=PayPeriodStatus.OPEN)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="pay_period_dates_ordered"),
            models.CheckConstraint(
                condition=Q(status=PayPeriodStatus.CLOSED, closed_at__isnull=False)
                | (Q(status=PayPeriodStatus.OPEN) & Q(closed_at__isnull=True)),
                name="pay_period_closed_has_time"),
        ]

    def __str__(self) -> str:
        return f"{self.starts_on} – {self.ends_on}"


class TimeEntry(models.Model):
    """Time for one employee on one day: a clock-in/out pair (hours computed when clocking out) or hours entered
    for the day on a weekly timesheet. Hours are what payroll reads; overtime is computed per week, never stored."""

    employee = models.ForeignKey("workforce.Employee", on_delete=models.PROTECT, related_name="time_entries")
    work_date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=7, choices=TimeKind.choices, default=TimeKind.WORKED)
    source = models.CharField(_("entered by"), max_length=10, choices=TimeSource.choices)
    clock_in = models.DateTimeField(_("clock in"), null=True, blank=True)
    clock_out = models.DateTimeField(_("clock out"), null=True, blank=True)
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=2, null=True, blank=True,
                                help_text=_("Empty while clocked in."))
    note = models.CharField(_("note"), max_length=300, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["employee", "work_date", "clock_in", "pk"]
        indexes = [models.Index(fields=["employee", "work_date"], name="time_entry_employee_day")]
        constraints = [
            models.CheckConstraint(condition=Q(hours__isnull=True) | Q(hours__gte=0, hours__lte=24),
                                   name="time_entry_hours_range"),
            models.CheckConstraint(condition=Q(clock_in__isnull=True) | Q(clock_out__isnull=True)
                                   | Q(clock_out__gt=models.F("clock_in")), name="time_entry_out_after_in"),
            # One open clock-in per person: clocking in twice is a mistake, not two shifts.
            models.UniqueConstraint(fields=["employee"], condition=Q(clock_in__isnull=False, clock_out__isnull=True),
                                    name="time_entry_one_open_clock"),
        ]

    def __str__(self) -> str:
        return f"{self.work_date} {self.hours or ''}".strip()


class PtoRequest(models.Model):
    """A request for paid time off, approved or denied by someone with payroll duties (never the requester)."""

    employee = models.ForeignKey("workforce.Employee", on_delete=models.PROTECT, related_name="pto_requests")
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=2)
    reason = models.CharField(_("note"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=9, choices=PtoStatus.choices, default=PtoStatus.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-starts_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="pto_dates_ordered"),
            models.CheckConstraint(condition=Q(hours__gt=0), name="pto_hours_positive"),
        ]

    def __str__(self) -> str:
        return f"PTO {self.starts_on} – {self.ends_on}"
