"""Business associates: the register's flags (what counts as an agreement in force), one active agreement per
associate, names unique ignoring case, the signed PDF (typed from its bytes, capped at 10 MB), termination, refusals
that change nothing, the review and expiry reminders (once each, even with two workers) and the demo data."""

from __future__ import annotations

import datetime as dt
import threading
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections

from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.compliance.choices import AgreementStatus
from openpractice.compliance.demo_associates import (
    ANSWERING,
    CLEARINGHOUSE,
    CLOUD_EHR,
    LANDSCAPING,
    SHREDDING,
    seed_associates,
)
from openpractice.compliance.models import BusinessAssociate, BusinessAssociateAgreement
from openpractice.compliance.selectors import associates as selectors
from openpractice.compliance.services import associates as services
from openpractice.core.selectors import practice_today

from .route_samples_associates import PDF, make_agreement, make_associate

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 6, 16)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "uploads"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def officer(make_user: Any) -> Any:
    return make_user(Role.PRIVACY_OFFICER, username="officer", email="officer@example.test")


@pytest.fixture
def manager(make_user: Any) -> Any:
    return make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED, username="manager", email="manager@example.test")


@pytest.fixture
def hr(make_user: Any) -> Any:
    return make_user(Role.HR, username="hr", email="hr@example.test")


@pytest.fixture
def front_desk(make_user: Any) -> Any:
    return make_user(Role.FRONT_DESK, username="desk", email="desk@example.test")


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    state = {}
    for model in apps.get_app_config("compliance").get_models():
        columns = [f.attname for f in model._meta.concrete_fields]
        state[model._meta.label] = list(model._default_manager.order_by("pk").values_list(*columns))
    return state


def stored_files(media: Path) -> list[Path]:
    return sorted(path for path in media.rglob("*") if path.is_file()) if media.exists() else []


