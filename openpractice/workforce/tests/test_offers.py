"""Offers: drafting (stage, dates, pay range with confirmation, one live offer), editing drafts, extending (stage
move, letter emailed as a PDF through SMTP after commit), answers, withdrawal, the letter, and the denials
(which change nothing and are audited)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.core.selectors import practice_today
from openpractice.workforce.choices import ApplicantStage, OfferStatus
from openpractice.workforce.models import ApplicantStageChange, Offer
from openpractice.workforce.selectors.offers import applicant_offer_panel
from openpractice.workforce.services import offers as services

from .route_samples_offers import interviewing_applicant, make_offer

pytestmark = pytest.mark.django_db


def _terms(**changes: Any) -> dict[str, Any]:
    today = practice_today()
    data: dict[str, Any] = {
        "start_date": today + dt.timedelta(days=21), "pay_basis": "annual", "pay_amount": "48000.00",
        "employment_type": "full_time", "flsa_status": "exempt", "expires_on": today + dt.timedelta(days=5),
        "terms": "Background check required.",
    }
    data.update(changes)
    return data


@pytest.fixture
def hr_north(make_user: Any, north: Any) -> Any:
    return make_user(Role.HR, locations=[north], username="hr-north")


def _denied(action: str) -> int:
    return AuditEvent.objects.filter(action=action, outcome="denied").count()


# --- drafting ------------------------------------------------------------------------------------------------


def test_a_draft_offer_for_an_interviewed_applicant_is_saved_and_audited(hr_north: Any, north: Any) -> None:
    applicant = interviewing_applicant(north)
    offer = services.offer_create(actor=hr_north, applicant=applicant, data=_terms())
    assert (offer.status, offer.pay_amount, offer.created_by) == (OfferStatus.DRAFT, Decimal("48000.00"), hr_north)
    event = AuditEvent.objects.get(action="workforce.offer_created")
    assert (event.object_id, event.location_id) == (str(offer.pk), north.pk)
    assert "pay_amount" in event.changed_fields


@pytest.mark.parametrize("stage", [ApplicantStage.APPLIED, ApplicantStage.SCREENING, ApplicantStage.REJECTED])
def test_no_offer_before_the_interview_stage(hr_north: Any, north: Any, stage: str) -> None:
    applicant = interviewing_applicant(north, stage=stage)
    with pytest.raises(ValidationError, match="interview or offer stage"):
        services.offer_create(actor=hr_north, applicant=applicant, data=_terms())
    assert not Offer.objects.exists()


def test_dates_are_checked(hr_north: Any, north: Any) -> None:
    applicant = interviewing_applicant(north)
    today = practice_today()
    with pytest.raises(ValidationError) as past:
        services.offer_create(actor=hr_north, applicant=applicant, data=_terms(start_date=today - dt.timedelta(days=1)))
    assert "start_date" in past.value.message_dict
    with pytest.raises(ValidationError) as late:
        services.offer_create(actor=hr_north, applicant=applicant,
                              data=_terms(expires_on=today + dt.timedelta(days=30)))
    assert "answer is due before the start date" in late.value.message_dict["expires_on"][0]
    with pytest.raises(ValidationError) as bad_pay:
        services.offer_create(actor=hr_north, applicant=applicant, data=_terms(pay_amount="48,000"))
    assert "pay_amount" in bad_pay.value.message_dict
    assert not Offer.objects.exists()


def test_pay_outside_the_range_needs_a_confirmation(hr_north: Any, north: Any) -> None:
    applicant = interviewing_applicant(north)  # the requisition's range: 42,000 – 55,000 a year
    with pytest.raises(services.PayOutsideRange, match="outside the range"):
        services.offer_create(actor=hr_north, applicant=applicant, data=_terms(pay_amount="60000.00"))
    assert not Offer.objects.exists()
    # An hourly offer is compared at 2,080 hours a year: 19.00 an hour is 39,520 a year, below the range.
    with pytest.raises(services.PayOutsideRange):
        services.offer_create(actor=hr_north, applicant=applicant, data=_terms(pay_basis="hourly", pay_amount="19.00"))
    offer = services.offer_create(actor=hr_north, applicant=applicant, data=_terms(pay_amount="60000.00"),
                                  confirm_out_of_range=True)
    assert offer.pay_amount == Decimal("60000.00")
    assert AuditEvent.objects.get(action="workforce.offer_created").reason == "pay outside the range, confirmed"


def test_the_position_range_applies_when_the_requisition_has_none(hr_north: Any, north: Any) -> None:
    applicant = interviewing_applicant(north)
    applicant.requisition.__class__.objects.filter(pk=applicant.requisition_id).update(pay_min=None, pay_max=None)
    applicant.refresh_from_db()
    # The position's range is 40,000 – 60,000: 58,000 is inside it (outside the requisition's old one).
    offer = services.offer_create(actor=hr_north, applicant=applicant, data=_terms(pay_amount="58000.00"))
    assert offer.pk


def test_one_live_offer_per_applicant(hr_north: Any, north: Any) -> None:
    applicant = interviewing_applicant(north)
    services.offer_create(actor=hr_north, applicant=applicant, data=_terms())
    with pytest.raises(ValidationError, match="already has an offer in progress"):
        services.offer_create(actor=hr_north, applicant=applicant, data=_terms())
    assert Offer.objects.count() == 1


def test_a_draft_can_be_edited_and_nothing_else(hr_north: Any, north: Any) -> None:
    offer = make_offer(interviewing_applicant(north))
    services.offer_update(actor=hr_north, offer=offer, data={"pay_amount": "51000.00", "terms": "Four-day week."})
    offer.refresh_from_db()
    assert (offer.pay_amount, offer.terms) == (Decimal("51000.00"), "Four-day week.")
    assert AuditEvent.objects.get(action="workforce.offer_updated").changed_fields == "pay_amount,terms"
    extended = make_offer(interviewing_applicant(north, stage=ApplicantStage.OFFER), status=OfferStatus.EXTENDED)
    with pytest.raises(ValidationError, match="Only a draft"):
        services.offer_update(actor=hr_north, offer=extended, data={"pay_amount": "52000.00"})
    extended.refresh_from_db()
    assert extended.pay_amount == Decimal("50000.00")


# --- extending, answers, withdrawal --------------------------------------------------------------------------


def test_extending_moves_the_applicant_to_the_offer_stage(hr_north: Any, north: Any) -> None:
    applicant = interviewing_applicant(north)
    offer = make_offer(applicant)
    services.offer_extend(actor=hr_north, offer=offer)
    offer.refresh_from_db()
    applicant.refresh_from_db()
    assert offer.status == OfferStatus.EXTENDED
    assert offer.extended_at is not None
    assert applicant.stage == ApplicantStage.OFFER
    assert ApplicantStageChange.objects.filter(applicant=applicant, from_stage="interview", to_stage="offer").exists()
    assert AuditEvent.objects.filter(action="workforce.offer_extended", object_id=str(offer.pk)).exists()
    with pytest.raises(ValidationError, match="Only a draft"):
        services.offer_extend(actor=hr_north, offer=offer)


def test_extending_with_the_letter_emails_the_pdf_after_commit(hr_north: Any, north: Any, smtp_server: Any,
                                                               django_capture_on_commit_callbacks: Any) -> None:
    applicant = interviewing_applicant(north, first_name="Avery", last_name="Quinn", email="avery@applicant.example")
    offer = make_offer(applicant)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.offer_extend(actor=hr_north, offer=offer, send_letter=True)
    assert smtp_server.messages == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == "avery@applicant.example"
    assert "Your offer from Riverbend Family Medicine" in message["Subject"]
    attachments = [part for part in message.walk() if part.get_content_type() == "application/pdf"]
    assert len(attachments) == 1
    pdf = attachments[0].get_payload(decode=True)
    assert pdf.startswith(b"%PDF")
    assert len(pdf) > 1000
    assert attachments[0].get_filename() == f"offer-{offer.pk}-quinn.pdf"
    assert AuditEvent.objects.filter(action="workforce.offer_letter_emailed", object_id=str(offer.pk)).exists()


def test_the_letter_cannot_be_emailed_without_an_address(hr_north: Any, north: Any) -> None:
    applicant = interviewing_applicant(north, email="")
    offer = make_offer(applicant)
    with pytest.raises(ValidationError, match="no email address"):
        services.offer_extend(actor=hr_north, offer=offer, send_letter=True)
    offer.refresh_from_db()
    applicant.refresh_from_db()
    assert (offer.status, applicant.stage) == (OfferStatus.DRAFT, ApplicantStage.INTERVIEW)


def test_a_decline_is_recorded_and_moves_nothing(hr_north: Any, north: Any) -> None:
    applicant = interviewing_applicant(north, stage=ApplicantStage.OFFER)
    offer = make_offer(applicant, status=OfferStatus.EXTENDED)
    services.offer_record_answer(actor=hr_north, offer=offer, accepted=False)
    offer.refresh_from_db()
    applicant.refresh_from_db()
    assert (offer.status, applicant.stage) == (OfferStatus.DECLINED, ApplicantStage.OFFER)
    assert offer.responded_at is not None
    # The applicant may get another offer now that none is live.
    assert services.offer_create(actor=hr_north, applicant=applicant, data=_terms()).status == OfferStatus.DRAFT


def test_an_acceptance_is_recorded_once(hr_north: Any, north: Any) -> None:
    offer = make_offer(interviewing_applicant(north, stage=ApplicantStage.OFFER), status=OfferStatus.EXTENDED)
    services.offer_record_answer(actor=hr_north, offer=offer, accepted=True)
    offer.refresh_from_db()
    assert offer.status == OfferStatus.ACCEPTED
    with pytest.raises(ValidationError, match="Only an extended offer"):
        services.offer_record_answer(actor=hr_north, offer=offer, accepted=False)
    assert AuditEvent.objects.filter(action="workforce.offer_answered").count() == 1


def test_withdrawing_frees_the_applicant_for_another_offer(hr_north: Any, north: Any) -> None:
    applicant = interviewing_applicant(north)
    offer = make_offer(applicant)
    services.offer_withdraw(actor=hr_north, offer=offer, reason="Position frozen")
    offer.refresh_from_db()
    assert offer.status == OfferStatus.WITHDRAWN
    assert AuditEvent.objects.get(action="workforce.offer_withdrawn").reason == "Position frozen"
    with pytest.raises(ValidationError, match="no longer open"):
        services.offer_withdraw(actor=hr_north, offer=offer)


# --- the letter ----------------------------------------------------------------------------------------------


def test_the_letter_shows_every_term(north: Any) -> None:
    applicant = interviewing_applicant(north, first_name="Avery", last_name="Quinn")
    offer = make_offer(applicant, pay_basis="hourly", pay_amount=Decimal("21.75"), flsa_status="non_exempt",
                       terms="Uniform allowance.")
    html = services.offer_letter_html(offer)
    for text in ("Riverbend Family Medicine", "100 Main Street", "Avery Quinn", applicant.requisition.position.title,
                 "North Clinic", north.address_line1, offer.start_date.strftime("%B"), "$21.75 an hour",
                 "Full time", "Non-exempt", "Uniform allowance.", offer.expires_on.strftime("%B"),
                 "signature and date"):
        assert text in html, text


def test_the_letter_download_is_a_pdf_and_audited(hr_north: Any, north: Any, signed_in: Any) -> None:
    offer = make_offer(interviewing_applicant(north))
    response = signed_in(hr_north).get(reverse("workforce:offer_letter", args=[offer.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response.content.startswith(b"%PDF")
    assert len(response.content) > 1000
    assert AuditEvent.objects.filter(action="workforce.offer_letter_viewed", object_id=str(offer.pk),
                                     actor=hr_north).count() == 1


# --- pages ---------------------------------------------------------------------------------------------------


def test_making_an_offer_through_the_page_asks_to_confirm_pay_outside_the_range(hr_north: Any, north: Any,
                                                                                signed_in: Any) -> None:
    applicant = interviewing_applicant(north)
    client = signed_in(hr_north)
    url = reverse("workforce:applicant_offer_create", args=[applicant.pk])
    assert client.get(url).status_code == 200
    form = {key: (value.isoformat() if isinstance(value, dt.date) else value)
            for key, value in _terms(pay_amount="70000.00").items()}
    warned = client.post(url, form)
    assert warned.status_code == 400
    assert "outside the range" in warned.content.decode()
    assert 'type="checkbox" name="confirm_out_of_range"' in warned.content.decode()
    assert not Offer.objects.exists()
    saved = client.post(url, {**form, "confirm_out_of_range": "on"})
    offer = Offer.objects.get()
    assert saved.status_code == 302
    assert saved["Location"] == reverse("workforce:offer_detail", args=[offer.pk])
    page = client.get(saved["Location"]).content.decode()
    assert "70000.00" in page
    assert "Extend the offer" in page


def test_the_offer_pages_extend_and_record_the_answer(hr_north: Any, north: Any, signed_in: Any) -> None:
    applicant = interviewing_applicant(north)
    offer = make_offer(applicant)
    client = signed_in(hr_north)
    assert client.post(reverse("workforce:offer_extend", args=[offer.pk])).status_code == 302
    assert client.post(reverse("workforce:offer_answer", args=[offer.pk]), {"answer": "accepted"}).status_code == 302
    offer.refresh_from_db()
    assert offer.status == OfferStatus.ACCEPTED
    assert "Hire" in client.get(reverse("workforce:offer_detail", args=[offer.pk])).content.decode()
    assert client.get(reverse("workforce:offer_list")).status_code == 200


def test_the_applicant_panel_shows_offers_only_to_hiring_staff(hr_north: Any, make_user: Any, north: Any) -> None:
    applicant = interviewing_applicant(north)
    panel = applicant_offer_panel(actor=hr_north, applicant=applicant)
    assert panel["offer_visible"]
    assert panel["offer_can_make"]
    assert panel["offer_list"] == []
    offer = make_offer(applicant)
    panel = applicant_offer_panel(actor=hr_north, applicant=applicant)
    assert (panel["offer_live"], panel["offer_can_make"], panel["offer_can_hire"]) == (offer, False, False)
    assert all(key.startswith("offer_") for key in panel)
    scheduler = make_user(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north], username="om-entry")
    assert applicant_offer_panel(actor=scheduler, applicant=applicant) == {"offer_visible": False}


# --- denials: nothing changes, the refusal is audited ---------------------------------------------------------


def test_an_entry_office_manager_cannot_make_an_offer(make_user: Any, north: Any, signed_in: Any) -> None:
    applicant = interviewing_applicant(north)
    om_entry = make_user(Role.OFFICE_MANAGER, Tier.ENTRY, locations=[north], username="om-entry")
    form = {key: (value.isoformat() if isinstance(value, dt.date) else value) for key, value in _terms().items()}
    response = signed_in(om_entry).post(reverse("workforce:applicant_offer_create", args=[applicant.pk]), form)
    assert response.status_code == 404
    assert AuditEvent.objects.filter(action="access.denied", actor=om_entry, outcome="denied").count() == 1
    with pytest.raises(PermissionDenied):
        services.offer_create(actor=om_entry, applicant=applicant, data=_terms())
    assert _denied("workforce.offer_create") == 1
    assert not Offer.objects.exists()
    applicant.refresh_from_db()
    assert applicant.stage == ApplicantStage.INTERVIEW


def test_north_hiring_staff_cannot_touch_a_south_offer(hr_north: Any, south: Any, signed_in: Any) -> None:
    applicant = interviewing_applicant(south)
    offer = make_offer(applicant)
    client = signed_in(hr_north)
    for name, method, data in (("offer_detail", "get", {}), ("offer_letter", "get", {}),
                               ("offer_extend", "post", {"send_letter": "on"}),
                               ("offer_withdraw", "post", {}), ("offer_edit", "post", _terms())):
        response = getattr(client, method)(reverse(f"workforce:{name}", args=[offer.pk]), data)
        assert response.status_code == 404, name
    assert AuditEvent.objects.filter(action="access.denied", actor=hr_north, object_id=str(offer.pk)).count() == 5
    with pytest.raises(PermissionDenied):
        services.offer_extend(actor=hr_north, offer=offer)
    assert _denied("workforce.offer_extend") == 1
    offer.refresh_from_db()
    applicant.refresh_from_db()
    assert (offer.status, offer.extended_at, applicant.stage) == (OfferStatus.DRAFT, None, ApplicantStage.INTERVIEW)
    assert not AuditEvent.objects.filter(action__in=["workforce.offer_letter_viewed", "workforce.offer_extended"]).exists()


def test_a_biller_cannot_download_a_letter(make_user: Any, north: Any, signed_in: Any) -> None:
    offer = make_offer(interviewing_applicant(north))
    biller = make_user(Role.BILLER, username="biller")
    response = signed_in(biller).get(reverse("workforce:offer_letter", args=[offer.pk]))
    assert response.status_code == 404
    assert AuditEvent.objects.filter(action="access.denied", actor=biller).count() == 1
    with pytest.raises(PermissionDenied):
        services.offer_letter_pdf(actor=biller, offer=offer)
    assert _denied("workforce.offer_letter_view") == 1
    assert not AuditEvent.objects.filter(action="workforce.offer_letter_viewed").exists()


def test_editing_a_non_draft_says_why_instead_of_the_form(hr_north: Any, north: Any, signed_in: Any) -> None:
    offer = make_offer(interviewing_applicant(north, stage=ApplicantStage.OFFER), status=OfferStatus.EXTENDED)
    client = signed_in(hr_north)
    page = client.get(reverse("workforce:offer_edit", args=[offer.pk]))
    assert page.status_code == 200
    assert "Only a draft offer can be edited" in page.content.decode()
    hire = client.get(reverse("workforce:offer_hire", args=[offer.pk]))
    assert "Only an accepted offer" in hire.content.decode()
    client.post(reverse("workforce:offer_edit", args=[offer.pk]), {"pay_amount": "1.00"})
    offer.refresh_from_db()
    assert offer.pay_amount == Decimal("50000.00")


def test_the_applicant_page_offers_to_make_an_offer(hr_north: Any, north: Any, signed_in: Any) -> None:
    applicant = interviewing_applicant(north)
    client = signed_in(hr_north)
    page = client.get(reverse("workforce:applicant_detail", args=[applicant.pk])).content.decode()
    assert reverse("workforce:applicant_offer_create", args=[applicant.pk]) in page
    offer = make_offer(applicant)
    page = client.get(reverse("workforce:applicant_detail", args=[applicant.pk])).content.decode()
    assert reverse("workforce:offer_detail", args=[offer.pk]) in page
    assert reverse("workforce:applicant_offer_create", args=[applicant.pk]) not in page
