"""Vendors: the firms the practice buys from or hires (suppliers, service providers, maintenance and cleaning
firms, medical sales companies), their people, their contracts, what was negotiated with them, and the visits of
their sales representatives.

The tax ID is encrypted at rest (its last four digits are kept plain for lookups and display). Contract documents
are stored outside the web root and served by a permission-checked view.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from openpractice.core.fields import EncryptedTextField
from openpractice.core.models import TimeStampedModel

from .choices import ContractKind, ContractStatus, NegotiationOutcome, PaymentTerms, VendorKind


class VendorCategory(models.Model):
    """What a vendor sells or does (medical supplies, office supplies, IT, biomedical service ...)."""

    name = models.CharField(_("name"), max_length=80, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "vendor categories"

    def __str__(self) -> str:
        return self.name


class Vendor(TimeStampedModel):
    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=11, choices=VendorKind.choices)
    categories = models.ManyToManyField(VendorCategory, blank=True, related_name="vendors",
                                        verbose_name=_("categories"))
    account_number = models.CharField(_("our account number with them"), max_length=40, blank=True)
    tax_id = EncryptedTextField(_("tax ID (EIN)"), blank=True)
    tax_id_last4 = models.CharField(max_length=4, blank=True, editable=False)  # set by the services
    payment_terms = models.CharField(_("payment terms"), max_length=8, choices=PaymentTerms.choices,
                                     default=PaymentTerms.NET_30)
    order_email = models.EmailField(_("email for purchase orders"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    website = models.URLField(_("website"), blank=True)
    address_line1 = models.CharField(_("address"), max_length=55, blank=True)
    address_line2 = models.CharField(_("address line 2"), max_length=55, blank=True)
    city = models.CharField(_("city"), max_length=30, blank=True)
    state = models.CharField(_("state"), max_length=2, blank=True)
    postal_code = models.CharField(_("ZIP code"), max_length=10, blank=True)
    handles_phi = models.BooleanField(
        _("handles PHI"), default=False,
        help_text=_("The vendor creates, receives, keeps or sends patient information for the practice: a business "
                    "associate agreement is required."))
    notes = models.TextField(_("notes"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class VendorContact(models.Model):
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=120)
    title = models.CharField(_("title"), max_length=80, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    is_sales_rep = models.BooleanField(_("sales representative"), default=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["vendor", "-is_primary", "name", "pk"]
        constraints = [models.UniqueConstraint(fields=["vendor"], condition=Q(is_primary=True),
                                               name="vendor_one_primary_contact")]

    def __str__(self) -> str:
        return f"{self.name} ({self.vendor})"


class Contract(TimeStampedModel):
    """An agreement with a vendor. With auto-renewal, the notice deadline (the end date less the notice period)
    is the last day to cancel; alerts go out before it."""

    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="contracts")
    kind = models.CharField(_("type"), max_length=11, choices=ContractKind.choices)
    title = models.CharField(_("title"), max_length=200)
    reference = models.CharField(_("contract number"), max_length=60, blank=True)
    terms = models.TextField(_("terms"), blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True, help_text=_("Empty: open-ended."))
    auto_renews = models.BooleanField(_("renews automatically"), default=False)
    renewal_months = models.PositiveSmallIntegerField(_("renewal term (months)"), null=True, blank=True)
    notice_days = models.PositiveSmallIntegerField(_("notice period (days)"), default=0)
    annual_value = models.DecimalField(_("annual value"), max_digits=12, decimal_places=2, null=True, blank=True,
                                       validators=[MinValueValidator(Decimal("0"))])
    handles_phi = models.BooleanField(_("involves PHI"), default=False,
                                      help_text=_("Work under this contract touches patient information."))
    status = models.CharField(_("status"), max_length=9, choices=ContractStatus.choices,
                              default=ContractStatus.ACTIVE)
    document = models.FileField(upload_to="vendors/contracts/", max_length=200, blank=True)
    document_name = models.CharField(max_length=200, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", verbose_name=_("owner"))
    # Alert thresholds (days before the notice deadline) already sent for the current term.
    notice_alerts_sent = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["vendor", "-starts_on", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                                   name="contract_ends_after_start",
                                   violation_error_message=_("The contract cannot end before it starts.")),
            models.CheckConstraint(condition=Q(auto_renews=False) | Q(renewal_months__gte=1),
                                   name="contract_renewal_has_term",
                                   violation_error_message=_("A contract that renews itself needs a renewal "
                                                             "term of at least one month.")),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def notice_deadline(self) -> dt.date | None:
        """The last day to give notice so the contract does not renew (or to plan its end)."""
        if self.ends_on is None:
            return None
        return self.ends_on - dt.timedelta(days=self.notice_days)


class Negotiation(models.Model):
    """One round of talks with a vendor (optionally about one contract): who, the asks, the offers, the outcome
    and what it saves a year."""

    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="negotiations")
    contract = models.ForeignKey(Contract, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="negotiations")
    held_on = models.DateField(_("date"))
    their_people = models.CharField(_("their people"), max_length=300, blank=True)
    our_people = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+",
                                        verbose_name=_("our people"))
    asks = models.TextField(_("what we asked for"))
    offers = models.TextField(_("what they offered"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=8, choices=NegotiationOutcome.choices,
                               default=NegotiationOutcome.OPEN)
    annual_savings = models.DecimalField(_("savings a year"), max_digits=12, decimal_places=2, default=Decimal("0"),
                                         validators=[MinValueValidator(Decimal("0"))])
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(annual_savings__gte=0), name="negotiation_savings_positive")]

    def __str__(self) -> str:
        return f"{self.vendor} {self.held_on}"


class RepAccessPolicy(models.Model):
    """The practice's rules for sales representatives: by appointment only, on certain weekdays and hours."""

    singleton = models.BooleanField(default=True, editable=False, unique=True)
    appointment_only = models.BooleanField(_("by appointment only"), default=True)
    allowed_weekdays = models.JSONField(_("allowed days"), default=list, blank=True,
                                        help_text=_("ISO weekdays (1 = Monday). Empty: any day."))
    earliest = models.TimeField(_("not before"), null=True, blank=True)
    latest = models.TimeField(_("not after"), null=True, blank=True)
    max_visits_per_month = models.PositiveSmallIntegerField(_("visits per company a month"), null=True, blank=True)
    notes = models.TextField(_("rules shown to staff"), blank=True)

    def __str__(self) -> str:
        return "Sales representative access policy"


