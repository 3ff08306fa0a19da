"""Applicant services: added only to an OPEN requisition, no duplicate email per requisition, résumé typed from its
bytes (PDF or a real DOCX, 5 MB at most) under a random name with no orphan file, stage moves through the allowed
moves (never to OFFER or HIRED here); every refusal is audited and changes nothing."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.core.selectors import practice_today
from openpractice.workforce.choices import ApplicantStage, RequisitionStatus
from openpractice.workforce.models import Applicant, ApplicantStageChange
from openpractice.workforce.services import hiring_applicants as services

from .factories import EmployeeFactory
from .factories_hiring import ApplicantFactory, RequisitionFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "uploads"
    return Path(settings.MEDIA_ROOT)


def _files(media: Path) -> list[Path]:
    return [path for path in media.rglob("*") if path.is_file()] if media.exists() else []


def _snapshot() -> list[tuple[Any, ...]]:
    return list(Applicant.objects.order_by("pk").values_list("pk", "stage", "email", "resume", "rejection_reason"))


def _data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"first_name": " Robin ", "last_name": "Ellis", "email": "robin@example.org",
                            "phone": "919-555-0111", "source": "job_board", "referred_by": None,
                            "applied_on": practice_today(), "notes": ""}
    data.update(changes)
    return data


@pytest.fixture
def om_mid(make_user: Any, north: Any) -> Any:
    return make_user(Role.OFFICE_MANAGER, Tier.MID, locations=[north])


@pytest.fixture
def requisition(north: Any, om_mid: Any) -> Any:
    return RequisitionFactory(location=north, requested_by=om_mid)


def test_add_with_pdf_resume_stored_under_a_random_name(om_mid: Any, requisition: Any, media: Path) -> None:
    upload = SimpleUploadedFile("My CV.pdf", PDF, content_type="text/plain")
    applicant = services.applicant_create(actor=om_mid, requisition=requisition, data=_data(), resume=upload)
    assert applicant.first_name == "Robin"
    assert applicant.stage == ApplicantStage.APPLIED
    assert applicant.resume_content_type == "application/pdf"
    assert applicant.resume_size == len(PDF)
    assert str(applicant.resume.name).startswith("workforce/resumes/")
    assert "CV" not in str(applicant.resume.name)
    assert Path(applicant.resume.path).read_bytes() == PDF
    assert str(media) in str(applicant.resume.path)
    history = list(ApplicantStageChange.objects.filter(applicant=applicant))
    assert [(h.from_stage, h.to_stage) for h in history] == [("", "applied")]
    assert AuditEvent.objects.filter(action="workforce.applicant_created", object_id=str(applicant.pk)).exists()


def test_a_real_docx_is_accepted(om_mid: Any, requisition: Any) -> None:
    upload = SimpleUploadedFile("cv.docx", docx_bytes())
    applicant = services.applicant_create(actor=om_mid, requisition=requisition, data=_data(), resume=upload)
    assert applicant.resume.name.endswith(".docx")


@pytest.mark.parametrize("content", [b"just text, named like a PDF", zip_bytes()], ids=["text-as-pdf", "plain-zip"])
def test_files_that_are_not_pdf_or_docx_are_refused(om_mid: Any, requisition: Any, media: Path,
                                                    content: bytes) -> None:
    before = _snapshot()
    with pytest.raises(ValidationError) as caught:
        services.applicant_create(actor=om_mid, requisition=requisition, data=_data(),
                                  resume=SimpleUploadedFile("cv.pdf", content, content_type="application/pdf"))
    assert "resume" in caught.value.error_dict
    assert _snapshot() == before
    assert _files(media) == []


def test_a_resume_over_5_mb_is_refused(om_mid: Any, requisition: Any, media: Path) -> None:
    big = PDF + b"0" * (services.RESUME_MAX_BYTES + 1 - len(PDF))
    before = _snapshot()
    with pytest.raises(ValidationError) as caught:
        services.applicant_create(actor=om_mid, requisition=requisition, data=_data(),
                                  resume=SimpleUploadedFile("cv.pdf", big))
    assert "larger than 5 MB" in caught.value.error_dict["resume"][0].message
    assert _snapshot() == before
    assert _files(media) == []


def test_duplicate_email_on_the_requisition_is_refused_without_orphan_file(om_mid: Any, requisition: Any,
                                                                           media: Path) -> None:
    ApplicantFactory(requisition=requisition, email="Robin@Example.org")
    before = _snapshot()
    with pytest.raises(ValidationError) as caught:
        services.applicant_create(actor=om_mid, requisition=requisition, data=_data(),
                                  resume=SimpleUploadedFile("cv.pdf", PDF))
    assert "already on this requisition" in caught.value.error_dict["email"][0].message
    assert _snapshot() == before
    assert _files(media) == []
    other = RequisitionFactory(location=requisition.location)
    assert services.applicant_create(actor=om_mid, requisition=other, data=_data()).pk


@pytest.mark.parametrize("status", [RequisitionStatus.DRAFT, RequisitionStatus.PENDING, RequisitionStatus.FILLED,
                                    RequisitionStatus.CANCELLED])
def test_only_an_open_requisition_takes_applicants(om_mid: Any, north: Any, status: str) -> None:
    requisition = RequisitionFactory(location=north, status=status)
    before = _snapshot()
    with pytest.raises(ValidationError):
        services.applicant_create(actor=om_mid, requisition=requisition, data=_data())
    assert _snapshot() == before


def test_applied_on_in_the_future_and_referral_without_referral_source_are_refused(om_mid: Any,
                                                                                   requisition: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        services.applicant_create(actor=om_mid, requisition=requisition,
                                  data=_data(applied_on=practice_today() + dt.timedelta(days=1)))
    assert "applied_on" in caught.value.error_dict
    colleague = EmployeeFactory(location=requisition.location)
    with pytest.raises(ValidationError) as caught:
        services.applicant_create(actor=om_mid, requisition=requisition, data=_data(referred_by=colleague))
    assert "referred_by" in caught.value.error_dict
    assert Applicant.objects.count() == 0
    applicant = services.applicant_create(actor=om_mid, requisition=requisition,
                                          data=_data(referred_by=colleague, source="referral"))
    assert applicant.referred_by == colleague


def test_office_manager_entry_cannot_add_and_nothing_changes(make_user: Any, requisition: Any, media: Path) -> None:
    entry = make_user(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[requisition.location])
    before = _snapshot()
    with pytest.raises(PermissionDenied):
        services.applicant_create(actor=entry, requisition=requisition, data=_data(),
                                  resume=SimpleUploadedFile("cv.pdf", PDF))
    assert _snapshot() == before
    assert _files(media) == []
    assert AuditEvent.objects.filter(outcome="denied", action="workforce.applicant_create").count() == 1


def test_north_hiring_cannot_touch_a_south_applicant(om_mid: Any, south: Any) -> None:
    applicant = ApplicantFactory(requisition=RequisitionFactory(location=south))
    before = _snapshot()
    with pytest.raises(PermissionDenied):
        services.applicant_move(actor=om_mid, applicant=applicant, to_stage=ApplicantStage.SCREENING)
    with pytest.raises(PermissionDenied):
        services.applicant_update(actor=om_mid, applicant=applicant, data={"phone": "1"})
    with pytest.raises(PermissionDenied):
        services.applicant_resume_replace(actor=om_mid, applicant=applicant, upload=SimpleUploadedFile("c.pdf", PDF))
    assert _snapshot() == before
    assert AuditEvent.objects.filter(outcome="denied", object_id=str(applicant.pk)).count() == 3


def test_replacing_the_resume_removes_the_old_file_after_commit(om_mid: Any, requisition: Any, media: Path,
                                                                django_capture_on_commit_callbacks: Any) -> None:
    applicant = services.applicant_create(actor=om_mid, requisition=requisition, data=_data(),
                                          resume=SimpleUploadedFile("cv.pdf", PDF))
    old_path = Path(applicant.resume.path)
    with django_capture_on_commit_callbacks(execute=True):
        replaced = services.applicant_resume_replace(actor=om_mid, applicant=applicant,
                                                     upload=SimpleUploadedFile("cv.docx", docx_bytes()))
    assert replaced.resume.name.endswith(".docx")
    assert not old_path.exists()
    assert _files(media) == [Path(replaced.resume.path)]
    assert AuditEvent.objects.filter(action="workforce.applicant_resume_replaced").count() == 1


def test_a_failed_replacement_leaves_the_old_resume(om_mid: Any, requisition: Any, media: Path) -> None:
    applicant = services.applicant_create(actor=om_mid, requisition=requisition, data=_data(),
                                          resume=SimpleUploadedFile("cv.pdf", PDF))
    with pytest.raises(ValidationError):
        services.applicant_resume_replace(actor=om_mid, applicant=applicant,
                                          upload=SimpleUploadedFile("cv.docx", zip_bytes()))
    applicant.refresh_from_db()
    assert _files(media) == [Path(applicant.resume.path)]


def test_allowed_stage_moves_record_history_and_audit(om_mid: Any, requisition: Any) -> None:
    applicant = ApplicantFactory(requisition=requisition)
    services.applicant_move(actor=om_mid, applicant=applicant, to_stage=ApplicantStage.SCREENING)
    services.applicant_move(actor=om_mid, applicant=applicant, to_stage=ApplicantStage.INTERVIEW, note="Good call")
    moved = services.applicant_move(actor=om_mid, applicant=applicant, to_stage=ApplicantStage.REJECTED,
                                    note="Chose another candidate")
    assert moved.stage == ApplicantStage.REJECTED
    assert moved.rejection_reason == "Chose another candidate"
    again = services.applicant_move(actor=om_mid, applicant=applicant, to_stage=ApplicantStage.SCREENING)
    assert again.rejection_reason == ""
    stages = list(ApplicantStageChange.objects.filter(applicant=applicant).values_list("to_stage", flat=True))
    assert stages == ["applied", "screening", "interview", "rejected", "screening"]
    assert AuditEvent.objects.filter(action="workforce.applicant_stage_changed").count() == 4


@pytest.mark.parametrize(("start", "to_stage", "note"), [
    (ApplicantStage.INTERVIEW, ApplicantStage.OFFER, ""),     # offers do this
    (ApplicantStage.OFFER, ApplicantStage.HIRED, ""),         # the hire does this
    (ApplicantStage.APPLIED, ApplicantStage.APPLIED, ""),     # not a move
    (ApplicantStage.APPLIED, "nonsense", ""),
    (ApplicantStage.REJECTED, ApplicantStage.INTERVIEW, ""),  # reconsidered through screening only
    (ApplicantStage.APPLIED, ApplicantStage.REJECTED, ""),    # needs a reason
    (ApplicantStage.APPLIED, ApplicantStage.WITHDRAWN, " "),
])
def test_refused_stage_moves_change_nothing(om_mid: Any, requisition: Any, start: str, to_stage: str,
                                            note: str) -> None:
    applicant = ApplicantFactory(requisition=requisition, stage=start)
    before = (_snapshot(), ApplicantStageChange.objects.count())
    with pytest.raises(ValidationError):
        services.applicant_move(actor=om_mid, applicant=applicant, to_stage=to_stage, note=note)
    assert (_snapshot(), ApplicantStageChange.objects.count()) == before


def test_on_a_closed_requisition_only_rejection_or_withdrawal(om_mid: Any, north: Any) -> None:
    applicant = ApplicantFactory(requisition=RequisitionFactory(location=north, status=RequisitionStatus.CANCELLED))
    with pytest.raises(ValidationError):
        services.applicant_move(actor=om_mid, applicant=applicant, to_stage=ApplicantStage.SCREENING)
    moved = services.applicant_move(actor=om_mid, applicant=applicant, to_stage=ApplicantStage.WITHDRAWN,
                                    note="Took another job")
    assert moved.stage == ApplicantStage.WITHDRAWN


def test_edit_refuses_a_duplicate_email(om_mid: Any, requisition: Any) -> None:
    ApplicantFactory(requisition=requisition, email="taken@example.org")
    applicant = ApplicantFactory(requisition=requisition)
    before = _snapshot()
    with pytest.raises(ValidationError):
        services.applicant_update(actor=om_mid, applicant=applicant, data={"email": "TAKEN@example.org"})
    assert _snapshot() == before
    with transaction.atomic():
        updated = services.applicant_update(actor=om_mid, applicant=applicant, data={"phone": "919-555-0199"})
    assert updated.phone == "919-555-0199"
