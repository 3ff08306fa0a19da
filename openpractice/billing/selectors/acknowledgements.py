"""Reads for the acknowledgement and eligibility pages.

Imported files (999, 277CA, 271) are practice-wide records of what came back from the clearinghouse: anyone
who reads billing somewhere sees the list (file name, kind, who imported it and the counts; never the claims
of other locations, which the counts do not name). Coverages for eligibility requests are scoped by the
patient's home location, as the patients app scopes them.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.patients.models import Coverage
from openpractice.patients.selectors import coverage_scoped

from ..models import AcknowledgementImport


def ack_import_list(*, actor: Any) -> QuerySet[AcknowledgementImport]:
    if not can(actor, Perm.BILLING_VIEW):
        return AcknowledgementImport.objects.none()
    return AcknowledgementImport.objects.select_related("imported_by")


def eligibility_coverages(*, actor: Any) -> QuerySet[Coverage]:
    """Coverages the actor may ask a payer about (BILLING_MANAGE at the patient's home location)."""
    return coverage_scoped(actor=actor, permission=Perm.BILLING_MANAGE)
