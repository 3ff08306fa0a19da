"""Payers and their plans, patients (PHI), insurance coverage and insurance card images."""

from __future__ import annotations

import datetime
import re
import unicodedata
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from openpractice.core.choices import StateChoices
from openpractice.core.fields import EncryptedTextField
from openpractice.core.models import AddressFields, Location, TimeStampedModel
from openpractice.core.validators import validate_phone, validate_zip


def normalize_name(value: str) -> str:
    """Lower case, accents and punctuation removed: "O'Brien-Núñez" -> "obriennunez". Used for search and matching."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    ascii_only = decomposed.encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]", "", ascii_only.lower())


def phone_digits(value: str) -> str:
    """The 10 significant digits of a US phone number (a leading country code 1 dropped)."""
    digits = re.sub(r"\D", "", value or "")
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits


class ClaimFilingIndicator(models.TextChoices):
    """X12 837 SBR09 claim filing indicator codes."""

    OTHER_NON_FEDERAL = "11", _("Other non-federal program")
    PPO = "12", _("Preferred provider organization (PPO)")
    POS = "13", _("Point of service (POS)")
    EPO = "14", _("Exclusive provider organization (EPO)")
    INDEMNITY = "15", _("Indemnity insurance")
    HMO_MEDICARE_RISK = "16", _("HMO Medicare risk")
    DENTAL_MAINTENANCE = "17", _("Dental maintenance organization")
    AUTO = "AM", _("Automobile medical")
    BCBS = "BL", _("Blue Cross / Blue Shield")
    CHAMPUS = "CH", _("Tricare (CHAMPUS)")
    COMMERCIAL = "CI", _("Commercial insurance")
    DISABILITY = "DS", _("Disability")
    FEP = "FI", _("Federal employees program")
    HMO = "HM", _("Health maintenance organization (HMO)")
    LIABILITY = "LM", _("Liability medical")
    MEDICARE_A = "MA", _("Medicare Part A")
    MEDICARE_B = "MB", _("Medicare Part B")
    MEDICAID = "MC", _("Medicaid")
    OTHER_FEDERAL = "OF", _("Other federal program")
    TITLE_V = "TV", _("Title V")
    VA = "VA", _("Veterans Affairs plan")
    WORKERS_COMP = "WC", _("Workers' compensation")
    MUTUALLY_DEFINED = "ZZ", _("Mutually defined")


class PlanType(models.TextChoices):
    PPO = "ppo", _("PPO")
    HMO = "hmo", _("HMO")
    EPO = "epo", _("EPO")
    POS = "pos", _("POS")
    INDEMNITY = "indemnity", _("Indemnity")
    MEDICARE = "medicare", _("Medicare")
    MEDICARE_ADVANTAGE = "medicare_advantage", _("Medicare Advantage")
    MEDICAID = "medicaid", _("Medicaid")
    MEDICAID_MANAGED = "medicaid_managed", _("Medicaid managed care")
    TRICARE = "tricare", _("Tricare")
    WORKERS_COMP = "workers_comp", _("Workers' compensation")
    OTHER = "other", _("Other")


class Payer(TimeStampedModel, AddressFields):
    """An insurance company or government program that pays claims; the address is its claims address."""

    name = models.CharField(_("name"), max_length=80)
    payer_id = models.CharField(_("electronic payer ID"), max_length=20, blank=True,
                                help_text=_("The ID your clearinghouse uses for electronic claims."))
    claim_filing_indicator = models.CharField(_("claim filing indicator"), max_length=2,
                                              choices=ClaimFilingIndicator.choices, default=ClaimFilingIndicator.COMMERCIAL)
    timely_filing_days = models.PositiveSmallIntegerField(
        _("timely filing limit (days)"), default=90,
        help_text=_("Days after the date of service by which a claim must reach the payer."))
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[validate_phone])
    portal_url = models.URLField(_("provider portal"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["name"], name="payer_name_unique"),
            models.CheckConstraint(condition=Q(timely_filing_days__gte=1, timely_filing_days__lte=3650),
                                   name="payer_timely_filing_range"),
        ]
        indexes = [models.Index(fields=["payer_id"], name="payer_payer_id_idx")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("patients:payer_detail", kwargs={"pk": self.pk})

    def clean(self) -> None:
        super().clean()
        if self.timely_filing_days is not None and not 1 <= self.timely_filing_days <= 3650:
            raise ValidationError({"timely_filing_days": _("Enter between 1 and 3650 days.")})


class PayerPlan(TimeStampedModel):
    payer = models.ForeignKey(Payer, on_delete=models.CASCADE, related_name="plans")
    name = models.CharField(_("plan name"), max_length=80)
    plan_type = models.CharField(_("plan type"), max_length=24, choices=PlanType.choices, default=PlanType.PPO)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["payer__name", "name"]
        constraints = [models.UniqueConstraint(fields=["payer", "name"], name="payer_plan_name_unique")]

    def __str__(self) -> str:
        return f"{self.payer.name} — {self.name}"


class Sex(models.TextChoices):
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")
    UNKNOWN = "U", _("Unknown")
    X = "X", _("X (non-binary)")


class PreferredContact(models.TextChoices):
    MOBILE = "mobile", _("Mobile phone")
    SMS = "sms", _("Text message")
    HOME = "home", _("Home phone")
    EMAIL = "email", _("Email")
    MAIL = "mail", _("Mail")


class PatientQuerySet(models.QuerySet["Patient"]):
    def active(self) -> PatientQuerySet:
        return self.filter(is_active=True, merged_into__isnull=True)


class Patient(TimeStampedModel, AddressFields):
    """A person the practice sees. Every field here is PHI; reads are audited (see selectors / views)."""

    account_number = models.CharField(_("account number"), max_length=12, unique=True, editable=False)
    first_name = models.CharField(_("first name"), max_length=35)
    middle_name = models.CharField(_("middle name"), max_length=25, blank=True)
    last_name = models.CharField(_("last name"), max_length=60)
    date_of_birth = models.DateField(_("date of birth"))
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    phone_mobile = models.CharField(_("mobile phone"), max_length=20, blank=True, validators=[validate_phone])
    phone_home = models.CharField(_("home phone"), max_length=20, blank=True, validators=[validate_phone])
    email = models.EmailField(_("email"), blank=True)
    preferred_contact = models.CharField(_("preferred contact"), max_length=8, choices=PreferredContact.choices,
                                         default=PreferredContact.MOBILE)
    preferred_language = models.CharField(_("preferred language"), max_length=40, default="English")
    home_location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="patients",
                                      verbose_name=_("home location"))
    guarantor = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="dependents",
                                  verbose_name=_("guarantor"),
                                  help_text=_("Who pays the patient's balance; empty means the patient."))
    emergency_contact_name = models.CharField(_("emergency contact"), max_length=80, blank=True)
    emergency_contact_phone = models.CharField(_("emergency contact phone"), max_length=20, blank=True,
                                               validators=[validate_phone])
    emergency_contact_relationship = models.CharField(_("relationship"), max_length=40, blank=True)
    ssn = EncryptedTextField(_("SSN"), blank=True)
    ssn_last4 = models.CharField(_("SSN last four"), max_length=4, blank=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    merged_into = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged",
                                    editable=False)
    # Derived search keys, kept in step by save(): indexed, so search is an index range scan on both databases.
    # db_index=True (not Meta.indexes) so PostgreSQL also gets the varchar_pattern_ops index LIKE 'x%' needs.
    search_last_name = models.CharField(max_length=60, editable=False, default="", db_index=True)
    search_first_name = models.CharField(max_length=35, editable=False, default="", db_index=True)
    phone_mobile_digits = models.CharField(max_length=10, editable=False, default="", db_index=True)
    phone_home_digits = models.CharField(max_length=10, editable=False, default="", db_index=True)

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name", "date_of_birth"]
        indexes = [
            models.Index(fields=["search_last_name", "search_first_name"], name="patient_name_idx"),
            models.Index(fields=["date_of_birth"], name="patient_dob_idx"),
            models.Index(fields=["home_location", "last_name"], name="patient_location_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(merged_into=F("pk")), name="patient_not_merged_into_self"),
        ]

    def __str__(self) -> str:
        return f"{self.last_name}, {self.first_name}"

    def get_absolute_url(self) -> str:
        return reverse("patients:patient_detail", kwargs={"pk": self.pk})

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.middle_name, self.last_name) if part)

    @property
    def ssn_masked(self) -> str:
        return f"***-**-{self.ssn_last4}" if self.ssn_last4 else ""

    def age_on(self, on_date: datetime.date) -> int:
        born = self.date_of_birth
        return on_date.year - born.year - ((on_date.month, on_date.day) < (born.month, born.day))

    def refresh_search_keys(self) -> None:
        self.search_last_name = normalize_name(self.last_name)[:60]
        self.search_first_name = normalize_name(self.first_name)[:35]
        self.phone_mobile_digits = phone_digits(self.phone_mobile)[:10]
        self.phone_home_digits = phone_digits(self.phone_home)[:10]
        digits = re.sub(r"\D", "", self.ssn or "")
        self.ssn_last4 = digits[-4:] if digits else ""

    def clean(self) -> None:
        super().clean()
        errors: dict[str, Any] = {}
        if self.date_of_birth and self.date_of_birth > timezone.localdate():
            errors["date_of_birth"] = _("The date of birth cannot be in the future.")
        if self.date_of_birth and self.date_of_birth < datetime.date(1900, 1, 1):
            errors["date_of_birth"] = _("Enter a date of birth after 1900.")
        if self.ssn and not re.fullmatch(r"\d{3}-?\d{2}-?\d{4}", self.ssn):
            errors["ssn"] = _("Enter the SSN as 123-45-6789.")
        if self.guarantor_id and self.pk and self.guarantor_id == self.pk:
            errors["guarantor"] = _("Leave the guarantor empty when the patient pays their own balance.")
        if errors:
            raise ValidationError(errors)

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.refresh_search_keys()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = set(update_fields) | {
                "search_last_name", "search_first_name", "phone_mobile_digits", "phone_home_digits", "ssn_last4"}
        super().save(*args, **kwargs)


class CoverageRank(models.IntegerChoices):
    PRIMARY = 1, _("Primary")
    SECONDARY = 2, _("Secondary")
    TERTIARY = 3, _("Tertiary")


class SubscriberRelationship(models.TextChoices):
    """Patient's relationship to the subscriber (X12 SBR02 / PAT01: 18 self, 01 spouse, 19 child, G8 other)."""

    SELF = "self", _("Self")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    OTHER = "other", _("Other")


