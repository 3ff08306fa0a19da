"""Procedure codes the practice bills. CPT descriptors are AMA-licensed: a code is stored bare and gets a
descriptor only from a file the practice imports under its own licence."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from openpractice.core.models import TimeStampedModel

from ..choices import ProcedureCodeKind


class ProcedureCode(TimeStampedModel):
    code = models.CharField(_("code"), max_length=5)
    kind = models.CharField(_("code set"), max_length=5, choices=ProcedureCodeKind.choices)
    descriptor = models.CharField(_("descriptor"), max_length=300, blank=True,
                                  help_text=_("Only from a descriptor file the practice is licensed to use."))
    descriptor_source = models.CharField(_("descriptor source"), max_length=120, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["code"], name="procedure_code_unique"),
            models.CheckConstraint(condition=Q(code__regex=r"^([0-9]{4}[0-9FTU]|[A-V][0-9]{4})$"),
                                   name="procedure_code_format"),
        ]

    def __str__(self) -> str:
        return self.code
