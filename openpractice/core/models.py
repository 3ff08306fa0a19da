"""The organization: one practice per installation, its locations (with opening hours) and departments."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .choices import PracticeKind, StateChoices, Weekday
from .codes import place_of_service_choices, place_of_service_codes
from .validators import validate_ein, validate_npi, validate_phone, validate_timezone, validate_zip


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class AddressFields(models.Model):
    address_line1 = models.CharField(_("address"), max_length=55)
    address_line2 = models.CharField(_("address line 2"), max_length=55, blank=True)
    city = models.CharField(_("city"), max_length=30)
    state = models.CharField(_("state"), max_length=2, choices=StateChoices)
    postal_code = models.CharField(_("ZIP code"), max_length=10, validators=[validate_zip])

    class Meta:
        abstract = True

    @property
    def address_one_line(self) -> str:
        parts = [self.address_line1, self.address_line2, self.city, f"{self.state} {self.postal_code}"]
        return ", ".join(part for part in parts if part)


class Practice(TimeStampedModel, AddressFields):
    """The organization this installation serves. There is exactly one."""

    singleton = models.BooleanField(default=True, editable=False, unique=True)
    name = models.CharField(_("name"), max_length=120)
    legal_name = models.CharField(_("legal name"), max_length=120)
    ein = models.CharField(_("EIN"), max_length=10, validators=[validate_ein], help_text=_("NN-NNNNNNN"))
    group_npi = models.CharField(_("group NPI"), max_length=10, validators=[validate_npi], blank=True)
    kind = models.CharField(_("kind of practice"), max_length=32, choices=PracticeKind.choices)
    timezone = models.CharField(_("time zone"), max_length=64, default="America/New_York",
                                validators=[validate_timezone])
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[validate_phone])
    idle_timeout_minutes = models.PositiveSmallIntegerField(
        _("sign out after idle minutes"), default=15,
        help_text=_("HIPAA automatic logoff: signed-in pages end after this many idle minutes (2–120)."),
    )
    absolute_session_hours = models.PositiveSmallIntegerField(
        _("longest session in hours"), default=12,
        help_text=_("Even an active session ends after this many hours (1–24)."),
    )

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(singleton=True), name="practice_is_singleton"),
            models.CheckConstraint(condition=Q(idle_timeout_minutes__gte=2, idle_timeout_minutes__lte=120),
                                   name="practice_idle_timeout_range"),
            models.CheckConstraint(condition=Q(absolute_session_hours__gte=1, absolute_session_hours__lte=24),
                                   name="practice_absolute_session_range"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        errors = {}
        # None (an API client sending null) is the field's own "required" error; comparing it would raise.
        if self.idle_timeout_minutes is not None and not 2 <= self.idle_timeout_minutes <= 120:
            errors["idle_timeout_minutes"] = _("Choose between 2 and 120 minutes.")
        if self.absolute_session_hours is not None and not 1 <= self.absolute_session_hours <= 24:
            errors["absolute_session_hours"] = _("Choose between 1 and 24 hours.")
        if errors:
            raise ValidationError(errors)


class LocationQuerySet(models.QuerySet["Location"]):
    def active(self) -> LocationQuerySet:
        return self.filter(is_active=True)


class Location(TimeStampedModel, AddressFields):
    """A site where the practice sees patients; claims carry its place-of-service code."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="locations")
    name = models.CharField(_("name"), max_length=80)
    code = models.SlugField(_("short code"), max_length=16, help_text=_("Short unique code, e.g. NORTH."))
    place_of_service = models.CharField(_("place of service"), max_length=2, default="11")
    phone = models.CharField(_("phone"), max_length=20, validators=[validate_phone])
    npi = models.CharField(_("location NPI"), max_length=10, blank=True, validators=[validate_npi],
                           help_text=_("Service facility NPI, if it has its own."))
    is_active = models.BooleanField(_("active"), default=True)

    objects = LocationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["code"], name="location_code_unique"),
            models.UniqueConstraint(fields=["practice", "name"], name="location_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("core:location_detail", kwargs={"pk": self.pk})

    def clean(self) -> None:
        super().clean()
        if self.place_of_service not in place_of_service_codes():
            raise ValidationError({"place_of_service": _("Unknown place-of-service code.")})

    @staticmethod
    def place_of_service_choices() -> list[tuple[str, str]]:
        return place_of_service_choices()

    @property
    def place_of_service_name(self) -> str:
        return place_of_service_codes().get(self.place_of_service, "")


class OpeningHours(models.Model):
    """One opening period of a location on a weekday; a day may have two (morning and afternoon)."""

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    opens_at = models.TimeField(_("opens"))
    closes_at = models.TimeField(_("closes"))

    class Meta:
        ordering = ["weekday", "opens_at"]
        constraints = [
            models.CheckConstraint(condition=Q(closes_at__gt=models.F("opens_at")), name="opening_hours_order"),
            models.CheckConstraint(condition=Q(weekday__gte=0, weekday__lte=6), name="opening_hours_weekday"),
            models.UniqueConstraint(fields=["location", "weekday", "opens_at"], name="opening_hours_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}–{self.closes_at:%H:%M}"

    def clean(self) -> None:
        super().clean()
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            raise ValidationError({"closes_at": _("Closing time must be after opening time.")})


class Department(TimeStampedModel):
    """A part of the practice's organization (front office, billing, nursing …), optionally at one location."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="departments")
    name = models.CharField(_("name"), max_length=80)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="departments", help_text=_("Leave empty if practice-wide."))
    email = models.EmailField(_("shared email"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[validate_phone])
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "name"], name="department_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("core:department_detail", kwargs={"pk": self.pk})


class OutboxMessage(models.Model):
    """A message the app "sent" in demo mode (OutboxEmailBackend): kept here so a person trying the demo can
    open an invitation or password-reset link without a mail server. Never used in production."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    from_email = models.CharField(_("from"), max_length=254)
    recipients = models.JSONField(_("to"), default=list)
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("text"))
    html_body = models.TextField(_("HTML"), blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.subject

    @property
    def recipient_list(self) -> str:
        return ", ".join(self.recipients)