class Coverage(TimeStampedModel):
    """A patient's insurance policy in a rank (primary pays first)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="coverages")
    rank = models.PositiveSmallIntegerField(_("order"), choices=CoverageRank.choices, default=CoverageRank.PRIMARY)
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="coverages")
    plan = models.ForeignKey(PayerPlan, on_delete=models.PROTECT, null=True, blank=True, related_name="coverages")
    member_id = models.CharField(_("member ID"), max_length=40)
    group_number = models.CharField(_("group number"), max_length=40, blank=True)
    subscriber_relationship = models.CharField(_("patient is the subscriber's"), max_length=8,
                                               choices=SubscriberRelationship.choices,
                                               default=SubscriberRelationship.SELF)
    subscriber_first_name = models.CharField(_("subscriber first name"), max_length=35, blank=True)
    subscriber_last_name = models.CharField(_("subscriber last name"), max_length=60, blank=True)
    subscriber_date_of_birth = models.DateField(_("subscriber date of birth"), null=True, blank=True)
    subscriber_sex = models.CharField(_("subscriber sex"), max_length=1, choices=Sex.choices, blank=True)
    subscriber_address_line1 = models.CharField(_("subscriber address"), max_length=55, blank=True)
    subscriber_address_line2 = models.CharField(_("subscriber address line 2"), max_length=55, blank=True)
    subscriber_city = models.CharField(_("subscriber city"), max_length=30, blank=True)
    subscriber_state = models.CharField(_("subscriber state"), max_length=2, choices=StateChoices, blank=True)
    subscriber_postal_code = models.CharField(_("subscriber ZIP code"), max_length=10, blank=True,
                                              validators=[validate_zip])
    effective_from = models.DateField(_("effective from"))
    effective_to = models.DateField(_("effective to"), null=True, blank=True)
    copay = models.DecimalField(_("copay"), max_digits=8, decimal_places=2, default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["patient", "-is_active", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "rank"], condition=Q(is_active=True),
                                    name="coverage_rank_unique_active"),
            models.CheckConstraint(condition=Q(effective_to__isnull=True) | Q(effective_to__gte=F("effective_from")),
                                   name="coverage_dates_order"),
            models.CheckConstraint(condition=Q(copay__gte=0), name="coverage_copay_not_negative"),
            models.CheckConstraint(condition=Q(rank__gte=1, rank__lte=3), name="coverage_rank_range"),
        ]
        indexes = [models.Index(fields=["member_id"], name="coverage_member_idx")]

    def __str__(self) -> str:
        return f"{self.get_rank_display()}: {self.payer.name}"

    def get_absolute_url(self) -> str:
        return reverse("patients:coverage_edit", kwargs={"pk": self.pk})

    def is_in_force_on(self, on_date: datetime.date) -> bool:
        """Whether the policy covered `on_date`, judged from its dates: a policy ended later (effective_to set,
        is_active switched off by coverage_end) still covered the visits before its end. Without an end date the
        active flag decides."""
        if on_date < self.effective_from:
            return False
        if self.effective_to is not None:
            return on_date <= self.effective_to
        return self.is_active

    def is_active_on(self, on_date: datetime.date) -> bool:
        if not self.is_active or on_date < self.effective_from:
            return False
        return self.effective_to is None or on_date <= self.effective_to

    @property
    def subscriber_name(self) -> str:
        if self.subscriber_relationship == SubscriberRelationship.SELF:
            return self.patient.full_name
        return f"{self.subscriber_first_name} {self.subscriber_last_name}".strip()

    def clean(self) -> None:
        super().clean()
        errors: dict[str, Any] = {}
        if self.effective_from and self.effective_to and self.effective_to < self.effective_from:
            errors["effective_to"] = _("The end date cannot be before the start date.")
        if self.copay is not None and self.copay < 0:
            errors["copay"] = _("The copay cannot be negative.")
        if self.plan_id and self.payer_id:
            # By id, not self.plan: an unknown plan id already has its field error from clean_fields(), and
            # self.plan would raise RelatedObjectDoesNotExist (a 500) instead of letting that error through.
            plan_payer_id = PayerPlan.objects.filter(pk=self.plan_id).values_list("payer_id", flat=True).first()
            if plan_payer_id is not None and plan_payer_id != self.payer_id:
                errors["plan"] = _("This plan belongs to another payer.")
        if self.subscriber_relationship != SubscriberRelationship.SELF:
            for name in ("subscriber_first_name", "subscriber_last_name", "subscriber_date_of_birth", "subscriber_sex"):
                if not getattr(self, name):
                    errors[name] = _("Required when the patient is not the subscriber.")
            if self.subscriber_date_of_birth and self.subscriber_date_of_birth > timezone.localdate():
                errors["subscriber_date_of_birth"] = _("The date of birth cannot be in the future.")
        if errors:
            raise ValidationError(errors)


class CardSide(models.TextChoices):
    FRONT = "front", _("Front")
    BACK = "back", _("Back")


class CoverageCard(models.Model):
    """A scan or photo of one side of an insurance card; served only through a permission-checked view."""

    coverage = models.ForeignKey(Coverage, on_delete=models.CASCADE, related_name="cards")
    side = models.CharField(_("side"), max_length=5, choices=CardSide.choices)
    file = models.FileField(_("image"), upload_to="coverage-cards/", max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["coverage", "side", "-uploaded_at"]

    def __str__(self) -> str:
        return f"{self.get_side_display()} of card ({self.coverage_id})"


class EligibilityResponse(models.Model):
    """What the payer said about a coverage in a 271 eligibility response (shown at check-in)."""

    coverage = models.ForeignKey(Coverage, on_delete=models.CASCADE, related_name="eligibility_responses")
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    is_active = models.BooleanField(_("coverage active"))
    plan_description = models.CharField(_("plan"), max_length=120, blank=True)
    copay = models.DecimalField(_("office visit copay"), max_digits=8, decimal_places=2, null=True, blank=True)
    deductible = models.DecimalField(_("deductible"), max_digits=10, decimal_places=2, null=True, blank=True)
    deductible_remaining = models.DecimalField(_("deductible remaining"), max_digits=10, decimal_places=2,
                                               null=True, blank=True)
    message = models.CharField(_("payer message"), max_length=300, blank=True)
    trace_number = models.CharField(_("trace number"), max_length=50, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["coverage", "received_at"], name="eligibility_coverage_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(copay__isnull=True) | Q(copay__gte=0), name="eligibility_copay_gte0"),
            models.CheckConstraint(condition=Q(deductible__isnull=True) | Q(deductible__gte=0),
                                   name="eligibility_deductible_gte0"),
        ]

    def __str__(self) -> str:
        return f"{self.coverage_id}: {'active' if self.is_active else 'inactive'} ({self.received_at:%Y-%m-%d})"