def upload(content: bytes, name: str = "baa.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def standings(actor: Any, today: dt.date = TODAY, **filters: Any) -> dict[str, str]:
    return {row.name: row.standing for row in selectors.associate_list(actor=actor, today=today, **filters)}


def subject(message: Any) -> str:
    return str(make_header(decode_header(message["Subject"])))


# --- the register --------------------------------------------------------------------------------------------


def test_names_are_unique_ignoring_case(officer: Any) -> None:
    first = services.associate_create(actor=officer, data={"name": "Acme Shredding", "services": "Shredding"})
    with pytest.raises(ValidationError) as caught:
        services.associate_create(actor=officer, data={"name": "  ACME shredding ", "services": "Shredding"})
    assert caught.value.message_dict["name"] == ["“Acme Shredding” is already in the register."]
    other = services.associate_create(actor=officer, data={"name": "Beta IT", "services": "IT"})
    with pytest.raises(ValidationError) as renamed:
        services.associate_update(actor=officer, associate=other, data={"name": "acme SHREDDING"})
    assert "name" in renamed.value.message_dict
    assert sorted(BusinessAssociate.objects.values_list("name", flat=True)) == ["Acme Shredding", "Beta IT"]
    # Changing only the case of its own name is allowed.
    assert services.associate_update(actor=officer, associate=first, data={"name": "ACME Shredding"}).name \
        == "ACME Shredding"
    assert AuditEvent.objects.filter(action="compliance.associate_created").count() == 2
    assert AuditEvent.objects.filter(action="compliance.associate_updated", object_id=str(first.pk)).count() == 1


def test_the_register_flags_phi_handlers_without_an_agreement_in_force(officer: Any) -> None:
    def associate(name: str, **fields: Any) -> BusinessAssociate:
        return make_associate(created_by=officer, name=name, **fields)

    associate("No agreement")
    associate("No PHI", handles_phi=False)
    associate("No longer used", is_active=False)
    make_agreement(associate=associate("Covered"), review_on=TODAY + dt.timedelta(days=31),
                   expires_on=TODAY + dt.timedelta(days=31))
    make_agreement(associate=associate("Covered open-ended"))
    make_agreement(associate=associate("Ends today"), expires_on=TODAY)
    make_agreement(associate=associate("Expired"), expires_on=TODAY - dt.timedelta(days=1))
    make_agreement(associate=associate("Not yet"), effective_on=TODAY + dt.timedelta(days=1))
    make_agreement(associate=associate("Only a draft"), status=AgreementStatus.DRAFT, effective_on=None)
    make_agreement(associate=associate("Terminated"), status=AgreementStatus.TERMINATED,
                   terminated_on=TODAY - dt.timedelta(days=3))
    make_agreement(associate=associate("Review in 30 days"), review_on=TODAY + dt.timedelta(days=30))
    make_agreement(associate=associate("Review overdue"), review_on=TODAY - dt.timedelta(days=5))

    assert standings(officer) == {
        "No agreement": selectors.FLAGGED, "No PHI": selectors.NOT_NEEDED, "No longer used": selectors.INACTIVE,
        "Covered": selectors.COVERED, "Covered open-ended": selectors.COVERED,
        "Ends today": selectors.REVIEW_DUE, "Expired": selectors.FLAGGED, "Not yet": selectors.FLAGGED,
        "Only a draft": selectors.FLAGGED, "Terminated": selectors.FLAGGED,
        "Review in 30 days": selectors.REVIEW_DUE, "Review overdue": selectors.REVIEW_DUE,
    }
    flagged = ["Expired", "No agreement", "Not yet", "Only a draft", "Terminated"]
    assert sorted(standings(officer, flagged_only=True)) == flagged
    assert selectors.flagged_count(actor=officer, today=TODAY) == len(flagged)
    row = selectors.associate_list(actor=officer, today=TODAY).get(name="Covered")
    assert row.baa_expires_on == TODAY + dt.timedelta(days=31)
    assert selectors.associate_list(actor=officer, today=TODAY).get(name="Only a draft").has_draft


def test_the_register_is_empty_without_compliance_view(officer: Any, front_desk: Any) -> None:
    make_associate(created_by=officer)
    assert list(selectors.associate_list(actor=front_desk, today=TODAY)) == []
    assert selectors.flagged_count(actor=front_desk, today=TODAY) == 0
    assert not selectors.agreements_visible(actor=front_desk).exists()


# --- agreements ----------------------------------------------------------------------------------------------


def test_an_agreement_goes_from_draft_to_active_to_terminated(officer: Any, media: Path) -> None:
    associate = make_associate(created_by=officer)
    today = practice_today()
    draft = services.agreement_create(actor=officer, associate=associate, data={"notes": "Sent for signature."})
    assert draft.status == AgreementStatus.DRAFT
    assert standings(officer, today)[associate.name] == selectors.FLAGGED

    with pytest.raises(ValidationError) as missing:
        services.agreement_activate(actor=officer, agreement=draft, signed_on=None, effective_on=None)
    assert set(missing.value.message_dict) == {"signed_on", "effective_on"}
    draft.refresh_from_db()
    assert draft.status == AgreementStatus.DRAFT

    active = services.agreement_activate(actor=officer, agreement=draft, signed_on=today - dt.timedelta(days=2),
                                         effective_on=today - dt.timedelta(days=1), review_on=today + dt.timedelta(days=90),
                                         upload=upload(PDF))
    assert active.status == AgreementStatus.ACTIVE
    assert active.document.name.startswith("compliance/baa/")
    assert len(Path(active.document.name).stem) == 32  # a random name, not the client's
    assert active.document_content_type == "application/pdf"
    assert active.document_size == len(PDF)
    assert (media / str(active.document.name)).read_bytes() == PDF
    assert standings(officer, today)[associate.name] == selectors.COVERED

    with pytest.raises(ValidationError) as early:
        services.agreement_terminate(actor=officer, agreement=active, terminated_on=today - dt.timedelta(days=5),
                                     reason="Contract ended")
    assert "terminated_on" in early.value.message_dict
    ended = services.agreement_terminate(actor=officer, agreement=active, terminated_on=today,
                                         reason="The practice moved to another vendor.")
    assert ended.status == AgreementStatus.TERMINATED
    assert ended.terminated_on == today
    assert ended.notes == f"Sent for signature.\n\nTerminated on {today.isoformat()}: The practice moved to another vendor."
    assert standings(officer, today)[associate.name] == selectors.FLAGGED
    with pytest.raises(ValidationError):
        services.agreement_update(actor=officer, agreement=ended, data={"notes": "x"})
    actions = list(AuditEvent.objects.filter(object_id=str(draft.pk), action__startswith="compliance.agreement_")
                   .order_by("seq").values_list("action", flat=True))
    assert actions == ["compliance.agreement_created", "compliance.agreement_activated",
                       "compliance.agreement_terminated"]


def test_one_active_agreement_at_a_time(officer: Any) -> None:
    associate = make_associate(created_by=officer)
    current = make_agreement(associate=associate, expires_on=TODAY - dt.timedelta(days=10))  # expired, still active
    renewal = services.agreement_create(actor=officer, associate=associate, data={})
    before = snapshot()
    with pytest.raises(ValidationError) as caught:
        services.agreement_activate(actor=officer, agreement=renewal, signed_on=dt.date(2025, 1, 2),
                                    effective_on=dt.date(2025, 1, 2))
    assert caught.value.code == "one_active"
    assert "terminate it" in caught.value.messages[0]
    assert snapshot() == before
    services.agreement_terminate(actor=officer, agreement=current, terminated_on=dt.date(2025, 1, 1),
                                 reason="Replaced by the renewal.")
    services.agreement_activate(actor=officer, agreement=renewal, signed_on=dt.date(2025, 1, 2),
                                effective_on=dt.date(2025, 1, 2))
    assert list(associate.agreements.filter(status=AgreementStatus.ACTIVE)) == [renewal]
    with pytest.raises(ValidationError) as again:
        services.agreement_activate(actor=officer, agreement=renewal, signed_on=dt.date(2025, 1, 2),
                                    effective_on=dt.date(2025, 1, 2))
    assert again.value.code == "wrong_status"


def test_dates_are_checked(officer: Any) -> None:
    associate = make_associate(created_by=officer)
    today = practice_today()
    with pytest.raises(ValidationError) as backwards:
        services.agreement_create(actor=officer, associate=associate,
                                  data={"effective_on": dt.date(2025, 3, 1), "expires_on": dt.date(2025, 2, 1)})
    assert "expires_on" in backwards.value.message_dict
    draft = services.agreement_create(actor=officer, associate=associate, data={})
    with pytest.raises(ValidationError) as future:
        services.agreement_activate(actor=officer, agreement=draft, signed_on=today + dt.timedelta(days=1),
                                    effective_on=today)
    assert "signed_on" in future.value.message_dict
    active = services.agreement_activate(actor=officer, agreement=draft, signed_on=today, effective_on=today)
    with pytest.raises(ValidationError) as read_only:  # once in force, the signature and start stay
        services.agreement_update(actor=officer, agreement=active, data={"effective_on": dt.date(2020, 1, 1)})
    assert read_only.value.code == "unknown_field"
    reviewed = services.agreement_update(actor=officer, agreement=active,
                                         data={"review_on": today + dt.timedelta(days=365)})
    assert reviewed.review_on == today + dt.timedelta(days=365)


@pytest.mark.parametrize(("content", "message"), [
    (PNG, "Upload the signed agreement as a PDF file."),
    (b"This is not a PDF, whatever its name says.", "Upload the signed agreement as a PDF file."),
    (b"", "The file is empty."),
    (b"%PDF-" + b"0" * (10 * 1024 * 1024), "The file is larger than 10 MB."),
], ids=["png", "text", "empty", "over-10-mb"])
def test_only_a_pdf_of_at_most_10_mb_is_stored(officer: Any, media: Path, content: bytes, message: str) -> None:
    agreement = make_agreement(associate=make_associate(created_by=officer))
    before = snapshot()
    with pytest.raises(ValidationError) as caught:
        services.agreement_document_set(actor=officer, agreement=agreement, upload=upload(content))
    assert caught.value.message_dict == {"document": [message]}
    assert snapshot() == before
    assert stored_files(media) == []


def test_replacing_the_document_removes_the_old_file(officer: Any, media: Path,
                                                     django_capture_on_commit_callbacks: Any) -> None:
    agreement = make_agreement(associate=make_associate(created_by=officer))
    with django_capture_on_commit_callbacks(execute=True):
        first = services.agreement_document_set(actor=officer, agreement=agreement, upload=upload(PDF))
    with django_capture_on_commit_callbacks(execute=True):
        second = services.agreement_document_set(actor=officer, agreement=agreement, upload=upload(PDF + b"v2"))
    assert first.document.name != second.document.name
    assert stored_files(media) == [media / str(second.document.name)]
    assert AuditEvent.objects.filter(action="compliance.agreement_document_added",
                                     object_id=str(agreement.pk)).count() == 2


# --- refusals ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["front_desk", "hr"])
def test_refused_writes_are_audited_and_change_nothing(officer: Any, media: Path, who: str,
                                                       request: pytest.FixtureRequest) -> None:
    actor = request.getfixturevalue(who)
    associate = make_associate(created_by=officer)
    active = make_agreement(associate=associate)
    draft = make_agreement(associate=make_associate(created_by=officer), status=AgreementStatus.DRAFT)
    attempts = [
        lambda: services.associate_create(actor=actor, data={"name": "Sneaky", "services": "x"}),
        lambda: services.associate_update(actor=actor, associate=associate, data={"handles_phi": False}),
        lambda: services.agreement_create(actor=actor, associate=associate, data={}),
        lambda: services.agreement_update(actor=actor, agreement=draft, data={"notes": "x"}),
        lambda: services.agreement_activate(actor=actor, agreement=draft, signed_on=TODAY, effective_on=TODAY),
        lambda: services.agreement_terminate(actor=actor, agreement=active, terminated_on=TODAY, reason="x"),
        lambda: services.agreement_document_set(actor=actor, agreement=active, upload=upload(PDF)),
    ]
    before = snapshot()
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    assert snapshot() == before
    assert stored_files(media) == []
    assert AuditEvent.objects.filter(actor=actor, outcome=Outcome.DENIED).count() == len(attempts)


# --- reminders -----------------------------------------------------------------------------------------------


def reminder_events(agreement: BusinessAssociateAgreement) -> list[str]:
    return sorted(AuditEvent.objects.filter(action=services.REMINDER_ACTION, object_id=str(agreement.pk))
                  .values_list("reason", flat=True))


def test_review_and_expiry_reminders_go_once_each_to_compliance_managers(
        officer: Any, manager: Any, hr: Any, front_desk: Any, smtp_server: Any) -> None:
    associate = make_associate(created_by=officer, name="Carolina Cloud EHR")
    agreement = make_agreement(associate=associate, review_on=TODAY + dt.timedelta(days=30),
                               expires_on=TODAY + dt.timedelta(days=45))
    later = make_agreement(associate=make_associate(created_by=officer, name="Later"),
                           review_on=TODAY + dt.timedelta(days=31))
    make_agreement(associate=make_associate(created_by=officer), status=AgreementStatus.DRAFT,
                   review_on=TODAY + dt.timedelta(days=3))
    make_agreement(associate=make_associate(created_by=officer, is_active=False),
                   review_on=TODAY + dt.timedelta(days=3))

    assert services.baa_reminders_send(today=TODAY - dt.timedelta(days=1)) == 0
    assert services.baa_reminders_send(today=TODAY) == 1
    recipients = sorted(address for message in smtp_server.messages for address in message.get_all("To"))
    assert recipients == ["manager@example.test", "officer@example.test"]  # not HR (view only), not the desk
    assert {subject(message) for message in smtp_server.messages} == {
        "BAA with Carolina Cloud EHR: review due in 30 days"}
    assert "http://testserver/compliance/associates/" in smtp_server.messages[0].get_payload()
    assert reminder_events(agreement) == [f"review {(TODAY + dt.timedelta(days=30)).isoformat()} 30d"]

    # The same day again, the next days: each reminder goes once; the end date's comes 30 days before it.
    assert services.baa_reminders_send(today=TODAY) == 0
    assert services.baa_reminders_send(today=TODAY + dt.timedelta(days=1)) == 1
    assert reminder_events(later) == [f"review {(TODAY + dt.timedelta(days=31)).isoformat()} 30d"]
    assert services.baa_reminders_send(today=TODAY + dt.timedelta(days=14)) == 0
    assert services.baa_reminders_send(today=TODAY + dt.timedelta(days=15)) == 1
    assert services.baa_reminders_send(today=TODAY + dt.timedelta(days=20)) == 0
    assert len(smtp_server.messages) == 6
    assert subject(smtp_server.messages[-1]) == "BAA with Carolina Cloud EHR ends in 30 days"

    # A new review date is a new reminder (once).
    services.agreement_update(actor=officer, agreement=agreement, data={"review_on": TODAY + dt.timedelta(days=40)})
    assert services.baa_reminders_send(today=TODAY + dt.timedelta(days=20)) == 1
    assert services.baa_reminders_send(today=TODAY + dt.timedelta(days=21)) == 0
    assert len(smtp_server.messages) == 8
    assert len(reminder_events(agreement)) == 3


def test_a_missed_day_is_caught_up_and_a_refused_mail_is_retried(officer: Any, smtp_server: Any,
                                                                 settings: Any) -> None:
    agreement = make_agreement(associate=make_associate(created_by=officer), review_on=TODAY + dt.timedelta(days=30))
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 1  # nothing listens there
    assert services.baa_reminders_send(today=TODAY) == 0
    assert reminder_events(agreement) == []
    settings.EMAIL_PORT = port
    assert services.baa_reminders_send(today=TODAY + dt.timedelta(days=3)) == 1
    assert len(smtp_server.messages) == 1
    assert services.baa_reminders_send(today=TODAY + dt.timedelta(days=4)) == 0


@pytest.mark.postgresql
@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="SQLite's in-memory test database is shared by threads through a cache that raises "
                           "'table is locked' instead of waiting; SQLite writers queue at BEGIN IMMEDIATE")
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_reminder_once(make_user: Any, smtp_server: Any) -> None:
    officer = make_user(Role.PRIVACY_OFFICER, username="officer", email="officer@example.test")
    agreements = [make_agreement(associate=make_associate(created_by=officer),
                                 review_on=TODAY + dt.timedelta(days=10), expires_on=TODAY + dt.timedelta(days=20))
                  for _ in range(5)]
    start = threading.Barrier(3)
    results: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait(timeout=10)
            results.append(services.baa_reminders_send(today=TODAY))
        except BaseException as error:  # noqa: BLE001 - reported to the main thread below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(results) == 2 * len(agreements)
    assert len(smtp_server.messages) == 2 * len(agreements)
    assert AuditEvent.objects.filter(action=services.REMINDER_ACTION).count() == 2 * len(agreements)


