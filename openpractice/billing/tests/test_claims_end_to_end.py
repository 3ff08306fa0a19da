"""One claim's whole life through the services, with real batches and acknowledgement files: captured, built,
scrubbed, batched and sent; rejected by the clearinghouse's 999, fixed on the charge, rebuilt, batched and sent
again; accepted by the payer's 277CA; corrected, the charge fixed once more and the corrected claim rebuilt and
sent. Every step goes through the service a biller's click calls, so the statuses, the batch links and the
history are the ones production produces, not a factory's."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.billing.choices import BatchStatus, ClaimFrequency, ClaimStatus, StatusSource
from openpractice.billing.models import Charge, Claim, ClaimBatch
from openpractice.billing.selectors.charges import charge_is_editable
from openpractice.billing.selectors.claims import claim_is_editable
from openpractice.billing.services import charges, claims
from openpractice.billing.services.acknowledgements import acknowledgement_import
from openpractice.billing.services.batches import batch_build, batch_submit
from openpractice.billing.services.scrubbing import claim_scrub
from openpractice.billing.tests.scrub_samples import clean_coverage, clean_practice, today
from openpractice.billing.transports import batch_file_path
from openpractice.core.models import Location
from openpractice.scheduling.tests.factories import ProviderFactory

pytestmark = pytest.mark.django_db

ISA = "ISA*00*          *00*          *ZZ*CLEARHOUSE01   *ZZ*RIVERBEND01    *261120*0930*^*00501*{number:09d}*0*T*:~"


@pytest.fixture(autouse=True)
def data_dir(settings: Any, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path
    return tmp_path


@pytest.fixture
def biller(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.BILLER, locations=[north], username="biller-north")


def interchange(number: int, segments: list[str]) -> bytes:
    return (ISA.format(number=number) + "~".join(segments) + "~").encode()


def rejecting_999(batch: ClaimBatch, claim: Claim) -> bytes:
    """The clearinghouse's 999 rejecting the batch's only transaction set: the subscriber's ID is missing in the
    claim named by the CTX segment."""
    body = [f"AK1*HC*{batch.group_control_number}*005010X222A1", "AK2*837*0001*005010X222A1",
            "IK3*NM1*12*2010*8", f"CTX*CLM01:{claim.claim_number}", "IK4*9*67*1", "IK5*R*5", "AK9*R*1*1*0"]
    return interchange(4701, ["GS*FA*CLEARHOUSE01*RIVERBEND01*20261120*0930*4701*X*005010X231A1",
                              "ST*999*0001*005010X231A1", *body, f"SE*{len(body) + 2}*0001",
                              "GE*1*4701", "IEA*1*000004701"])


def accepting_277ca(claim: Claim, payer_claim_number: str) -> bytes:
    """The payer's 277CA accepting `claim` into adjudication under its own claim number."""
    body = [
        "BHT*0085*08*4702CA*20261121*1015*TH",
        "HL*1**20*1", "NM1*PR*2*ACME HEALTH PLAN*****PI*12345", "TRN*1*4702CA", "DTP*050*D8*20261121",
        "DTP*009*D8*20261121",
        "HL*2*1*21*1", "NM1*41*2*RIVERBEND FAMILY MEDICINE*****46*RIVERBEND01", "TRN*2*000000104",
        "STC*A1:19:PR*20261121*WQ*137",
        "HL*3*2*19*1", "NM1*85*2*RIVERBEND FAMILY MEDICINE*****XX*1234567893", "TRN*1*0", "STC*A1:19:85**WQ*137",
        "HL*4*3*PT", "NM1*QC*1*DOE*JANE****MI*W123456789", f"TRN*2*{claim.claim_number}",
        f"STC*A2:20:PR*20261121*WQ*{claim.total_charge}", f"REF*1K*{payer_claim_number}",
    ]
    return interchange(4702, ["GS*HN*CLEARHOUSE01*RIVERBEND01*20261121*1015*4702*X*005010X214",
                              "ST*277*0001*005010X214", *body, f"SE*{len(body) + 2}*0001", "GE*1*4702",
                              "IEA*1*000004702"])


def history(claim: Claim) -> list[tuple[str, str, str]]:
    return list(claim.status_changes.order_by("at", "pk").values_list("from_status", "to_status", "source"))


def fresh(claim: Claim) -> Claim:
    return Claim.objects.select_related("batch").get(pk=claim.pk)


def scrubbed_ready(actor: User, claim: Claim) -> None:
    issues = claim_scrub(actor=actor, claim=claim)
    assert claim.status == ClaimStatus.READY, [(issue.rule, issue.message) for issue in issues]


