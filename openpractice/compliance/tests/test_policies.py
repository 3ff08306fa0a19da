"""Policy library: sanitised text, the review workflow (four eyes, one version in force, publishing retires the
old one), new versions, attachments, who may read what, review reminders by email, and refusals that change
nothing."""

from __future__ import annotations

import datetime as dt
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import UserFactory
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.compliance.choices import VersionStatus
from openpractice.compliance.models import Policy, PolicyAttachment, PolicyVersion
from openpractice.compliance.services import policies as services

from .factories_policies import PDF, PolicyAttachmentFactory, PolicyVersionFactory, published_version

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "uploads"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def officer(make_user: Any) -> Any:
    return make_user(Role.PRIVACY_OFFICER, username="officer", email="officer@example.test")


@pytest.fixture
def manager(make_user: Any) -> Any:
    return make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED, username="manager")


@pytest.fixture
def front_desk(make_user: Any) -> Any:
    return make_user(Role.FRONT_DESK, username="desk")


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    state = {}
    for model in apps.get_app_config("compliance").get_models():
        columns = [f.attname for f in model._meta.concrete_fields]
        state[model._meta.label] = list(model._default_manager.order_by("pk").values_list(*columns))
    return state


def subject(message: Any) -> str:
    return str(make_header(decode_header(message["Subject"])))


def denials(user: Any) -> int:
    return AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()


def new_policy(actor: Any, *, owner: Any = None, text: str = "<p>Text</p>", effective: dt.date | None = None) -> Policy:
    return services.policy_create(
        actor=actor, data={"title": "Minimum necessary", "category": "privacy", "owner": owner or actor,
                           "review_months": 12},
        version={"body_html": text, "change_summary": "First", "effective_on": effective or dt.date(2025, 3, 1)})


def through_workflow(version: PolicyVersion, *, author: Any, approver: Any) -> PolicyVersion:
    services.version_submit(actor=author, version=version)
    services.version_approve(actor=approver, version=version)
    return services.version_publish(actor=author, version=version)


# --- sanitising ---------------------------------------------------------------------------------------------


def test_sanitising_removes_scripts_handlers_and_javascript_links() -> None:
    dirty = ('<h2>Title</h2><p onclick="steal()">Hi <script>alert(1)</script><img src=x onerror="alert(2)">'
             '<a href="javascript:alert(3)">bad</a> <a href="https://example.org/x">good</a></p>'
             '<table><tr><td style="color:red">cell</td></tr></table><iframe src="https://evil"></iframe>')
    clean = services.sanitize_html(dirty)
    assert "<script" not in clean
    assert "alert(1)" not in clean
    assert "onerror" not in clean
    assert "onclick" not in clean
    assert "<img" not in clean
    assert "javascript:" not in clean
    assert "<iframe" not in clean
    assert "style=" not in clean
    assert "<h2>Title</h2>" in clean
    assert "<td>cell</td>" in clean
    assert '<a href="https://example.org/x" rel="noopener noreferrer">good</a>' in clean


def test_the_stored_draft_is_sanitised(officer: Any) -> None:
    policy = new_policy(officer, text='<p>Rule</p><script>x()</script><a href="javascript:x()">y</a>')
    version = policy.versions.get()
    assert version.status == VersionStatus.DRAFT
    assert version.number == 1
    assert version.author == officer
    assert "script" not in version.body_html
    assert "javascript" not in version.body_html
    assert AuditEvent.objects.filter(action="compliance.policy_created", object_id=str(policy.pk)).exists()


def test_a_policy_needs_an_active_owner(officer: Any) -> None:
    gone = UserFactory(is_active=False)
    with pytest.raises(ValidationError) as caught:
        new_policy(officer, owner=gone)
    assert "owner" in caught.value.message_dict
    assert not Policy.objects.exists()


# --- workflow -----------------------------------------------------------------------------------------------


def test_the_author_cannot_approve_their_own_version(officer: Any, manager: Any) -> None:
    version = new_policy(officer).versions.get()
    services.version_submit(actor=officer, version=version)
    with pytest.raises(ValidationError):
        services.version_approve(actor=officer, version=version)
    version.refresh_from_db()
    assert version.status == VersionStatus.REVIEW
    assert version.approved_by is None
    services.version_approve(actor=manager, version=version)
    version.refresh_from_db()
    assert version.status == VersionStatus.APPROVED
    assert version.approved_by == manager


