"""Importing 999 acknowledgements: an accepted batch leaves its claims submitted, a rejected transaction set
rejects its claims with the reason in their history, the file is imported once and all or nothing, and only
billers in the claims' locations touch them."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.billing.choices import StatusSource
from openpractice.billing.models import AcknowledgementImport, Claim, ClaimBatch, ClaimStatusChange
from openpractice.billing.services import acknowledgements
from openpractice.billing.services.acknowledgements import acknowledgement_import
from openpractice.billing.tests.factories import make_claim
from openpractice.billing.x12.ack_999 import parse_999
from openpractice.core.models import Location

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).parent / "x12"
ISA = "ISA*00*          *00*          *ZZ*CLEARHOUSE01   *ZZ*RIVERBEND01    *261103*0930*^*00501*000004599*0*T*:~"


@pytest.fixture
def biller(make_user: Callable[..., User]) -> User:
    return make_user(Role.BILLER, username="biller")


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def batch_of(actor: User, location: Location | list[Location], numbers: list[str], *, group: int,
             status: str = "submitted") -> tuple[ClaimBatch, list[Claim]]:
    """A batch (GS06 = `group`) with a submitted claim per number, at `location` (or each location in turn)."""
    batch = ClaimBatch.objects.create(interchange_control_number=group + 1000, group_control_number=group,
                                      claim_count=len(numbers), file_name=f"837-{group}.x12", usage_indicator="T",
                                      created_by=actor)
    locations = location if isinstance(location, list) else [location]
    claims = []
    for index, number in enumerate(numbers):
        claim = make_claim(location=locations[index % len(locations)], actor=actor, status=status)
        Claim.objects.filter(pk=claim.pk).update(claim_number=number, batch=batch)
        claim.refresh_from_db()
        claims.append(claim)
    return batch, claims


def a_999(*groups: tuple[int, list[tuple[str, str, list[str]]], str]) -> bytes:
    """A 999 answering each (group control number, [(ST02, IK501, [error segments])], AK901)."""
    segments = ["GS*FA*CLEARHOUSE01*RIVERBEND01*20261103*0930*4599*X*005010X231A1"]
    for number, (group, sets, code) in enumerate(groups, start=1):
        body = [f"AK1*HC*{group}*005010X222A1"]
        for control, ack, errors in sets:
            body += [f"AK2*837*{control}*005010X222A1", *errors, f"IK5*{ack}" + ("*5" if ack == "R" else "")]
        accepted = sum(1 for _c, ack, _e in sets if ack in "AE")
        body.append(f"AK9*{code}*{len(sets)}*{len(sets)}*{accepted}")
        segments += [f"ST*999*{number:04d}*005010X231A1", *body, f"SE*{len(body) + 2}*{number:04d}"]
    segments += [f"GE*{len(groups)}*4599", "IEA*1*000004599"]
    return (ISA + "~".join(segments) + "~").encode()


def statuses(claims: list[Claim]) -> list[str]:
    return [Claim.objects.get(pk=claim.pk).status for claim in claims]


def test_the_999_parser_reads_groups_transaction_sets_and_errors():
    ack = parse_999(sample("999-rejected.x12"))
    group = ack.groups[0]
    assert (group.functional_id, group.group_control_number, group.code) == ("HC", 102, "R")
    transaction_set = group.transaction_sets[0]
    assert (transaction_set.control_number, transaction_set.code, transaction_set.rejected) == ("0001", "R", True)
    assert [(e.segment_id, e.position, e.claim_numbers) for e in transaction_set.errors] == [
        ("NM1", 12, ["OP0000201"]), ("DTP", 31, ["OP0000202"])]
    assert transaction_set.errors[0].element_errors[0].element_number == "67"


def test_an_accepted_999_leaves_the_claims_submitted_and_says_so(biller, north):
    _batch, claims = batch_of(biller, north, ["OP0000101", "OP0000102"], group=101)
    result = acknowledgement_import(actor=biller, file_name="999-accepted.x12", content=sample("999-accepted.x12"))
    assert statuses(claims) == ["submitted", "submitted"]
    assert result.rejected == []
    assert any("accepted" in note and "2 claim(s) stay submitted" in note for note in result.notes)
    assert AcknowledgementImport.objects.get().summary["rejected"] == 0


def test_a_rejected_transaction_set_rejects_its_claims_with_the_payers_reason(biller, north):
    _batch, claims = batch_of(biller, north, ["OP0000201", "OP0000202", "OP0000203"], group=102)
    result = acknowledgement_import(actor=biller, file_name="999-rejected.x12", content=sample("999-rejected.x12"))
    assert statuses(claims) == ["rejected", "rejected", "rejected"]
    assert sorted(outcome.claim_number for outcome in result.rejected) == ["OP0000201", "OP0000202", "OP0000203"]
    reasons = {change.claim.claim_number: change.reason
               for change in ClaimStatusChange.objects.filter(to_status="rejected").select_related("claim")}
    # The claim a CTX names gets its own error; the others every error of the transaction set.
    assert reasons["OP0000201"] == ("999: segment NM1 (line 12, loop 2010), element NM109: required element "
                                    "missing (code 1)")
    assert reasons["OP0000202"].startswith("999: segment DTP (line 31, loop 2400), element DTP03: invalid date")
    assert "“20261131”" in reasons["OP0000202"]
    assert "segment NM1" in reasons["OP0000203"]
    assert "segment DTP" in reasons["OP0000203"]
    change = ClaimStatusChange.objects.filter(claim=claims[0], to_status="rejected").get()
    assert (change.from_status, change.source, change.actor) == ("submitted", StatusSource.ACK_999, biller)


def test_each_moved_claim_and_the_import_are_audited_without_phi(biller, north):
    _batch, claims = batch_of(biller, north, ["OP0000201", "OP0000202"], group=102)
    acknowledgement_import(actor=biller, file_name="999-rejected.x12", content=sample("999-rejected.x12"))
    per_claim = AuditEvent.objects.filter(action="billing.claim_acknowledged")
    assert set(per_claim.values_list("patient_id", flat=True)) == {c.patient_id for c in claims}
    assert per_claim.count() == 2
    assert set(per_claim.values_list("location_id", flat=True)) == {north.pk}
    assert set(per_claim.values_list("changed_fields", flat=True)) == {"status"}
    imported = AuditEvent.objects.get(action="billing.acknowledgement_imported")
    assert imported.reason.startswith("999: 0 accepted, 2 rejected")
    assert "20261131" not in imported.reason


def test_with_several_transaction_sets_only_the_rejected_sets_claims_are_rejected(biller, north, monkeypatch):
    monkeypatch.setattr(acknowledgements, "MAX_CLAIMS_PER_TRANSACTION", 2)
    _batch, claims = batch_of(biller, north, ["OP0000401", "OP0000402", "OP0000403", "OP0000404", "OP0000405"],
                              group=104)
    content = a_999((104, [("0001", "A", []), ("0002", "R", ["IK3*CLM*40*2300*8", "IK4*2*782*5"]),
                           ("0003", "A", [])], "P"))
    result = acknowledgement_import(actor=biller, file_name="999.x12", content=content)
    # The writer puts claims in id order, two per transaction set here: 0002 held the third and fourth.
    assert statuses(claims) == ["submitted", "submitted", "rejected", "rejected", "submitted"]
    assert result.rejected[0].reason == "999: segment CLM (line 40, loop 2300), element CLM02: element too long (code 5)"


def test_when_the_claims_of_a_set_cannot_be_told_every_claim_of_the_batch_is_rejected_and_it_says_so(
        biller, north, monkeypatch):
    monkeypatch.setattr(acknowledgements, "MAX_CLAIMS_PER_TRANSACTION", 2)
    batch, claims = batch_of(biller, north, ["OP0000501", "OP0000502", "OP0000503"], group=105)
    ClaimBatch.objects.filter(pk=batch.pk).update(claim_count=4)  # a claim left the batch since it was written
    result = acknowledgement_import(actor=biller, file_name="999.x12",
                                    content=a_999((105, [("0002", "R", [])], "R")))
    assert statuses(claims) == ["rejected", "rejected", "rejected"]
    assert any("cannot be told" in note and "all 3 claims of the batch" in note for note in result.notes)
    assert result.rejected[0].reason.startswith("999: ")


def test_a_whole_group_rejected_without_transaction_set_responses_rejects_the_batch(biller, north):
    _batch, claims = batch_of(biller, north, ["OP0000601"], group=106)
    result = acknowledgement_import(actor=biller, file_name="999.x12", content=a_999((106, [], "R")))
    assert statuses(claims) == ["rejected"]
    assert "whole file was rejected" in result.notes[0]


def test_a_999_about_a_batch_we_never_sent_is_reported_not_fatal(biller, north):
    _batch, claims = batch_of(biller, north, ["OP0000201"], group=102)
    result = acknowledgement_import(actor=biller, file_name="999.x12",
                                    content=a_999((777, [("0001", "R", [])], "R"), (102, [("0001", "A", [])], "A")))
    assert result.unknown == ["batch with group control number 777"]
    assert statuses(claims) == ["submitted"]


def test_claims_no_longer_with_the_payer_are_left_alone(biller, north):
    _batch, claims = batch_of(biller, north, ["OP0000201", "OP0000202"], group=102)
    Claim.objects.filter(pk=claims[1].pk).update(status="paid")
    result = acknowledgement_import(actor=biller, file_name="999-rejected.x12", content=sample("999-rejected.x12"))
    assert statuses(claims) == ["rejected", "paid"]
    assert [outcome.claim_number for outcome in result.skipped] == ["OP0000202"]


def test_importing_the_same_file_twice_changes_nothing_the_second_time(biller, north):
    _batch, claims = batch_of(biller, north, ["OP0000201"], group=102)
    first = acknowledgement_import(actor=biller, file_name="999-rejected.x12", content=sample("999-rejected.x12"))
    Claim.objects.filter(pk=claims[0].pk).update(status="submitted")  # resent meanwhile
    events = AuditEvent.objects.count()
    second = acknowledgement_import(actor=biller, file_name="again.x12", content=sample("999-rejected.x12"))
    assert first.duplicate is False
    assert second.duplicate is True
    assert second.import_id == first.import_id
    assert "already imported" in second.notes[0]
    assert statuses(claims) == ["submitted"]
    assert AcknowledgementImport.objects.count() == 1
    assert AuditEvent.objects.count() == events


def test_a_malformed_999_changes_nothing_and_the_error_names_the_segment(biller, north):
    _batch, claims = batch_of(biller, north, ["OP0000201"], group=102)
    broken = sample("999-rejected.x12").replace(b"SE*12*0001", b"SE*13*0001")
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as raised:
        acknowledgement_import(actor=biller, file_name="999.x12", content=broken)
    message = raised.value.messages[0]
    assert "segment 14 (SE)" in message
    assert "Nothing was changed" in message
    assert statuses(claims) == ["submitted"]
    assert AcknowledgementImport.objects.count() == 0
    assert ClaimStatusChange.objects.count() == 0
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize(("content", "message"), [
    (b"", "empty"),
    (b"x" * (acknowledgements.MAX_FILE_BYTES + 1), "larger than"),
    (b"%PDF-1.7", "not an X12 file"),
])
def test_files_that_are_empty_too_large_or_not_x12_are_refused(biller, content, message):
    with pytest.raises(ValidationError, match=message):
        acknowledgement_import(actor=biller, file_name="file", content=content)
    assert AcknowledgementImport.objects.count() == 0


def test_a_271_or_an_835_is_not_taken_for_an_acknowledgement(biller):
    with pytest.raises(ValidationError, match="eligibility page"):
        acknowledgement_import(actor=biller, file_name="271.x12", content=sample("271-active.x12"))
    content = sample("999-accepted.x12").replace(b"ST*999*0001*005010X231A1", b"ST*835*0001*005010X221A1")
    with pytest.raises(ValidationError, match="835 transaction set"):
        acknowledgement_import(actor=biller, file_name="835.x12", content=content)


def test_a_biller_of_north_only_rejects_north_claims_and_is_told_the_others_are_not_theirs(
        make_user, biller, north, south):
    _batch, claims = batch_of(biller, [north, south], ["OP0000201", "OP0000202"], group=102)
    north_biller = make_user(Role.BILLER, locations=[north], username="north-biller")
    result = acknowledgement_import(actor=north_biller, file_name="999-rejected.x12",
                                    content=sample("999-rejected.x12"))
    assert statuses(claims) == ["rejected", "submitted"]
    assert result.not_yours == 1  # a count: the other location's claim numbers are not the north biller's to see
    assert AcknowledgementImport.objects.get().summary["not_yours"] == 1


def test_a_biller_of_the_other_location_imports_the_same_999_to_reject_their_claims(make_user, biller, north, south):
    _batch, claims = batch_of(biller, [north, south], ["OP0000201", "OP0000202"], group=102)
    north_biller = make_user(Role.BILLER, locations=[north], username="north-biller")
    south_biller = make_user(Role.BILLER, locations=[south], username="south-biller")
    acknowledgement_import(actor=north_biller, file_name="999-rejected.x12", content=sample("999-rejected.x12"))
    result = acknowledgement_import(actor=south_biller, file_name="999-rejected.x12",
                                    content=sample("999-rejected.x12"))
    assert result.duplicate is False
    assert [outcome.claim_number for outcome in result.rejected] == ["OP0000202"]
    assert result.not_yours == 1
    assert "first imported" in result.notes[0]
    assert statuses(claims) == ["rejected", "rejected"]
    assert list(ClaimStatusChange.objects.filter(claim=claims[1]).values_list("actor__username", "to_status")) == [
        ("south-biller", "rejected")]
    assert AcknowledgementImport.objects.count() == 2
    # The south biller's second import of the same file is the no-op.
    again = acknowledgement_import(actor=south_biller, file_name="999-rejected.x12",
                                   content=sample("999-rejected.x12"))
    assert again.duplicate is True
    assert AcknowledgementImport.objects.count() == 2


@pytest.mark.parametrize(("role", "tier"), [(Role.FRONT_DESK, Tier.STANDARD), (Role.PRACTICE_MANAGER, Tier.ENTRY)])
def test_people_without_billing_manage_cannot_import_and_nothing_changes(make_user, biller, north, role, tier):
    _batch, claims = batch_of(biller, north, ["OP0000201"], group=102)
    user = make_user(role, tier, username="not-a-biller")
    with pytest.raises(PermissionDenied):
        acknowledgement_import(actor=user, file_name="999-rejected.x12", content=sample("999-rejected.x12"))
    assert statuses(claims) == ["submitted"]
    assert AcknowledgementImport.objects.count() == 0
    assert AuditEvent.objects.filter(actor=user, outcome="denied", action="billing.acknowledgement_import").count() == 1


# --- a 999 as a validator writes it ------------------------------------------------------------------------------


def test_a_999_that_pyx12_writes_for_a_broken_837_rejects_the_batch(biller, north, practice):
    import pyx12.params
    import pyx12.x12n_document

    from openpractice.billing.tests.x12_support import ready_claim, ready_practice
    from openpractice.billing.x12.envelope import Envelope
    from openpractice.billing.x12.writer_837p import claims_for_837p, write_837p

    settings = ready_practice(practice)
    claims = [ready_claim(north, biller), ready_claim(north, biller)]
    envelope = Envelope(sender_id=settings.submitter_id, receiver_id=settings.receiver_id, interchange_number=801,
                        group_number=901, usage_indicator="T", created=dt.datetime(2026, 11, 27, 9, 30))
    out = io.StringIO()
    write_837p(out, claims_for_837p(Claim.objects.filter(pk__in=[c.pk for c in claims])), envelope=envelope,
               billing_settings=settings, practice=practice)
    # Break the file the way a typo would: the first claim's place of service becomes a letter.
    broken = out.getvalue().replace("*11:B:1*", "*1X:B:1*", 1)
    assert broken != out.getvalue()
    batch = ClaimBatch.objects.create(interchange_control_number=801, group_control_number=901, claim_count=2,
                                      file_name="837.x12", usage_indicator="T", created_by=biller)
    Claim.objects.filter(pk__in=[c.pk for c in claims]).update(batch=batch, status="submitted")
    ack = io.StringIO()
    pyx12.x12n_document.x12n_document(param=pyx12.params.params(), src_file=io.StringIO(broken), fd_997=ack,
                                      fd_html=None)
    content: Any = ack.getvalue().encode()
    assert b"ST*999" in content
    result = acknowledgement_import(actor=biller, file_name="999-from-pyx12.x12", content=content)
    assert statuses(claims) == ["rejected", "rejected"]
    assert all(outcome.reason.startswith("999: segment CLM") for outcome in result.rejected)


@pytest.mark.parametrize("name", ["999-accepted.x12", "999-rejected.x12"])
def test_the_sample_999s_are_valid_for_pyx12(name):
    from openpractice.billing.x12.validate import validate_x12

    result = validate_x12(SAMPLES / name)
    assert result.errors == []
    assert result.ok