def test_a_claim_is_sent_rejected_fixed_sent_again_accepted_and_corrected(biller: User, north: Location) -> None:
    clean_practice(north.practice)
    Location.objects.filter(pk=north.pk).update(postal_code="27603-4321")  # a service address with ZIP+4
    coverage = clean_coverage(north)
    dos = today() - dt.timedelta(days=10)

    # Capture and build: the charge becomes billed, its claim is scrubbed ready.
    charge = charges.charge_create(actor=biller, patient=coverage.patient, location=north,
                                   rendering_provider=ProviderFactory(locations=[north]), date_of_service=dos)
    charges.charge_set_diagnoses(actor=biller, charge=charge, codes=["E11.9", "I10"])
    charges.charge_line_add(actor=biller, charge=charge, procedure_code="99213", amount="125.00", pointers=[1, 2])
    charges.charge_line_add(actor=biller, charge=charge, procedure_code="36415", amount="12.00", pointers=[1])
    claim = claims.claim_build(actor=biller, charge=charge)
    scrubbed_ready(biller, claim)

    # Batched and sent: the claim waits in the batch, then is submitted; the charge is frozen from the batch on.
    first = batch_build(actor=biller)
    assert first is not None
    assert (fresh(claim).batch_id, first.claim_count, first.total_charge) == (first.pk, 1, Decimal("137.00"))
    assert not claim_is_editable(fresh(claim))
    assert not charge_is_editable(Charge.objects.get(pk=charge.pk))
    assert batch_submit(actor=biller, batch=first).succeeded
    assert (fresh(claim).status, ClaimBatch.objects.get(pk=first.pk).status) == (ClaimStatus.SUBMITTED,
                                                                                 BatchStatus.SUBMITTED)
    with pytest.raises(ValidationError, match="has gone to the payer"):
        charges.charge_update(actor=biller, charge=charge, prior_authorization="AUTH1")

    # The clearinghouse rejects it: the claim keeps its link to the sent batch, yet the charge and claim are free.
    rejected = acknowledgement_import(actor=biller, file_name="999-reject.x12", content=rejecting_999(first, claim))
    assert [outcome.claim_number for outcome in rejected.rejected] == [claim.claim_number]
    claim = fresh(claim)
    assert (claim.status, claim.batch_id) == (ClaimStatus.REJECTED, first.pk)
    assert claim_is_editable(claim)
    assert charge_is_editable(Charge.objects.get(pk=charge.pk))

    # Fixed on the charge: the rejected claim goes back to draft, is rebuilt and scrubbed ready.
    line = charge.lines.get(line_number=2)
    charges.charge_line_update(actor=biller, line=line, amount="15.00")
    assert fresh(claim).status == ClaimStatus.DRAFT
    rebuilt = claims.claim_rebuild(actor=biller, claim=claim)
    assert rebuilt.total_charge == Decimal("140.00")
    scrubbed_ready(biller, claim)

    # Batched again in a new file and sent; the first batch keeps its record.
    second = batch_build(actor=biller)
    assert second is not None
    assert second.pk != first.pk
    assert (fresh(claim).batch_id, second.claim_count, second.total_charge) == (second.pk, 1, Decimal("140.00"))
    assert claim.claim_number in batch_file_path(second).read_text()
    assert batch_submit(actor=biller, batch=second).succeeded
    assert fresh(claim).status == ClaimStatus.SUBMITTED

    # The payer accepts it under its own claim number.
    accepted = acknowledgement_import(actor=biller, file_name="277ca.x12",
                                      content=accepting_277ca(fresh(claim), "2026325000777"))
    assert [outcome.claim_number for outcome in accepted.accepted] == [claim.claim_number]
    claim = fresh(claim)
    assert (claim.status, claim.payer_claim_number) == (ClaimStatus.ACCEPTED, "2026325000777")

    # Corrected: the original is closed as replaced; the charge may change again, the corrected claim carries it.
    corrected = claims.claim_correct(actor=biller, claim=claim)
    assert (corrected.frequency_code, corrected.original_claim_id) == (ClaimFrequency.CORRECTED, claim.pk)
    assert fresh(claim).status == ClaimStatus.CLOSED
    charges.charge_update(actor=biller, charge=charge, prior_authorization="AUTH1")
    rebuilt = claims.claim_rebuild(actor=biller, claim=corrected)
    assert (rebuilt.prior_authorization, rebuilt.total_charge) == ("AUTH1", Decimal("140.00"))
    scrubbed_ready(biller, corrected)
    third = batch_build(actor=biller)
    assert third is not None
    assert list(Claim.objects.filter(batch=third).values_list("pk", flat=True)) == [corrected.pk]

    # The history tells the whole story, each move by its source.
    assert history(claim) == [
        ("", ClaimStatus.DRAFT, StatusSource.USER),
        (ClaimStatus.DRAFT, ClaimStatus.READY, StatusSource.SCRUBBER),
        (ClaimStatus.READY, ClaimStatus.SUBMITTED, StatusSource.BATCH),
        (ClaimStatus.SUBMITTED, ClaimStatus.REJECTED, StatusSource.ACK_999),
        (ClaimStatus.REJECTED, ClaimStatus.DRAFT, StatusSource.USER),
        (ClaimStatus.DRAFT, ClaimStatus.READY, StatusSource.SCRUBBER),
        (ClaimStatus.READY, ClaimStatus.SUBMITTED, StatusSource.BATCH),
        (ClaimStatus.SUBMITTED, ClaimStatus.ACCEPTED, StatusSource.ACK_277CA),
        (ClaimStatus.ACCEPTED, ClaimStatus.CLOSED, StatusSource.USER),
    ]
    reasons = list(claim.status_changes.order_by("at", "pk").values_list("reason", flat=True))
    assert reasons[3].startswith("999: segment NM1")
    assert reasons[4] == "charge changed: rebuild the claim"
    assert reasons[8] == f"replaced by {corrected.claim_number}"
