"""Providers (in and outside the practice), appointment types, rooms, weekly templates, time off,
appointments and the copays collected at check-in. Times are stored in UTC; templates are practice-local
wall-clock times."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from openpractice.core.choices import Weekday
from openpractice.core.models import Location, TimeStampedModel
from openpractice.core.validators import validate_npi, validate_phone

from .choices import AppointmentStatus, Credential, PaymentMethod, ProviderKind


def validate_taxonomy_code(value: str) -> None:
    """NUCC Health Care Provider Taxonomy code: 10 characters, three digits, six letters/digits, then X
    (207Q00000X family medicine, 363LF0000X family NP, 1223G0001X general dentistry)."""
    if not re.fullmatch(r"\d{3}[0-9A-Z]{6}X", value or ""):
        raise ValidationError(_("Enter a 10-character NUCC taxonomy code such as 207Q00000X."),
                              code="invalid_taxonomy")


def validate_hex_colour(value: str) -> None:
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", value or ""):
        raise ValidationError(_("Enter a colour as #RRGGBB, e.g. #2a7ab0."), code="invalid_colour")



# The longest appointment type. Queries for "appointments overlapping a window" also bound starts_at from below
# by this much, so the (provider, starts_at) index scans a range instead of the provider's whole history.
MAX_APPOINTMENT_MINUTES = 480

class Provider(TimeStampedModel):
    """A clinician of the practice who sees patients (and may bill under their own NPI)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="provider", verbose_name=_("user account"))
    first_name = models.CharField(_("first name"), max_length=35)
    last_name = models.CharField(_("last name"), max_length=60)
    credential = models.CharField(_("credential"), max_length=8, choices=Credential.choices)
    kind = models.CharField(_("kind"), max_length=16, choices=ProviderKind.choices)
    npi = models.CharField(_("individual NPI"), max_length=10, validators=[validate_npi])
    taxonomy_code = models.CharField(_("taxonomy code"), max_length=10, validators=[validate_taxonomy_code])
    is_billing = models.BooleanField(_("billing provider"), default=False)
    is_rendering = models.BooleanField(_("rendering provider"), default=True)
    locations = models.ManyToManyField(Location, related_name="providers", verbose_name=_("locations"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["last_name", "first_name"]
        constraints = [models.UniqueConstraint(fields=["npi"], name="provider_npi_unique")]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}, {self.credential}"

    def get_absolute_url(self) -> str:
        return reverse("scheduling:provider_detail", kwargs={"pk": self.pk})


class ReferringProvider(TimeStampedModel):
    """A clinician outside the practice who sends patients (claims carry their NPI)."""

    first_name = models.CharField(_("first name"), max_length=35)
    last_name = models.CharField(_("last name"), max_length=60)
    npi = models.CharField(_("NPI"), max_length=10, validators=[validate_npi])
    taxonomy_code = models.CharField(_("taxonomy code"), max_length=10, blank=True,
                                     validators=[validate_taxonomy_code])
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[validate_phone])
    fax = models.CharField(_("fax"), max_length=20, blank=True, validators=[validate_phone])

    class Meta:
        ordering = ["last_name", "first_name"]
        constraints = [models.UniqueConstraint(fields=["npi"], name="referring_provider_npi_unique")]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"


class AppointmentType(TimeStampedModel):
    name = models.CharField(_("name"), max_length=60)
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration in minutes"), validators=[MinValueValidator(5), MaxValueValidator(480)])
    colour = models.CharField(_("colour"), max_length=7, default="#2a7ab0", validators=[validate_hex_colour])
    needs_room = models.BooleanField(_("needs a room"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["name"], name="appointment_type_name_unique"),
            models.CheckConstraint(condition=Q(duration_minutes__gte=5, duration_minutes__lte=MAX_APPOINTMENT_MINUTES),
                                   name="appointment_type_duration_range"),
        ]

    def __str__(self) -> str:
        return self.name


class Room(TimeStampedModel):
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="rooms", verbose_name=_("location"))
    name = models.CharField(_("name"), max_length=40)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["location__name", "name"]
        constraints = [models.UniqueConstraint(fields=["location", "name"], name="room_name_unique")]

    def __str__(self) -> str:
        return f"{self.name} ({self.location.name})"


