"""Vendor writes: the vendor record (tax ID encrypted, its last four kept for display), contacts, negotiations and
sales-rep visits (checked against the practice's rep-access policy when logged).

vendors.manage changes vendors and contacts and logs visits; negotiations need vendors.negotiate (the practice
manager's duty). Refusals are audited and change nothing; every change is audited with the fields it touched,
never their values (the tax ID is sensitive).
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.compliance.services.associates import associate_for_vendor
from openpractice.core.selectors import practice_timezone_name

from ..models import Negotiation, RepAccessPolicy, RepVisit, Vendor, VendorCategory, VendorContact

VENDOR_FIELDS: tuple[str, ...] = (
    "name", "kind", "account_number", "tax_id", "payment_terms", "order_email", "phone", "website", "address_line1",
    "address_line2", "city", "state", "postal_code", "handles_phi", "notes", "is_active",
)  # fmt: skip
CONTACT_FIELDS: tuple[str, ...] = ("name", "title", "email", "phone", "is_primary", "is_sales_rep", "is_active")
TAX_ID = re.compile(r"^\d{2}-?\d{7}$")


def _require(actor: Any, permission: str, action: str, target: Any = None) -> None:
    if not can(actor, permission):
        raise refuse(actor=actor, permission=permission, action=action, target=target)


def _clean(data: Mapping[str, Any], allowed: tuple[str, ...]) -> dict[str, Any]:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationError(_("Unknown or read-only field(s): %(fields)s.") % {"fields": ", ".join(unknown)},
                              code="unknown_field")
    return {name: (value.strip() if isinstance(value, str) else value) for name, value in data.items()}


def _tax_id(value: str) -> tuple[str, str]:
    """An EIN as 12-3456789 (or empty), and its last four digits."""
    if not value:
        return "", ""
    if not TAX_ID.match(value):
        raise ValidationError({"tax_id": _("Enter the EIN as nine digits, e.g. 12-3456789.")})
    digits = value.replace("-", "")
    return f"{digits[:2]}-{digits[2:]}", digits[-4:]


def _check_name_free(name: str, exclude_pk: int | None = None) -> None:
    taken = Vendor.objects.filter(name__iexact=name)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationError({"name": _("A vendor with this name is already on file.")}, code="duplicate_name")


def vendor_create(*, actor: Any, data: Mapping[str, Any], categories: Iterable[VendorCategory] = ()) -> Vendor:
    _require(actor, Perm.VENDORS_MANAGE, "vendors.vendor_create")
    values = _clean(data, VENDOR_FIELDS)
    values["tax_id"], last4 = _tax_id(values.get("tax_id", ""))
    vendor = Vendor(tax_id_last4=last4, **values)
    vendor.full_clean(validate_unique=False)
    with transaction.atomic():
        _check_name_free(vendor.name)
        vendor.save(force_insert=True)
        vendor.categories.set(list(categories))
        record(actor=actor, action="vendors.vendor_created", target=vendor, changed_fields=sorted(values))
        if vendor.handles_phi:
            associate_for_vendor(actor=actor, vendor=vendor)
    return vendor


def vendor_update(*, actor: Any, vendor: Vendor, data: Mapping[str, Any],
                  categories: Iterable[VendorCategory] | None = None) -> Vendor:
    _require(actor, Perm.VENDORS_MANAGE, "vendors.vendor_update", vendor)
    values = _clean(data, VENDOR_FIELDS)
    if "tax_id" in values:
        values["tax_id"], values["tax_id_last4"] = _tax_id(values["tax_id"])
    with transaction.atomic():
        locked = Vendor.objects.select_for_update().get(pk=vendor.pk)
        changed = [name for name, value in values.items() if getattr(locked, name) != value]
        for name in changed:
            setattr(locked, name, values[name])
        locked.full_clean(validate_unique=False)
        if "name" in changed:
            _check_name_free(locked.name, exclude_pk=locked.pk)
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
        if categories is not None:
            wanted = {category.pk for category in categories}
            if wanted != set(locked.categories.values_list("pk", flat=True)):
                locked.categories.set(sorted(wanted))
                changed.append("categories")
        if changed:
            record(actor=actor, action="vendors.vendor_updated", target=locked,
                   changed_fields=[name for name in changed if name != "tax_id_last4"])
        if "handles_phi" in changed and locked.handles_phi:
            associate_for_vendor(actor=actor, vendor=locked)
    return locked


def contact_save(*, actor: Any, vendor: Vendor, data: Mapping[str, Any],
                 contact: VendorContact | None = None) -> VendorContact:
    """Add or change a contact; making one primary makes the vendor's previous primary contact ordinary."""
    _require(actor, Perm.VENDORS_MANAGE, "vendors.contact_save", contact or vendor)
    if contact is not None and contact.vendor_id != vendor.pk:
        raise ValidationError(_("The contact belongs to another vendor."))
    values = _clean(data, CONTACT_FIELDS)
    with transaction.atomic():
        Vendor.objects.select_for_update().filter(pk=vendor.pk).first()  # contacts of a vendor change in turn
        target = contact or VendorContact(vendor=vendor)
        for name, value in values.items():
            setattr(target, name, value)
        if target.is_primary:
            vendor.contacts.filter(is_primary=True).exclude(pk=target.pk).update(is_primary=False)
        target.full_clean(validate_unique=False)
        target.save()
        record(actor=actor, action="vendors.contact_saved", target=target, changed_fields=sorted(values))
    return target


