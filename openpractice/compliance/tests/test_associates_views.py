"""Business associate pages: the register with its badges and the "flagged only" filter in a flat number of queries,
adding associates (a duplicate name is a clear form error), the agreement workflow with its PDF (checked, then
downloaded with an audit event), and people without the permission getting 404 with nothing changed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.compliance.choices import AgreementStatus
from openpractice.compliance.models import BusinessAssociate, BusinessAssociateAgreement
from openpractice.core.selectors import practice_today

from .route_samples_associates import PDF, make_agreement, make_associate

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "uploads"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def officer(make_user: Callable[..., User]) -> User:
    return make_user(Role.PRIVACY_OFFICER, username="officer")


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    state = {}
    for model in apps.get_app_config("compliance").get_models():
        columns = [f.attname for f in model._meta.concrete_fields]
        state[model._meta.label] = list(model._default_manager.order_by("pk").values_list(*columns))
    return state


def url(name: str, *args: Any) -> str:
    return reverse(f"compliance:{name}", args=args)


def test_the_register_shows_each_standing_and_filters_the_flagged(
        officer: User, signed_in: Callable[[User], Client]) -> None:
    today = practice_today()
    make_associate(created_by=officer, name="AfterHours Answering")
    make_associate(created_by=officer, name="Greenleaf Landscaping", handles_phi=False)
    make_agreement(associate=make_associate(created_by=officer, name="Claimsbridge"),
                   expires_on=today + dt.timedelta(days=400), review_on=today + dt.timedelta(days=200))
    make_agreement(associate=make_associate(created_by=officer, name="Cloud EHR"),
                   review_on=today + dt.timedelta(days=12))
    client = signed_in(officer)
    page = client.get(url("associate_list")).content.decode()
    assert '<span class="badge badge-danger">No BAA — handles PHI</span>' in page
    assert "Covered (until" in page
    assert '<span class="badge badge-warn">Review due</span>' in page
    assert "No PHI: no BAA needed" in page
    assert "1 handles PHI without a BAA" in page
    flagged = client.get(url("associate_list"), {"flagged": "1"})
    assert [row.name for row in flagged.context["table"].page.object_list] == ["AfterHours Answering"]
    sorted_rows = client.get(url("associate_list"), {"sort": "standing"}).context["table"].page.object_list
    assert [row.standing for row in sorted_rows] == ["covered", "flagged", "not_needed", "review_due"]


@pytest.mark.parametrize("flagged", ["", "1"], ids=["all", "flagged-only"])
def test_the_register_costs_the_same_for_2_or_10_associates(
        officer: User, signed_in: Callable[[User], Client], flagged: str) -> None:
    client = signed_in(officer)

    def add(count: int) -> None:
        for number in range(count):
            associate = make_associate(created_by=officer)
            if number % 2:
                make_agreement(associate=associate, review_on=practice_today() + dt.timedelta(days=number))
            make_agreement(associate=associate, status=AgreementStatus.DRAFT, effective_on=None)

    add(2)
    client.get(url("associate_list"), {"flagged": flagged})  # warm caches (grants, practice settings)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url("associate_list"), {"flagged": flagged}).status_code == 200
    add(8)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url("associate_list"), {"flagged": flagged})
    assert len(response.context["table"].page.object_list) == (10 if not flagged else 5)
    assert len(many) == len(few)


def test_adding_an_associate_and_a_duplicate_name(officer: User, signed_in: Callable[[User], Client]) -> None:
    client = signed_in(officer)
    response = client.post(url("associate_create"), {
        "name": "Triangle SecureShred", "services": "Shredding", "handles_phi": "on", "is_active": "on",
        "contact_email": "service@shred.example"})
    associate = BusinessAssociate.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("associate_detail", associate.pk)
    assert associate.handles_phi
    assert associate.created_by == officer
    duplicate = client.post(url("associate_create"), {"name": "triangle secureshred", "services": "Shredding"})
    assert duplicate.status_code == 400
    assert duplicate.context["form"].errors["name"] == ["“Triangle SecureShred” is already in the register."]
    assert BusinessAssociate.objects.count() == 1
    detail = client.get(url("associate_detail", associate.pk))
    assert detail.status_code == 200
    assert "No BAA — handles PHI" in detail.content.decode()


def test_the_agreement_workflow_through_the_pages(officer: User, signed_in: Callable[[User], Client],
                                                  media: Path) -> None:
    client = signed_in(officer)
    today = practice_today()
    associate = make_associate(created_by=officer, name="Cloud EHR")
    response = client.post(url("associate_agreement_new", associate.pk), {"notes": "Their template."})
    agreement = BusinessAssociateAgreement.objects.get()
    assert response["Location"] == url("agreement_detail", agreement.pk)
    assert agreement.status == AgreementStatus.DRAFT

    png = SimpleUploadedFile("baa.pdf", b"\x89PNG\r\n\x1a\n0000", content_type="application/pdf")
    refused = client.post(url("agreement_activate", agreement.pk), {
        "signed_on": today.isoformat(), "effective_on": today.isoformat(), "document": png})
    assert refused.status_code == 400
    assert refused.context["form"].errors["document"] == ["Upload the signed agreement as a PDF file."]
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.DRAFT
    assert not agreement.document

    pdf = SimpleUploadedFile("signed.pdf", PDF, content_type="application/pdf")
    done = client.post(url("agreement_activate", agreement.pk), {
        "signed_on": today.isoformat(), "effective_on": today.isoformat(), "document": pdf})
    assert done.status_code == 302
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.ACTIVE
    # The page of an action the status closes still opens, and says why.
    closed = client.get(url("agreement_activate", agreement.pk))
    assert closed.status_code == 200
    assert "Only a draft can be put in force." in closed.content.decode()

    download = client.get(url("agreement_document", agreement.pk))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"
    assert f'filename="baa-{associate.pk}-{agreement.pk}.pdf"' in download["Content-Disposition"]
    assert AuditEvent.objects.filter(action="compliance.agreement_document_viewed", actor=officer,
                                     object_id=str(agreement.pk)).count() == 1

    ended = client.post(url("agreement_terminate", agreement.pk), {"terminated_on": today.isoformat(),
                                                                   "reason": "Switched vendors."})
    assert ended.status_code == 302
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.TERMINATED
    assert agreement.notes.endswith(f"Terminated on {today.isoformat()}: Switched vendors.")


@pytest.mark.parametrize(("role", "tier"), [(Role.FRONT_DESK, Tier.STANDARD), (Role.HR, Tier.STANDARD)],
                         ids=["front-desk", "hr"])
def test_people_without_the_permission_get_404_and_change_nothing(
        officer: User, make_user: Callable[..., User], signed_in: Callable[[User], Client], media: Path,
        role: str, tier: str) -> None:
    associate = make_associate(created_by=officer)
    agreement = make_agreement(associate=associate, document=PDF)
    draft = make_agreement(associate=make_associate(created_by=officer), status=AgreementStatus.DRAFT)
    user = make_user(role, tier)
    client = signed_in(user)
    today = practice_today().isoformat()
    posts = [
        (url("associate_create"), {"name": "Sneaky", "services": "x"}),
        (url("associate_edit", associate.pk), {"name": "Renamed", "services": "x"}),
        (url("associate_agreement_new", associate.pk), {"notes": "x"}),
        (url("agreement_edit", draft.pk), {"notes": "x"}),
        (url("agreement_activate", draft.pk), {"signed_on": today, "effective_on": today}),
        (url("agreement_terminate", agreement.pk), {"terminated_on": today, "reason": "x"}),
        (url("agreement_upload", agreement.pk),
         {"document": SimpleUploadedFile("x.pdf", PDF, content_type="application/pdf")}),
    ]
    files = sorted(media.rglob("*"))
    before = snapshot()
    denials = AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()
    for target, data in posts:
        assert client.post(target, data).status_code == 404, target
    assert snapshot() == before
    assert sorted(media.rglob("*")) == files
    assert AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count() == denials + len(posts)
    # HR holds compliance.view and reads the register; the front desk does not.
    reads = [url("associate_list"), url("associate_detail", associate.pk), url("agreement_detail", agreement.pk),
             url("agreement_document", agreement.pk)]
    expected = 200 if role == Role.HR else 404
    assert [client.get(target).status_code for target in reads] == [expected] * len(reads)
    assert snapshot() == before