def test_publishing_sets_the_next_review_and_retires_the_version_in_force(officer: Any, manager: Any) -> None:
    policy = new_policy(officer, effective=dt.date(2025, 1, 31))
    first = through_workflow(policy.versions.get(), author=officer, approver=manager)
    assert first.status == VersionStatus.PUBLISHED
    assert first.next_review_on == dt.date(2026, 1, 31)

    second = services.version_new(actor=officer, policy=policy)
    assert second.number == 2
    assert second.body_html == first.body_html
    assert second.status == VersionStatus.DRAFT
    services.version_update(actor=officer, version=second,
                            data={"body_html": "<p>New rule</p>", "effective_on": dt.date(2025, 6, 1)})
    through_workflow(second, author=officer, approver=manager)

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == VersionStatus.RETIRED
    assert first.retired_at is not None
    assert second.status == VersionStatus.PUBLISHED
    assert second.next_review_on == dt.date(2026, 6, 1)
    assert policy.versions.filter(status=VersionStatus.PUBLISHED).count() == 1


def test_only_one_version_in_progress(officer: Any) -> None:
    policy = new_policy(officer)
    with pytest.raises(ValidationError) as caught:
        services.version_new(actor=officer, policy=policy)
    assert caught.value.code == "in_progress"
    assert policy.versions.count() == 1


def test_only_a_draft_is_edited_and_only_an_approved_version_published(officer: Any, manager: Any) -> None:
    version = new_policy(officer).versions.get()
    with pytest.raises(ValidationError):
        services.version_publish(actor=officer, version=version)
    services.version_submit(actor=officer, version=version)
    with pytest.raises(ValidationError):
        services.version_update(actor=officer, version=version, data={"body_html": "<p>Changed</p>"})
    services.version_return(actor=manager, version=version)
    version.refresh_from_db()
    assert version.status == VersionStatus.DRAFT
    assert version.body_html == "<p>Text</p>"


def test_retiring_a_policy_retires_its_versions(officer: Any, manager: Any) -> None:
    policy = new_policy(officer)
    through_workflow(policy.versions.get(), author=officer, approver=manager)
    services.version_new(actor=officer, policy=policy)
    services.policy_retire(actor=officer, policy=policy)
    assert set(policy.versions.values_list("status", flat=True)) == {VersionStatus.RETIRED}
    with pytest.raises(ValidationError):
        services.version_new(actor=officer, policy=policy)


# --- refusals -----------------------------------------------------------------------------------------------


def test_a_front_desk_user_approving_is_refused_and_nothing_changes(officer: Any, front_desk: Any,
                                                                     signed_in: Any) -> None:
    version = new_policy(officer).versions.get()
    services.version_submit(actor=officer, version=version)
    before, refused = snapshot(), denials(front_desk)
    with pytest.raises(PermissionDenied):
        services.version_approve(actor=front_desk, version=version)
    response = signed_in(front_desk).post(reverse("compliance:version_approve", args=[version.pk]))
    assert response.status_code == 404
    assert snapshot() == before
    assert denials(front_desk) == refused + 2


def test_view_only_roles_cannot_create_or_publish(make_user: Any, officer: Any, manager: Any, signed_in: Any) -> None:
    auditor = make_user(Role.AUDITOR)
    version = new_policy(officer).versions.get()
    services.version_submit(actor=officer, version=version)
    services.version_approve(actor=manager, version=version)
    before = snapshot()
    with pytest.raises(PermissionDenied):
        new_policy(auditor)
    with pytest.raises(PermissionDenied):
        services.version_publish(actor=auditor, version=version)
    client = signed_in(auditor)
    assert client.post(reverse("compliance:policy_create"), {"title": "X"}).status_code == 404
    assert client.post(reverse("compliance:version_publish", args=[version.pk])).status_code == 404
    assert snapshot() == before


# --- pages --------------------------------------------------------------------------------------------------


