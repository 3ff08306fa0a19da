from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from openpractice.accounts.roles import Role, Tier
from openpractice.core.models import TimeStampedModel

from ..choices import Education, PayBasis


class Position(TimeStampedModel):
    """A job in the practice: what it is called, which system role and seniority tier it carries (the permission
    model's vocabulary), where it sits, whom it reports to, what it requires and what it pays."""

    title = models.CharField(_("title"), max_length=120)
    role = models.CharField(_("system role"), max_length=32, choices=Role.choices, blank=True,
                            help_text=_("The role a person hired into this position gets in OpenPractice."))
    tier = models.CharField(_("seniority tier"), max_length=16, choices=Tier.choices, blank=True)
    department = models.ForeignKey("core.Department", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="positions")
    location = models.ForeignKey("core.Location", on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="positions", help_text=_("Empty: the position serves every location."))
    reports_to = models.ForeignKey("self", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="direct_reports")
    # The next step on this position's career path (office manager entry -> mid -> experienced -> practice
    # manager entry -> advanced -> senior; the clinical ladders).
    next_position = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True,
                                      related_name="previous_positions", verbose_name=_("next on the career path"))
    required_education = models.CharField(_("required education"), max_length=12, choices=Education.choices,
                                          default=Education.NONE)
    required_certifications = models.ManyToManyField("workforce.CredentialType", blank=True,
                                                     related_name="required_by")
    preferred_certifications = models.ManyToManyField("workforce.CredentialType", blank=True,
                                                      related_name="preferred_by")
    min_months_in_previous_role = models.PositiveSmallIntegerField(
        _("months in the previous role"), default=0,
        help_text=_("Time in the position before this one on the path that a promotion asks for."))
    pay_basis = models.CharField(_("pay basis"), max_length=6, choices=PayBasis.choices, default=PayBasis.ANNUAL)
    pay_min = models.DecimalField(_("pay range from"), max_digits=10, decimal_places=2, null=True, blank=True)
    pay_max = models.DecimalField(_("pay range to"), max_digits=10, decimal_places=2, null=True, blank=True)
    headcount = models.PositiveSmallIntegerField(_("budgeted headcount"), default=1)
    description = models.TextField(_("duties"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["title", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(pay_min__isnull=True) | Q(pay_max__isnull=True)
                                   | Q(pay_min__lte=models.F("pay_max")), name="position_pay_range_ordered"),
            models.CheckConstraint(condition=Q(pay_min__isnull=True) | Q(pay_min__gt=0),
                                   name="position_pay_positive"),
            models.CheckConstraint(condition=~Q(reports_to=models.F("pk")), name="position_not_own_manager"),
        ]

    def __str__(self) -> str:
        return self.title
