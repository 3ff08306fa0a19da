"""Choices for providers, appointments and copay payments."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProviderKind(models.TextChoices):
    PHYSICIAN = "physician", _("Physician")
    DENTIST = "dentist", _("Dentist")
    NURSE_PRACTITIONER = "np", _("Nurse practitioner")
    PHYSICIAN_ASSISTANT = "pa", _("Physician assistant")


class Credential(models.TextChoices):
    MD = "MD", "MD"
    DO = "DO", "DO"
    DDS = "DDS", "DDS"
    DMD = "DMD", "DMD"
    NP = "NP", "NP"
    FNP = "FNP", "FNP"
    PA = "PA", "PA"
    PA_C = "PA-C", "PA-C"


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    CHECKED_IN = "checked_in", _("Checked in")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no_show", _("No-show")


# Appointments that hold their time: a cancelled or no-show visit frees the provider and the room.
ACTIVE_STATUSES: tuple[str, ...] = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN, AppointmentStatus.COMPLETED)


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Cash")
    CARD = "card", _("Card")
    CHECK = "check", _("Check")
