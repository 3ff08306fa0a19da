"""The 837P writer: every generated file passes pyx12 (005010X222A1), and the loops say what the claims say."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.billing.models import BillingSettings, Claim, ClaimLine
from openpractice.billing.tests.x12_support import (
    coverage_for,
    patient_at,
    ready_claim,
    ready_practice,
    secondary_claim,
)
from openpractice.billing.x12.envelope import Envelope
from openpractice.billing.x12.validate import validate_x12
from openpractice.billing.x12.writer_837p import WriteSummary, X12WriteError, claims_for_837p, write_837p
from openpractice.core.models import Location, Practice
from openpractice.patients.tests.factories import PayerFactory
from openpractice.scheduling.models import ReferringProvider
from openpractice.scheduling.tests.factories import ProviderFactory

CREATED = dt.datetime(2026, 11, 27, 9, 30)


@pytest.fixture
def billing(practice: Practice) -> BillingSettings:
    return ready_practice(practice)


@pytest.fixture
def biller(make_user: Callable[..., User]) -> User:
    return make_user(Role.BILLER)


def envelope(billing: BillingSettings, number: int = 7) -> Envelope:
    return Envelope(sender_id=billing.submitter_id, receiver_id=billing.receiver_id, interchange_number=number,
                    group_number=number + 100, usage_indicator=billing.usage_indicator, created=CREATED)


def write(billing: BillingSettings, practice: Practice, claims: Any = None, **options: Any) -> tuple[str, WriteSummary]:
    out = io.StringIO()
    queryset = claims if claims is not None else Claim.objects.all()
    summary = write_837p(out, claims_for_837p(queryset), envelope=envelope(billing), billing_settings=billing,
                         practice=practice, **options)
    return out.getvalue(), summary


def segments(text: str) -> list[str]:
    return [line.rstrip("~") for line in text.splitlines()]


def starting(text: str, prefix: str) -> list[str]:
    return [seg for seg in segments(text) if seg.startswith(prefix)]


def assert_valid(text: str) -> None:
    result = validate_x12(text)
    assert result.errors == []
    assert result.ok


def test_a_single_claim_passes_pyx12_with_every_required_loop(billing: BillingSettings, practice: Practice,
                                                               north: Location, biller: User) -> None:
    claim = ready_claim(north, biller)
    text, summary = write(billing, practice)
    assert_valid(text)
    assert summary.claim_count == 1
    assert summary.total_charge == Decimal("125.00")
    lines = segments(text)
    assert lines[0].startswith("ISA*00*          *00*          *ZZ*RIVERBEND01    *ZZ*CLEARHOUSE01   *261127*0930*^*00501*"
                               "000000007*0*T*:")
    assert len(lines[0]) == 105  # 106 with the terminator: ISA is fixed-width
    assert lines[1] == "GS*HC*RIVERBEND01*CLEARHOUSE01*20261127*0930*107*X*005010X222A1"
    assert lines[2] == "ST*837*0001*005010X222A1"
    assert lines[3] == "BHT*0019*00*0000000070001*20261127*0930*CH"
    assert "NM1*41*2*RIVERBEND FAMILY MEDICINE*****46*RIVERBEND01" in lines
    assert "PER*IC*BILLING OFFICE*TE*9195550100*EM*billing@riverbend.example" in lines
    assert "NM1*40*2*DEMO CLEARINGHOUSE*****46*CLEARHOUSE01" in lines
    assert "HL*1**20*1" in lines
    assert "NM1*85*2*RIVERBEND FAMILY MEDICINE, PLLC*****XX*1234567893" in lines
    assert "N4*RALEIGH*NC*276011234" in lines  # ZIP+4 as nine digits
    assert "REF*EI*561234567" in lines  # EIN digits only
    assert "HL*2*1*22*0" in lines
    assert "SBR*P*18*GRP1******CI" in lines
    patient = claim.patient
    assert f"NM1*IL*1*{patient.last_name.upper()}*{patient.first_name.upper()}****MI*{claim.coverage.member_id}" in lines
    assert "DMG*D8*19800131*F" in lines
    assert f"NM1*PR*2*{claim.payer.name.upper()}*****PI*{claim.payer.payer_id}" in lines
    assert f"CLM*{claim.claim_number}*125***11:B:1*Y*A*Y*Y" in lines
    assert "HI*ABK:E119*ABF:I10" in lines
    assert f"NM1*82*1*RIVERA*{claim.rendering_provider.first_name.upper()}****XX*{claim.rendering_provider.npi}" in lines
    assert "PRV*PE*PXC*207Q00000X" in lines
    line = claim.lines.get()
    assert lines[-7:] == ["LX*1", "SV1*HC:99213*125*UN*1***1", "DTP*472*D8*20261102",
                          f"REF*6R*{line.pk}",  # the line item control number the 835 echoes back
                          f"SE*{len(lines) - 4}*0001",  # ST through SE
                          "GE*1*107", "IEA*1*000000007"]


def test_a_batch_across_two_payers_with_a_subscriber_and_a_dependent_passes_pyx12(
    billing: BillingSettings, practice: Practice, north: Location, south: Location, biller: User,
) -> None:
    first, second = PayerFactory(name="Blue Ridge Health"), PayerFactory(name="Piedmont Care")
    ready_claim(north, biller, payer=first)
    dependent = patient_at(north, first_name="Mia", last_name="Keller", date_of_birth=dt.date(2015, 3, 9))
    child_claim = ready_claim(north, biller, coverage=coverage_for(dependent, second, relationship="child"))
    ready_claim(south, biller, payer=second)
    spouse = patient_at(south)
    ready_claim(south, biller, coverage=coverage_for(spouse, first, relationship="spouse"))
    text, summary = write(billing, practice)
    assert_valid(text)
    assert summary.claim_count == 4
    assert summary.total_charge == Decimal("500.00")
    lines = segments(text)
    assert len(starting(text, "HL*")) == 1 + 4 + 2  # billing provider, a subscriber per claim, two patients
    assert "SBR*P**GRP1******CI" in lines  # the patient is not the subscriber: SBR02 empty
    assert "NM1*IL*1*KELLER*JORDAN****MI*" + child_claim.coverage.member_id in lines
    assert "PAT*19" in lines
    assert "PAT*01" in lines
    assert "NM1*QC*1*KELLER*MIA" in lines
    assert "DMG*D8*20150309*F" in lines
    assert {seg.split("*")[3] for seg in starting(text, "NM1*PR*")} == {"BLUE RIDGE HEALTH", "PIEDMONT CARE"}


def test_a_secondary_claim_carries_the_primary_payers_payment_in_the_cob_loops(
    billing: BillingSettings, practice: Practice, north: Location, biller: User,
) -> None:
    primary = PayerFactory(name="Blue Ridge Health", payer_id="BRH01", claim_filing_indicator="BL")
    secondary = PayerFactory(name="Medicare Part B", payer_id="MCB01", claim_filing_indicator="MB")
    claim = secondary_claim(north, biller, primary_payer=primary, secondary_payer=secondary)
    text, _ = write(billing, practice, Claim.objects.filter(pk=claim.pk))
    assert_valid(text)
    lines = segments(text)
    assert "SBR*S*18*GRP1******MB" in lines  # 2000B: this claim goes to the secondary payer
    assert "NM1*PR*2*MEDICARE PART B*****PI*MCB01" in lines
    # 2320 (other subscriber: the primary), its adjustments and payment, 2330A and 2330B with the paid date.
    cob_start = lines.index("SBR*P*18*GRP1******BL")
    primary_coverage = claim.patient.coverages.get(rank=1)
    assert lines[cob_start:cob_start + 7] == [
        "SBR*P*18*GRP1******BL", "CAS*CO*45*35", "CAS*PR*1*10", "AMT*D*80", "OI***Y***Y",
        f"NM1*IL*1*{claim.patient.last_name.upper()}*{claim.patient.first_name.upper()}****MI*"
        f"{primary_coverage.member_id}",
        "NM1*PR*2*BLUE RIDGE HEALTH*****PI*BRH01",
    ]
    assert lines[cob_start + 7] == "DTP*573*D8*20261120"
    assert lines.index("LX*1") > cob_start  # the COB loops come before the service lines


def test_the_earlier_payer_is_the_one_the_primary_claim_billed_even_after_that_coverage_ended(
    billing: BillingSettings, practice: Practice, north: Location, biller: User,
) -> None:
    old_primary = PayerFactory(name="Blue Ridge Health", payer_id="BRH01", claim_filing_indicator="BL")
    claim = secondary_claim(north, biller, primary_payer=old_primary,
                            secondary_payer=PayerFactory(name="Medicare Part B", payer_id="MCB01"))
    ended = claim.patient.coverages.get(rank=1)
    ended.is_active, ended.effective_to = False, claim.date_of_service + dt.timedelta(days=3)
    ended.save(update_fields=["is_active", "effective_to"])
    coverage_for(claim.patient, PayerFactory(name="Piedmont Care", payer_id="PDC01"), rank=1, member_id="NEW123")
    out = io.StringIO()
    refused: list[str] = []
    write_837p(out, claims_for_837p(Claim.objects.filter(pk=claim.pk)), envelope=envelope(billing),
               billing_settings=billing, practice=practice, on_refused=lambda data, why: refused.append(why))
    assert refused == []
    assert_valid(out.getvalue())
    lines = segments(out.getvalue())
    cob_start = lines.index("SBR*P*18*GRP1******BL")
    assert lines[cob_start + 5].endswith(f"*MI*{ended.member_id}")
    assert lines[cob_start + 6] == "NM1*PR*2*BLUE RIDGE HEALTH*****PI*BRH01"
    assert not any("PDC01" in line or "NEW123" in line for line in lines)


def test_a_secondary_claim_without_the_earlier_payers_claim_is_refused(
    billing: BillingSettings, practice: Practice, north: Location, biller: User,
) -> None:
    claim = secondary_claim(north, biller)
    Claim.objects.filter(charge=claim.charge, payer_rank=1).delete()
    with pytest.raises(X12WriteError, match=f"Claim {claim.claim_number}: a secondary claim needs the earlier payer's"):
        write(billing, practice, Claim.objects.filter(pk=claim.pk))


def test_a_corrected_claim_names_the_payers_claim_number_of_the_original(
    billing: BillingSettings, practice: Practice, north: Location, biller: User,
) -> None:
    original = ready_claim(north, biller)
    original.status = "submitted"
    original.payer_claim_number = "2026330123456"
    original.save(update_fields=["status", "payer_claim_number"])
    corrected = ready_claim(north, biller, coverage=original.coverage)
    corrected.frequency_code = "7"
    corrected.original_claim = original
    corrected.save(update_fields=["frequency_code", "original_claim"])
    text, _ = write(billing, practice, Claim.objects.filter(pk=corrected.pk))
    assert_valid(text)
    lines = segments(text)
    assert f"CLM*{corrected.claim_number}*125***11:B:7*Y*A*Y*Y" in lines
    assert lines[lines.index(f"CLM*{corrected.claim_number}*125***11:B:7*Y*A*Y*Y") + 1] == "REF*F8*2026330123456"


def test_a_corrected_claim_sent_again_still_names_the_originals_number_not_its_own(
    billing: BillingSettings, practice: Practice, north: Location, biller: User,
) -> None:
    original = ready_claim(north, biller)
    Claim.objects.filter(pk=original.pk).update(status="closed", payer_claim_number="ORIGINAL-2026-1")
    corrected = ready_claim(north, biller, coverage=original.coverage)
    corrected.frequency_code, corrected.original_claim = "7", original
    corrected.payer_claim_number = "CORRECTED-2026-9"  # the payer's number for the corrected claim's first send
    corrected.save(update_fields=["frequency_code", "original_claim", "payer_claim_number"])
    text, _ = write(billing, practice, Claim.objects.filter(pk=corrected.pk))
    assert_valid(text)
    assert starting(text, "REF*F8*") == ["REF*F8*ORIGINAL-2026-1"]


def test_a_corrected_claim_without_the_payers_number_is_refused_with_a_clear_message(
    billing: BillingSettings, practice: Practice, north: Location, biller: User,
) -> None:
    original = ready_claim(north, biller)
    corrected = ready_claim(north, biller, coverage=original.coverage)
    corrected.frequency_code = "8"
    corrected.original_claim = original
    corrected.save(update_fields=["frequency_code", "original_claim"])
    with pytest.raises(X12WriteError, match=f"Claim {corrected.claim_number}: a corrected or void claim needs"):
        write(billing, practice, Claim.objects.filter(pk=corrected.pk))


def test_an_individual_billing_provider_bills_under_their_npi_and_taxonomy(
    billing: BillingSettings, practice: Practice, north: Location, biller: User,
) -> None:
    doctor = ProviderFactory(first_name="Dana", last_name="O'Neil", taxonomy_code="207R00000X", locations=[north])
    claim = ready_claim(north, biller, rendering_provider=doctor, billing_provider=doctor)
    claim.referring_provider = ReferringProvider.objects.create(first_name="Sam", last_name="Ortiz",
                                                                npi="1245319599")
    claim.prior_authorization = "AUTH-7781"
    claim.save(update_fields=["referring_provider", "prior_authorization"])
    text, _ = write(billing, practice)
    assert_valid(text)
    lines = segments(text)
    assert lines[lines.index("HL*1**20*1") + 1] == "PRV*BI*PXC*207R00000X"
    assert f"NM1*85*1*O'NEIL*DANA****XX*{doctor.npi}" in lines
    assert "REF*G1*AUTH-7781" in lines
    assert "NM1*DN*1*ORTIZ*SAM****XX*1245319599" in lines
    assert starting(text, "NM1*82*") == []  # the rendering provider is the billing provider: no 2310B


def test_the_service_facility_is_named_only_when_the_location_is_not_the_billing_address(
    billing: BillingSettings, practice: Practice, north: Location, biller: User,
) -> None:
    north.address_line1, north.city, north.postal_code = practice.address_line1, practice.city, "27601"
    north.save()
    ready_claim(north, biller)
    text, _ = write(billing, practice)
    assert_valid(text)
    assert starting(text, "NM1*77*") == []


def test_a_line_over_several_days_with_modifiers_and_pointers(billing: BillingSettings, practice: Practice,
                                                               north: Location, biller: User) -> None:
    claim = ready_claim(north, biller, diagnoses=("E11.9", "I10", "Z79.4"))
    ClaimLine.objects.filter(claim=claim).update(
        modifiers=["25", "59"], pointers=[2, 1, 3], units=Decimal("2.50"),
        service_date_from=dt.date(2026, 10, 30), service_date_to=dt.date(2026, 11, 2))
    text, _ = write(billing, practice)
    assert_valid(text)
    lines = segments(text)
    assert "HI*ABK:E119*ABF:I10*ABF:Z794" in lines  # codes without their dots
    assert "SV1*HC:99213:25:59*125*UN*2.5***2:1:3" in lines
    assert "DTP*472*RD8*20261030-20261102" in lines


def test_names_and_addresses_lose_separators_and_accents_but_the_file_stays_valid(
    billing: BillingSettings, practice: Practice, north: Location, biller: User,
) -> None:
    patient = patient_at(north, first_name="Zoë*~", last_name="Núñez:O'Brien^", address_line1="12 Elm St ~ Apt*4")
    ready_claim(north, biller, coverage=coverage_for(patient, member_id="AB*12~3"))
    text, _ = write(billing, practice)
    assert_valid(text)
    lines = segments(text)
    assert "NM1*IL*1*NUNEZ O'BRIEN*ZOE****MI*AB123" in lines
    assert "N3*12 ELM ST APT 4" in lines


def test_the_case_is_kept_for_payers_that_do_not_want_upper_case(billing: BillingSettings, practice: Practice,
                                                                 north: Location, biller: User) -> None:
    patient = patient_at(north, first_name="Ana", last_name="Silva")
    ready_claim(north, biller, coverage=coverage_for(patient))
    text, _ = write(billing, practice, uppercase=False)
    assert_valid(text)
    assert any(seg.startswith("NM1*IL*1*Silva*Ana*") for seg in segments(text))


def test_more_claims_than_one_transaction_set_holds_open_a_new_one_with_correct_counts(
    billing: BillingSettings, practice: Practice, north: Location, biller: User,
) -> None:
    for _ in range(5):
        ready_claim(north, biller)
    text, summary = write(billing, practice, claims_per_transaction=2)
    assert_valid(text)
    lines = segments(text)
    assert summary.transaction_sets == 3
    assert summary.claim_count == 5
    assert [seg for seg in lines if seg.startswith("ST*")] == [
        "ST*837*0001*005010X222A1", "ST*837*0002*005010X222A1", "ST*837*0003*005010X222A1"]
    starts = [index for index, seg in enumerate(lines) if seg.startswith("ST*")]
    ends = [index for index, seg in enumerate(lines) if seg.startswith("SE*")]
    for start, end in zip(starts, ends, strict=True):
        assert lines[end] == f"SE*{end - start + 1}*{lines[start].split('*')[2]}"
        assert lines[start + 1].startswith("BHT*0019*00*")
    assert lines[-2:] == ["GE*3*107", "IEA*1*000000007"]
    assert summary.segment_count == len(lines)
    assert len(starting(text, "CLM*")) == 5


def test_a_claim_missing_what_the_837p_requires_is_refused_naming_the_claim(
    billing: BillingSettings, practice: Practice, north: Location, biller: User,
) -> None:
    claim = ready_claim(north, biller, payer=PayerFactory(name="Paper Only Mutual", payer_id=""))
    with pytest.raises(X12WriteError, match=f"Claim {claim.claim_number}: the payer Paper Only Mutual has no "
                                            "electronic payer ID"):
        write(billing, practice)


def test_with_on_refused_a_claim_the_837p_cannot_carry_is_left_out_and_the_rest_still_validates(
    billing: BillingSettings, practice: Practice, north: Location, biller: User,
) -> None:
    doctor = ProviderFactory(last_name="O'Neil", taxonomy_code="207R00000X", locations=[north])
    group = [ready_claim(north, biller) for _ in range(2)]
    paper = ready_claim(north, biller, payer=PayerFactory(name="Paper Only Mutual", payer_id=""))
    lone = ready_claim(north, biller, rendering_provider=doctor, billing_provider=doctor)
    nameless = ready_claim(north, biller, rendering_provider=doctor, billing_provider=doctor)
    nameless.patient.last_name = "山田"
    nameless.patient.save(update_fields=["last_name"])
    refused: list[tuple[str, str]] = []
    out = io.StringIO()
    summary = write_837p(out, claims_for_837p(Claim.objects.all()), envelope=envelope(billing),
                         billing_settings=billing, practice=practice, claims_per_transaction=2,
                         on_refused=lambda data, why: refused.append((data.claim_number, why)))
    assert refused == [(paper.claim_number, "the payer Paper Only Mutual has no electronic payer ID."),
                       (nameless.claim_number, "the patient's last name is empty once cleaned for X12.")]
    assert (summary.claim_count, summary.refused, summary.transaction_sets) == (3, 2, 2)
    text = out.getvalue()
    assert_valid(text)
    assert [line.split("*")[1] for line in starting(text, "CLM*")] == [
        *(claim.claim_number for claim in group), lone.claim_number]
    assert starting(text, "HL*") == ["HL*1**20*1", "HL*2*1*22*0", "HL*3*1*22*0", "HL*1**20*1", "HL*2*1*22*0"]


def test_a_group_without_a_group_npi_cannot_bill_as_a_group(billing: BillingSettings, practice: Practice,
                                                              north: Location, biller: User) -> None:
    practice.group_npi = ""
    practice.save(update_fields=["group_npi"])
    ready_claim(north, biller)
    with pytest.raises(X12WriteError, match="no group NPI"):
        write(billing, practice)


def test_claims_are_read_in_chunks_with_a_constant_number_of_queries_per_chunk(
    billing: BillingSettings, practice: Practice, north: Location, biller: User,
    django_assert_max_num_queries: Any,
) -> None:
    for _ in range(6):
        ready_claim(north, biller)
    out = io.StringIO()
    # 6 claims, 2 per chunk: 3 chunks x (claims + lines + adjustments + coverages) queries.
    with django_assert_max_num_queries(3 * 4 + 1):
        write_837p(out, claims_for_837p(Claim.objects.all(), chunk_size=2), envelope=envelope(billing),
                   billing_settings=billing, practice=practice)
    assert out.getvalue().count("CLM*") == 6
