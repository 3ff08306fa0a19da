"""Importing 271 eligibility responses: what the payer said (active, copay, deductible, its reasons for not
answering) is kept on the coverage it is about, found by our trace or by member and payer ID, once per file,
all or nothing; and the check-in page shows it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.billing.models import AcknowledgementImport
from openpractice.billing.services.eligibility import eligibility_271_import, trace_number_format
from openpractice.billing.x12.eligibility_271 import parse_271
from openpractice.patients.models import Coverage, EligibilityResponse
from openpractice.patients.selectors import coverage_latest_eligibility, coverages_latest_eligibility
from openpractice.patients.services import eligibility_response_record
from openpractice.patients.tests.factories import CoverageFactory, PatientFactory, PayerFactory
from openpractice.scheduling.tests.factories import AppointmentFactory, ProviderFactory

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).parent / "x12"
ACTIVE = (SAMPLES / "271-active.x12").read_bytes()
BATCH = (SAMPLES / "271-batch.x12").read_bytes()


@pytest.fixture
def biller(make_user: Callable[..., User]) -> User:
    return make_user(Role.BILLER, username="biller")


@pytest.fixture
def acme(db):
    return PayerFactory(name="Acme Health Plan", payer_id="12345")


def coverage(location, payer, member_id: str, *, relationship: str = "self", born: dt.date = dt.date(1980, 1, 31),
             **fields) -> Coverage:
    patient = PatientFactory(home_location=location, date_of_birth=born)
    if relationship != "self":
        fields.update(subscriber_first_name="John", subscriber_last_name="Smith",
                      subscriber_date_of_birth=dt.date(1979, 2, 3), subscriber_sex="M")
    return CoverageFactory(patient=patient, payer=payer, member_id=member_id, subscriber_relationship=relationship,
                           **fields)


# --- the parser ---------------------------------------------------------------------------------------------------


def test_the_271_parser_reads_coverage_copay_and_deductible():
    answer = parse_271(ACTIVE).answers[0]
    assert (answer.member_id, answer.payer_id, answer.trace_numbers) == ("W123456789", "12345",
                                                                         ["OPE00000007-999999"])
    assert answer.is_active
    assert answer.plan_description == "GOLD PPO 1500"
    # In-network office visit copay, not the out-of-network one; the individual deductible, not the family's.
    assert answer.copay == Decimal("30")
    assert (answer.deductible, answer.deductible_remaining) == (Decimal("1500"), Decimal("1200"))
    assert answer.message == "PRIMARY CARE VISITS COVERED AFTER COPAY"


def test_the_271_parser_reads_dependents_inactive_coverage_and_rejections():
    answers = parse_271(BATCH).answers
    assert [(a.level, a.member_id) for a in answers] == [
        ("dependent", "F100200300"), ("subscriber", "B555666777"), ("subscriber", "G111222333"),
        ("subscriber", "Z999888777")]
    dependent, inactive, rejected, _unknown = answers
    assert (dependent.is_active, dependent.copay, dependent.deductible_remaining) == (True, Decimal(15), Decimal(0))
    assert dependent.date_of_birth == dt.date(2015, 6, 15)
    assert not inactive.is_active
    assert inactive.message == "The payer reports the coverage inactive. COVERAGE TERMINATED 20260930"
    assert not rejected.is_active
    assert rejected.message == ("The payer could not answer: subscriber not found (AAA 75); correct the request and "
                                "send it again.")


def test_a_copay_for_plan_coverage_counts_when_no_office_visit_copay_is_given():
    content = ACTIVE.replace(b"EB*B*IND*98***27*30*****Y", b"EB*B*IND*30***27*35*****Y").replace(
        b"EB*B*IND*98***27*60*****N", b"EB*B*IND*33***27*5")
    assert parse_271(content).answers[0].copay == Decimal("35")


# --- the import ---------------------------------------------------------------------------------------------------


def test_an_answer_is_kept_on_the_coverage_our_trace_names(biller, north, acme):
    target = coverage(north, acme, "W123456789")
    coverage(north, acme, "W123456789")  # same member ID elsewhere: the trace decides, not the ID
    content = ACTIVE.replace(b"OPE00000007-999999", trace_number_format(7, target.pk).encode())
    result = eligibility_271_import(actor=biller, file_name="271.x12", content=content)
    response = EligibilityResponse.objects.get()
    assert response.coverage == target
    assert (response.is_active, response.copay, response.deductible, response.deductible_remaining) == (
        True, Decimal("30.00"), Decimal("1500.00"), Decimal("1200.00"))
    assert response.plan_description == "GOLD PPO 1500"
    assert response.trace_number == trace_number_format(7, target.pk)
    assert [outcome.coverage_id for outcome in result.recorded] == [target.pk]


def test_without_our_trace_the_member_and_payer_id_find_the_coverage(biller, north, acme):
    target = coverage(north, acme, "W123456789")
    coverage(north, PayerFactory(payer_id="99999"), "W123456789")  # another payer's member
    eligibility_271_import(actor=biller, file_name="271.x12", content=ACTIVE)
    assert EligibilityResponse.objects.get().coverage == target


def test_a_batch_of_answers_is_matched_one_by_one(biller, north, acme):
    child = coverage(north, acme, "F100200300", relationship="child", born=dt.date(2015, 6, 15))
    coverage(north, acme, "F100200300", relationship="child", born=dt.date(2012, 3, 1))  # a sibling
    brown = coverage(north, acme, "B555666777")
    green = coverage(north, acme, "G111222333")
    result = eligibility_271_import(actor=biller, file_name="271-batch.x12", content=BATCH)
    kept = {response.coverage_id: response for response in EligibilityResponse.objects.all()}
    assert set(kept) == {child.pk, brown.pk, green.pk}
    assert (kept[child.pk].is_active, kept[child.pk].copay) == (True, Decimal("15.00"))
    assert not kept[brown.pk].is_active
    assert "COVERAGE TERMINATED" in kept[brown.pk].message
    assert not kept[green.pk].is_active
    assert "subscriber not found (AAA 75)" in kept[green.pk].message
    assert result.unknown == ["member ID Z999888777 at payer 12345"]


def test_two_coverages_that_both_fit_an_answer_are_reported_not_guessed(biller, north, acme):
    coverage(north, acme, "B555666777")
    coverage(north, acme, "B555666777", rank=2)
    result = eligibility_271_import(actor=biller, file_name="271-batch.x12", content=BATCH)
    assert result.ambiguous == ["member ID B555666777 at payer 12345"]
    assert not EligibilityResponse.objects.filter(coverage__member_id="B555666777").exists()


def test_a_payer_turning_the_whole_request_back_is_reported(biller):
    content = ACTIVE.replace(b"HL*2*1*21*1~", b"AAA*N**42*R~HL*2*1*21*1~").replace(b"SE*24*", b"SE*25*")
    result = eligibility_271_import(actor=biller, file_name="271.x12", content=content)
    assert result.notes == ["The payer turned the request back at the payer level: the payer cannot answer right "
                            "now (AAA 42); it may be sent again."]


def test_the_import_is_audited_once_and_each_answer_with_its_patient(biller, north, acme):
    target = coverage(north, acme, "W123456789")
    eligibility_271_import(actor=biller, file_name="271.x12", content=ACTIVE)
    assert AuditEvent.objects.get(action="billing.eligibility_imported").reason.startswith("271: 1 recorded")
    event = AuditEvent.objects.get(action="coverages.eligibility_recorded")
    assert (event.patient_id, event.location_id) == (target.patient_id, north.pk)
    assert "1200" not in event.changed_fields + event.reason


def test_importing_the_same_271_twice_keeps_one_answer(biller, north, acme):
    coverage(north, acme, "W123456789")
    eligibility_271_import(actor=biller, file_name="271.x12", content=ACTIVE)
    second = eligibility_271_import(actor=biller, file_name="271 again.x12", content=ACTIVE)
    assert second.duplicate
    assert EligibilityResponse.objects.count() == 1
    assert AcknowledgementImport.objects.filter(kind="271").count() == 1


@pytest.mark.parametrize(("damage", "message"), [
    (lambda c: c.replace(b"DMG*D8*19800131*F", b"DMG*D8*19801331*F"), "DMG02 should be a date"),
    (lambda c: c.replace(b"EB*B*IND*98***27*30", b"EB*B*IND*98***27*3E5"), "EB07 should be an amount"),
    (lambda c: c.replace(b"SE*24*0001", b"SE*25*0001"), "SE01 says"),
    (lambda c: c.replace(b"EB*B*IND*98***27*30", b"EB*B*IND*98***27*123456789"), "cannot be kept"),
])
def test_a_damaged_271_keeps_nothing_and_says_where(biller, north, acme, damage, message):
    coverage(north, acme, "W123456789")
    with pytest.raises(ValidationError, match=message):
        eligibility_271_import(actor=biller, file_name="271.x12", content=damage(ACTIVE))
    assert EligibilityResponse.objects.count() == 0
    assert AcknowledgementImport.objects.count() == 0


def test_an_acknowledgement_is_not_taken_for_a_271(biller):
    with pytest.raises(ValidationError, match="not a 271"):
        eligibility_271_import(actor=biller, file_name="999.x12", content=(SAMPLES / "999-accepted.x12").read_bytes())


def test_a_biller_of_north_only_keeps_nothing_about_south_patients(make_user, north, south, acme):
    coverage(south, acme, "W123456789")
    north_biller = make_user(Role.BILLER, locations=[north], username="north-biller")
    result = eligibility_271_import(actor=north_biller, file_name="271.x12", content=ACTIVE)
    assert result.not_yours == 1  # a count: nothing about the south patient (not even the member ID)
    assert EligibilityResponse.objects.count() == 0


def test_a_biller_of_south_imports_the_same_271_to_keep_the_answers_about_south_patients(
        make_user, north, south, acme):
    child = coverage(north, acme, "F100200300", relationship="child", born=dt.date(2015, 6, 15))
    brown = coverage(south, acme, "B555666777")
    green = coverage(south, acme, "G111222333")
    north_biller = make_user(Role.BILLER, locations=[north], username="north-biller")
    south_biller = make_user(Role.BILLER, locations=[south], username="south-biller")
    first = eligibility_271_import(actor=north_biller, file_name="271-batch.x12", content=BATCH)
    assert ([o.coverage_id for o in first.recorded], first.not_yours) == ([child.pk], 2)
    second = eligibility_271_import(actor=south_biller, file_name="271-batch.x12", content=BATCH)
    assert second.duplicate is False
    assert sorted(o.coverage_id for o in second.recorded) == sorted([brown.pk, green.pk])
    assert (second.not_yours, second.already) == (1, 0)
    assert "first imported" in second.notes[0]
    assert sorted(EligibilityResponse.objects.values_list("coverage_id", flat=True)) == sorted(
        [child.pk, brown.pk, green.pk])
    assert AcknowledgementImport.objects.filter(kind="271").count() == 2
    # The same person again: the no-op.
    assert eligibility_271_import(actor=south_biller, file_name="271-batch.x12", content=BATCH).duplicate


def test_a_second_import_by_someone_else_does_not_record_an_answer_twice(make_user, biller, north, south, acme):
    child = coverage(north, acme, "F100200300", relationship="child", born=dt.date(2015, 6, 15))
    brown = coverage(south, acme, "B555666777")
    north_biller = make_user(Role.BILLER, locations=[north], username="north-biller")
    eligibility_271_import(actor=north_biller, file_name="271-batch.x12", content=BATCH)
    result = eligibility_271_import(actor=biller, file_name="271-batch.x12", content=BATCH)  # every location
    assert [o.coverage_id for o in result.recorded] == [brown.pk]
    assert result.already == 1
    assert EligibilityResponse.objects.filter(coverage=child).count() == 1
    assert AcknowledgementImport.objects.get(imported_by=biller).summary["already"] == 1


@pytest.mark.parametrize(("original", "damaged", "message"), [
    (b"EB*B*IND*98***27*30*", b"EB*B*IND*98***27*30.005*", "the copay: An amount has at most two decimals"),
    (b"EB*B*IND*98***27*30*", b"EB*B*IND*98***27*100000000*", "the copay: The amount is larger than"),
    (b"EB*C*IND*30***23*1500*", b"EB*C*IND*30***23*1500.001*", "the deductible: An amount has at most two"),
    (b"EB*C*IND*30***29*1200*", b"EB*C*IND*30***29*1200.5555*", "the deductible remaining: An amount has"),
])
def test_an_amount_that_is_not_money_refuses_the_file_and_says_which(biller, north, acme, original, damaged,
                                                                       message):
    coverage(north, acme, "W123456789")
    assert original in ACTIVE
    content = ACTIVE.replace(original, damaged)
    with pytest.raises(ValidationError) as raised:
        eligibility_271_import(actor=biller, file_name="271.x12", content=content)
    assert message in raised.value.messages[0]
    assert "Nothing was changed" in raised.value.messages[0]
    assert EligibilityResponse.objects.count() == 0
    assert AcknowledgementImport.objects.count() == 0


@pytest.mark.parametrize(("role", "tier"), [(Role.FRONT_DESK, Tier.STANDARD), (Role.PRACTICE_MANAGER, Tier.ENTRY)])
def test_people_without_billing_manage_cannot_import_a_271(make_user, north, acme, role, tier):
    coverage(north, acme, "W123456789")
    user = make_user(role, tier, username="not-a-biller")
    with pytest.raises(PermissionDenied):
        eligibility_271_import(actor=user, file_name="271.x12", content=ACTIVE)
    assert EligibilityResponse.objects.count() == 0
    assert AcknowledgementImport.objects.count() == 0
    assert AuditEvent.objects.filter(actor=user, outcome="denied").count() == 1


def test_the_upload_page_shows_each_answer(signed_in, biller, north, acme):
    target = coverage(north, acme, "W123456789")
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = signed_in(biller).post(reverse("billing:eligibility_import"),
                                      {"file": SimpleUploadedFile("271.x12", ACTIVE)})
    assert response.status_code == 200
    page = response.content.decode()
    assert reverse("billing:eligibility_request", args=[target.pk]) in page
    assert "$30.00" in page
    assert "$1500.00" in page


# --- the patients service and selectors --------------------------------------------------------------------------


def test_the_latest_response_per_coverage_comes_in_one_query(biller, north, acme, django_assert_num_queries):
    first, second = coverage(north, acme, "A1"), coverage(north, acme, "A2")
    earlier = timezone.now() - dt.timedelta(days=3)
    eligibility_response_record(actor=biller, coverage=first, is_active=False, received_at=earlier)
    latest = eligibility_response_record(actor=biller, coverage=first, is_active=True, copay=Decimal("20.00"))
    with django_assert_num_queries(1):
        found = coverages_latest_eligibility(actor=biller, coverages=[first, second])
    assert found == {first.pk: latest}
    assert coverage_latest_eligibility(actor=biller, coverage=second) is None


def test_responses_of_patients_outside_the_actors_locations_are_not_shown(make_user, biller, north, south, acme):
    other = coverage(south, acme, "S1")
    eligibility_response_record(actor=biller, coverage=other, is_active=True)
    north_desk = make_user(Role.FRONT_DESK, locations=[north], username="north-desk")
    assert coverage_latest_eligibility(actor=north_desk, coverage=other) is None


def test_recording_a_response_needs_insurance_or_billing_rights_at_the_patients_location(make_user, north, acme):
    target = coverage(north, acme, "A1")
    nurse = make_user(Role.CLINICAL_STAFF, username="nurse")
    with pytest.raises(PermissionDenied):
        eligibility_response_record(actor=nurse, coverage=target, is_active=True)
    assert EligibilityResponse.objects.count() == 0
    assert AuditEvent.objects.filter(actor=nurse, outcome="denied").count() == 1


# --- at check-in --------------------------------------------------------------------------------------------------


def appointment_for(target: Coverage, location):
    start = (timezone.now() + dt.timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    return AppointmentFactory(patient=target.patient, provider=ProviderFactory(locations=[location]),
                              location=location, starts_at=start)


def test_check_in_shows_the_latest_answer_beside_the_copay(signed_in, make_user, biller, north, acme):
    target = coverage(north, acme, "W123456789")
    appointment = appointment_for(target, north)
    eligibility_response_record(actor=biller, coverage=target, is_active=True, copay=Decimal("30.00"),
                                deductible_remaining=Decimal("1200.00"))
    desk = make_user(Role.FRONT_DESK, locations=[north], username="desk")
    page = signed_in(desk).get(reverse("scheduling:appointment_detail", args=[appointment.pk])).content.decode()
    assert "Eligibility: Primary, Acme Health Plan" in page
    assert "Copay $30.00" in page
    assert "Deductible remaining $1200.00" in page
    assert "checked " in page
    # The front desk may not build a 270: no link for them.
    assert reverse("billing:eligibility_request", args=[target.pk]) not in page


def test_check_in_says_when_the_payer_was_never_asked_and_offers_billers_the_270(signed_in, biller, north, acme):
    target = coverage(north, acme, "W123456789")
    appointment = appointment_for(target, north)
    page = signed_in(biller).get(reverse("scheduling:appointment_detail", args=[appointment.pk])).content.decode()
    assert "Not checked with the payer yet." in page
    assert reverse("billing:eligibility_request", args=[target.pk]) in page


def test_the_office_manager_entry_tier_sees_no_eligibility_at_check_in(signed_in, make_user, biller, north, acme):
    target = coverage(north, acme, "W123456789")
    appointment = appointment_for(target, north)
    eligibility_response_record(actor=biller, coverage=target, is_active=True, copay=Decimal("30.00"))
    manager = make_user(Role.OFFICE_MANAGER, Tier.ENTRY, username="om-entry")
    page = signed_in(manager).get(reverse("scheduling:appointment_detail", args=[appointment.pk])).content.decode()
    assert "Eligibility:" not in page
    assert "$30.00" not in page


def test_a_payer_that_cannot_answer_a_valid_request_does_not_confirm_the_coverage():
    content = BATCH.replace(b"AAA*N**75*C", b"AAA*Y**42*W")
    answer = parse_271(content).answers[2]
    assert not answer.is_active
    assert answer.message == ("The payer could not answer: the payer cannot answer right now (AAA 42); wait and send "
                              "it again.")
