"""Choices of the reporting app's own records (targets, budgets, briefs, saved reports)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Direction(models.TextChoices):
    """Which way a KPI should go: a target is a ceiling (at most) or a floor (at least)."""

    AT_MOST = "at_most", _("at most")
    AT_LEAST = "at_least", _("at least")


class BudgetCategory(models.TextChoices):
    """What a budget line plans. Each category but "other" has actuals the other modules record."""

    CHARGES = "charges", _("Gross charges")
    COLLECTIONS = "collections", _("Collections (payer and patient payments)")
    ADJUSTMENTS = "adjustments", _("Adjustments and write-offs")
    PAYROLL = "payroll", _("Payroll")
    SUPPLIES = "supplies", _("Supplies (vendor invoices from purchasing)")
    MAINTENANCE = "maintenance", _("Maintenance and repairs")
    OTHER = "other", _("Other expenses")


INCOME_CATEGORIES = (BudgetCategory.CHARGES, BudgetCategory.COLLECTIONS)


class BriefFrequency(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    FORTNIGHTLY = "fortnightly", _("Every two weeks")
    MONTHLY = "monthly", _("Monthly")


class BriefStatus(models.TextChoices):
    SENT = "sent", _("Sent")
    PARTLY_SENT = "partly_sent", _("Sent to some recipients")
    FAILED = "failed", _("Failed")
    GENERATED = "generated", _("Generated, not sent")
