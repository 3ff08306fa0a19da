"""Demo data for billing: billing settings, a standard fee schedule and one payer contract, two practice scrubber
rules, charges for most checked-out demo visits, claims built and scrubbed (some held by the scrubber), one batch
sent to the drop directory with a few claims answered by the payer. Runs after scheduling (40).

Everything goes through the billing services as the demo biller, so the demo exercises the same checks, status
history and audit trail a real practice gets."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError

from openpractice.core.seeding import seeder
from openpractice.core.selectors import practice_today
from openpractice.patients.models import Payer
from openpractice.scheduling.choices import AppointmentStatus
from openpractice.scheduling.models import Appointment

from . import demo_receivables  # noqa: F401  (its seeder runs after these: remittances, payments, statements)
from .choices import ClaimStatus
from .models import Charge, Claim
from .services import batches, billing_settings, charges, claims, fees, rules, scrubbing

# The practice's standard fees (CPT codes only: descriptors are AMA-licensed and come from the practice's file).
STANDARD_FEES = {
    "99202": "95.00", "99203": "145.00", "99204": "215.00", "99205": "280.00",
    "99211": "35.00", "99212": "75.00", "99213": "125.00", "99214": "185.00", "99215": "250.00",
    "99395": "210.00", "99396": "225.00", "99397": "240.00",
    "36415": "15.00", "81002": "12.00", "85025": "28.00", "80053": "42.00", "93000": "65.00",
    "90471": "25.00", "90686": "38.00", "87880": "30.00", "J1885": "18.00", "G0438": "175.00", "G0439": "120.00",
}  # fmt: skip
# What the first demo payer allows (its contract schedule).
CONTRACT_SHARE = Decimal("0.72")
# By appointment type: the E/M code and, sometimes, extra services.
VISIT_CODES = {
    "Follow-up": (["99213", "99214"], [["36415", "80053"], ["93000"], []]),
    "Sick visit": (["99213", "99212"], [["87880"], ["81002"], []]),
    "New patient": (["99203", "99204"], [["36415", "85025"], []]),
    "Annual physical": (["99396"], [["36415", "80053"], ["90471", "90686"]]),
    "Procedure": (["99213"], [["93000"], ["J1885"]]),
}
# Billable ICD-10-CM codes (no dots) for the demo's visits.
DIAGNOSES = {
    "Follow-up": [["I10"], ["E119", "I10"], ["E785"], ["F419"]],
    "Sick visit": [["J069"], ["J029"], ["N390"], ["R509"]],
    "New patient": [["Z0001"], ["I10"], ["K219"]],
    "Annual physical": [["Z0000"], ["Z0000", "E785"]],
    "Procedure": [["R000"], ["M5450"]],
}
CHARGE_SHARE = 0.8  # of checked-out visits: the rest wait on the charge list "to be coded"
MAX_CHARGES = 60  # keeps `make run` quick; `openpractice seed --size large` is the place for volume


@seeder(60)
def seed_billing(context: dict[str, Any]) -> None:
    users = context.get("users") or {}
    biller = users.get("biller")
    if biller is None:
        return
    rng = random.Random(20261127)
    today = practice_today()
    practice = context["practice"]
    billing_settings.billing_settings_save(actor=biller, data={
        "submitter_name": practice.name, "submitter_id": "RIVERBEND01", "contact_name": "James Carter",
        "contact_phone": "9195550140", "contact_email": "billing@riverbend.example",
        "receiver_name": "Demo Clearinghouse", "receiver_id": "DEMOCLEAR", "usage_indicator": "T",
    })
    standard = fees.fee_schedule_create(actor=biller, name="Standard fees", effective_from=dt.date(2025, 1, 1))
    for code, amount in STANDARD_FEES.items():
        fees.fee_entry_set(actor=biller, schedule=standard, procedure_code=code, amount=amount)
    payers = list(Payer.objects.order_by("name"))
    if payers:
        contract = fees.fee_schedule_create(actor=biller, name=f"{payers[0].name} contract",
                                            effective_from=dt.date(2025, 1, 1), payer=payers[0])
        for code, amount in STANDARD_FEES.items():
            allowed = (Decimal(amount) * CONTRACT_SHARE).quantize(Decimal("0.01"))
            fees.fee_entry_set(actor=biller, schedule=contract, procedure_code=code, amount=allowed)
        rules.scrub_rule_create(actor=biller, data={
            "name": f"{payers[-1].name}: new-patient visits need prior authorization", "payer": payers[-1],
            "procedure_code": "99204", "requires_prior_authorization": True, "severity": "error",
            "message": f"{payers[-1].name} pays 99204 only with a prior authorization number on the claim.",
            "fix_hint": "Enter the authorization number from the payer's portal on the charge, then scrub again.",
        })
    blue_cross = Payer.objects.filter(name__istartswith="Blue Cross").first()
    if blue_cross is not None:
        rules.scrub_rule_create(actor=biller, data={
            "name": "Blue Cross: venipuncture is bundled", "payer": blue_cross, "procedure_code": "36415",
            "requires_modifier": "XU", "severity": "error",
            "message": "Blue Cross NC bundles the blood draw (36415) into the visit unless it was a separate service.",
            "fix_hint": "Remove the 36415 line from the charge, or add modifier XU if the draw was a distinct "
                        "service.",
        })
    medicare = Payer.objects.filter(claim_filing_indicator="MB").order_by("name").first()
    if medicare is not None:
        rules.scrub_rule_create(actor=biller, data={
            "name": "Medicare: no routine physicals", "payer": medicare, "procedure_code": "99396",
            "severity": "error", "message": "Medicare does not pay for routine physicals (99396).",
            "fix_hint": "Bill the annual wellness visit (G0438 or G0439) instead, or bill the patient with a signed "
                        "ABN and modifier GA.",
        })
    rules.scrub_rule_create(actor=biller, data={
        "name": "Walk-in clinic: no preventive visits", "procedure_code": "99396", "place_of_service": "20",
        "severity": "warning", "message": "A preventive visit billed at the urgent-care place of service (20).",
        "fix_hint": "Check the place of service on the charge: preventive visits are usually office visits (11).",
    })

    visits = list(
        Appointment.objects.filter(status=AppointmentStatus.COMPLETED, starts_at__date__lt=today)
        .select_related("appointment_type", "provider", "location").order_by("starts_at")[: MAX_CHARGES * 2]
    )
    built: list[Claim] = []
    charged = 0
    for visit in visits:
        if charged >= MAX_CHARGES or rng.random() > CHARGE_SHARE:
            continue
        kind = visit.appointment_type.name
        em_codes, extras = VISIT_CODES.get(kind, (["99213"], [[]]))
        try:
            charge = charges.charge_create_from_appointment(actor=biller, appointment=visit)
            charges.charge_set_diagnoses(actor=biller, charge=charge, codes=rng.choice(DIAGNOSES.get(kind, [["I10"]])))
            for code in [rng.choice(em_codes), *rng.choice(extras)]:
                charges.charge_line_add(actor=biller, charge=charge, procedure_code=code, pointers=[1])
        except ValidationError:
            continue  # e.g. a visit whose provider no longer works there: left on the list to be coded
        charged += 1
        if rng.random() < 0.9:
            try:
                built.append(claims.claim_build(actor=biller, charge=charge))
            except ValidationError:
                continue  # no active coverage on the date of service: stays a charge (self-pay)
    if built:
        scrubbing.claims_scrub(actor=biller, claims=built)
    _send_the_oldest(biller=biller, built=built, today=today)
    held = Claim.objects.filter(status=ClaimStatus.HELD).count()
    context.setdefault("report", []).append(
        f"{Charge.objects.count()} charges, {len(built)} claims ({held} held by the scrubber)")


def _send_the_oldest(*, biller: Any, built: list[Claim], today: dt.date) -> None:
    """A batch for the first payer with ready claims, sent to the drop directory; the payer accepted some and
    rejected one, as a biller would have recorded from the acknowledgements."""
    ready = Claim.objects.filter(status=ClaimStatus.READY, date_of_service__lt=today - dt.timedelta(days=5))
    payer_id = ready.order_by("payer__name").values_list("payer_id", flat=True).first()
    if payer_id is None:
        return
    batch = batches.batch_build(actor=biller, payer=Payer.objects.get(pk=payer_id), reason="demo practice")
    if batch is None:
        return
    submission = batches.batch_submit(actor=biller, batch=batch)
    if not submission.succeeded:
        return
    sent = list(Claim.objects.filter(batch=batch).order_by("pk"))
    for index, claim in enumerate(sent):
        if index == 0:
            claims.claim_change_status(actor=biller, claim=claim, to_status=ClaimStatus.REJECTED,
                                       reason="Payer portal: subscriber ID not found — check the insurance card.")
        elif index % 2:
            claims.claim_change_status(actor=biller, claim=claim, to_status=ClaimStatus.ACCEPTED,
                                       reason="Payer portal: accepted for adjudication.")