# --- demo ----------------------------------------------------------------------------------------------------


def test_the_demo_register_has_each_standing_and_seeds_once(officer: Any, media: Path) -> None:
    context: dict[str, Any] = {"users": {"privacy": officer}}
    seed_associates(context)
    today = practice_today()
    assert standings(officer, today) == {
        CLEARINGHOUSE: selectors.COVERED, CLOUD_EHR: selectors.REVIEW_DUE, SHREDDING: selectors.COVERED,
        ANSWERING: selectors.FLAGGED, LANDSCAPING: selectors.NOT_NEEDED,
    }
    assert not BusinessAssociate.objects.get(name=ANSWERING).agreements.exists()
    clearinghouse = BusinessAssociate.objects.get(name=CLEARINGHOUSE)
    assert sorted(clearinghouse.agreements.values_list("status", flat=True)) == [AgreementStatus.ACTIVE,
                                                                                 AgreementStatus.TERMINATED]
    active = BusinessAssociateAgreement.objects.filter(status=AgreementStatus.ACTIVE)
    assert active.count() == 3
    assert all((media / str(row.document.name)).read_bytes().startswith(b"%PDF-") for row in active)
    assert AuditEvent.objects.filter(action="compliance.agreement_activated", actor=officer).count() == 4
    before = snapshot()
    seed_associates(context)
    assert snapshot() == before
    assert context["report"][-1] == "business associates: already seeded, nothing added"
