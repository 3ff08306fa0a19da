"""835 text for tests: the product's 835 writer (billing/x12/writer_835.py, which the demo practice also uses),
plus posting the charges of claims made by the factories. The writer builds segment by segment, without our
reader's knowledge, so posting tests exercise the reader too.

    era_for(claims)                                   # pays 80% of every line, CO-45 for the rest
    era_for(claims, patient=Decimal("0.20"))          # 80% paid, 20% coinsurance (PR-2), nothing written off
    era_for(claims, status="4")                       # denied: CO-50 for every line
    era_for(claims, status="22", trace="T2")          # takes back what era_for(claims) paid
    era_for(claims, adjustments=[("CO", "45", Decimal("20")), ("PR", "1", Decimal("30"))])  # each line
    era_for([secondary], status="2", adjustments=lambda line: [("OA", "23", line.amount * Decimal("0.7"))])
    era([claim_payment(a, status="22"), claim_payment(a)], trace="T3")  # reversal and new payment in one
    interchange([transaction_set([...], trace="T4"), transaction_set([...], trace="T5")])  # two payments

Lines carry REF*6R with the claim line's id (what posting matches first); `control_numbers=False` leaves it out
so posting falls back to code, date and charge. `charge_ledger(claims, actor)` posts the claims' charges (claims
made with factories.make_claim have none in the ledger).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from openpractice.billing.models import Claim
from openpractice.billing.services.claims import claim_post_charge
from openpractice.billing.x12.writer_835 import (
    PAYEE_NPI,
    PAYER_KEY,
    PAYMENT_DATE,
    ClaimPart,
    claim_payment,
    era,
    era_for,
    interchange,
    transaction_set,
)

__all__ = ["PAYEE_NPI", "PAYER_KEY", "PAYMENT_DATE", "ClaimPart", "charge_ledger", "claim_payment", "era", "era_for",
           "interchange", "transaction_set"]


def charge_ledger(claims: Sequence[Claim], actor: Any) -> None:
    """Post the charges of claims made without the services (factories.make_claim), as claim_build would."""
    for claim in claims:
        claim_post_charge(actor=actor, claim=claim)
