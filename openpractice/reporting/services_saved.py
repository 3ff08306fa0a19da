"""Writes of saved reports: a person saves a list with its filters under a name, and deletes their own.

Only a list the person may open now can be saved (a list they may not open is refused and audited, before any
transaction opens, like any refusal); the query string is kept without the page number or an export format. A
report belongs to its owner alone: deleting someone else's is refused and audited. Saved reports hold no
regulated data of their own; creating and deleting them is audited all the same (the query is never in the
event: a search may be a patient's name).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import refuse
from openpractice.audit.services import record

from .models import SavedReport
from .selectors_saved import QUERY_MAX_LENGTH, SAVABLE_ROUTES, clean_query, route_open_to

NAME_MAX_LENGTH = SavedReport._meta.get_field("name").max_length or 100


def saved_report_create(*, actor: Any, name: str, route: str, query: str = "") -> SavedReport:
    """Save the list `route` (a URL name such as "billing:claim_list") with `query` as `name`."""
    if route not in SAVABLE_ROUTES:
        raise ValidationError({"route": _("Only a list can be saved as a report.")}, code="not_a_list")
    if not route_open_to(actor, route):
        raise refuse(actor=actor, permission=f"open {route}", action="reports.saved_report_created",
                     reason=f"{route}: the list is not open to this person")
    name = " ".join(name.split())
    cleaned = clean_query(query)
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("Give the report a name.")
    elif len(name) > NAME_MAX_LENGTH:
        errors["name"] = _("At most %(count)s characters.") % {"count": NAME_MAX_LENGTH}
    elif SavedReport.objects.filter(owner_id=actor.pk, name=name).exists():
        errors["name"] = _("You already have a report called “%(name)s”. Choose another name or delete that one "
                           "first.") % {"name": name}
    if len(cleaned) > QUERY_MAX_LENGTH:
        errors["query"] = _("These filters are too long to save (%(count)s characters at most).") % {
            "count": QUERY_MAX_LENGTH}
    if errors:
        raise ValidationError(errors)
    return _create(actor=actor, name=name, route=route, query=cleaned)


@transaction.atomic
def _create(*, actor: Any, name: str, route: str, query: str) -> SavedReport:
    report = SavedReport(owner=actor, name=name, route=route, query=query)
    report.full_clean()
    report.save()
    record(actor=actor, action="reports.saved_report_created", target=report, reason=route)
    return report


def saved_report_delete(*, actor: Any, report: SavedReport) -> None:
    """Delete one of the actor's own reports; anybody else's is refused (audited)."""
    if report.owner_id != getattr(actor, "pk", None):
        raise refuse(actor=actor, permission="own saved report", action="reports.saved_report_deleted",
                     target=report)
    _delete(actor=actor, report=report)


@transaction.atomic
def _delete(*, actor: Any, report: SavedReport) -> None:
    pk, route = report.pk, report.route
    report.delete()
    record(actor=actor, action="reports.saved_report_deleted", object_type="reporting.savedreport", object_id=pk,
           reason=route)
