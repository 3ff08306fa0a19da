"""Demo business associates: a clearinghouse covered by its second agreement (the first one terminated when it was
replaced), a cloud EHR and IT provider whose agreement is due for review within 30 days, a shredding company
covered until a fixed end date, an after-hours answering service that takes patient messages with no agreement (the
register flags it) and a landscaping company that never sees PHI.

`seed_associates(context)` is called by the compliance demo seeder (it needs the privacy officer from the accounts
seeder). Everything goes through the services, as the privacy officer, so the demo has the same checks and audit
trail as typed-in data; each signed agreement gets a small PDF. Dates count from the practice's today, so the demo
looks the same whenever it is created. Seeding again adds nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from html import escape
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from openpractice.accounts.models import User
from openpractice.core.pdf import render_pdf
from openpractice.core.selectors import practice_settings, practice_today

from .models import BusinessAssociate, BusinessAssociateAgreement
from .services import associates as services


@dataclass(frozen=True)
class DemoAgreement:
    signed_days_ago: int
    effective_days_ago: int
    review_in_days: int | None
    expires_in_days: int | None = None
    terminated_days_ago: int | None = None  # an earlier agreement, ended when it was replaced
    termination_reason: str = ""
    notes: str = ""


@dataclass(frozen=True)
class DemoAssociate:
    name: str
    services: str
    handles_phi: bool
    contact_name: str
    contact_email: str
    contact_phone: str
    agreements: tuple[DemoAgreement, ...] = ()


CLEARINGHOUSE = "Claimsbridge Clearinghouse"
CLOUD_EHR = "Carolina Cloud EHR & IT Services"
SHREDDING = "Triangle SecureShred"
ANSWERING = "AfterHours Answering Service"
LANDSCAPING = "Greenleaf Landscaping"

ASSOCIATES: tuple[DemoAssociate, ...] = (
    DemoAssociate(
        CLEARINGHOUSE, "Claims (837P) and remittance (835) exchange with payers", True, "Janet Morales",
        "baa@claimsbridge.example", "919-555-0141",
        (DemoAgreement(1460, 1455, None, terminated_days_ago=400,
                       termination_reason="Replaced by the updated agreement with breach-notification terms.",
                       notes="Original agreement from the clearinghouse's enrollment packet."),
         DemoAgreement(405, 400, 180, notes="Updated terms: breach notice to the practice within 10 days."))),
    DemoAssociate(
        CLOUD_EHR, "Hosted EHR, backups and IT support", True, "Derek Chu", "contracts@carolinacloud.example",
        "919-555-0177",
        (DemoAgreement(350, 345, 18, notes="Annual review: check the backup encryption and the subcontractor list."),)),
    DemoAssociate(
        SHREDDING, "On-site shredding of paper records", True, "Paula Grant", "service@secureshred.example",
        "919-555-0112", (DemoAgreement(200, 190, 165, expires_in_days=530),)),
    DemoAssociate(
        ANSWERING, "After-hours phone answering; takes patient messages", True, "Sam Whitaker",
        "office@afterhours.example", "919-555-0190"),
    DemoAssociate(
        LANDSCAPING, "Grounds and parking lot upkeep", False, "Luis Herrera", "luis@greenleaf.example",
        "919-555-0133"),
)


def _pdf(*, associate: str, practice: str, signed_on: dt.date) -> SimpleUploadedFile:
    html = (f"<html><body><h1>Business Associate Agreement</h1><p>Between {escape(practice)} (covered entity) and "
            f"{escape(associate)} (business associate), signed {signed_on:%m/%d/%Y}.</p><p>Demo document.</p>"
            "</body></html>")
    return SimpleUploadedFile("baa.pdf", render_pdf(html), content_type="application/pdf")


def _agreement(*, actor: User, associate: BusinessAssociate, spec: DemoAgreement, today: dt.date,
               practice: str) -> BusinessAssociateAgreement:
    signed = today - dt.timedelta(days=spec.signed_days_ago)
    draft = services.agreement_create(actor=actor, associate=associate, data={"notes": spec.notes})
    active = services.agreement_activate(
        actor=actor, agreement=draft, signed_on=signed, effective_on=today - dt.timedelta(days=spec.effective_days_ago),
        expires_on=today + dt.timedelta(days=spec.expires_in_days) if spec.expires_in_days is not None else None,
        review_on=today + dt.timedelta(days=spec.review_in_days) if spec.review_in_days is not None else None,
        upload=_pdf(associate=associate.name, practice=practice, signed_on=signed))
    if spec.terminated_days_ago is None:
        return active
    return services.agreement_terminate(actor=actor, agreement=active,
                                        terminated_on=today - dt.timedelta(days=spec.terminated_days_ago),
                                        reason=spec.termination_reason)


def seed_associates(context: dict[str, Any]) -> None:
    users: dict[str, User] = context.get("users") or {}
    privacy = users.get("privacy")
    if privacy is None:
        return
    report = context.setdefault("report", [])
    if BusinessAssociate.objects.filter(name__in=[spec.name for spec in ASSOCIATES]).exists():
        report.append("business associates: already seeded, nothing added")
        return
    today, practice = practice_today(), practice_settings().name
    for spec in ASSOCIATES:
        associate = services.associate_create(actor=privacy, data={
            "name": spec.name, "services": spec.services, "handles_phi": spec.handles_phi,
            "contact_name": spec.contact_name, "contact_email": spec.contact_email,
            "contact_phone": spec.contact_phone, "is_active": True})
        for agreement in spec.agreements:
            _agreement(actor=privacy, associate=associate, spec=agreement, today=today, practice=practice)
    report.append(f"{len(ASSOCIATES)} business associates, "
                  f"{BusinessAssociateAgreement.objects.count()} agreements")