def negotiation_log(*, actor: Any, vendor: Vendor, data: Mapping[str, Any], our_people: Iterable[Any] = ()
                    ) -> Negotiation:
    """Record a round of talks: the asks, the offers, the outcome and the yearly savings."""
    _require(actor, Perm.VENDORS_NEGOTIATE, "vendors.negotiation_log", vendor)
    values = _clean(data, ("contract", "held_on", "their_people", "asks", "offers", "outcome", "annual_savings"))
    contract = values.get("contract")
    if contract is not None and contract.vendor_id != vendor.pk:
        raise ValidationError({"contract": _("Choose one of this vendor's contracts.")})
    negotiation = Negotiation(vendor=vendor, logged_by=actor, **values)
    negotiation.full_clean()
    with transaction.atomic():
        negotiation.save(force_insert=True)
        negotiation.our_people.set(list(our_people))
        record(actor=actor, action="vendors.negotiation_logged", target=negotiation, changed_fields=sorted(values))
    return negotiation


def rep_policy() -> RepAccessPolicy:
    policy, _created = RepAccessPolicy.objects.get_or_create(singleton=True)
    return policy


def rep_policy_exceptions(*, policy: RepAccessPolicy, visited_at: dt.datetime, had_appointment: bool,
                          visits_this_month: int) -> list[str]:
    """What a visit did against the practice's policy, in words (kept on the visit as it was then)."""
    local = visited_at.astimezone(zoneinfo.ZoneInfo(practice_timezone_name()))
    found = []
    if policy.appointment_only and not had_appointment:
        found.append(_("came without an appointment"))
    if policy.allowed_weekdays and local.isoweekday() not in policy.allowed_weekdays:
        found.append(_("came on a day reps are not seen (%(day)s)") % {"day": local.strftime("%A")})
    if policy.earliest and local.time() < policy.earliest:
        found.append(_("came before %(time)s") % {"time": policy.earliest.strftime("%H:%M")})
    if policy.latest and local.time() > policy.latest:
        found.append(_("came after %(time)s") % {"time": policy.latest.strftime("%H:%M")})
    if policy.max_visits_per_month and visits_this_month >= policy.max_visits_per_month:
        found.append(_("more than %(count)s visits this month") % {"count": policy.max_visits_per_month})
    return found


def rep_visit_log(*, actor: Any, vendor: Vendor, data: Mapping[str, Any], met_with: Iterable[Any] = ()) -> RepVisit:
    """Log a sales representative's visit at a location the actor manages vendors for; policy exceptions are
    recorded with it (a visit is logged even when it broke the policy: that is what the log is for)."""
    # Refuse someone who manages vendors nowhere before looking at what they sent (an audited refusal, not a
    # validation message); the location itself is checked once the data is read.
    if not can(actor, Perm.VENDORS_MANAGE):
        raise refuse(actor=actor, permission=Perm.VENDORS_MANAGE, action="vendors.rep_visit_log", target=vendor)
    values = _clean(data, ("rep", "rep_name", "location", "visited_at", "had_appointment", "products", "notes"))
    location = values.get("location")
    if not can(actor, Perm.VENDORS_MANAGE, location):
        raise refuse(actor=actor, permission=Perm.VENDORS_MANAGE, action="vendors.rep_visit_log", target=vendor)
    rep = values.get("rep")
    if rep is not None and rep.vendor_id != vendor.pk:
        raise ValidationError({"rep": _("Choose one of this vendor's contacts.")})
    visit = RepVisit(vendor=vendor, logged_by=actor, **values)
    visit.full_clean()
    local = visit.visited_at.astimezone(zoneinfo.ZoneInfo(practice_timezone_name()))
    month_start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    with transaction.atomic():
        earlier = RepVisit.objects.filter(vendor=vendor, visited_at__gte=month_start,
                                          visited_at__lt=visit.visited_at).count()
        visit.policy_exceptions = rep_policy_exceptions(policy=rep_policy(), visited_at=visit.visited_at,
                                                        had_appointment=visit.had_appointment,
                                                        visits_this_month=earlier)
        visit.save(force_insert=True)
        visit.met_with.set(list(met_with))
        record(actor=actor, action="vendors.rep_visit_logged", target=visit, location_id=visit.location_id,
               changed_fields=sorted(values))
    return visit
