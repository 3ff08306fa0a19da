"""Building 270 eligibility requests: the loops of 005010X279A1 for a patient who is the subscriber and for a
dependent, fresh control numbers and a trace that finds the coverage again, the export audited, and the
page with its "Download 270" button.

pyx12 ships no 005010X279A1 map (only the 4010 270), so the file is checked here with our own reader, which
verifies the envelope (control numbers, segment and group counts), plus the loop structure below."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.audit.models import AuditEvent
from openpractice.billing.models import ControlNumber
from openpractice.billing.services.eligibility import coverage_id_from_trace, eligibility_270_build
from openpractice.billing.tests.factories import BillingSettingsFactory
from openpractice.billing.x12.reader import Segment, read_segments
from openpractice.core.models import Practice
from openpractice.patients.models import Coverage
from openpractice.patients.tests.factories import CoverageFactory, PatientFactory, PayerFactory

pytestmark = pytest.mark.django_db

MAP = Path(__file__).resolve().parents[3] / ".venv/lib/python3.11/site-packages/pyx12/map/270.5010.X279.A1.xml"
DAY = dt.date(2026, 11, 3)


@pytest.fixture
def biller(make_user: Callable[..., User]) -> User:
    return make_user(Role.BILLER, username="biller")


@pytest.fixture
def settings_row(practice: Practice):
    return BillingSettingsFactory()


def self_coverage(location) -> Coverage:
    patient = PatientFactory(home_location=location, first_name="Jane", middle_name="Q", last_name="Doe",
                             date_of_birth=dt.date(1980, 1, 31), sex="F")
    return CoverageFactory(patient=patient, payer=PayerFactory(name="Acme Health Plan", payer_id="12345"),
                           member_id="W123456789")


def child_coverage(location) -> Coverage:
    patient = PatientFactory(home_location=location, first_name="Emma", last_name="Smith",
                             date_of_birth=dt.date(2015, 6, 15), sex="X")
    return CoverageFactory(patient=patient, payer=PayerFactory(name="Acme Health Plan", payer_id="12345"),
                           member_id="F100200300", subscriber_relationship="child", subscriber_first_name="John",
                           subscriber_last_name="Smith", subscriber_date_of_birth=dt.date(1979, 2, 3),
                           subscriber_sex="M")


def parsed(text: str) -> list[Segment]:
    return list(read_segments(text))  # checks ISA/IEA, GS/GE, ST/SE counts and control numbers


def plain(segments: list[Segment]) -> list[str]:
    return [str(segment) for segment in segments]


def test_pyx12_has_no_5010_270_map_so_our_reader_checks_the_file():
    assert not MAP.exists()


def test_a_270_for_a_patient_who_is_the_subscriber_has_the_x279_loops(biller, north, settings_row):
    coverage = self_coverage(north)
    text, trace = eligibility_270_build(actor=biller, coverage=coverage, service_date=DAY)
    segments = plain(parsed(text))
    assert segments[0].startswith("ISA*00*          *00*          *ZZ*RIVERBEND01    *ZZ*CLEARHOUSE01   *")
    assert segments[1].startswith("GS*HS*RIVERBEND01*CLEARHOUSE01*")
    assert segments[1].endswith("*X*005010X279A1")
    body = segments[2:segments.index("SE*13*0001") + 1]
    assert body[0] == "ST*270*0001*005010X279A1"
    assert body[1].startswith(f"BHT*0022*13*{trace}*")
    assert body[2:] == [
        "HL*1**20*1",
        "NM1*PR*2*ACME HEALTH PLAN*****PI*12345",
        "HL*2*1*21*1",
        "NM1*1P*2*RIVERBEND FAMILY MEDICINE*****XX*1234567893",
        "HL*3*2*22*0",
        f"TRN*1*{trace}*9561234567",
        "NM1*IL*1*DOE*JANE*Q***MI*W123456789",
        "DMG*D8*19800131*F",
        "DTP*291*D8*20261103",
        "EQ*30",
        "SE*13*0001",
    ]
    assert coverage_id_from_trace(trace) == coverage.pk


def test_a_270_for_a_dependent_asks_in_the_dependent_loop(biller, north, settings_row):
    coverage = child_coverage(north)
    text, trace = eligibility_270_build(actor=biller, coverage=coverage, service_date=DAY)
    segments = plain(parsed(text))
    start = segments.index("HL*3*2*22*1")
    assert segments[start:start + 11] == [
        "HL*3*2*22*1",
        "NM1*IL*1*SMITH*JOHN****MI*F100200300",
        "DMG*D8*19790203*M",
        "HL*4*3*23*0",
        f"TRN*1*{trace}*9561234567",
        "NM1*03*1*SMITH*EMMA",
        "DMG*D8*20150615*U",  # 5010 knows F, M and U
        "INS*N*19",
        "DTP*291*D8*20261103",
        "EQ*30",
        "SE*17*0001",
    ]


def test_each_270_takes_fresh_control_numbers_and_a_fresh_trace(biller, north, settings_row):
    coverage = self_coverage(north)
    first, first_trace = eligibility_270_build(actor=biller, coverage=coverage)
    second, second_trace = eligibility_270_build(actor=biller, coverage=coverage)
    isa13 = [parsed(text)[0].element(13) for text in (first, second)]
    gs06 = [parsed(text)[1].element(6) for text in (first, second)]
    assert isa13[0] != isa13[1]
    assert gs06[0] != gs06[1]
    assert first_trace != second_trace
    assert ControlNumber.objects.get(name="eligibility").last_value == 2


def test_building_a_270_is_audited_as_an_export_of_the_patients_data(biller, north, settings_row):
    coverage = self_coverage(north)
    _text, trace = eligibility_270_build(actor=biller, coverage=coverage)
    event = AuditEvent.objects.get(action="billing.eligibility_request_exported")
    assert (event.patient_id, event.location_id, event.actor) == (coverage.patient_id, north.pk, biller)
    assert event.reason == f"270 trace {trace}"
    assert "W123456789" not in event.reason


def test_a_270_needs_the_group_npi_the_payer_id_and_the_billing_settings(biller, north, practice):
    coverage = self_coverage(north)
    coverage.payer.payer_id = ""
    coverage.payer.save()
    Practice.objects.filter(pk=practice.pk).update(group_npi="")
    with pytest.raises(ValidationError) as raised:
        eligibility_270_build(actor=biller, coverage=Coverage.objects.get(pk=coverage.pk))
    text = " ".join(raised.value.messages)
    assert "billing settings" in text
    assert "group NPI" in text
    assert "electronic payer ID" in text
    assert not ControlNumber.objects.filter(name="eligibility").exists()


def test_a_biller_of_another_location_cannot_build_a_270(make_user, north, south, settings_row):
    coverage = self_coverage(south)
    north_biller = make_user(Role.BILLER, locations=[north], username="north-biller")
    with pytest.raises(PermissionDenied):
        eligibility_270_build(actor=north_biller, coverage=coverage)
    assert AuditEvent.objects.filter(actor=north_biller, outcome="denied").count() == 1
    assert not ControlNumber.objects.exists()


# --- the page -----------------------------------------------------------------------------------------------------


def test_the_page_shows_the_coverage_and_audits_the_view(signed_in, biller, north, settings_row):
    coverage = self_coverage(north)
    response = signed_in(biller).get(reverse("billing:eligibility_request", args=[coverage.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "W123456789" in page
    assert "Download 270" in page
    assert "No eligibility response recorded yet." in page
    assert AuditEvent.objects.filter(action="patients.viewed", patient_id=coverage.patient_id).count() == 1


def test_the_download_is_the_270_file(signed_in, biller, north, settings_row):
    coverage = self_coverage(north)
    response = signed_in(biller).post(reverse("billing:eligibility_request", args=[coverage.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="270-OPE')
    assert response["Cache-Control"] == "no-store"
    segments = parsed(response.content.decode())
    assert segments[2].id == "ST"
    assert segments[2].element(1) == "270"


def test_a_270_that_cannot_be_built_says_why_on_the_page(signed_in, biller, north):
    coverage = self_coverage(north)  # no billing settings yet
    response = signed_in(biller).post(reverse("billing:eligibility_request", args=[coverage.pk]))
    assert response.status_code == 400
    assert "Fill in the billing settings" in response.content.decode()


def test_a_coverage_of_another_location_is_not_found_and_the_attempt_audited(
        signed_in, make_user, north, south, settings_row):
    coverage = self_coverage(south)
    north_biller = make_user(Role.BILLER, locations=[north], username="north-biller")
    client = signed_in(north_biller)
    for method in ("get", "post"):
        response = getattr(client, method)(reverse("billing:eligibility_request", args=[coverage.pk]))
        assert response.status_code == 404
    assert AuditEvent.objects.filter(actor=north_biller, outcome="denied").count() == 2
    assert not ControlNumber.objects.exists()


def test_the_front_desk_cannot_build_a_270(signed_in, make_user, north, settings_row):
    coverage = self_coverage(north)
    desk = make_user(Role.FRONT_DESK, username="desk")
    response = signed_in(desk).post(reverse("billing:eligibility_request", args=[coverage.pk]))
    assert response.status_code == 404
    assert not ControlNumber.objects.exists()
    assert AuditEvent.objects.filter(actor=desk, outcome="denied").count() == 1