class RepVisit(TimeStampedModel):
    """A sales representative's visit: who came, who met them, what they talked about. Samples they left are
    received into sample stock by the inventory module."""

    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="rep_visits")
    rep = models.ForeignKey(VendorContact, on_delete=models.PROTECT, null=True, blank=True, related_name="visits",
                            verbose_name=_("representative"))
    rep_name = models.CharField(_("representative (if not a contact)"), max_length=120, blank=True)
    location = models.ForeignKey("core.Location", on_delete=models.PROTECT, related_name="+")
    visited_at = models.DateTimeField(_("visited at"))
    had_appointment = models.BooleanField(_("had an appointment"), default=True)
    met_with = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+",
                                      verbose_name=_("met with"))
    products = models.TextField(_("products discussed"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    # Filled when the visit is logged: what the access policy said about it (kept as it was then).
    policy_exceptions = models.JSONField(default=list, blank=True)
    logged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-visited_at", "-pk"]
        constraints = [models.CheckConstraint(condition=Q(rep__isnull=False) | ~Q(rep_name=""),
                                              name="rep_visit_names_the_rep",
                                              violation_error_message=_("Name the representative: choose a "
                                                                        "contact or type the name."))]

    def __str__(self) -> str:
        return f"{self.vendor} {self.visited_at:%Y-%m-%d}"