def test_create_and_run_the_workflow_through_the_pages(officer: Any, manager: Any, client: Any,
                                                       signed_in: Any) -> None:
    response = signed_in(officer).post(reverse("compliance:policy_create"), {
        "title": "Clean desk", "category": "security", "owner": officer.pk, "review_months": 6,
        "body_html": '<p>Lock screens.</p><script>bad()</script>', "change_summary": "New",
        "effective_on": "2025-04-01"})
    policy = Policy.objects.get(title="Clean desk")
    assert response.status_code == 302
    assert response["Location"] == reverse("compliance:policy_detail",
                                                                            args=[policy.pk])
    version = policy.versions.get()
    assert version.body_html == "<p>Lock screens.</p>"
    client.post(reverse("compliance:version_submit", args=[version.pk]))
    client.post(reverse("compliance:version_approve", args=[version.pk]))  # the author: refused with a message
    version.refresh_from_db()
    assert version.status == VersionStatus.REVIEW
    signed_in(manager).post(reverse("compliance:version_approve", args=[version.pk]))
    client.post(reverse("compliance:version_publish", args=[version.pk]))
    version.refresh_from_db()
    assert version.status == VersionStatus.PUBLISHED
    assert version.next_review_on == dt.date(2025, 10, 1)
    page = client.get(reverse("compliance:policy_detail", args=[policy.pk]))
    assert page.status_code == 200
    assert "Lock screens." in page.content.decode()


def test_library_filters_by_category_status_and_title(officer: Any, signed_in: Any) -> None:
    published_version(title="Breach response", category="privacy")
    PolicyVersionFactory(policy__title="Sharps disposal", policy__category="safety")
    client = signed_in(officer)
    url = reverse("compliance:policy_list")
    assert "Sharps disposal" in client.get(url, {"category": "safety"}).content.decode()
    assert "Breach response" not in client.get(url, {"category": "safety"}).content.decode()
    by_status = client.get(url, {"status": "published"}).content.decode()
    assert "Breach response" in by_status
    assert "Sharps disposal" not in by_status
    assert "Sharps" in client.get(url, {"q": "sharps"}).content.decode()
    assert "Breach" not in client.get(url, {"q": "sharps"}).content.decode()


def test_library_query_count_does_not_grow_with_policies(officer: Any, signed_in: Any) -> None:
    client = signed_in(officer)
    url = reverse("compliance:policy_list")
    published_version()
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for _ in range(8):
        version = published_version()
        PolicyVersionFactory(policy=version.policy, number=2)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


def test_staff_read_the_version_in_force_but_not_drafts(officer: Any, front_desk: Any, signed_in: Any) -> None:
    current = published_version(body_html="<p>In force</p>")
    draft = PolicyVersionFactory(policy=current.policy, number=2, body_html="<p>Secret draft</p>")
    client = signed_in(front_desk)
    page = client.get(reverse("compliance:policy_detail", args=[current.policy_id]))
    assert page.status_code == 200
    assert "In force" in page.content.decode()
    assert "Secret draft" not in page.content.decode()
    assert client.get(reverse("compliance:version_detail", args=[current.pk])).status_code == 200
    refused = denials(front_desk)
    assert client.get(reverse("compliance:version_detail", args=[draft.pk])).status_code == 404
    assert denials(front_desk) == refused + 1
    assert client.get(reverse("compliance:policy_list")).status_code == 404
    unpublished = PolicyVersionFactory(body_html="<p>Not yet</p>")
    assert client.get(reverse("compliance:policy_detail", args=[unpublished.policy_id])).status_code == 404


# --- attachments --------------------------------------------------------------------------------------------


