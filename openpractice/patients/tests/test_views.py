"""Views: audited record views, the duplicate confirmation, SSN masking, card download, merge, payer import,
and query counts that do not grow with the data. The permission matrix of every route is tests/test_routes.py."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.core.models import Location
from openpractice.patients.models import CoverageCard, Patient, Payer

from .factories import CoverageCardFactory, CoverageFactory, PatientFactory, PayerFactory

pytestmark = pytest.mark.django_db


def _form(location: Location, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "first_name": "Maria", "last_name": "Gonzalez", "date_of_birth": "1984-05-17", "sex": "F",
        "home_location": location.pk, "address_line1": "5 Pine Street", "city": "Raleigh", "state": "NC",
        "postal_code": "27603", "phone_mobile": "919-555-0199", "preferred_contact": "mobile",
        "preferred_language": "English",
    }
    data.update(changes)
    return data


def test_opening_a_patient_record_writes_one_viewed_event(make_user: Callable[..., User], signed_in: Any,
                                                          north: Location) -> None:
    user = make_user(Role.FRONT_DESK, locations=[north])
    patient = PatientFactory(home_location=north)
    client = signed_in(user)
    response = client.get(reverse("patients:patient_detail", kwargs={"pk": patient.pk}))
    assert response.status_code == 200
    assert AuditEvent.objects.filter(action="patients.viewed", patient_id=patient.pk, actor=user).count() == 1


def test_a_patient_at_another_location_is_not_found_and_the_attempt_is_audited(
        make_user: Callable[..., User], signed_in: Any, north: Location, south: Location) -> None:
    user = make_user(Role.FRONT_DESK, locations=[north])
    patient = PatientFactory(home_location=south)
    response = signed_in(user).get(reverse("patients:patient_detail", kwargs={"pk": patient.pk}))
    assert response.status_code == 404
    assert AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).exists()
    assert not AuditEvent.objects.filter(action="patients.viewed").exists()


def test_the_ssn_is_masked_unless_the_user_may_see_it(make_user: Callable[..., User], north: Location) -> None:
    patient = PatientFactory(home_location=north, ssn="123-45-6789")
    url = reverse("patients:patient_detail", kwargs={"pk": patient.pk})
    from openpractice.accounts.tests.factories import sign_in

    desk_page = sign_in(Client(), make_user(Role.FRONT_DESK, username="desk")).get(url).content.decode()
    biller_page = sign_in(Client(), make_user(Role.BILLER, username="bill")).get(url).content.decode()
    assert "***-**-6789" in desk_page
    assert "123-45-6789" not in desk_page
    assert "123-45-6789" in biller_page


def test_the_edit_form_shows_the_full_ssn_only_where_the_user_may_see_ssns(
        make_user: Callable[..., User], north: Location, south: Location) -> None:
    patient = PatientFactory(home_location=north, ssn="123-45-6789")
    url = reverse("patients:patient_edit", kwargs={"pk": patient.pk})
    from openpractice.accounts.tests.factories import give_role, sign_in

    # Front desk at North (edits North's patients, no SSN) and biller at South (SSN, but only there).
    split = make_user(Role.FRONT_DESK, locations=[north], username="split")
    give_role(split, Role.BILLER, locations=[south])
    split_page = sign_in(Client(), split).get(url)
    assert split_page.status_code == 200
    assert "123-45-6789" not in split_page.content.decode()
    assert 'name="ssn"' not in split_page.content.decode()

    biller_page = sign_in(Client(), make_user(Role.BILLER, locations=[north], username="bill")).get(url)
    assert 'name="ssn"' in biller_page.content.decode()
    assert "123-45-6789" in biller_page.content.decode()


def test_registering_with_an_ssn_at_a_location_without_the_ssn_permission_is_refused_on_the_field(
        make_user: Callable[..., User], signed_in: Any, north: Location, south: Location) -> None:
    from openpractice.accounts.tests.factories import give_role

    user = make_user(Role.FRONT_DESK, locations=[north])
    give_role(user, Role.BILLER, locations=[south])
    client = signed_in(user)
    url = reverse("patients:patient_register")
    assert 'name="ssn"' in client.get(url).content.decode()  # South allows it

    refused = client.post(url, _form(north, ssn="123-45-6789"))
    assert refused.status_code == 400
    assert "You may not record SSNs of patients at" in refused.content.decode()
    assert not Patient.objects.exists()

    accepted = client.post(url, _form(south, ssn="123-45-6789"))
    assert accepted.status_code == 302
    assert Patient.objects.get().ssn == "123-45-6789"


def test_registration_has_no_ssn_field_for_a_user_without_the_ssn_permission_anywhere(
        make_user: Callable[..., User], signed_in: Any, north: Location) -> None:
    client = signed_in(make_user(Role.FRONT_DESK, locations=[north]))
    assert 'name="ssn"' not in client.get(reverse("patients:patient_register")).content.decode()


def test_registration_shows_possible_duplicates_and_registers_after_confirmation(
        make_user: Callable[..., User], signed_in: Any, north: Location) -> None:
    existing = PatientFactory(first_name="Maria", last_name="Gonzales", date_of_birth=dt.date(1984, 5, 17),
                              home_location=north)
    client = signed_in(make_user(Role.FRONT_DESK, locations=[north]))
    url = reverse("patients:patient_register")

    first = client.post(url, _form(north))
    assert first.status_code == 400
    assert existing.account_number in first.content.decode()
    assert Patient.objects.count() == 1

    second = client.post(url, _form(north, confirm_not_duplicate="on"))
    assert second.status_code == 302
    assert Patient.objects.count() == 2


def test_registration_with_a_future_birth_date_shows_the_error_on_the_field(
        make_user: Callable[..., User], signed_in: Any, north: Location) -> None:
    client = signed_in(make_user(Role.FRONT_DESK, locations=[north]))
    response = client.post(reverse("patients:patient_register"), _form(north, date_of_birth="2999-01-01"))
    assert response.status_code == 400
    assert "cannot be in the future" in response.content.decode()
    assert not Patient.objects.exists()


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (30, 20)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_card_upload_then_download_as_an_attachment_with_nosniff(make_user: Callable[..., User], signed_in: Any,
                                                                 north: Location) -> None:
    coverage = CoverageFactory(patient=PatientFactory(home_location=north))
    client = signed_in(make_user(Role.FRONT_DESK, locations=[north]))
    upload = SimpleUploadedFile("x.svg", _png(), content_type="image/svg+xml")
    response = client.post(reverse("patients:coverage_card", kwargs={"pk": coverage.pk}),
                           {"side": "front", "file": upload})
    assert response.status_code == 302
    card = CoverageCard.objects.get()
    download = client.get(reverse("patients:card_download", kwargs={"pk": card.pk}))
    assert download.status_code == 200
    assert download["Content-Type"] == "image/png"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"].startswith("attachment;")
    assert b"".join(download.streaming_content) == _png()
    assert AuditEvent.objects.filter(action="patients.viewed", patient_id=coverage.patient_id).exists()


def test_a_text_file_posing_as_a_card_image_is_refused_with_a_message(make_user: Callable[..., User],
                                                                      signed_in: Any, north: Location) -> None:
    coverage = CoverageFactory(patient=PatientFactory(home_location=north))
    client = signed_in(make_user(Role.FRONT_DESK, locations=[north]))
    upload = SimpleUploadedFile("card.jpg", b"<script>alert(1)</script>", content_type="image/jpeg")
    response = client.post(reverse("patients:coverage_card", kwargs={"pk": coverage.pk}),
                           {"side": "front", "file": upload})
    assert response.status_code == 400
    assert "not an image" in response.content.decode()
    assert not CoverageCard.objects.exists()


def test_hr_cannot_download_a_card(make_user: Callable[..., User], signed_in: Any, north: Location) -> None:
    card = CoverageCardFactory(coverage=CoverageFactory(patient=PatientFactory(home_location=north)),
                               uploaded_by=make_user(Role.FRONT_DESK, username="uploader"))
    hr = make_user(Role.HR)
    response = signed_in(hr).get(reverse("patients:card_download", kwargs={"pk": card.pk}))
    assert response.status_code == 404
    assert AuditEvent.objects.filter(actor=hr, outcome=Outcome.DENIED).exists()


def test_merge_page_previews_then_merges(make_user: Callable[..., User], signed_in: Any, north: Location) -> None:
    keep, lose = PatientFactory(home_location=north), PatientFactory(home_location=north)
    client = signed_in(make_user(Role.PRACTICE_MANAGER, Tier.SENIOR))
    url = reverse("patients:patient_merge", kwargs={"pk": lose.pk})
    preview = client.post(url, {"survivor": keep.account_number})
    assert preview.status_code == 200
    assert keep.full_name in preview.content.decode()
    lose.refresh_from_db()
    assert lose.merged_into is None
    done = client.post(url, {"survivor": keep.account_number, "confirm": "yes"})
    assert done.status_code == 302
    lose.refresh_from_db()
    assert lose.merged_into == keep


def test_payer_import_page_shows_the_report_and_saves_nothing_on_errors(make_user: Callable[..., User],
                                                                        signed_in: Any) -> None:
    client = signed_in(make_user(Role.BILLER))
    content = b"name,address_line1,city,state,postal_code\nAcme,PO Box 1,Raleigh,NC,bad\n"
    response = client.post(reverse("patients:payer_import"),
                           {"file": SimpleUploadedFile("payers.csv", content, content_type="text/csv")})
    assert response.status_code == 400
    assert "postal_code" in response.content.decode()
    assert not Payer.objects.exists()


def _count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("query", ["", "?q=sample", "?q=01/31/1980"])
def test_patient_list_and_search_take_the_same_number_of_queries_for_3_or_30_patients(
        make_user: Callable[..., User], signed_in: Any, north: Location, query: str) -> None:
    client = signed_in(make_user(Role.FRONT_DESK, locations=[north]))
    url = reverse("patients:patient_list") + query
    PatientFactory.create_batch(3, home_location=north)
    _count_queries(client, url)  # warm caches (permissions, practice settings)
    few = _count_queries(client, url)
    PatientFactory.create_batch(27, home_location=north)
    many = _count_queries(client, url)
    assert few == many


def test_payer_list_takes_the_same_number_of_queries_for_2_or_20_payers(make_user: Callable[..., User],
                                                                         signed_in: Any) -> None:
    client = signed_in(make_user(Role.BILLER))
    url = reverse("patients:payer_list")
    PayerFactory.create_batch(2)
    _count_queries(client, url)
    few = _count_queries(client, url)
    PayerFactory.create_batch(18)
    assert _count_queries(client, url) == few
