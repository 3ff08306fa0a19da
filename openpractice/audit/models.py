"""The append-only audit trail. Each row carries the SHA-256 of the previous row's hash and its own content,
so that editing, deleting, inserting or reordering rows breaks the chain (`openpractice audit verify`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Outcome(models.TextChoices):
    ALLOWED = "allowed", _("Allowed")
    DENIED = "denied", _("Denied")


class AuditEvent(models.Model):
    # Gapless position in the chain (assigned under a lock); the primary key may have gaps.
    seq = models.BigIntegerField(unique=True, editable=False)
    occurred_at = models.DateTimeField(editable=False, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+", db_index=True)
    # The username at the time, so the row stays readable even if the account is later renamed.
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    patient_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    location_id = models.BigIntegerField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices, default=Outcome.ALLOWED)
    # Names of changed fields, comma-separated: never their values (they may be PHI).
    changed_fields = models.CharField(max_length=1000, blank=True)
    # A short, non-PHI note: the reason for a break-glass access, the kind of denial.
    reason = models.CharField(max_length=200, blank=True)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)

    class Meta:
        ordering = ["-seq"]
        indexes = [
            models.Index(fields=["actor", "-seq"], name="audit_actor_seq_idx"),
            models.Index(fields=["patient_id", "-seq"], name="audit_patient_seq_idx"),
            # Reports over a period of one action (the access review: the quarter's patient views, the sign-ins)
            # read this index alone: a range on (action, occurred_at) that also holds who, which patient and the
            # outcome, so the rows themselves (scattered over the whole table) are never fetched. Key columns
            # rather than INCLUDE, which SQLite drops; and no condition on the outcome, since SQLite only reads an
            # index alone when every column the query names is in it.
            models.Index(fields=["action", "occurred_at", "actor", "patient_id", "outcome"],
                         name="audit_action_time_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} by {self.actor_label or 'system'}"

    @property
    def changed_field_list(self) -> list[str]:
        return [name for name in self.changed_fields.split(",") if name]
