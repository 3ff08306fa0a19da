"""Demo data for receivables (runs after the claims, 61): every payer but one with ready claims gets a batch, the
payers answer with 835 remittances that pay most claims (some with coinsurance or a deductible for the patient), deny
a few (no authorization, not covered) and reverse one payment and pay it again; two patients pay what they
owe; the biller runs the month's statements.

All of it goes through the same services a practice uses (batches, the 835 import, patient payments, statement
runs), as the demo biller, so the demo shows real ledgers, denials and balances."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError

from openpractice.core.seeding import seeder
from openpractice.core.selectors import practice_today
from openpractice.patients.models import Payer

from .choices import ClaimStatus, Party, PaymentMethod
from .models import AccountBalance, Claim
from .services import batches, patient_payments, remittance_posting, statements
from .x12 import writer_835

DENIALS = (("197", "N54"), ("96", "N130"))  # no prior authorization; not covered under the plan


@seeder(61)
def seed_receivables(context: dict[str, Any]) -> None:
    users = context.get("users") or {}
    biller = users.get("biller")
    if biller is None:
        return
    rng = random.Random(835)
    today = practice_today()
    _send_every_payer(biller=biller, today=today)
    sent = list(Claim.objects.filter(status__in=[ClaimStatus.SUBMITTED, ClaimStatus.ACCEPTED], payer_rank=1)
                .select_related("payer").order_by("pk"))
    by_payer: dict[int, list[Claim]] = defaultdict(list)
    for claim in sent:
        by_payer[claim.payer_id].append(claim)
    posted = denied = 0
    reversed_claim: Claim | None = None
    for number, (payer_id, claims) in enumerate(sorted(by_payer.items()), start=1):
        payer = Payer.objects.get(pk=payer_id)
        to_deny = claims[:len(DENIALS)] if number == 1 else []
        # The newest two claims of each payer are still waiting for the payer's answer.
        to_pay = [claim for claim in claims[:-2] if claim not in to_deny]
        parts = [writer_835.claim_payment(claim, patient=rng.choice([Decimal(0), Decimal("0.20")]),
                                          patient_reason=rng.choice(["1", "2", "3"])) for claim in to_pay]
        for claim, (reason, remark) in zip(to_deny, DENIALS, strict=False):
            parts.append(writer_835.claim_payment(claim, status="4", denial_reason=reason, remarks=[remark]))
        if not parts:
            continue
        paid_on = today - dt.timedelta(days=3 + number)
        text = writer_835.era(parts, trace=f"DEMO{number:04d}", payer_key=f"1{payer_id:09d}",
                              payer_name=payer.name.upper()[:60], payer_id=payer.payer_id or "PAYER01",
                              payment_date=paid_on)
        summary = remittance_posting.remittance_import(actor=biller, filename=f"era-{payer_id}-{paid_on}.835",
                                                       data=text.encode())
        posted += summary.claims_matched
        denied += summary.denied_claims
        if reversed_claim is None and to_pay:
            reversed_claim = to_pay[0]
            # The payer took that payment back and paid it again at a different share a few days later.
            again = writer_835.era([writer_835.claim_payment(reversed_claim, status="22"),
                                    writer_835.claim_payment(reversed_claim, paid=Decimal("0.75"))],
                                   trace=f"DEMO{number:04d}R", payer_key=f"1{payer_id:09d}",
                                   payer_name=payer.name.upper()[:60], payer_id=payer.payer_id or "PAYER01",
                                   payment_date=paid_on + dt.timedelta(days=2))
            remittance_posting.remittance_import(actor=biller, filename=f"era-{payer_id}-reversal.835",
                                                 data=again.encode())
    paid_patients = _take_patient_payments(actor=biller, today=today)  # the biller works every location
    statement_count = 0
    try:
        run = statements.statement_run_create(actor=biller, statement_date=today)
        statement_count = run.statements.count()
    except ValidationError:
        pass  # nobody owes enough for a statement
    context.setdefault("report", []).append(
        f"{posted} claim payments posted from 835s ({denied} denied, 1 reversed and paid again), "
        f"{paid_patients} patient payments, {statement_count} statements")


def _send_every_payer(*, biller: Any, today: dt.date) -> None:
    """A batch per payer (but one) for the ready claims older than five days, as the biller would send them."""
    ready = Claim.objects.filter(status=ClaimStatus.READY, date_of_service__lt=today - dt.timedelta(days=5))
    # The last payer's claims stay ready, so the demo still has a batch to build and send.
    for payer_id in sorted(set(ready.values_list("payer_id", flat=True)))[:-1]:
        batch = batches.batch_build(actor=biller, payer=Payer.objects.get(pk=payer_id), reason="demo practice")
        if batch is not None:
            batches.batch_submit(actor=biller, batch=batch)


def _take_patient_payments(*, actor: Any, today: dt.date) -> int:
    """The two largest patient balances: one paid in full by card, one half by check."""
    owing = list(AccountBalance.objects.filter(party=Party.PATIENT, balance__gt=0).select_related("patient")
                 .order_by("-balance", "pk")[:2])
    taken = 0
    for index, row in enumerate(owing):
        amount = row.balance if index == 0 else (row.balance / 2).quantize(Decimal("0.01"))
        try:
            patient_payments.patient_payment_record(
                actor=actor, patient=row.patient, amount=amount,
                method=PaymentMethod.CARD if index == 0 else PaymentMethod.CHECK, received_on=today,
                reference="" if index == 0 else "1042", note="demo practice")
        except ValidationError:
            continue
        taken += 1
    return taken