class ProviderTemplate(models.Model):
    """A weekly period when a provider sees patients at a location (practice-local time)."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="templates")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="provider_templates")
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    start = models.TimeField(_("from"))
    end = models.TimeField(_("until"))

    class Meta:
        ordering = ["provider", "weekday", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="provider_template_order"),
            models.CheckConstraint(condition=Q(weekday__gte=0, weekday__lte=6), name="provider_template_weekday"),
            models.UniqueConstraint(fields=["provider", "weekday", "start"], name="provider_template_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"

    def clean(self) -> None:
        super().clean()
        if self.start and self.end and self.end <= self.start:
            raise ValidationError({"end": _("The end must be after the start.")})


class TimeOff(models.Model):
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="time_off")
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=120, blank=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="time_off_order")]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M} – {self.ends_at:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        super().clean()
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("The end must be after the start.")})


class Appointment(TimeStampedModel):
    """A booked visit (PHI: who sees whom, when). Written only through the services, which serialise bookings
    per provider and per room so that two bookings never overlap."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="appointments")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="appointments")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="appointments")
    room = models.ForeignKey(Room, on_delete=models.PROTECT, null=True, blank=True, related_name="appointments")
    appointment_type = models.ForeignKey(AppointmentType, on_delete=models.PROTECT, related_name="appointments")
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    status = models.CharField(_("status"), max_length=16, choices=AppointmentStatus.choices,
                              default=AppointmentStatus.BOOKED)
    cancel_reason = models.CharField(_("cancellation reason"), max_length=200, blank=True)
    notes = models.CharField(_("front-desk note"), max_length=200, blank=True,
                             help_text=_("Short, non-clinical (e.g. “needs interpreter”)."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_out_at = models.DateTimeField(null=True, blank=True)
    # Reminders (openpractice.scheduling.reminders): when the reminder email went out (claimed by one worker
    # with a conditional UPDATE) and when the patient confirmed through its link.
    reminder_sent_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed by the patient"), null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [
            models.Index(fields=["provider", "starts_at"], name="appointment_provider_start"),
            models.Index(fields=["location", "starts_at"], name="appointment_location_start"),
            models.Index(fields=["room", "starts_at"], name="appointment_room_start"),
            models.Index(fields=["patient", "starts_at"], name="appointment_patient_start"),
            # The reminder task's scan: only booked visits still waiting for their reminder.
            models.Index(fields=["starts_at"], name="appointment_reminder_due",
                         condition=Q(reminder_sent_at__isnull=True, status=AppointmentStatus.BOOKED)),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="appointment_order"),
            models.CheckConstraint(
                condition=~Q(status=AppointmentStatus.CANCELLED) | ~Q(cancel_reason=""),
                name="appointment_cancel_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.appointment_type} {self.starts_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("scheduling:appointment_detail", kwargs={"pk": self.pk})


class CopayPayment(models.Model):
    """A copay collected at the front desk (money: Decimal, audited)."""

    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT, related_name="copay_payments")
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    method = models.CharField(_("method"), max_length=8, choices=PaymentMethod.choices)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField(_("received"))
    receipt_number = models.CharField(_("receipt number"), max_length=24)

    class Meta:
        ordering = ["received_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="copay_amount_positive"),
            models.UniqueConstraint(fields=["receipt_number"], name="copay_receipt_unique"),
        ]

    def __str__(self) -> str:
        return self.receipt_number


class ReminderPolicy(models.Model):
    """The practice's appointment-reminder setting: one row (pk 1), practice-wide."""

    SINGLETON_PK = 1

    enabled = models.BooleanField(_("send email reminders"), default=True)
    hours_before = models.PositiveSmallIntegerField(
        _("hours before the appointment"), default=24, validators=[MinValueValidator(1), MaxValueValidator(168)],
        help_text=_("Between 1 and 168 hours (one week)."))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="reminder_policy_singleton"),
            models.CheckConstraint(condition=Q(hours_before__gte=1, hours_before__lte=168),
                                   name="reminder_policy_hours_range"),
        ]

    def __str__(self) -> str:
        return f"{self.hours_before} h" if self.enabled else "off"


class WaitlistStatus(models.TextChoices):
    OPEN = "open", _("Waiting")
    BOOKED = "booked", _("Booked")
    REMOVED = "removed", _("Removed")


class WaitlistEntry(TimeStampedModel):
    """A patient who wants an earlier visit (PHI): offered when a matching appointment is cancelled."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="waitlist_entries")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="waitlist_entries", verbose_name=_("provider"),
                                 help_text=_("Leave empty for any provider."))
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="waitlist_entries",
                                 verbose_name=_("location"))
    appointment_type = models.ForeignKey(AppointmentType, on_delete=models.PROTECT, related_name="waitlist_entries",
                                         verbose_name=_("appointment type"))
    earliest = models.DateField(_("earliest date"))
    latest = models.DateField(_("latest date"))
    notes = models.CharField(_("note"), max_length=120, blank=True,
                             help_text=_("Short, non-clinical (e.g. “mornings only”)."))
    status = models.CharField(_("status"), max_length=8, choices=WaitlistStatus.choices, default=WaitlistStatus.OPEN)
    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                    help_text=_("The appointment booked from this entry."))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name_plural = "waitlist entries"
        indexes = [models.Index(fields=["location", "status", "earliest"], name="waitlist_location_open")]
        constraints = [
            models.CheckConstraint(condition=Q(latest__gte=F("earliest")), name="waitlist_dates_order"),
        ]

    def __str__(self) -> str:
        return f"{self.appointment_type} {self.earliest:%Y-%m-%d}–{self.latest:%Y-%m-%d}"

    def clean(self) -> None:
        super().clean()
        if self.earliest and self.latest and self.latest < self.earliest:
            raise ValidationError({"latest": _("The latest date must be on or after the earliest date.")})
