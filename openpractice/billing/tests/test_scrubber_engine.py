"""The scrubber engine: practice rules, duplicates, code sets, and loading in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openpractice.accounts.roles import Role
from openpractice.billing.choices import ClaimStatus, Severity
from openpractice.billing.models import Claim, ClaimAdjustment
from openpractice.billing.scrubber import build_context, describe_rule, load_claims, scrub, scrub_many
from openpractice.billing.scrubber.findings import Finding
from openpractice.billing.tests.factories import ScrubRuleFactory, make_claim
from openpractice.patients.tests.factories import PayerFactory

from .scrub_samples import CLEAN_LINES, clean_claim, clean_coverage, today


@pytest.fixture
def biller(make_user: Any, north: Any) -> Any:
    return make_user(Role.BILLER, locations=[north])


def findings_of(claim: Any) -> list[Finding]:
    items = load_claims([claim.pk])
    return scrub(items[0], build_context(items, today=today()))


def rules_fired(claim: Any) -> list[str]:
    return [finding.rule for finding in findings_of(claim)]


# --- practice rules ------------------------------------------------------------------------------------------


def test_a_practice_rule_fires_on_the_matching_line_with_the_practices_words(north: Any, biller: Any) -> None:
    claim = clean_claim(location=north, actor=biller)
    rule = ScrubRuleFactory(payer=claim.payer, procedure_code="99213", requires_modifier="25", created_by=biller,
                            severity=Severity.WARNING, message="Needs 25 with a same-day lab.", fix_hint="Add 25.")
    [finding] = findings_of(claim)
    assert finding == Finding(rule=f"practice_{rule.pk}", severity=Severity.WARNING,
                              message="Needs 25 with a same-day lab.", fix_hint="Add 25.", line_number=1)


def test_a_practice_rule_is_quiet_when_the_line_meets_its_requirement(north: Any, biller: Any) -> None:
    claim = clean_claim(location=north, actor=biller)
    claim.lines.filter(line_number=1).update(modifiers=["25"])
    ScrubRuleFactory(procedure_code="99213", requires_modifier="25", created_by=biller)
    assert rules_fired(claim) == []


def test_a_practice_rule_only_looks_at_lines_of_its_payer_code_and_place_of_service(north: Any, biller: Any) -> None:
    claim = clean_claim(location=north, actor=biller)
    ScrubRuleFactory(payer=PayerFactory(), procedure_code="99213", created_by=biller)  # another payer
    ScrubRuleFactory(payer=claim.payer, procedure_code="99214", created_by=biller)  # another code
    ScrubRuleFactory(payer=claim.payer, place_of_service="02", created_by=biller)  # telehealth only
    ScrubRuleFactory(payer=claim.payer, procedure_code="99213", created_by=biller, is_active=False)
    assert rules_fired(claim) == []


def test_a_practice_rule_without_requirement_fires_on_every_matching_line(north: Any, biller: Any) -> None:
    claim = clean_claim(location=north, actor=biller)
    rule = ScrubRuleFactory(payer=claim.payer, place_of_service=claim.place_of_service, created_by=biller,
                            message="This payer is out of network here.")
    code = f"practice_{rule.pk}"
    assert [(f.rule, f.line_number, f.message) for f in findings_of(claim)] == [
        (code, 1, "This payer is out of network here."), (code, 2, "This payer is out of network here.")]


def test_a_practice_rule_can_forbid_a_modifier_or_require_a_prior_authorization(north: Any, biller: Any) -> None:
    claim = clean_claim(location=north, actor=biller)
    claim.lines.filter(line_number=2).update(modifiers=["59"])
    forbid = ScrubRuleFactory(procedure_code="36415", forbids_modifier="59", created_by=biller)
    auth = ScrubRuleFactory(procedure_code="99213", requires_prior_authorization=True, created_by=biller)
    assert {(f.rule, f.line_number) for f in findings_of(claim)} == {
        (f"practice_{forbid.pk}", 2), (f"practice_{auth.pk}", 1)}
    claim.prior_authorization = "PA-778812"
    claim.save(update_fields=["prior_authorization"])
    assert rules_fired(claim) == [f"practice_{forbid.pk}"]


def test_a_rule_is_explained_in_one_sentence() -> None:
    assert describe_rule(payer_name="Aetna", procedure_code="99213", place_of_service="02",
                         requires_modifier="95") == "On lines for Aetna with code 99213 at POS 02: require modifier 95 — error"
    assert describe_rule(forbids_modifier="59", requires_prior_authorization=True, severity=Severity.WARNING) == (
        "On every line: forbid modifier 59; require a prior authorization number on the claim — warning")
    assert describe_rule(procedure_code="J1100") == "On lines with code J1100: always flag the line — error"


# --- duplicates ----------------------------------------------------------------------------------------------


def test_a_closed_claim_or_another_payer_is_not_a_duplicate(north: Any, biller: Any) -> None:
    claim = clean_claim(location=north, actor=biller)
    make_claim(location=north, actor=biller, coverage=claim.coverage, date_of_service=claim.date_of_service,
               lines=CLEAN_LINES, status=ClaimStatus.CLOSED)
    other_payer = clean_coverage(north, rank=2)
    other_payer.patient = claim.patient
    other_payer.save()
    make_claim(location=north, actor=biller, coverage=other_payer, date_of_service=claim.date_of_service,
               lines=CLEAN_LINES, prior_authorization="")
    make_claim(location=north, actor=biller, coverage=claim.coverage, date_of_service=claim.date_of_service,
               lines=(("99213", Decimal("125.00")),))  # not the same codes
    assert rules_fired(claim) == []


def test_a_corrected_claim_is_not_a_duplicate_of_the_claim_it_replaces(north: Any, biller: Any) -> None:
    original = clean_claim(location=north, actor=biller, status=ClaimStatus.DENIED)
    original.payer_claim_number = "PCN-2026-0001"
    original.save(update_fields=["payer_claim_number"])
    corrected = make_claim(location=north, actor=biller, charge=original.charge, coverage=original.coverage)
    corrected.frequency_code, corrected.original_claim = "7", original
    corrected.save(update_fields=["frequency_code", "original_claim"])
    assert rules_fired(corrected) == []  # and the original's payer claim number is the one REF*F8 carries


def test_a_void_and_the_claim_that_bills_the_visit_again_are_not_duplicates(north: Any, biller: Any) -> None:
    original = clean_claim(location=north, actor=biller, status=ClaimStatus.CLOSED)
    Claim.objects.filter(pk=original.pk).update(payer_claim_number="PCN-7")
    void = make_claim(location=north, actor=biller, charge=original.charge, coverage=original.coverage)
    void.frequency_code, void.original_claim = "8", original
    void.save(update_fields=["frequency_code", "original_claim"])
    rebill = make_claim(location=north, actor=biller, charge=original.charge, coverage=original.coverage)
    assert rules_fired(void) == []
    assert rules_fired(rebill) == []
    items = load_claims([void.pk, rebill.pk])  # scrubbed together: the run's own claims are indexed too
    assert scrub_many(items, build_context(items, today=today())) == {void.pk: [], rebill.pk: []}


def test_a_void_does_not_hide_a_real_duplicate(north: Any, biller: Any) -> None:
    first = clean_claim(location=north, actor=biller)
    second = make_claim(location=north, actor=biller, charge=first.charge, coverage=first.coverage)
    assert rules_fired(second) == ["duplicate_claim"]


def test_a_corrected_claim_sent_again_is_checked_against_the_originals_number_first(north: Any, biller: Any) -> None:
    original = clean_claim(location=north, actor=biller, status=ClaimStatus.CLOSED)
    corrected = make_claim(location=north, actor=biller, charge=original.charge, coverage=original.coverage)
    corrected.frequency_code, corrected.original_claim, corrected.payer_claim_number = "7", original, "CORR-9"
    corrected.save(update_fields=["frequency_code", "original_claim", "payer_claim_number"])
    assert rules_fired(corrected) == []  # the corrected claim's own number, as the original has none
    Claim.objects.filter(pk=original.pk).update(payer_claim_number="***")  # nothing the 837P can carry
    corrected.payer_claim_number = ""
    corrected.save(update_fields=["payer_claim_number"])
    assert rules_fired(corrected) == ["replacement_payer_claim_number"]


# --- coverage dates ------------------------------------------------------------------------------------------


def test_a_policy_ended_after_the_date_of_service_still_covered_it(north: Any, biller: Any) -> None:
    claim = clean_claim(location=north, actor=biller)
    coverage = claim.coverage
    coverage.is_active, coverage.effective_to = False, claim.date_of_service + dt.timedelta(days=1)
    coverage.save(update_fields=["is_active", "effective_to"])
    assert rules_fired(claim) == []
    coverage.effective_to = claim.date_of_service - dt.timedelta(days=1)
    coverage.save(update_fields=["effective_to"])
    [finding] = findings_of(claim)
    assert finding.rule == "coverage_inactive"
    assert "it ended on" in finding.message


# --- secondary claims ----------------------------------------------------------------------------------------


def test_a_balanced_secondary_after_the_primarys_claim_has_no_findings(north: Any, biller: Any) -> None:
    claim = clean_claim(location=north, actor=biller, status=ClaimStatus.PAID)
    second = clean_coverage(north, rank=2)
    second.patient = claim.patient
    second.save(update_fields=["patient"])
    secondary = make_claim(location=north, actor=biller, charge=claim.charge, coverage=second)
    secondary.prior_payer_paid, secondary.prior_payer_paid_on = Decimal("100.00"), today()
    secondary.save(update_fields=["prior_payer_paid", "prior_payer_paid_on"])
    ClaimAdjustment.objects.create(claim=secondary, group_code="CO", reason_code="45", amount=Decimal("30.00"))
    ClaimAdjustment.objects.create(claim=secondary, group_code="PR", reason_code="2", amount=Decimal("7.00"))
    assert rules_fired(secondary) == []
    claim.coverage.member_id = "~~"
    claim.coverage.save(update_fields=["member_id"])
    [finding] = findings_of(secondary)
    assert (finding.rule, finding.severity) == ("secondary_earlier_claim", Severity.ERROR)
    assert claim.claim_number in finding.message


def test_both_claims_of_a_duplicate_pair_are_flagged_each_naming_the_other(north: Any, biller: Any) -> None:
    first = clean_claim(location=north, actor=biller)
    second = make_claim(location=north, actor=biller, charge=first.charge, coverage=first.coverage)
    items = load_claims([first.pk, second.pk])
    results = scrub_many(items, build_context(items, today=today()))
    assert [f.rule for f in results[first.pk]] == ["duplicate_claim"]
    assert second.claim_number in results[first.pk][0].message
    assert first.claim_number in results[second.pk][0].message


# --- code sets and dates -------------------------------------------------------------------------------------


def test_a_date_of_service_without_a_loaded_code_set_is_a_warning_not_an_error(north: Any, biller: Any) -> None:
    old = dt.date(2025, 6, 2)  # before the packaged FY2026 release, and no older order file is loaded
    coverage = clean_coverage(north, payer=PayerFactory(timely_filing_days=3650))
    claim = clean_claim(location=north, actor=biller, coverage=coverage, date_of_service=old)
    findings = findings_of(claim)
    assert {(f.rule, f.severity) for f in findings} == {("icd10_not_checked", Severity.WARNING)}
    assert "2025-06-02" in findings[0].message


def test_an_icd9_v_code_also_says_what_it_would_be_in_icd10(north: Any, biller: Any) -> None:
    claim = clean_claim(location=north, actor=biller, diagnoses=("V700", "I10"))
    [finding] = findings_of(claim)
    assert finding.rule == "icd9_code"
    assert "V70.0XXA" in finding.message


def test_the_timely_filing_window_is_not_applied_to_corrected_claims(north: Any, biller: Any) -> None:
    coverage = clean_coverage(north, payer=PayerFactory(timely_filing_days=5))
    claim = clean_claim(location=north, actor=biller, coverage=coverage)
    assert rules_fired(claim) == ["timely_filing"]
    claim.frequency_code, claim.payer_claim_number = "7", "PCN-1"
    claim.original_claim = make_claim(location=north, actor=biller, coverage=coverage,
                                      date_of_service=claim.date_of_service - dt.timedelta(days=1))
    claim.save(update_fields=["frequency_code", "payer_claim_number", "original_claim"])
    assert rules_fired(claim) == []


def test_a_line_dated_years_from_the_date_of_service_is_a_typo(north: Any, biller: Any) -> None:
    claim = clean_claim(location=north, actor=biller)
    claim.lines.filter(line_number=2).update(service_date_from=dt.date(2016, 11, 2), service_date_to=dt.date(2016, 11, 2))
    [finding] = findings_of(claim)
    assert (finding.rule, finding.line_number) == ("line_dates", 2)
    assert "probably a typo" in finding.message


# --- loading -------------------------------------------------------------------------------------------------


def _load_and_scrub_queries(claim_ids: list[int]) -> int:
    with CaptureQueriesContext(connection) as captured:
        items = load_claims(claim_ids)
        scrub_many(items, build_context(items, today=today()))
    return len(captured.captured_queries)


def test_loading_and_scrubbing_take_the_same_queries_for_two_or_twelve_claims(north: Any, biller: Any) -> None:
    ScrubRuleFactory(procedure_code="99213", requires_modifier="25", created_by=biller)
    claims = [clean_claim(location=north, actor=biller) for _ in range(12)]
    claims[0].frequency_code, claims[0].original_claim = "7", claims[1]
    claims[0].save(update_fields=["frequency_code", "original_claim"])
    claims[2].billing_provider = claims[3].rendering_provider
    claims[2].save(update_fields=["billing_provider"])
    few = _load_and_scrub_queries([claims[0].pk, claims[2].pk])
    many = _load_and_scrub_queries([claim.pk for claim in claims])
    assert few == many
    assert many <= 12  # claims, lines; patients, coverages, payers, locations, providers, referring providers;
    # duplicates, replaced claims; practice, rules
