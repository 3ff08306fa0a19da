"""Vendor reads for the pages. Vendors, contacts, contracts and negotiations are practice-wide: vendors.view sees
them all, anyone else nothing. Sales-rep visits happen at a location: vendors.view there sees them.

The lists cost the same number of queries however many rows they have (one query for the rows, one per
prefetched relation). The full tax ID is shown only on request to a vendors.manage holder, and that reveal is
audited (`vendor_tax_id_reveal`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet, Sum

from openpractice.accounts.models import User
from openpractice.accounts.permissions import can, location_ids_where, locations_where
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.compliance.selectors import associates as compliance_associates
from openpractice.core.models import Location

from .choices import ContractStatus
from .models import (
    Contract,
    Negotiation,
    RepAccessPolicy,
    RepVisit,
    Vendor,
    VendorCategory,
    VendorContact,
)

# How far ahead the "what needs a decision" view looks by default, and the furthest it may look.
DECISION_DAYS = 60
DECISION_MAX_DAYS = 730


# --- vendors ---------------------------------------------------------------------------------------------------


def vendors_visible(*, actor: Any) -> QuerySet[Vendor]:
    if not can(actor, Perm.VENDORS_VIEW):
        return Vendor.objects.none()
    return Vendor.objects.all()


def vendor_rows(*, actor: Any, kind: str = "", category_id: int | None = None,
                active: bool | None = True) -> QuerySet[Vendor]:
    """The vendor list: each vendor with its categories, its primary contact (`primary_contacts`, a list of at
    most one) and how many active contracts it has (`active_contracts`)."""
    queryset = vendors_visible(actor=actor)
    if kind:
        queryset = queryset.filter(kind=kind)
    if category_id is not None:
        queryset = queryset.filter(categories__pk=category_id)
    if active is not None:
        queryset = queryset.filter(is_active=active)
    return queryset.annotate(
        active_contracts=Count("contracts", filter=Q(contracts__status=ContractStatus.ACTIVE), distinct=True),
    ).order_by("name", "pk").prefetch_related(
        "categories",
        Prefetch("contacts", queryset=VendorContact.objects.filter(is_primary=True), to_attr="primary_contacts"),
    )


def vendor_categories() -> QuerySet[VendorCategory]:
    return VendorCategory.objects.annotate(vendor_count=Count("vendors")).order_by("name", "pk")


def vendor_choices(*, actor: Any, include: Vendor | None = None) -> QuerySet[Vendor]:
    """Vendors to pick from in a form: the active ones (and `include`, the one already chosen)."""
    condition = Q(is_active=True)
    if include is not None:
        condition |= Q(pk=include.pk)
    return vendors_visible(actor=actor).filter(condition).order_by("name", "pk")


def vendor_contacts(vendor: Vendor) -> QuerySet[VendorContact]:
    return vendor.contacts.order_by("-is_active", "-is_primary", "name", "pk")


def contacts_visible(*, actor: Any) -> QuerySet[VendorContact]:
    if not can(actor, Perm.VENDORS_VIEW):
        return VendorContact.objects.none()
    return VendorContact.objects.select_related("vendor")


def rep_choices(*, actor: Any, vendor: Vendor | None = None) -> QuerySet[VendorContact]:
    """Contacts that may be named as the visiting rep: the active ones (of one vendor when given), sales reps
    first."""
    queryset = contacts_visible(actor=actor).filter(is_active=True, vendor__is_active=True)
    if vendor is not None:
        queryset = queryset.filter(vendor=vendor)
    return queryset.order_by("vendor__name", "-is_sales_rep", "name", "pk")


def tax_id_masked(vendor: Vendor) -> str:
    """What the pages show of a tax ID: its last four digits."""
    return f"••-•••{vendor.tax_id_last4}" if vendor.tax_id_last4 else ""


def may_reveal_tax_id(actor: Any) -> bool:
    return can(actor, Perm.VENDORS_MANAGE)


def vendor_tax_id_reveal(*, actor: Any, vendor: Vendor) -> str | None:
    """The full tax ID for a vendors.manage holder (the reveal is audited, never the value); None for anyone
    else."""
    if not may_reveal_tax_id(actor):
        return None
    record(actor=actor, action="vendors.tax_id_viewed", target=vendor, changed_fields=["tax_id"])
    return str(vendor.tax_id or "")


def vendor_baa(*, actor: Any, vendor: Vendor, today: dt.date) -> Any:
    """The vendor's entry in the compliance BAA register with its standing (compliance's selector decides who
    sees it: compliance.view holders); None when there is none or the actor may not see the register."""
    return (compliance_associates.with_standing(
        compliance_associates.associates_visible(actor=actor).filter(vendor=vendor), today=today).first())


def may_see_baa_register(actor: Any) -> bool:
    return can(actor, Perm.COMPLIANCE_VIEW)


# --- contracts -------------------------------------------------------------------------------------------------


def contracts_visible(*, actor: Any) -> QuerySet[Contract]:
    if not can(actor, Perm.VENDORS_VIEW):
        return Contract.objects.none()
    return Contract.objects.select_related("vendor", "owner")


def _deadline_within(today: dt.date, days: int) -> list[int]:
    """Active contracts not yet ended whose notice deadline (end date less notice period) is at most `days` days
    away, or already passed: the office manager must decide (renew, renegotiate, cancel). One query; the
    deadline is computed here because date arithmetic with a column differs between the databases."""
    horizon = today + dt.timedelta(days=days)
    rows = Contract.objects.filter(status=ContractStatus.ACTIVE, ends_on__gte=today).values_list(
        "pk", "ends_on", "notice_days")
    return [pk for pk, ends_on, notice_days in rows
            if ends_on is not None and ends_on - dt.timedelta(days=notice_days) <= horizon]


def contract_rows(*, actor: Any, kind: str = "", status: str = "", vendor_id: int | None = None,
                  phi: bool | None = None, due_days: int | None = None,
                  today: dt.date | None = None) -> QuerySet[Contract]:
    """The contract list with its filters; `due_days`: only those whose notice deadline falls within that many
    days of `today` (or has passed while the contract still runs)."""
    queryset = contracts_visible(actor=actor)
    if kind:
        queryset = queryset.filter(kind=kind)
    if status:
        queryset = queryset.filter(status=status)
    if vendor_id is not None:
        queryset = queryset.filter(vendor_id=vendor_id)
    if phi is not None:
        queryset = queryset.filter(handles_phi=phi)
    if due_days is not None and today is not None:
        queryset = queryset.filter(pk__in=_deadline_within(today, due_days))
    return queryset


def vendor_contracts(vendor: Vendor) -> QuerySet[Contract]:
    return vendor.contracts.select_related("owner").order_by("-starts_on", "-pk")


def contract_choices(*, actor: Any, vendor: Vendor | None = None) -> QuerySet[Contract]:
    queryset = contracts_visible(actor=actor).exclude(status=ContractStatus.CANCELLED)
    if vendor is not None:
        queryset = queryset.filter(vendor=vendor)
    return queryset.order_by("vendor__name", "-starts_on", "pk")


def contract_owner_choices() -> QuerySet[User]:
    """Who may own a contract (get its notice alerts): active users; the alert goes only to those who hold
    vendors.manage when it is sent."""
    return User.objects.filter(is_active=True).order_by("last_name", "first_name", "username", "pk")


# --- negotiations ----------------------------------------------------------------------------------------------


def negotiations_visible(*, actor: Any) -> QuerySet[Negotiation]:
    if not can(actor, Perm.VENDORS_VIEW):
        return Negotiation.objects.none()
    return Negotiation.objects.select_related("vendor", "contract", "logged_by").prefetch_related("our_people")


def negotiation_rows(*, actor: Any, vendor_id: int | None = None, contract_id: int | None = None,
                     outcome: str = "") -> QuerySet[Negotiation]:
    queryset = negotiations_visible(actor=actor)
    if vendor_id is not None:
        queryset = queryset.filter(vendor_id=vendor_id)
    if contract_id is not None:
        queryset = queryset.filter(contract_id=contract_id)
    if outcome:
        queryset = queryset.filter(outcome=outcome)
    return queryset


def savings_total(queryset: QuerySet[Negotiation]) -> Decimal:
    """The yearly savings of the negotiations in `queryset` (one query)."""
    total = queryset.order_by().aggregate(total=Sum("annual_savings"))["total"]
    return total or Decimal("0")


def people_choices() -> QuerySet[User]:
    """Colleagues to name in a negotiation or a rep visit: active users."""
    return User.objects.filter(is_active=True).order_by("last_name", "first_name", "username", "pk")


# --- sales-rep visits ------------------------------------------------------------------------------------------


def rep_visits_visible(*, actor: Any) -> QuerySet[RepVisit]:
    """Visits at the locations where the actor holds vendors.view."""
    ids = location_ids_where(actor, Perm.VENDORS_VIEW)
    queryset = RepVisit.objects.select_related("vendor", "rep", "location", "logged_by")
    if ids is None:
        return queryset
    return queryset.filter(location_id__in=ids)


def rep_visit_rows(*, actor: Any, vendor_id: int | None = None, location_id: int | None = None,
                   exceptions_only: bool = False) -> QuerySet[RepVisit]:
    queryset = rep_visits_visible(actor=actor).prefetch_related("met_with")
    if vendor_id is not None:
        queryset = queryset.filter(vendor_id=vendor_id)
    if location_id is not None:
        queryset = queryset.filter(location_id=location_id)
    if exceptions_only:
        queryset = queryset.exclude(policy_exceptions=[])
    return queryset


def rep_visit_locations(*, actor: Any) -> QuerySet[Location]:
    """Where the actor may log a visit (vendors.manage there)."""
    return locations_where(actor, Perm.VENDORS_MANAGE).filter(is_active=True).order_by("name", "pk")


def rep_visit_view_locations(*, actor: Any) -> QuerySet[Location]:
    return locations_where(actor, Perm.VENDORS_VIEW).order_by("name", "pk")


def rep_policy_current() -> RepAccessPolicy:
    """The practice's rep-access policy; its defaults (not saved) until someone edits it."""
    return RepAccessPolicy.objects.filter(singleton=True).first() or RepAccessPolicy()
