"""Importing 277CA claim acknowledgements: accepted claims get the payer's claim number, rejected claims the
payer's reasons in words, unknown claim numbers are reported, and claims no longer with the payer are left
alone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.billing.choices import StatusSource
from openpractice.billing.models import AcknowledgementImport, Claim, ClaimStatusChange
from openpractice.billing.services.acknowledgements import acknowledgement_import
from openpractice.billing.tests.factories import make_claim
from openpractice.billing.x12.ack_277ca import StatusCode, parse_277ca
from openpractice.billing.x12.reader import X12SyntaxError
from openpractice.core.models import Location

pytestmark = pytest.mark.django_db

SAMPLE = (Path(__file__).parent / "x12" / "277ca-mixed.x12").read_bytes()
NUMBERS = ["OP0000301", "OP0000302", "OP0000303"]


@pytest.fixture
def biller(make_user: Callable[..., User]) -> User:
    return make_user(Role.BILLER, username="biller")


def claims_at(actor: User, locations: list[Location], numbers: list[str] = NUMBERS,
              status: str = "submitted") -> list[Claim]:
    claims = []
    for index, number in enumerate(numbers):
        claim = make_claim(location=locations[index % len(locations)], actor=actor, status=status)
        Claim.objects.filter(pk=claim.pk).update(claim_number=number)
        claim.refresh_from_db()
        claims.append(claim)
    return claims


def fresh(claims: list[Claim]) -> list[Claim]:
    return [Claim.objects.get(pk=claim.pk) for claim in claims]


def test_the_277ca_parser_reads_each_claims_statuses_and_numbers():
    ack = parse_277ca(SAMPLE)
    assert [claim.claim_number for claim in ack.claims] == ["OP0000301", "OP0000302", "OP0000303", "OP9999999"]
    accepted, rejected, line_rejected, unknown = ack.claims
    assert (accepted.accepted, accepted.payer_claim_number) == (True, "2026308000123")
    assert rejected.rejected
    assert rejected.statuses[0].codes == [StatusCode("A7", "562", "85")]
    assert rejected.statuses[0].message == "BILLING PROVIDER NPI NOT ON FILE"
    assert [line.line_control_number for line in line_rejected.lines] == ["1", "2"]
    assert line_rejected.rejected
    # A1 is a receipt: the payer has the claim, it has not taken it in yet.
    assert (unknown.accepted, unknown.rejected) == (False, False)
    # The payer's statuses above claim level (receiver, billing provider) are kept apart.
    assert [level for level, _status in ack.other_statuses] == ["information receiver", "billing provider"]


def test_status_codes_read_in_words_with_the_codes_beside_them():
    assert StatusCode("A7", "562", "85").describe() == (
        "A7/562 (85): rejected for invalid information — National Provider Identifier (NPI), billing provider")
    # A code outside our small table is shown as the code alone.
    assert StatusCode("A6", "9999").describe() == "A6/9999: rejected for missing information"
    assert StatusCode("Z9", "9999").describe() == "Z9/9999"


def test_accepted_claims_become_accepted_with_the_payers_claim_number(biller, north):
    claims = claims_at(biller, [north])
    result = acknowledgement_import(actor=biller, file_name="277ca.x12", content=SAMPLE)
    accepted = fresh(claims)[0]
    assert accepted.status == "accepted"
    assert accepted.payer_claim_number == "2026308000123"
    assert [outcome.claim_number for outcome in result.accepted] == ["OP0000301"]
    change = ClaimStatusChange.objects.get(claim=accepted)
    assert (change.from_status, change.to_status, change.source) == ("submitted", "accepted", StatusSource.ACK_277CA)
    assert change.reason.startswith("277CA: A2/20 (PR): accepted into adjudication")


def test_rejected_claims_get_the_payers_reason_in_words_and_its_message(biller, north):
    claims = claims_at(biller, [north])
    acknowledgement_import(actor=biller, file_name="277ca.x12", content=SAMPLE)
    _accepted, npi, lines = fresh(claims)
    assert (npi.status, lines.status) == ("rejected", "rejected")
    reason = ClaimStatusChange.objects.get(claim=npi).reason
    assert reason == ("277CA: A7/562 (85): rejected for invalid information — National Provider Identifier (NPI), "
                      "billing provider — “BILLING PROVIDER NPI NOT ON FILE”")
    line_reason = ClaimStatusChange.objects.get(claim=lines).reason
    assert "line 1 99214: A7/454: rejected for invalid information — procedure code" in line_reason
    # A rejected claim keeps no payer claim number: it is not in the payer's system.
    assert npi.payer_claim_number == ""


def test_a_claim_number_we_do_not_know_is_reported_not_fatal(biller, north):
    claims_at(biller, [north])
    result = acknowledgement_import(actor=biller, file_name="277ca.x12", content=SAMPLE)
    assert result.unknown == ["OP9999999"]
    assert AcknowledgementImport.objects.get().summary == {
        "accepted": 1, "rejected": 2, "unchanged": 0, "skipped": 0, "unknown": 1, "not_yours": 0, "notes": []}


def test_claims_not_submitted_or_accepted_are_reported_and_left_alone(biller, north):
    claims = claims_at(biller, [north], status="paid")
    result = acknowledgement_import(actor=biller, file_name="277ca.x12", content=SAMPLE)
    assert [claim.status for claim in fresh(claims)] == ["paid", "paid", "paid"]
    assert [outcome.claim_number for outcome in result.skipped] == NUMBERS
    assert "left alone" in result.skipped[0].reason
    assert ClaimStatusChange.objects.count() == 0


def test_a_claim_already_accepted_keeps_its_status_and_gets_the_payer_number(biller, north):
    claims = claims_at(biller, [north], numbers=["OP0000301"], status="accepted")
    acknowledgement_import(actor=biller, file_name="277ca.x12", content=SAMPLE)
    claim = fresh(claims)[0]
    assert (claim.status, claim.payer_claim_number) == ("accepted", "2026308000123")
    assert ClaimStatusChange.objects.count() == 0
    event = AuditEvent.objects.get(action="billing.claim_acknowledged")
    assert (event.changed_fields, event.patient_id) == ("payer_claim_number", claim.patient_id)


def test_a_claim_only_received_a1_stays_submitted_and_is_reported_as_received(biller, north):
    claims = claims_at(biller, [north], numbers=["OP0000301"])
    content = SAMPLE.replace(b"STC*A2:20:PR*20261104*WQ*125", b"STC*A1:19:PR*20261104*WQ*125")
    result = acknowledgement_import(actor=biller, file_name="277ca-received.x12", content=content)
    claim = fresh(claims)[0]
    assert (claim.status, claim.payer_claim_number) == ("submitted", "")
    assert result.accepted == []
    assert [outcome.claim_number for outcome in result.unchanged] == ["OP0000301"]
    assert result.unchanged[0].reason.startswith("277CA: A1/19 (PR): received — receipt acknowledged")
    assert ClaimStatusChange.objects.count() == 0


@pytest.mark.parametrize(("category", "accepted"), [("A1", False), ("A2", True), ("A5", True), ("A0", False),
                                                    ("P1", False)])
def test_only_a2_and_a5_mean_the_payer_took_the_claim_in(category, accepted):
    assert StatusCode(category, "20").accepted is accepted
    assert StatusCode(category, "20").rejected is False


def test_a_status_that_neither_accepts_nor_rejects_changes_nothing(biller, north):
    claims = claims_at(biller, [north], numbers=["OP0000301"])
    content = SAMPLE.replace(b"STC*A2:20:PR*20261104*WQ*125", b"STC*P1:20:PR*20261104*WQ*125")
    result = acknowledgement_import(actor=biller, file_name="277ca-pending.x12", content=content)
    assert fresh(claims)[0].status == "submitted"
    assert result.unchanged[0].reason.startswith("277CA: P1/20 (PR): pending")


def test_importing_the_same_277ca_twice_changes_nothing_the_second_time(biller, north):
    claims = claims_at(biller, [north])
    acknowledgement_import(actor=biller, file_name="277ca.x12", content=SAMPLE)
    Claim.objects.filter(pk=claims[1].pk).update(status="submitted")
    second = acknowledgement_import(actor=biller, file_name="277ca.x12", content=SAMPLE)
    assert second.duplicate
    assert fresh(claims)[1].status == "submitted"


def test_a_277_claim_status_response_is_not_an_acknowledgement(biller):
    content = SAMPLE.replace(b"005010X214", b"005010X212")
    with pytest.raises(ValidationError, match="not a 999 or 277CA"):
        acknowledgement_import(actor=biller, file_name="277.x12", content=content)
    with pytest.raises(X12SyntaxError, match="not the 277CA"):
        parse_277ca(content)


def test_a_payer_claim_number_too_long_to_keep_fails_the_whole_file(biller, north):
    claims = claims_at(biller, [north])
    content = SAMPLE.replace(b"REF*1K*2026308000123", b"REF*1K*" + b"9" * 60)
    with pytest.raises(ValidationError, match="OP0000301"):
        acknowledgement_import(actor=biller, file_name="277ca.x12", content=content)
    assert [claim.status for claim in fresh(claims)] == ["submitted"] * 3
    assert AcknowledgementImport.objects.count() == 0


def test_a_malformed_277ca_changes_nothing_and_names_the_segment(biller, north):
    claims = claims_at(biller, [north])
    content = SAMPLE.replace(b"STC*A7:562:85*20261104", b"STC*A7:562:85*20261341")
    with pytest.raises(ValidationError) as raised:
        acknowledgement_import(actor=biller, file_name="277ca.x12", content=content)
    assert "STC02 should be a date" in raised.value.messages[0]
    assert "(STC)" in raised.value.messages[0]
    assert [claim.status for claim in fresh(claims)] == ["submitted"] * 3
    assert AcknowledgementImport.objects.count() == 0


def test_a_biller_of_north_only_leaves_south_claims_alone(make_user, biller, north, south):
    claims = claims_at(biller, [north, south])
    north_biller = make_user(Role.BILLER, locations=[north], username="north-biller")
    result = acknowledgement_import(actor=north_biller, file_name="277ca.x12", content=SAMPLE)
    assert [claim.status for claim in fresh(claims)] == ["accepted", "submitted", "rejected"]
    assert result.not_yours == 1  # a count, not the south claim's number


def test_a_biller_of_south_imports_the_same_277ca_to_apply_it_to_south_claims(make_user, biller, north, south):
    claims = claims_at(biller, [north, south])  # 301 north, 302 south, 303 north
    north_biller = make_user(Role.BILLER, locations=[north], username="north-biller")
    south_biller = make_user(Role.BILLER, locations=[south], username="south-biller")
    first = acknowledgement_import(actor=north_biller, file_name="277ca.x12", content=SAMPLE)
    second = acknowledgement_import(actor=south_biller, file_name="277ca.x12", content=SAMPLE)
    assert (first.duplicate, second.duplicate) == (False, False)
    assert [claim.status for claim in fresh(claims)] == ["accepted", "rejected", "rejected"]
    assert [outcome.claim_number for outcome in second.rejected] == ["OP0000302"]
    assert (second.not_yours, second.accepted) == (2, [])
    assert ClaimStatusChange.objects.get(claim=claims[1]).actor == south_biller
    assert AcknowledgementImport.objects.count() == 2
    assert AuditEvent.objects.filter(action="billing.acknowledgement_imported").count() == 2


def test_a_second_import_by_someone_else_leaves_what_the_first_moved_alone(make_user, biller, north, south):
    claims = claims_at(biller, [north, south])  # 301 north, 302 south, 303 north
    north_biller = make_user(Role.BILLER, locations=[north], username="north-biller")
    acknowledgement_import(actor=north_biller, file_name="277ca.x12", content=SAMPLE)
    changes = ClaimStatusChange.objects.count()
    result = acknowledgement_import(actor=biller, file_name="277ca.x12", content=SAMPLE)  # every location
    assert [claim.status for claim in fresh(claims)] == ["accepted", "rejected", "rejected"]
    assert [outcome.claim_number for outcome in result.rejected] == ["OP0000302"]
    assert ClaimStatusChange.objects.count() == changes + 1
    skipped = {outcome.claim_number: outcome.reason for outcome in result.skipped}
    assert skipped["OP0000301"].startswith("already accepted")
    assert skipped["OP0000303"].startswith("already rejected")


def test_a_claim_sent_again_since_the_file_was_first_imported_is_left_alone(make_user, biller, north):
    claims = claims_at(biller, [north])
    north_biller = make_user(Role.BILLER, locations=[north], username="north-biller")
    acknowledgement_import(actor=north_biller, file_name="277ca.x12", content=SAMPLE)
    # The NPI rejection is fixed and the claim sent again after that import.
    Claim.objects.filter(pk=claims[1].pk).update(status="submitted", submitted_at=timezone.now())
    result = acknowledgement_import(actor=biller, file_name="277ca.x12", content=SAMPLE)
    assert fresh(claims)[1].status == "submitted"
    skipped = {outcome.claim_number: outcome.reason for outcome in result.skipped}
    assert "sent again after this file was first imported" in skipped["OP0000302"]
    assert result.rejected == []


@pytest.mark.parametrize(("role", "tier"), [(Role.FRONT_DESK, Tier.STANDARD), (Role.PRACTICE_MANAGER, Tier.ENTRY)])
def test_people_without_billing_manage_cannot_import_a_277ca(make_user, biller, north, role, tier):
    claims = claims_at(biller, [north])
    user = make_user(role, tier, username="not-a-biller")
    with pytest.raises(PermissionDenied):
        acknowledgement_import(actor=user, file_name="277ca.x12", content=SAMPLE)
    assert [claim.status for claim in fresh(claims)] == ["submitted"] * 3
    assert AcknowledgementImport.objects.count() == 0
    assert AuditEvent.objects.filter(actor=user, outcome="denied").count() == 1


def test_the_sample_277ca_is_valid_for_pyx12():
    from openpractice.billing.x12.validate import validate_x12

    result = validate_x12(Path(__file__).parent / "x12" / "277ca-mixed.x12")
    assert result.errors == []
    assert result.ok
