from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class VendorKind(models.TextChoices):
    SUPPLIER = "supplier", _("Supplier")
    SERVICE = "service", _("Service provider")
    MAINTENANCE = "maintenance", _("Maintenance firm")
    CLEANING = "cleaning", _("Cleaning firm")
    SALES = "sales", _("Medical sales company")


class PaymentTerms(models.TextChoices):
    PREPAID = "prepaid", _("Prepaid")
    ON_RECEIPT = "receipt", _("Due on receipt")
    NET_15 = "net15", _("Net 15")
    NET_30 = "net30", _("Net 30")
    NET_45 = "net45", _("Net 45")
    NET_60 = "net60", _("Net 60")


class ContractKind(models.TextChoices):
    SUPPLY = "supply", _("Supply")
    SERVICE = "service", _("Service")
    MAINTENANCE = "maintenance", _("Maintenance")
    CLEANING = "cleaning", _("Cleaning")
    GPO = "gpo", _("Group purchasing (GPO)")
    LEASE = "lease", _("Lease")


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    ENDED = "ended", _("Ended")
    CANCELLED = "cancelled", _("Cancelled")


class NegotiationOutcome(models.TextChoices):
    OPEN = "open", _("Still negotiating")
    AGREED = "agreed", _("Agreed")
    PARTLY = "partly", _("Partly agreed")
    DECLINED = "declined", _("No agreement")


class Weekday(models.IntegerChoices):
    MONDAY = 1, _("Monday")
    TUESDAY = 2, _("Tuesday")
    WEDNESDAY = 3, _("Wednesday")
    THURSDAY = 4, _("Thursday")
    FRIDAY = 5, _("Friday")
    SATURDAY = 6, _("Saturday")
    SUNDAY = 7, _("Sunday")
