"""The acknowledgement pages: the list of imported files and the upload that shows what a file did."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.billing.models import AcknowledgementImport, Claim
from openpractice.billing.tests.factories import make_claim

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).parent / "x12"


@pytest.fixture
def biller(make_user: Callable[..., User]) -> User:
    return make_user(Role.BILLER, username="biller")


def upload(name: str, content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content if content is not None else (SAMPLES / name).read_bytes(),
                              content_type="application/octet-stream")


def submitted(actor: User, location, number: str) -> Claim:
    claim = make_claim(location=location, actor=actor, status="submitted")
    Claim.objects.filter(pk=claim.pk).update(claim_number=number)
    return Claim.objects.get(pk=claim.pk)


def imports(actor: User, count: int) -> None:
    for index in range(count):
        AcknowledgementImport.objects.create(kind="999", file_name=f"999-{index}.x12", sha256=f"{index:064d}",
                                             imported_by=actor, summary={"accepted": index, "rejected": 1})


def test_the_list_shows_each_file_with_its_counts(signed_in, biller):
    imports(biller, 2)
    response = signed_in(biller).get(reverse("billing:ack_list"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "999-0.x12" in page
    assert "1 rejected" in page
    assert reverse("billing:ack_import") in page


def test_the_list_costs_the_same_queries_for_few_and_many_files(signed_in, biller):
    client = signed_in(biller)
    imports(biller, 2)
    client.get(reverse("billing:ack_list"))  # warm the session and permission caches
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("billing:ack_list"))
    AcknowledgementImport.objects.all().delete()
    imports(biller, 20)
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("billing:ack_list"))
    assert len(many) == len(few)


def test_the_list_can_be_filtered_by_kind(signed_in, biller):
    imports(biller, 1)
    AcknowledgementImport.objects.create(kind="271", file_name="elig.x12", sha256="f" * 64, imported_by=biller,
                                         summary={"recorded": 2, "active": 1})
    page = signed_in(biller).get(reverse("billing:ack_list"), {"kind": "271"}).content.decode()
    assert "elig.x12" in page
    assert "999-0.x12" not in page
    assert "2 recorded (1 active)" in page


def test_uploading_a_277ca_shows_what_happened_to_each_claim(signed_in, biller, north):
    accepted = submitted(biller, north, "OP0000301")
    rejected = submitted(biller, north, "OP0000302")
    response = signed_in(biller).post(reverse("billing:ack_import"), {"file": upload("277ca-mixed.x12")})
    assert response.status_code == 200
    page = response.content.decode()
    assert reverse("billing:claim_detail", args=[rejected.pk]) in page
    assert reverse("billing:claim_detail", args=[accepted.pk]) in page
    assert "BILLING PROVIDER NPI NOT ON FILE" in page
    assert "OP9999999" in page  # unknown, listed without a link
    assert Claim.objects.get(pk=rejected.pk).status == "rejected"


def test_claims_of_other_locations_are_counted_not_named(signed_in, make_user, biller, north, south):
    submitted(biller, north, "OP0000301")
    south_claim = submitted(biller, south, "OP0000302")
    north_biller = make_user(Role.BILLER, locations=[north], username="north-biller")
    response = signed_in(north_biller).post(reverse("billing:ack_import"), {"file": upload("277ca-mixed.x12")})
    page = response.content.decode()
    assert "1 claim left unchanged: a biller of its location imports the file too." in page
    assert "OP0000302" not in page
    assert reverse("billing:claim_detail", args=[south_claim.pk]) not in page
    assert Claim.objects.get(pk=south_claim.pk).status == "submitted"


def test_a_south_biller_uploading_a_file_the_north_biller_imported_applies_it_to_south_claims(
        signed_in, make_user, biller, north, south):
    submitted(biller, north, "OP0000301")
    south_claim = submitted(biller, south, "OP0000302")
    north_biller = make_user(Role.BILLER, locations=[north], username="north-biller")
    south_biller = make_user(Role.BILLER, locations=[south], username="south-biller")
    signed_in(north_biller).post(reverse("billing:ack_import"), {"file": upload("277ca-mixed.x12")})
    page = signed_in(south_biller).post(reverse("billing:ack_import"),
                                        {"file": upload("277ca-mixed.x12")}).content.decode()
    assert "Already imported" not in page
    assert "first imported" in page
    assert reverse("billing:claim_detail", args=[south_claim.pk]) in page
    assert Claim.objects.get(pk=south_claim.pk).status == "rejected"
    assert AcknowledgementImport.objects.count() == 2


def test_uploading_the_same_file_again_says_nothing_changed(signed_in, biller, north):
    submitted(biller, north, "OP0000301")
    client = signed_in(biller)
    client.post(reverse("billing:ack_import"), {"file": upload("277ca-mixed.x12")})
    page = client.post(reverse("billing:ack_import"), {"file": upload("277ca-mixed.x12")}).content.decode()
    assert "Already imported" in page
    assert AcknowledgementImport.objects.count() == 1


def test_a_damaged_file_is_refused_with_the_segment_and_nothing_changes(signed_in, biller, north):
    claim = submitted(biller, north, "OP0000302")
    damaged = (SAMPLES / "277ca-mixed.x12").read_bytes().replace(b"SE*55*0001", b"SE*54*0001")
    response = signed_in(biller).post(reverse("billing:ack_import"), {"file": upload("bad.x12", damaged)})
    assert response.status_code == 400
    page = response.content.decode()
    assert "SE01 says the transaction set has 54 segments" in page
    assert "Nothing was changed" in page
    assert Claim.objects.get(pk=claim.pk).status == "submitted"
    assert AcknowledgementImport.objects.count() == 0


def test_a_file_over_the_size_limit_is_refused_by_the_form(signed_in, biller, monkeypatch):
    monkeypatch.setattr("openpractice.billing.forms_acks.MAX_FILE_BYTES", 100)
    response = signed_in(biller).post(reverse("billing:ack_import"), {"file": upload("277ca-mixed.x12")})
    assert response.status_code == 400
    assert "larger than" in response.content.decode()
    assert AcknowledgementImport.objects.count() == 0


def test_a_practice_manager_entry_sees_the_list_but_may_not_import(signed_in, make_user, biller, north):
    claim = submitted(biller, north, "OP0000302")
    manager = make_user(Role.PRACTICE_MANAGER, Tier.ENTRY, username="pm-entry")
    client = signed_in(manager)
    assert client.get(reverse("billing:ack_list")).status_code == 200
    response = client.post(reverse("billing:ack_import"), {"file": upload("277ca-mixed.x12")})
    assert response.status_code == 404
    assert Claim.objects.get(pk=claim.pk).status == "submitted"
    assert AcknowledgementImport.objects.count() == 0
    assert AuditEvent.objects.filter(actor=manager, outcome="denied").count() == 1


def test_the_front_desk_cannot_open_the_acknowledgements(signed_in, make_user):
    desk = make_user(Role.FRONT_DESK, username="desk")
    client = signed_in(desk)
    assert client.get(reverse("billing:ack_list")).status_code == 404
    assert client.get(reverse("billing:ack_import")).status_code == 404
    assert AuditEvent.objects.filter(actor=desk, outcome="denied").count() == 2
