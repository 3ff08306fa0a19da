"""The reporting app's own records: what the practice sets (KPI targets, budgets, the brief's schedule and
recipients), what it keeps (past briefs), and each person's calendar feed and saved reports.

Reporting reads every other module through its selectors and never changes their data; these tables are the only
ones it writes (through reporting.services).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from openpractice.core.models import TimeStampedModel

from .choices import BriefFrequency, BriefStatus, BudgetCategory, Direction


class KpiTarget(TimeStampedModel):
    """The practice's target for one KPI of the registry (reporting.kpis), e.g. days in A/R at most 35.
    `warn_at` is the value past which the KPI is off target (red); between target and warn_at it is close (amber).
    """

    kpi = models.CharField(_("KPI"), max_length=40, unique=True)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    target = models.DecimalField(_("target"), max_digits=12, decimal_places=2)
    warn_at = models.DecimalField(_("off target past"), max_digits=12, decimal_places=2, null=True, blank=True,
                                  help_text=_("Between the target and this value the KPI shows as close."))
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["kpi"]
        constraints = [
            models.CheckConstraint(
                condition=Q(warn_at__isnull=True)
                | Q(direction=Direction.AT_MOST, warn_at__gte=models.F("target"))
                | Q(direction=Direction.AT_LEAST, warn_at__lte=models.F("target")),
                name="reporting_kpitarget_warn_beyond_target"),
        ]

    def __str__(self) -> str:
        return f"{self.kpi} {self.get_direction_display()} {self.target}"


class BudgetLine(TimeStampedModel):
    """The amount planned for one category in one month of a year, for a location or (location empty) for the
    practice as a whole."""

    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    month = models.PositiveSmallIntegerField(_("month"), validators=[MinValueValidator(1), MaxValueValidator(12)])
    category = models.CharField(_("category"), max_length=20, choices=BudgetCategory.choices)
    location = models.ForeignKey("core.Location", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="budget_lines", verbose_name=_("location"))
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2,
                                 validators=[MinValueValidator(0)])
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["year", "category", "location_id", "month"]
        constraints = [
            models.UniqueConstraint(fields=["year", "month", "category", "location"],
                                    condition=Q(location__isnull=False), name="reporting_budget_one_per_location"),
            models.UniqueConstraint(fields=["year", "month", "category"],
                                    condition=Q(location__isnull=True), name="reporting_budget_one_practice_wide"),
            models.CheckConstraint(condition=Q(month__gte=1, month__lte=12), name="reporting_budget_month_valid"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="reporting_budget_amount_not_negative"),
        ]
        indexes = [models.Index(fields=["year", "location"], name="reporting_budget_year_loc")]

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d} {self.category} {self.amount}"


class CalendarFeed(models.Model):
    """A person's secret iCalendar feed address. Only the SHA-256 of the token is stored; revoking keeps the row
    (for the record) and the address stops working at once. At most one live feed per person."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=Q(revoked_at__isnull=True),
                                    name="reporting_one_live_feed_per_user"),
        ]

    def __str__(self) -> str:
        return f"calendar feed of user {self.user_id}"


class CalendarDigest(models.Model):
    """Whether a person receives the weekly email digest of their calendar, and when it was last sent (so a
    re-run of the job in the same week sends nothing twice)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_digest")
    enabled = models.BooleanField(_("weekly digest by email"), default=True)
    last_sent_on = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"digest of user {self.user_id}"


class BriefSettings(TimeStampedModel):
    """The operations brief's schedule and recipients (one row for the practice). Recipients are staff accounts
    and/or outside addresses (senior management or owners without an account): the brief holds figures only,
    never a patient."""

    enabled = models.BooleanField(_("send the brief"), default=False)
    frequency = models.CharField(_("frequency"), max_length=12, choices=BriefFrequency.choices,
                                 default=BriefFrequency.WEEKLY)
    weekday = models.PositiveSmallIntegerField(_("day"), default=0,
                                               validators=[MinValueValidator(0), MaxValueValidator(6)],
                                               help_text=_("0 = Monday … 6 = Sunday (for weekly and fortnightly)."))
    hour = models.PositiveSmallIntegerField(_("hour (practice time)"), default=7,
                                            validators=[MinValueValidator(0), MaxValueValidator(23)])
    recipients = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+",
                                        verbose_name=_("staff recipients"))
    extra_recipients = models.TextField(_("other recipients"), blank=True,
                                        help_text=_("Email addresses, one per line."))
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")

    class Meta:
        verbose_name_plural = "brief settings"
        constraints = [
            models.CheckConstraint(condition=Q(weekday__gte=0, weekday__lte=6), name="reporting_brief_weekday"),
            models.CheckConstraint(condition=Q(hour__gte=0, hour__lte=23), name="reporting_brief_hour"),
        ]

    def __str__(self) -> str:
        return "operations brief settings"


class Brief(models.Model):
    """One operations brief as it was produced: its period, the figures it showed (a snapshot, so history does
    not change when data is corrected later), its PDF, to whom it went and how that went."""

    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", help_text=_("Empty when the schedule produced it."))
    status = models.CharField(_("status"), max_length=12, choices=BriefStatus.choices,
                              default=BriefStatus.GENERATED)
    snapshot = models.JSONField(default=dict, blank=True)
    pdf = models.BinaryField()
    recipients = models.JSONField(default=list, blank=True)  # the addresses it was sent to
    error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-period_end", "-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(period_start__lte=models.F("period_end")),
                                   name="reporting_brief_period_valid"),
        ]

    def __str__(self) -> str:
        return f"operations brief {self.period_start}–{self.period_end}"


class SavedReport(TimeStampedModel):
    """A list with its filters, saved by a person under a name: the list's URL name and the query string. Opening
    it runs the list again with the person's current permissions (a saved report never widens access)."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_reports")
    name = models.CharField(_("name"), max_length=100)
    route = models.CharField(max_length=100)  # URL name, e.g. "billing:claim_list"
    query = models.CharField(max_length=2000, blank=True)  # the list's query string, without page or export

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "name"], name="reporting_saved_report_name_per_owner"),
        ]

    def __str__(self) -> str:
        return self.name
