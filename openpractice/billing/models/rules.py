"""Practice-defined scrubber rules: payer / code / modifier / place-of-service conditions -> error or warning."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from openpractice.core.models import TimeStampedModel

from ..choices import Severity


class ScrubRule(TimeStampedModel):
    """Fires on each claim line that matches every filter given (empty filter = any) and breaks the requirement.

    With no requirement set the rule fires on every matching line (e.g. "payer X does not cover code Y").
    """

    name = models.CharField(_("name"), max_length=80)
    # Filters: which lines the rule looks at.
    payer = models.ForeignKey("patients.Payer", on_delete=models.CASCADE, null=True, blank=True,
                              related_name="scrub_rules", verbose_name=_("payer"))
    procedure_code = models.CharField(_("CPT/HCPCS"), max_length=5, blank=True)
    place_of_service = models.CharField(_("place of service"), max_length=2, blank=True)
    # Requirements: what a matching line must (not) have.
    requires_modifier = models.CharField(_("requires modifier"), max_length=2, blank=True)
    forbids_modifier = models.CharField(_("forbids modifier"), max_length=2, blank=True)
    requires_prior_authorization = models.BooleanField(_("requires prior authorization"), default=False)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices, default=Severity.ERROR)
    message = models.CharField(_("message for the biller"), max_length=200)
    fix_hint = models.CharField(_("how to fix"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["name"], name="scrub_rule_name_unique")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("billing:rule_edit", args=[self.pk])
