"""Demo data for vendors: nine firms of every kind the practice deals with (a prime medical supplier and a second
source, an office supplier, two medical sales companies, a shredding company that handles PHI, a cleaning firm, a
biomedical maintenance firm and a copier leasing company), their contacts, their contracts and the negotiations
held with them, and the practice's rep-access policy:

- the prime supplier's agreement renews automatically and its notice deadline falls within 30 days (the daily job
  alerts the owner the next morning); the biomedical maintenance contract ends in about ten weeks; the second source's
  contract is still a draft; the shredding contract involves PHI, so its vendor is linked to the BAA register
  entry the compliance demo created;
- five negotiations: agreed (with the yearly savings), partly agreed, declined and two still open;
- reps are seen by appointment on Tuesdays and Thursdays over lunch, twice a month at most.

Everything goes through the services as the people who would do it (the senior office manager keeps the vendor
file, the practice administrator negotiates), so the audit trail is real; dates count from the practice's today.
The visits of the sales representatives, with the samples they left, are seeded by the inventory demo (they go
into sample stock). Runs after the cases (85); seeding again adds nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from openpractice.accounts.models import User
from openpractice.core.seeding import seeder
from openpractice.core.selectors import practice_today

from .choices import ContractKind, ContractStatus, NegotiationOutcome, PaymentTerms, VendorKind
from .models import Contract, Vendor
from .services import contracts as contract_services
from .services import setup as setup_services
from .services import vendors as services

# Keys the inventory demo uses to find the vendors (context["vendors"]).
PIEDMONT, SUMMIT, OFFICE, NOVARA, ATLANTIC = "piedmont", "summit", "office", "novara", "atlantic"
SHRED, CLEANING, BIOMED, COPIER = "shred", "cleaning", "biomed", "copier"

CATEGORIES = ("Medical supplies", "Office supplies", "Furniture", "Pharmaceuticals", "Diagnostics",
              "Shredding", "Janitorial", "Biomedical service", "Equipment leasing")


@dataclass(frozen=True)
class DemoContact:
    name: str
    title: str
    email: str
    phone: str = ""
    primary: bool = False
    rep: bool = False


@dataclass(frozen=True)
class DemoVendor:
    key: str
    name: str
    kind: str
    categories: tuple[str, ...]
    data: dict[str, Any]
    contacts: tuple[DemoContact, ...] = field(default=())


VENDORS: tuple[DemoVendor, ...] = (
    DemoVendor(PIEDMONT, "Piedmont Medical Supply", VendorKind.SUPPLIER, ("Medical supplies", "Furniture"), {
        "account_number": "RFM-20931", "tax_id": "56-1873320", "payment_terms": PaymentTerms.NET_30,
        "order_email": "orders@piedmontmed.example", "phone": "919-555-0180",
        "website": "https://piedmontmed.example", "address_line1": "2200 Gateway Centre Blvd",
        "city": "Morrisville", "state": "NC", "postal_code": "27560",
        "notes": "Prime vendor: contract prices on the exam-room and point-of-care lines; free freight over $300."},
        (DemoContact("Renee Whitaker", "Account manager", "renee.whitaker@piedmontmed.example", "919-555-0181",
                     primary=True, rep=True),
         DemoContact("Customer service", "Order desk", "orders@piedmontmed.example", "919-555-0180"))),
    DemoVendor(SUMMIT, "Summit Medical Distributors", VendorKind.SUPPLIER, ("Medical supplies",), {
        "account_number": "SMD-77812", "tax_id": "56-2290415", "payment_terms": PaymentTerms.NET_45,
        "order_email": "orders@summitmed.example", "phone": "704-555-0143", "address_line1": "9000 Arrowpoint Blvd",
        "city": "Charlotte", "state": "NC", "postal_code": "28273",
        "notes": "Second source for gloves and injection supplies; quoting against Piedmont."},
        (DemoContact("Angela Ruiz", "Territory sales representative", "angela.ruiz@summitmed.example",
                     "704-555-0147", primary=True, rep=True),)),
    DemoVendor(OFFICE, "Carolina Office Products", VendorKind.SUPPLIER, ("Office supplies", "Furniture"), {
        "account_number": "COP-4410", "tax_id": "56-0934471", "payment_terms": PaymentTerms.NET_30,
        "order_email": "orders@carolinaoffice.example", "phone": "919-555-0160",
        "address_line1": "1400 Capital Blvd", "city": "Raleigh", "state": "NC", "postal_code": "27604"},
        (DemoContact("Tom Hadley", "Account representative", "tom.hadley@carolinaoffice.example", "919-555-0161",
                     primary=True),)),
    DemoVendor(NOVARA, "Novara Pharmaceuticals", VendorKind.SALES, ("Pharmaceuticals",), {
        "phone": "800-555-0119", "website": "https://novara.example", "city": "Durham", "state": "NC",
        "notes": "Diabetes and respiratory lines; samples by appointment only."},
        (DemoContact("Jordan Pike", "Sales representative", "jordan.pike@novara.example", "919-555-0133",
                     primary=True, rep=True),
         DemoContact("Michelle Tan", "Medical science liaison", "michelle.tan@novara.example", "919-555-0134",
                     rep=True))),
    DemoVendor(ATLANTIC, "Atlantic Diagnostics", VendorKind.SALES, ("Diagnostics", "Medical supplies"), {
        "account_number": "AD-10557", "payment_terms": PaymentTerms.NET_30,
        "order_email": "orders@atlanticdx.example", "phone": "800-555-0175", "city": "Wilmington", "state": "NC"},
        (DemoContact("Chris Donnelly", "Point-of-care specialist", "chris.donnelly@atlanticdx.example",
                     "910-555-0126", primary=True, rep=True),)),
    # The compliance demo's register has an entry of this name: handling PHI links the two.
    DemoVendor(SHRED, "Triangle SecureShred", VendorKind.SERVICE, ("Shredding",), {
        "tax_id": "56-1457783", "payment_terms": PaymentTerms.NET_30, "order_email": "service@secureshred.example",
        "phone": "919-555-0112", "city": "Garner", "state": "NC", "handles_phi": True,
        "notes": "Locked consoles at each location, emptied every other Tuesday; certificate of destruction each "
                 "visit."},
        (DemoContact("Paula Grant", "Service manager", "service@secureshred.example", "919-555-0112",
                     primary=True),)),
    DemoVendor(CLEANING, "Sparkle Commercial Cleaning", VendorKind.CLEANING, ("Janitorial",), {
        "tax_id": "56-2018836", "payment_terms": PaymentTerms.NET_15, "order_email": "billing@sparkleclean.example",
        "phone": "919-555-0157", "city": "Raleigh", "state": "NC"},
        (DemoContact("Luis Moreno", "Operations supervisor", "luis@sparkleclean.example", "919-555-0158",
                     primary=True),)),
    DemoVendor(BIOMED, "BioMed Equipment Services", VendorKind.MAINTENANCE, ("Biomedical service",), {
        "payment_terms": PaymentTerms.NET_30, "order_email": "dispatch@biomedservices.example",
        "phone": "919-555-0166", "city": "Apex", "state": "NC"},
        (DemoContact("Keisha Brown", "Field service engineer", "keisha.brown@biomedservices.example",
                     "919-555-0167", primary=True),)),
    DemoVendor(COPIER, "Capital Copier Leasing", VendorKind.SERVICE, ("Equipment leasing",), {
        "account_number": "CCL-3391-RB", "payment_terms": PaymentTerms.NET_30,
        "order_email": "service@capitalcopier.example", "phone": "919-555-0199", "city": "Raleigh", "state": "NC"},
        (DemoContact("Dean Walsh", "Lease administrator", "dean.walsh@capitalcopier.example", "919-555-0198",
                     primary=True),)),
)


@dataclass(frozen=True)
class DemoContract:
    vendor: str
    kind: str
    title: str
    reference: str
    started_days_ago: int
    ends_in_days: int | None
    notice_days: int = 0
    renewal_months: int | None = None  # set: renews automatically
    annual_value: str | None = None
    handles_phi: bool = False
    status: str = ContractStatus.ACTIVE
    terms: str = ""


CONTRACTS: tuple[DemoContract, ...] = (
    # The notice deadline (end less 90 days) falls 20 days from today: decide now or it renews for a year.
    DemoContract(PIEDMONT, ContractKind.SUPPLY, "Prime vendor agreement – medical supplies", "PMS-2023-0117", 620,
                 110, notice_days=90, renewal_months=12, annual_value="86500.00",
                 terms="Contract prices on the attached schedule (gloves, exam paper, point-of-care tests, injection "
                       "supplies); prices fixed for the term; free freight over $300; net 30."),
    DemoContract(SUMMIT, ContractKind.SUPPLY, "Secondary source – gloves and injection supplies", "SMD-Q-2291", -30,
                 395, notice_days=30, annual_value="12000.00", status=ContractStatus.DRAFT,
                 terms="Draft under negotiation: price match on the top 20 lines."),
    DemoContract(OFFICE, ContractKind.SUPPLY, "Office supplies pricing agreement", "COP-PA-118", 300, 430,
                 notice_days=30, annual_value="9800.00", terms="Catalogue less 22%; next-day delivery to each site."),
    DemoContract(SHRED, ContractKind.SERVICE, "On-site shredding service", "TSS-118", 190, 530, notice_days=60,
                 annual_value="2340.00", handles_phi=True,
                 terms="Locked consoles at three locations, emptied every other Tuesday; certificate of destruction "
                       "for each visit; business associate agreement in the compliance register."),
    DemoContract(CLEANING, ContractKind.CLEANING, "Janitorial services – all locations", "SCC-2024-07", 500, 230,
                 notice_days=60, renewal_months=12, annual_value="38400.00",
                 terms="Nightly cleaning Monday to Friday; exam rooms disinfected to the infection-control checklist; "
                       "carpets quarterly."),
    DemoContract(BIOMED, ContractKind.MAINTENANCE, "Preventive maintenance – biomedical equipment", "BES-PM-552",
                 320, 75, notice_days=30, annual_value="6150.00",
                 terms="Yearly electrical safety and calibration of ECG, scales, autoclave and vital-signs monitors; "
                       "repairs at $95 an hour, parts extra."),
    DemoContract(COPIER, ContractKind.LEASE, "Copier lease – three multifunction printers", "CCL-3391", 900, 195,
                 notice_days=90, annual_value="7200.00",
                 terms="36-month lease with service and toner; 4,000 pages a month per device included."),
)


@dataclass(frozen=True)
class DemoNegotiation:
    vendor: str
    days_ago: int
    their_people: str
    asks: str
    offers: str
    outcome: str
    savings: str = "0"
    about_contract: bool = False


NEGOTIATIONS: tuple[DemoNegotiation, ...] = (
    DemoNegotiation(PIEDMONT, 150, "Renee Whitaker; Mark Feld (regional director)",
                    "3% off gloves and exam table paper; free freight over $250; hold prices for the term.",
                    "2% off gloves, 5% off exam paper, free freight over $300, prices fixed for the term; contract "
                    "prices on 28 lines.", NegotiationOutcome.AGREED, "4850.00", about_contract=True),
    DemoNegotiation(CLEANING, 60, "Luis Moreno",
                    "Keep this year's rate for the renewal; add a monthly carpet clean at no charge.",
                    "Rate held for the renewal; carpets quarterly instead of monthly.", NegotiationOutcome.PARTLY,
                    "1200.00", about_contract=True),
    DemoNegotiation(OFFICE, 200, "Tom Hadley",
                    "Catalogue less 30% on the office basket.", "Less 22%, unchanged.", NegotiationOutcome.DECLINED),
    DemoNegotiation(COPIER, 20, "Dean Walsh",
                    "A lower lease rate at renewal and a faster unit at Cary.",
                    "A new unit at Cary only with a 36-month extension; the rate stays.", NegotiationOutcome.OPEN,
                    about_contract=True),
    DemoNegotiation(SUMMIT, 10, "Angela Ruiz",
                    "Match Piedmont's contract prices on the top 20 lines.",
                    "Exam gloves 6% under Piedmont; the rest at list for now.", NegotiationOutcome.OPEN),
)

REP_POLICY: dict[str, Any] = {
    "appointment_only": True,
    "allowed_weekdays": [2, 4],
    "earliest": dt.time(12, 0),
    "latest": dt.time(13, 30),
    "max_visits_per_month": 2,
    "notes": "Sales representatives are seen by appointment only, Tuesdays and Thursdays from 12:00 to 13:30, at "
             "most twice a month per company. Samples go into the sample cabinet and are logged with their lot and "
             "expiry date the same day. No food or gifts for staff.",
}


@seeder(86)
def seed_vendors(context: dict[str, Any]) -> None:
    users: dict[str, User] = context.get("users") or {}
    if any(name not in users for name in ("om_experienced", "pm_senior")):
        return
    report = context.setdefault("report", [])
    if Vendor.objects.exists():
        report.append("vendors: already seeded, nothing added")
        return
    keeper, boss = users["om_experienced"], users["pm_senior"]
    today = practice_today()
    categories = {name: setup_services.category_create(actor=keeper, name=name) for name in CATEGORIES}
    vendors: dict[str, Vendor] = {}
    for spec in VENDORS:
        vendor = services.vendor_create(actor=keeper, data={"name": spec.name, "kind": spec.kind, **spec.data},
                                        categories=[categories[name] for name in spec.categories])
        for contact in spec.contacts:
            services.contact_save(actor=keeper, vendor=vendor, data={
                "name": contact.name, "title": contact.title, "email": contact.email, "phone": contact.phone,
                "is_primary": contact.primary, "is_sales_rep": contact.rep})
        vendors[spec.key] = vendor
    contracts: dict[str, Contract] = {}
    for item in CONTRACTS:
        contracts[item.vendor] = contract_services.contract_create(actor=keeper, vendor=vendors[item.vendor], data={
            "kind": item.kind, "title": item.title, "reference": item.reference, "terms": item.terms,
            "starts_on": today - dt.timedelta(days=item.started_days_ago),
            "ends_on": None if item.ends_in_days is None else today + dt.timedelta(days=item.ends_in_days),
            "auto_renews": item.renewal_months is not None, "renewal_months": item.renewal_months,
            "notice_days": item.notice_days,
            "annual_value": None if item.annual_value is None else Decimal(item.annual_value),
            "handles_phi": item.handles_phi, "status": item.status, "owner": keeper})
    for talk in NEGOTIATIONS:
        services.negotiation_log(actor=boss, vendor=vendors[talk.vendor], our_people=[boss, keeper], data={
            "contract": contracts.get(talk.vendor) if talk.about_contract else None,
            "held_on": today - dt.timedelta(days=talk.days_ago), "their_people": talk.their_people,
            "asks": talk.asks, "offers": talk.offers, "outcome": talk.outcome,
            "annual_savings": Decimal(talk.savings)})
    setup_services.rep_policy_update(actor=keeper, data=REP_POLICY)
    context["vendors"] = vendors
    context["contracts"] = contracts
    savings = sum((Decimal(talk.savings) for talk in NEGOTIATIONS), Decimal("0"))
    report.append(f"{len(vendors)} vendors, {len(contracts)} contracts, {len(NEGOTIATIONS)} negotiations saving "
                  f"${savings:,.2f} a year")
