"""Choices for the practice, its locations and departments."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PracticeKind(models.TextChoices):
    MEDICAL_GROUP = "medical_group", _("Medical group")
    DENTAL_OFFICE = "dental_office", _("Dental office")
    OUTPATIENT_CENTER = "outpatient_center", _("Outpatient center")
    URGENT_CARE = "urgent_care", _("Urgent care")
    HOSPITAL_PRACTICE = "hospital_practice", _("Hospital practice")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


US_STATES = [
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS",
    "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC",
    "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY",
    "PR", "GU", "VI", "AS", "MP",
]  # fmt: skip
StateChoices = [(code, code) for code in US_STATES]
