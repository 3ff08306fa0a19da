"""Samples for THE route matrix (tests/test_routes.py), merged there: SAMPLES maps a route kind (the first word
of a route name, or the KIND_OF_ROUTE override) to a function (world, actor) -> (object in the actor's scope,
object outside it or None when the kind is practice-wide). PRACTICE_WIDE names the kinds that have no
out-of-scope object (left out of the scope test).

    "vendor": vendors,              # vendor_detail/edit/taxid/contact_add (<pk> = Vendor), practice-wide
    "vendorcontact": contacts,      # vendorcontact_edit (<pk> = VendorContact), practice-wide
    "contract": contracts,          # contract_detail/edit/document (<pk> = Contract, with its PDF), practice-wide
    "negotiation": negotiations,    # negotiation_detail (<pk> = Negotiation), practice-wide
    "repvisit": rep_visits,         # repvisit_detail (<pk> = RepVisit): a visit at North and one at South
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .factories_ui import PDF, make_contact, make_contract, make_negotiation, make_rep_visit, make_vendor


def _cache(world: Any) -> dict[str, Any]:
    cache: dict[str, Any] = world.__dict__.setdefault("_vendor_samples", {})
    if not cache:
        vendor = make_vendor(name="Route Sample Supply", tax_id="12-3456789")
        contract = make_contract(vendor=vendor, owner=world.stranger, document=PDF)
        cache.update(
            vendor=vendor, contact=make_contact(vendor=vendor, name="Pat Rep", is_sales_rep=True),
            contract=contract,
            negotiation=make_negotiation(vendor=vendor, contract=contract, logged_by=world.stranger),
            visit_north=make_rep_visit(vendor=vendor, location=world.north, logged_by=world.stranger),
            visit_south=make_rep_visit(vendor=vendor, location=world.south, logged_by=world.stranger),
        )
    return cache


def vendors(world: Any, actor: Any) -> tuple[Any, None]:
    return _cache(world)["vendor"], None


def contacts(world: Any, actor: Any) -> tuple[Any, None]:
    return _cache(world)["contact"], None


def contracts(world: Any, actor: Any) -> tuple[Any, None]:
    return _cache(world)["contract"], None


def negotiations(world: Any, actor: Any) -> tuple[Any, None]:
    return _cache(world)["negotiation"], None


def rep_visits(world: Any, actor: Any) -> tuple[Any, Any]:
    cache = _cache(world)
    return cache["visit_north"], cache["visit_south"]


SAMPLES: dict[str, Callable[[Any, Any], tuple[Any, Any]]] = {
    "vendor": vendors,
    "vendorcontact": contacts,
    "contract": contracts,
    "negotiation": negotiations,
    "repvisit": rep_visits,
}
KIND_OF_ROUTE: dict[str, str] = {}
PRACTICE_WIDE: frozenset[str] = frozenset({"vendor", "vendorcontact", "contract", "negotiation"})
