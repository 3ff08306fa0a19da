from django.db import models
from django.utils.translation import gettext_lazy as _


class AssetKind(models.TextChoices):
    REFRIGERATOR = "refrigerator", _("Refrigerator")
    FREEZER = "freezer", _("Freezer")
    AUTOCLAVE = "autoclave", _("Autoclave / sterilizer")
    EXAM_TABLE = "exam_table", _("Exam table")
    HVAC = "hvac", _("Heating and air conditioning")
    COPIER = "copier", _("Copier / printer")
    COMPUTER = "computer", _("Computer / IT equipment")
    MEDICAL_DEVICE = "medical_device", _("Medical device")
    SAFETY = "safety", _("Safety equipment (eyewash, extinguisher, AED)")
    FURNITURE = "furniture", _("Furniture")
    OTHER = "other", _("Other")


class AssetStatus(models.TextChoices):
    IN_SERVICE = "in_service", _("In service")
    OUT_OF_SERVICE = "out_of_service", _("Out of service")
    RETIRED = "retired", _("Retired")


class IntervalUnit(models.TextChoices):
    DAYS = "days", _("days")
    MONTHS = "months", _("months")
    METER = "meter", _("meter reading")


class Priority(models.TextChoices):
    """The order matters: the SLA defaults (hours to respond) grow down the list."""

    URGENT = "urgent", _("Urgent (safety or patient care stopped)")
    HIGH = "high", _("High")
    NORMAL = "normal", _("Normal")
    LOW = "low", _("Low")


class WorkOrderStatus(models.TextChoices):
    NEW = "new", _("New")
    SCHEDULED = "scheduled", _("Scheduled")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_FOR_PARTS = "waiting_parts", _("Waiting for parts")
    DONE = "done", _("Done")
    VERIFIED = "verified", _("Verified")
    CANCELLED = "cancelled", _("Cancelled")


class WorkOrderSource(models.TextChoices):
    REPORTED = "reported", _("Reported problem")
    PREVENTIVE = "preventive", _("Preventive maintenance")
    CLEANING = "cleaning", _("Cleaning inspection")
    SAFETY = "safety", _("Safety log")


class CostKind(models.TextChoices):
    LABOUR = "labour", _("Labour")
    PARTS = "parts", _("Parts")
    VENDOR_INVOICE = "vendor_invoice", _("Vendor invoice")


class SafetyCheckKind(models.TextChoices):
    FRIDGE_TEMPERATURE = "fridge_temp", _("Refrigerator temperature")
    FREEZER_TEMPERATURE = "freezer_temp", _("Freezer temperature")
    AUTOCLAVE_CYCLE = "autoclave_cycle", _("Autoclave cycle")
    SPORE_TEST = "spore_test", _("Autoclave spore test")
    EYEWASH = "eyewash", _("Eyewash station check")
    FIRE_EXTINGUISHER = "extinguisher", _("Fire extinguisher check")
    AED = "aed", _("AED check")


class SafetyFrequency(models.TextChoices):
    TWICE_DAILY = "twice_daily", _("Twice a day")
    DAILY = "daily", _("Every day the location is open")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
