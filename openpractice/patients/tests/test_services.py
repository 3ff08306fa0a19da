"""Services: registration with the duplicate check, updates, coverage rules, card images, merge, payer import."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from PIL import Image

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.accounts.tests.factories import give_role
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.core.models import Location
from openpractice.patients import selectors, services
from openpractice.patients.models import Coverage, CoverageCard, Patient, Payer, PayerPlan

from .factories import CoverageFactory, PatientFactory, PayerFactory, PayerPlanFactory

pytestmark = pytest.mark.django_db


def _data(location: Location, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "first_name": "Maria", "last_name": "Gonzalez", "date_of_birth": dt.date(1984, 5, 17), "sex": "F",
        "address_line1": "5 Pine Street", "city": "Raleigh", "state": "NC", "postal_code": "27603",
        "phone_mobile": "(919) 555-0199", "home_location": location,
    }
    data.update(changes)
    return data


def _png(size: tuple[int, int] = (40, 25)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def desk(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.FRONT_DESK, locations=[north])


# --- registration --------------------------------------------------------------------------------------------


def test_registering_a_patient_gives_an_account_number_search_keys_and_an_audit_event(desk: User, north: Location) -> None:
    patient = services.patient_register(actor=desk, data=_data(north, last_name="O'Brien-Núñez"))

    assert patient.account_number.startswith("P")
    assert len(patient.account_number) == 8
    assert patient.search_last_name == "obriennunez"
    assert patient.phone_mobile_digits == "9195550199"
    event = AuditEvent.objects.get(action="patients.registered")
    assert event.patient_id == patient.pk
    assert "last_name" in event.changed_fields


def test_account_numbers_increase(desk: User, north: Location) -> None:
    first = services.patient_register(actor=desk, data=_data(north))
    second = services.patient_register(actor=desk, data=_data(north, first_name="Ana", last_name="Ito",
                                                               date_of_birth=dt.date(1990, 1, 1), phone_mobile=""))
    assert int(second.account_number[1:]) == int(first.account_number[1:]) + 1


def test_a_date_of_birth_in_the_future_is_refused_and_nothing_is_saved(desk: User, north: Location) -> None:
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        services.patient_register(actor=desk, data=_data(north, date_of_birth=tomorrow))
    assert "date_of_birth" in error.value.message_dict
    assert not Patient.objects.exists()


def test_a_similar_name_with_the_same_birth_date_is_a_possible_duplicate(desk: User, north: Location) -> None:
    existing = PatientFactory(first_name="Maria", last_name="Gonzales", date_of_birth=dt.date(1984, 5, 17),
                              phone_mobile="919-555-0000", home_location=north)
    PatientFactory(first_name="Peter", last_name="Gonzales", date_of_birth=dt.date(1984, 5, 17), home_location=north)

    with pytest.raises(services.PossibleDuplicates) as found:
        services.patient_register(actor=desk, data=_data(north))

    assert [c.patient for c in found.value.candidates] == [existing]
    assert Patient.objects.count() == 2


def test_swapped_first_and_last_name_with_the_same_phone_is_a_possible_duplicate(desk: User, north: Location) -> None:
    existing = PatientFactory(first_name="Gonzalez", last_name="Maria", date_of_birth=dt.date(1970, 1, 1),
                              phone_mobile="919-555-0199", home_location=north)
    candidates = services.patient_duplicate_candidates(actor=desk, data=_data(north))
    assert [c.patient for c in candidates] == [existing]


def test_duplicates_outside_the_users_locations_are_not_shown(desk: User, north: Location, south: Location) -> None:
    PatientFactory(first_name="Maria", last_name="Gonzalez", date_of_birth=dt.date(1984, 5, 17), home_location=south)
    patient = services.patient_register(actor=desk, data=_data(north))
    assert patient.pk


def test_register_anyway_saves_the_patient_and_says_so_in_the_audit(desk: User, north: Location) -> None:
    PatientFactory(first_name="Maria", last_name="Gonzalez", date_of_birth=dt.date(1984, 5, 17), home_location=north)
    patient = services.patient_register(actor=desk, data=_data(north), confirm_not_duplicate=True)
    assert AuditEvent.objects.get(action="patients.registered", patient_id=patient.pk).reason == \
        "confirmed not a duplicate"


def test_front_desk_cannot_register_at_another_location_and_the_refusal_is_audited(
        desk: User, south: Location) -> None:
    with pytest.raises(PermissionDenied):
        services.patient_register(actor=desk, data=_data(south))
    assert not Patient.objects.exists()
    assert AuditEvent.objects.filter(actor=desk, outcome=Outcome.DENIED, action="patients.register").exists()


def test_front_desk_cannot_store_an_ssn(desk: User, north: Location) -> None:
    with pytest.raises(PermissionDenied):
        services.patient_register(actor=desk, data=_data(north, ssn="123-45-6789"))
    assert not Patient.objects.exists()


def test_an_ssn_permission_at_another_location_does_not_let_a_user_record_an_ssn_here(
        make_user: Callable[..., User], north: Location, south: Location) -> None:
    # Front desk at North (no SSN), biller at South (SSN there only).
    user = make_user(Role.FRONT_DESK, locations=[north])
    give_role(user, Role.BILLER, locations=[south])
    with pytest.raises(PermissionDenied):
        services.patient_register(actor=user, data=_data(north, ssn="123-45-6789"))
    assert not Patient.objects.exists()
    assert AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED, action="patients.register",
                                     reason="patients.view_ssn required").exists()
    at_south = services.patient_register(actor=user, data=_data(south, ssn="123-45-6789"))
    assert at_south.ssn_last4 == "6789"


def test_moving_a_patient_while_setting_the_ssn_needs_the_ssn_permission_where_the_record_goes(
        make_user: Callable[..., User], north: Location, south: Location) -> None:
    # Biller at North (SSN there), front desk at South (edits, but no SSN there).
    user = make_user(Role.BILLER, locations=[north])
    give_role(user, Role.FRONT_DESK, locations=[south])
    patient = PatientFactory(home_location=north)
    with pytest.raises(PermissionDenied):
        services.patient_update(actor=user, patient=patient, data={"home_location": south, "ssn": "123-45-6789"})
    patient.refresh_from_db()
    assert (patient.home_location_id, patient.ssn) == (north.pk, patient.ssn)
    assert patient.ssn_last4 != "6789"


def test_the_ssn_is_encrypted_at_rest_with_its_last_four_searchable(make_user: Callable[..., User],
                                                                    north: Location) -> None:
    biller = make_user(Role.BILLER)
    patient = services.patient_register(actor=biller, data=_data(north, ssn="123-45-6789"))
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT ssn FROM patients_patient WHERE id = %s", [patient.pk])
        stored = cursor.fetchone()[0]
    assert "6789" not in stored
    patient.refresh_from_db()
    assert patient.ssn == "123-45-6789"
    assert patient.ssn_last4 == "6789"
    assert patient.ssn_masked == "***-**-6789"


def test_update_records_the_changed_field_names_only(desk: User, north: Location) -> None:
    patient = PatientFactory(home_location=north)
    services.patient_update(actor=desk, patient=patient, data={"city": "Cary", "state": patient.state})
    event = AuditEvent.objects.get(action="patients.updated")
    assert event.changed_fields == "city"
    patient.refresh_from_db()
    assert patient.city == "Cary"


# --- search --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["gonz", "Maria Gonzalez", "gonzalez maria", "Gonzalez, Ma", "05/17/1984",
                                  "1984-05-17", "5/17/84", "919.555.0199", "gonz 05171984"])
def test_search_finds_a_patient_by_name_birth_date_or_phone(desk: User, north: Location, text: str) -> None:
    wanted = PatientFactory(first_name="María", last_name="González", date_of_birth=dt.date(1984, 5, 17),
                            phone_mobile="919-555-0199", home_location=north)
    PatientFactory(first_name="Other", last_name="Person", date_of_birth=dt.date(1950, 2, 2),
                   phone_mobile="919-555-0001", home_location=north)
    assert list(selectors.patient_search(actor=desk, text=text)) == [wanted]


def test_search_by_account_number_and_only_in_scope(desk: User, north: Location, south: Location) -> None:
    here = PatientFactory(home_location=north)
    there = PatientFactory(home_location=south)
    assert list(selectors.patient_search(actor=desk, text=here.account_number.lower())) == [here]
    assert list(selectors.patient_search(actor=desk, text=there.account_number)) == []


# --- coverage ------------------------------------------------------------------------------------------------


def _coverage_data(payer: Payer, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"rank": 1, "payer": payer, "member_id": "XJ123", "effective_from": dt.date(2024, 1, 1),
                            "copay": Decimal("25.00")}
    data.update(changes)
    return data


def test_an_end_date_before_the_start_is_refused(desk: User, north: Location) -> None:
    patient = PatientFactory(home_location=north)
    with pytest.raises(ValidationError) as error:
        services.coverage_add(actor=desk, patient=patient,
                              data=_coverage_data(PayerFactory(), effective_to=dt.date(2023, 12, 31)))
    assert "effective_to" in error.value.message_dict
    assert not Coverage.objects.exists()


def test_the_database_refuses_an_end_date_before_the_start_and_a_negative_copay() -> None:
    coverage = CoverageFactory()
    for field, value in (("effective_to", dt.date(2000, 1, 1)), ("copay", Decimal("-1"))):
        with pytest.raises(IntegrityError), transaction.atomic():
            Coverage.objects.filter(pk=coverage.pk).update(**{field: value})


def test_a_second_active_primary_is_refused(desk: User, north: Location) -> None:
    coverage = CoverageFactory(patient=PatientFactory(home_location=north))
    with pytest.raises(ValidationError) as error:
        services.coverage_add(actor=desk, patient=coverage.patient, data=_coverage_data(PayerFactory()))
    assert "rank" in error.value.message_dict


def test_a_dependent_needs_the_subscribers_demographics(desk: User, north: Location) -> None:
    patient = PatientFactory(home_location=north)
    with pytest.raises(ValidationError) as error:
        services.coverage_add(actor=desk, patient=patient,
                              data=_coverage_data(PayerFactory(), subscriber_relationship="child"))
    assert {"subscriber_first_name", "subscriber_date_of_birth"} <= set(error.value.message_dict)


def test_a_plan_of_another_payer_is_refused(desk: User, north: Location) -> None:
    patient = PatientFactory(home_location=north)
    with pytest.raises(ValidationError) as error:
        services.coverage_add(actor=desk, patient=patient,
                              data=_coverage_data(PayerFactory(), plan=PayerPlanFactory()))
    assert "plan" in error.value.message_dict


def test_ending_coverage_frees_the_rank_and_keeps_it_valid_for_its_dates(desk: User, north: Location) -> None:
    coverage = CoverageFactory(patient=PatientFactory(home_location=north), effective_from=dt.date(2024, 1, 1))
    services.coverage_end(actor=desk, coverage=coverage, end_date=dt.date(2024, 6, 30))
    coverage.refresh_from_db()
    assert not coverage.is_active
    assert coverage.effective_to == dt.date(2024, 6, 30)
    new = services.coverage_add(actor=desk, patient=coverage.patient,
                                data=_coverage_data(PayerFactory(), effective_from=dt.date(2024, 7, 1)))
    on_date = selectors.coverages_active_on(actor=desk, patient=coverage.patient, on_date=dt.date(2024, 8, 1))
    assert on_date == [new]
    assert new.is_active_on(dt.date(2024, 8, 1))
    assert not new.is_active_on(dt.date(2024, 6, 30))


def test_coverages_active_on_is_empty_for_a_user_without_access(make_user: Callable[..., User],
                                                                south: Location) -> None:
    coverage = CoverageFactory(patient=PatientFactory(home_location=south))
    hr = make_user(Role.HR)
    assert selectors.coverages_active_on(actor=hr, patient=coverage.patient, on_date=dt.date(2024, 5, 1)) == []


# --- card images ---------------------------------------------------------------------------------------------


def test_a_card_image_is_stored_under_a_random_name_with_the_type_from_its_bytes(desk: User, north: Location) -> None:
    coverage = CoverageFactory(patient=PatientFactory(home_location=north))
    upload = SimpleUploadedFile("../../etc/passwd.html", _png(), content_type="text/html")
    card = services.card_upload(actor=desk, coverage=coverage, side="front", upload=upload)
    name = card.file.name or ""
    assert card.content_type == "image/png"
    assert name.startswith("coverage-cards/")
    assert name.endswith(".png")
    assert "passwd" not in name
    assert card.file.storage.exists(name)


@pytest.mark.parametrize("content", [b"%PDF-1.4 not an image", b"GIF89a" + b"\x00" * 20,
                                     b"\x89PNG\r\n\x1a\n" + b"\x00" * 40])
def test_a_file_that_is_not_a_real_image_is_refused_and_nothing_is_saved(desk: User, north: Location,
                                                                          content: bytes) -> None:
    coverage = CoverageFactory(patient=PatientFactory(home_location=north))
    upload = SimpleUploadedFile("card.png", content, content_type="image/png")
    with pytest.raises(ValidationError) as error:
        services.card_upload(actor=desk, coverage=coverage, side="front", upload=upload)
    assert "file" in error.value.message_dict
    assert not CoverageCard.objects.exists()


def test_an_image_over_5_mb_is_refused(desk: User, north: Location) -> None:
    coverage = CoverageFactory(patient=PatientFactory(home_location=north))
    upload = SimpleUploadedFile("card.png", _png() + b"\x00" * (5 * 1024 * 1024), content_type="image/png")
    with pytest.raises(ValidationError):
        services.card_upload(actor=desk, coverage=coverage, side="back", upload=upload)
    assert not CoverageCard.objects.exists()


# --- merge ---------------------------------------------------------------------------------------------------


def test_merge_moves_coverage_marks_the_duplicate_and_audits_both_ids(make_user: Callable[..., User],
                                                                      north: Location) -> None:
    manager = make_user(Role.PRACTICE_MANAGER, "senior")
    keep = PatientFactory(home_location=north)
    lose = PatientFactory(home_location=north)
    same_payer = PayerFactory()
    CoverageFactory(patient=keep, rank=1, payer=same_payer, member_id="A1")
    duplicate_policy = CoverageFactory(patient=lose, rank=1, payer=same_payer, member_id="a1")
    other_policy = CoverageFactory(patient=lose, rank=2, member_id="B2")
    dependent = PatientFactory(home_location=north, guarantor=lose)

    result = services.patient_merge(actor=manager, survivor=keep, duplicate=lose)

    lose.refresh_from_db()
    duplicate_policy.refresh_from_db()
    other_policy.refresh_from_db()
    dependent.refresh_from_db()
    assert lose.merged_into == keep
    assert not lose.is_active
    assert duplicate_policy.patient == keep
    assert not duplicate_policy.is_active
    assert other_policy.patient == keep
    assert other_policy.is_active
    assert other_policy.rank == 2
    assert dependent.guarantor == keep
    assert result.coverages_moved == 2
    assert result.coverages_deactivated == 1
    assert set(AuditEvent.objects.filter(action__startswith="patients.merged").values_list("patient_id", flat=True)) \
        == {keep.pk, lose.pk}


def test_merge_needs_the_merge_permission(desk: User, north: Location) -> None:
    keep, lose = PatientFactory(home_location=north), PatientFactory(home_location=north)
    with pytest.raises(PermissionDenied):
        services.patient_merge(actor=desk, survivor=keep, duplicate=lose)
    lose.refresh_from_db()
    assert lose.merged_into is None
    assert lose.is_active
    assert AuditEvent.objects.filter(actor=desk, outcome=Outcome.DENIED, action="patients.merge").exists()


def test_a_patient_cannot_be_merged_into_itself(make_user: Callable[..., User], north: Location) -> None:
    patient = PatientFactory(home_location=north)
    with pytest.raises(ValidationError):
        services.patient_merge(actor=make_user(Role.PRACTICE_MANAGER, "senior"), survivor=patient, duplicate=patient)


# --- payers --------------------------------------------------------------------------------------------------

HEADER = "name,payer_id,address_line1,city,state,postal_code,claim_filing_indicator,timely_filing_days,plans\n"


def test_a_valid_csv_creates_and_updates_payers_with_their_plans(make_user: Callable[..., User]) -> None:
    biller = make_user(Role.BILLER)
    PayerFactory(name="Aetna", timely_filing_days=90)
    content = HEADER + ("Aetna,60054,PO Box 1,El Paso,tx,79998,CI,120,Choice POS:pos\n"
                        "Medicare B,11502,PO Box 2,Columbia,SC,29202,MB,365,Part B:medicare; Other plan\n")
    report = services.payer_import_csv(actor=biller, content=content.encode())
    assert report.ok
    assert report.saved
    assert [row.action for row in report.rows] == ["update", "create"]
    assert Payer.objects.get(name="Aetna").timely_filing_days == 120
    assert Payer.objects.get(name="Medicare B").state == "SC"
    assert set(PayerPlan.objects.values_list("name", "plan_type")) == {
        ("Choice POS", "pos"), ("Part B", "medicare"), ("Other plan", "other")}
    assert AuditEvent.objects.filter(action="payers.imported").count() == 1


def test_one_bad_row_saves_nothing_and_the_report_names_line_and_field(make_user: Callable[..., User]) -> None:
    biller = make_user(Role.BILLER)
    content = HEADER + ("Good Payer,1,PO Box 1,Raleigh,NC,27601,CI,90,\n"
                        "Bad Payer,2,PO Box 2,Raleigh,NC,ABCDE,XX,0,Gold:platinum\n"
                        "Good Payer,3,PO Box 3,Raleigh,NC,27601,CI,90,\n")
    report = services.payer_import_csv(actor=biller, content=content)
    assert not report.ok
    assert not report.saved
    assert not Payer.objects.exists()
    bad = report.rows[1]
    assert bad.line == 3
    joined = " ".join(bad.errors)
    assert "postal_code" in joined
    assert "claim_filing_indicator" in joined
    assert "timely_filing_days" in joined
    assert "platinum" in joined
    assert "line 2" in " ".join(report.rows[2].errors)
    assert report.rows[0].errors == []


def test_a_csv_without_the_required_columns_is_refused(make_user: Callable[..., User]) -> None:
    report = services.payer_import_csv(actor=make_user(Role.BILLER), content="name,colour\nAetna,red\n")
    assert not report.ok
    assert "address_line1" in report.errors[0]
    assert "colour" in report.errors[1]


def test_a_binary_payer_file_is_refused_before_it_reaches_the_database(make_user: Callable[..., User]) -> None:
    report = services.payer_import_csv(actor=make_user(Role.BILLER), content=(HEADER + "Aetna\x00,1\n").encode())
    assert not report.ok
    assert "binary" in report.errors[0]


def test_front_desk_cannot_import_payers(desk: User) -> None:
    with pytest.raises(PermissionDenied):
        services.payer_import_csv(actor=desk, content=HEADER)
    assert AuditEvent.objects.filter(actor=desk, outcome=Outcome.DENIED, action="payers.import").exists()


# --- demo data -----------------------------------------------------------------------------------------------


def test_the_demo_seeder_is_deterministic_and_writes_one_audit_event() -> None:
    from openpractice.core.demo import seed_practice
    from openpractice.patients.demo import PATIENT_COUNT, seed_payers_and_patients

    context: dict[str, Any] = {"report": []}
    seed_practice(context)
    seed_payers_and_patients(context)
    assert Payer.objects.count() == 12
    assert Patient.objects.count() == PATIENT_COUNT
    assert Patient.objects.values("home_location").distinct().count() == 3
    assert Coverage.objects.count() > PATIENT_COUNT * 0.8
    assert AuditEvent.objects.filter(action="patients.demo_seeded").count() == 1
    first = list(Patient.objects.order_by("account_number").values_list("last_name", "date_of_birth")[:20])
    Coverage.objects.all().delete()
    Patient.objects.all().delete()
    seed_payers_and_patients(context)
    assert list(Patient.objects.order_by("account_number").values_list("last_name", "date_of_birth")[:20]) == first
