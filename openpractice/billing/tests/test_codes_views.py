"""The code sets page, the ICD-10-CM look-up and the descriptor import page."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from openpractice.accounts.roles import Role
from openpractice.audit.models import AuditEvent
from openpractice.billing.codes.icd10 import icd10_cache_clear
from openpractice.billing.models import ProcedureCode

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _only_the_packaged_release(settings, tmp_path: Path):
    settings.OPENPRACTICE_ICD10_DIR = tmp_path / "no-extra-releases"
    icd10_cache_clear()
    yield
    icd10_cache_clear()


@pytest.fixture
def biller(make_user):
    return make_user(Role.BILLER, username="biller")


def test_the_code_sets_page_shows_releases_counts_and_modifiers(signed_in, biller):
    page = signed_in(biller).get(reverse("billing:codes")).content.decode()
    assert "FY2026 (simple-icd-10-cm, April 2026 update; also used for October 2025 to March 2026)" in page
    assert "from 2025-10-01" in page
    assert "Place-of-service codes" in page
    assert "NUCC taxonomy codes" in page
    assert "Professional component only" in page  # modifier 26
    assert "Import descriptors" in page


def test_a_biller_of_one_location_sees_the_code_sets_but_may_not_import_descriptors(signed_in, make_user, north):
    north_biller = make_user(Role.BILLER, locations=[north], username="north-biller")
    client = signed_in(north_biller)
    page = client.get(reverse("billing:codes")).content.decode()
    assert "ICD-10-CM releases" in page
    assert "Import descriptors" not in page
    assert client.get(reverse("billing:procedure_import")).status_code == 404
    upload = SimpleUploadedFile("cpt.csv", b"code,descriptor\n99213,Office visit\n", content_type="text/csv")
    response = client.post(reverse("billing:procedure_import"), {"file": upload, "source": "Our licence"})
    assert response.status_code == 404
    assert not ProcedureCode.objects.exists()
    assert AuditEvent.objects.filter(actor=north_biller, outcome="denied").count() == 2


def test_a_provider_sees_the_code_sets_without_the_import_link(signed_in, make_user):
    page = signed_in(make_user(Role.PROVIDER)).get(reverse("billing:codes")).content.decode()
    assert "ICD-10-CM releases" in page
    assert "Import descriptors" not in page


def test_the_lookup_answers_a_full_page_without_htmx(signed_in, biller):
    response = signed_in(biller).get(reverse("billing:icd10_lookup"), {"code": "e11.9", "on": "2026-02-01"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" in page
    assert "Valid and billable" in page
    assert "Type 2 diabetes mellitus without complications" in page
    assert "FY2026" in page


def test_the_lookup_answers_only_the_result_to_htmx(signed_in, biller):
    response = signed_in(biller).get(reverse("billing:icd10_lookup"), {"code": "E11", "on": "2026-02-01"},
                                     headers={"HX-Request": "true"})
    page = response.content.decode()
    assert "<html" not in page
    assert "Valid, not billable" in page
    assert "choose a more specific code such as E11." in page
    assert "HX-Request" in response["Vary"]


def test_the_lookup_reports_unknown_codes_and_dates_without_a_release(signed_in, biller):
    client = signed_in(biller)
    page = client.get(reverse("billing:icd10_lookup"), {"code": "E11.99", "on": "2026-02-01"}).content.decode()
    assert "Not valid" in page
    assert "is not an ICD-10-CM code" in page
    page = client.get(reverse("billing:icd10_lookup"), {"code": "E11.9", "on": "2020-02-01"}).content.decode()
    assert "No release covers this date." in page


def test_the_lookup_without_a_date_uses_today_and_without_a_code_shows_the_form(signed_in, biller):
    client = signed_in(biller)
    assert "Valid and billable" in client.get(reverse("billing:icd10_lookup"), {"code": "I10"}).content.decode()
    response = client.get(reverse("billing:icd10_lookup"))
    assert response.status_code == 200
    assert "Look up a diagnosis code" in response.content.decode()


def test_the_code_sets_page_runs_a_lookup_too(signed_in, biller):
    page = signed_in(biller).get(reverse("billing:codes"), {"code": "I10", "on": "2026-01-05"}).content.decode()
    assert "Valid and billable" in page


def test_the_descriptor_import_page_imports_a_good_file(signed_in, biller):
    upload = SimpleUploadedFile("cpt.csv", b"code,descriptor\n99213,Office visit\n", content_type="text/csv")
    response = signed_in(biller).post(reverse("billing:procedure_import"), {"file": upload, "source": "Our file"})
    assert response.status_code == 200
    assert "1 new codes" in response.content.decode()
    assert ProcedureCode.objects.get().descriptor == "Office visit"


def test_the_descriptor_import_page_shows_the_bad_lines(signed_in, biller):
    upload = SimpleUploadedFile("cpt.csv", b"code,descriptor\n99213,Office visit\nX,\n", content_type="text/csv")
    response = signed_in(biller).post(reverse("billing:procedure_import"), {"file": upload, "source": "Our file"})
    assert response.status_code == 400
    assert "nothing was saved" in response.content.decode()
    assert not ProcedureCode.objects.exists()


def test_a_provider_cannot_import_descriptors(signed_in, make_user):
    client = signed_in(make_user(Role.PROVIDER))
    upload = SimpleUploadedFile("cpt.csv", b"code,descriptor\n99213,Office visit\n", content_type="text/csv")
    assert client.post(reverse("billing:procedure_import"), {"file": upload, "source": "x"}).status_code == 404
    assert not ProcedureCode.objects.exists()