def test_attachments_are_typed_from_their_bytes_and_downloads_audited(officer: Any, front_desk: Any,
                                                                      signed_in: Any, media: Path) -> None:
    version = new_policy(officer).versions.get()
    with pytest.raises(ValidationError):
        services.attachment_add(actor=officer, version=version, title="Fake",
                                upload=SimpleUploadedFile("form.pdf", b"MZ\x90\x00 not a pdf"))
    attachment = services.attachment_add(actor=officer, version=version, title="Form",
                                         upload=SimpleUploadedFile("x.exe", PDF))
    assert attachment.content_type == "application/pdf"
    assert attachment.file.name.endswith(".pdf")
    assert "x.exe" not in (attachment.file.name or "")
    assert Path(attachment.file.path).is_relative_to(media)
    # A draft's file is not for staff.
    refused = denials(front_desk)
    assert signed_in(front_desk).get(reverse("compliance:attachment_download",
                                             args=[attachment.pk])).status_code == 404
    assert denials(front_desk) == refused + 1
    response = signed_in(officer).get(reverse("compliance:attachment_download", args=[attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert AuditEvent.objects.filter(action="compliance.policy_attachment_viewed",
                                     object_id=str(attachment.pk)).exists()


def test_files_of_a_published_version_cannot_be_removed(officer: Any, front_desk: Any, signed_in: Any) -> None:
    attachment = PolicyAttachmentFactory(version=published_version())
    with pytest.raises(ValidationError):
        services.attachment_remove(actor=officer, attachment=attachment)
    assert PolicyAttachment.objects.filter(pk=attachment.pk).exists()
    assert signed_in(front_desk).get(reverse("compliance:attachment_download",
                                             args=[attachment.pk])).status_code == 200


# --- review reminders ---------------------------------------------------------------------------------------


def test_owner_is_emailed_30_days_before_review_and_on_the_day(smtp_server: Any, officer: Any) -> None:
    owner = UserFactory(email="owner@example.test")
    due = published_version(owner=owner, title="Device security")
    due.next_review_on = dt.date(2025, 7, 31)
    due.save(update_fields=["next_review_on"])
    assert services.review_reminders_send(today=dt.date(2025, 6, 30)) == 0  # 31 days before
    assert services.review_reminders_send(today=dt.date(2025, 7, 1)) == 1  # 30 days before
    assert services.review_reminders_send(today=dt.date(2025, 7, 1)) == 0  # a second run (or worker): once
    assert services.review_reminders_send(today=dt.date(2025, 7, 2)) == 0
    assert services.review_reminders_send(today=dt.date(2025, 7, 31)) == 1  # the day itself
    assert services.review_reminders_send(today=dt.date(2025, 8, 5)) == 0
    assert [message["To"] for message in smtp_server.messages] == ["owner@example.test"] * 2
    assert "in 30 days" in subject(smtp_server.messages[0])
    assert "due for review today" in subject(smtp_server.messages[1])


def test_a_missed_day_is_caught_up_and_a_refused_send_is_retried(smtp_server: Any, settings: Any,
                                                                  officer: Any) -> None:
    owner = UserFactory(email="owner@example.test")
    due = published_version(owner=owner, title="Fax & email")
    due.next_review_on = dt.date(2025, 7, 31)
    due.save(update_fields=["next_review_on"])
    port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 9  # nobody listens: the claim is released
    assert services.review_reminders_send(today=dt.date(2025, 7, 20)) == 0
    due.refresh_from_db()
    assert due.review_reminders_sent == []
    settings.EMAIL_PORT = port
    assert services.review_reminders_send(today=dt.date(2025, 7, 21)) == 1  # the 30-day one, caught up
    assert services.review_reminders_send(today=dt.date(2025, 8, 3)) == 1  # overdue: the day-0 one
    assert services.review_reminders_send(today=dt.date(2025, 8, 4)) == 0
    assert "“Fax & email” is due for review in 10 days" in subject(smtp_server.messages[0])
    assert "overdue" in subject(smtp_server.messages[1])


def test_review_list_shows_policies_due_within_30_days(officer: Any, signed_in: Any) -> None:
    from openpractice.core.selectors import practice_today

    soon = published_version(title="Soon due")
    soon.next_review_on = practice_today() + dt.timedelta(days=10)
    soon.save(update_fields=["next_review_on"])
    later = published_version(title="Much later")
    later.next_review_on = practice_today() + dt.timedelta(days=90)
    later.save(update_fields=["next_review_on"])
    page = signed_in(officer).get(reverse("compliance:policy_review_due")).content.decode()
    assert "Soon due" in page
    assert "Much later" not in page
