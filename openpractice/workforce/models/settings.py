from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkforceSettings(models.Model):
    """The practice's HR settings: one row (pk 1)."""

    block_phi_without_hipaa_training = models.BooleanField(
        _("block PHI access when HIPAA training has lapsed"), default=False)
    block_booking_with_expired_licence = models.BooleanField(
        _("refuse bookings with a provider whose licence has expired"), default=False,
        help_text=_("Off: such bookings are allowed and flagged."))
    credential_alert_days = models.JSONField(_("credential alerts (days before expiry)"), default=list)
    overtime_weekly_hours = models.DecimalField(_("overtime after (hours a week)"), max_digits=5, decimal_places=2,
                                                default=40)

    def __str__(self) -> str:
        return "Workforce settings"

    @classmethod
    def load(cls) -> WorkforceSettings:
        found, _created = cls.objects.get_or_create(pk=1, defaults={"credential_alert_days": [90, 60, 30]})
        return found
