"""The denials worklist and working a denial: grouped by category with the next step, filters, the denial page,
assign / note / appeal (a real PDF letter) / corrected claim / resolve / write off, each audited, refused without
billing.manage (and then nothing changes), and invisible from another location."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.billing.choices import ClaimFrequency, ClaimStatus, DenialCategory, DenialStatus
from openpractice.billing.models import Claim, Denial
from openpractice.billing.selectors import denials as selectors
from openpractice.billing.services import denials as services
from openpractice.billing.views.denials import appeal_letter_pdf
from openpractice.patients.tests.factories import PayerFactory

from .test_receivables_selectors import claim_for, denial_of

TODAY = dt.date(2026, 11, 27)
LIST = "billing:denial_list"


@pytest.fixture
def biller(make_user: Any, north: Any) -> Any:
    return make_user(Role.BILLER, locations=[north], first_name="Dana", last_name="Biller")


@pytest.fixture
def viewer(make_user: Any, north: Any) -> Any:
    """Sees billing at North (billing.view) but may not work denials."""
    return make_user(Role.PRACTICE_MANAGER, Tier.ENTRY, locations=[north])


@pytest.fixture
def payer() -> Any:
    return PayerFactory(name="Acme Health")


@pytest.fixture
def denial(north: Any, biller: Any, payer: Any) -> Denial:
    claim = claim_for(north, biller, payer=payer, status=ClaimStatus.DENIED, amount="180.00", code="99214")
    Claim.objects.filter(pk=claim.pk).update(payer_claim_number="PCN-77", submitted_at=dt.datetime(
        2026, 11, 1, 15, tzinfo=dt.UTC))
    return denial_of(claim, biller, amount="180.00")


def snapshot(denial: Denial) -> tuple[Any, ...]:
    denial.refresh_from_db()
    denial.claim.refresh_from_db()
    return (denial.status, denial.assigned_to_id, denial.note, denial.resolved_at, denial.claim.status)


def denied_events(user: Any) -> int:
    return AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()


def denial_route_samples(world: Any, actor: Any) -> tuple[Denial, Denial]:
    """For tests/test_routes.py ("denial" kind): a denial of a claim at North and one at South, made once."""
    cache: dict[str, tuple[Denial, Denial]] = world.__dict__.setdefault("_denial_samples", {})
    if "denial" not in cache:
        payer = PayerFactory(name="Route Denials Payer")
        made = [denial_of(claim_for(location, world.stranger, payer=payer, status=ClaimStatus.DENIED),
                          world.stranger) for location in (world.north, world.south)]
        cache["denial"] = (made[0], made[1])
    return cache["denial"]


# --- the worklist ----------------------------------------------------------------------------------------------


def test_the_worklist_groups_denials_by_category_with_counts_and_amounts(signed_in: Any, north: Any, biller: Any,
                                                                         payer: Any) -> None:
    for amount in ("100.00", "50.00"):
        denial_of(claim_for(north, biller, payer=payer, status=ClaimStatus.DENIED), biller, amount=amount)
    denial_of(claim_for(north, biller, payer=payer, status=ClaimStatus.DENIED), biller,
              category=DenialCategory.CODING, reasons=("4",), remarks=(), amount="30.00")
    groups = {group.category: group for group in selectors.denial_groups(selectors.denial_list(actor=biller))}
    assert (groups["authorization"].count, groups["authorization"].amount) == (2, Decimal("150.00"))
    assert (groups["coding"].count, groups["coding"].amount) == (1, Decimal("30.00"))
    assert groups["eligibility"].count == 0
    page = signed_in(biller).get(reverse(LIST)).content.decode()
    assert "$150.00" in page
    assert "Find the authorization or referral number" in page  # the next step for an authorization denial
    assert "Compare the procedure codes, modifiers and diagnoses" in page


def test_the_worklist_filters_by_category_payer_status_and_assignee(north: Any, biller: Any, payer: Any,
                                                                    make_user: Any) -> None:
    other_payer = PayerFactory(name="Blue Plan")
    mine = denial_of(claim_for(north, biller, payer=payer, status=ClaimStatus.DENIED), biller)
    services.denial_assign(actor=biller, denial=mine, assignee=biller)
    coding = denial_of(claim_for(north, biller, payer=other_payer, status=ClaimStatus.DENIED), biller,
                       category=DenialCategory.CODING, reasons=("4",), remarks=())
    closed = denial_of(claim_for(north, biller, payer=payer, status=ClaimStatus.DENIED), biller)
    services.denial_close(actor=biller, denial=closed, outcome=DenialStatus.RESOLVED)

    def pks(**filters: Any) -> set[int]:
        return {d.pk for d in selectors.denial_list(actor=biller, **filters)}

    assert pks() == {mine.pk, coding.pk}  # closed denials are not worked any more
    assert pks(status=DenialStatus.RESOLVED) == {closed.pk}
    assert pks(category=DenialCategory.CODING) == {coding.pk}
    assert pks(payer_id=other_payer.pk) == {coding.pk}
    assert pks(assigned=selectors.MINE) == {mine.pk}
    assert pks(assigned=selectors.UNASSIGNED) == {coding.pk}
    assert pks(assigned=str(biller.pk)) == {mine.pk}


def test_the_worklist_shows_only_denials_at_the_persons_locations(signed_in: Any, north: Any, south: Any,
                                                                  biller: Any, payer: Any) -> None:
    here = denial_of(claim_for(north, biller, payer=payer, status=ClaimStatus.DENIED), biller)
    there = denial_of(claim_for(south, biller, payer=payer, status=ClaimStatus.DENIED), biller)
    page = signed_in(biller).get(reverse(LIST)).content.decode()
    assert here.claim.claim_number in page
    assert there.claim.claim_number not in page


def test_the_worklist_runs_the_same_queries_for_more_denials(signed_in: Any, north: Any, biller: Any,
                                                             payer: Any) -> None:
    client = signed_in(biller)
    denial_of(claim_for(north, biller, payer=payer, status=ClaimStatus.DENIED), biller)
    client.get(reverse(LIST))  # warm the session and caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse(LIST)).status_code == 200
    for _ in range(5):
        denial = denial_of(claim_for(north, biller, payer=payer, status=ClaimStatus.DENIED), biller)
        services.denial_assign(actor=biller, denial=denial, assignee=biller)
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse(LIST)).content.decode()
    assert page.count("/billing/denials/") >= 6
    assert len(many) == len(few)


# --- the denial page -------------------------------------------------------------------------------------------


def test_the_denial_page_shows_the_claim_codes_next_step_and_audits_the_patient(signed_in: Any, denial: Denial,
                                                                                biller: Any) -> None:
    response = signed_in(biller).get(denial.get_absolute_url())
    page = response.content.decode()
    assert response.status_code == 200
    assert denial.claim.claim_number in page
    assert "197" in page
    assert "N54" in page
    assert "Find the authorization or referral number" in page
    assert reverse("billing:denial_appeal", args=[denial.pk]) in page
    assert reverse("billing:claim_correct", args=[denial.claim.pk]) in page
    assert AuditEvent.objects.filter(actor=biller, action="patients.viewed",
                                     patient_id=denial.claim.patient_id).exists()


def test_a_denial_at_another_location_is_not_found_and_the_attempt_is_audited(
        signed_in: Any, south: Any, biller: Any, payer: Any, make_user: Any) -> None:
    elsewhere = denial_of(claim_for(south, make_user(Role.BILLER), payer=payer, status=ClaimStatus.DENIED), biller)
    client = signed_in(biller)
    before = snapshot(elsewhere), denied_events(biller)
    assert client.get(elsewhere.get_absolute_url()).status_code == 404
    assert client.post(reverse("billing:denial_note", args=[elsewhere.pk]), {"text": "hi"}).status_code == 404
    assert snapshot(elsewhere) == before[0]
    assert denied_events(biller) == before[1] + 2


def test_someone_who_only_views_billing_sees_the_denial_without_the_actions(signed_in: Any, denial: Denial,
                                                                           viewer: Any) -> None:
    page = signed_in(viewer).get(denial.get_absolute_url()).content.decode()
    assert denial.claim.claim_number in page
    assert reverse("billing:denial_appeal", args=[denial.pk]) not in page
    assert reverse("billing:denial_assign", args=[denial.pk]) not in page


@pytest.mark.parametrize(("route", "data"), [
    ("billing:denial_assign", {"assignee": ""}),
    ("billing:denial_note", {"text": "Called the payer"}),
    ("billing:denial_appeal", {"argument": "The authorization was on file."}),
    ("billing:denial_close", {"outcome": "written_off", "note": "Too small to chase"}),
    ("billing:denial_corrected", {}),
])
def test_working_a_denial_without_billing_manage_is_refused_and_changes_nothing(
        signed_in: Any, denial: Denial, viewer: Any, route: str, data: dict[str, str]) -> None:
    before, denials_before = snapshot(denial), denied_events(viewer)
    response = signed_in(viewer).post(reverse(route, args=[denial.pk]), data)
    assert response.status_code == 404
    assert snapshot(denial) == before
    assert denied_events(viewer) == denials_before + 1


def test_the_services_refuse_someone_without_billing_manage_and_change_nothing(denial: Denial, viewer: Any) -> None:
    before = snapshot(denial)
    actions = [
        lambda: services.denial_assign(actor=viewer, denial=denial, assignee=None),
        lambda: services.denial_note_add(actor=viewer, denial=denial, text="note"),
        lambda: services.denial_appeal(actor=viewer, denial=denial, argument="argument"),
        lambda: services.denial_mark_corrected(actor=viewer, denial=denial),
        lambda: services.denial_close(actor=viewer, denial=denial, outcome=DenialStatus.RESOLVED),
    ]
    for action in actions:
        with pytest.raises(PermissionDenied):
            action()
    assert snapshot(denial) == before
    assert denied_events(viewer) == len(actions)


# --- the actions -----------------------------------------------------------------------------------------------


def test_a_denial_is_assigned_to_someone_who_manages_billing_there(signed_in: Any, denial: Denial, biller: Any,
                                                                   make_user: Any, north: Any) -> None:
    colleague = make_user(Role.BILLER, locations=[north], first_name="Sam", last_name="Colleague")
    response = signed_in(biller).post(reverse("billing:denial_assign", args=[denial.pk]),
                                      {"assignee": str(colleague.pk)})
    assert response.status_code == 302
    denial.refresh_from_db()
    assert denial.assigned_to_id == colleague.pk
    assert AuditEvent.objects.filter(actor=biller, action="billing.denial_assigned",
                                     object_id=str(denial.pk)).exists()


def test_a_denial_cannot_be_given_to_someone_without_billing_manage_at_its_location(
        signed_in: Any, denial: Denial, biller: Any, make_user: Any, south: Any, viewer: Any) -> None:
    elsewhere = make_user(Role.BILLER, locations=[south])
    before = snapshot(denial)
    for person in (elsewhere, viewer):
        signed_in(biller).post(reverse("billing:denial_assign", args=[denial.pk]), {"assignee": str(person.pk)})
        with pytest.raises(ValidationError):
            services.denial_assign(actor=biller, denial=denial, assignee=person)
    assert snapshot(denial) == before


def test_notes_are_added_under_the_earlier_ones_with_the_date_and_the_person(signed_in: Any, denial: Denial,
                                                                             biller: Any) -> None:
    client = signed_in(biller)
    client.post(reverse("billing:denial_note", args=[denial.pk]), {"text": "Called Acme: ref 123."})
    client.post(reverse("billing:denial_note", args=[denial.pk]), {"text": "Faxed the authorization."})
    denial.refresh_from_db()
    assert denial.note.index("Called Acme: ref 123.") < denial.note.index("Faxed the authorization.")
    assert denial.note.count("Dana Biller") == 2
    assert AuditEvent.objects.filter(action="billing.denial_note_added", object_id=str(denial.pk)).count() == 2


def test_an_empty_note_is_refused(signed_in: Any, denial: Denial, biller: Any) -> None:
    before = snapshot(denial)
    response = signed_in(biller).post(reverse("billing:denial_note", args=[denial.pk]), {"text": "  "}, follow=True)
    assert "Write the note." in response.content.decode()
    assert snapshot(denial) == before


def test_an_appeal_marks_denial_and_claim_appealed_and_downloads_the_letter(signed_in: Any, denial: Denial,
                                                                           biller: Any) -> None:
    argument = "The authorization AUTH-5512 was issued on 10/28 and is attached."
    response = signed_in(biller).post(reverse("billing:denial_appeal", args=[denial.pk]), {"argument": argument})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="appeal-{denial.claim.claim_number}.pdf"'
    assert response.content.startswith(b"%PDF")
    status, _assigned, note, _resolved, claim_status = snapshot(denial)
    assert (status, claim_status) == (DenialStatus.APPEALED, ClaimStatus.APPEALED)
    assert argument in note
    assert AuditEvent.objects.filter(actor=biller, action="billing.denial_appealed").exists()
    assert AuditEvent.objects.filter(actor=biller, action="patients.viewed", patient_id=denial.claim.patient_id,
                                     reason__startswith="appeal letter (PDF)").exists()


def test_the_appeal_letter_names_the_payer_patient_claim_numbers_and_codes(rf: Any, denial: Denial, biller: Any,
                                                                           practice: Any) -> None:
    request = rf.get("/")
    request.user = biller
    html = render_to_string(
        "billing/denials/appeal_letter.html", {
            "practice": practice, "location": denial.claim.location, "payer": denial.claim.payer,
            "patient": denial.claim.patient, "coverage": denial.claim.coverage, "claim": denial.claim,
            "denial": denial, "remittance_claim": denial.remittance_claim, "lines": list(denial.claim.lines.all()),
            "argument": "Our <case>", "today": TODAY, "signer": biller})
    for text in (practice.name, "Acme Health", denial.claim.patient.full_name, denial.claim.claim_number, "PCN1",
                 denial.claim.coverage.member_id, "197", "N54", "99214", "Our &lt;case&gt;", "Dana Biller"):
        assert text in html
    assert appeal_letter_pdf(request, denial, "Our case").startswith(b"%PDF")


def test_an_appeal_without_an_argument_is_refused(signed_in: Any, denial: Denial, biller: Any) -> None:
    before = snapshot(denial)
    response = signed_in(biller).post(reverse("billing:denial_appeal", args=[denial.pk]), {"argument": ""})
    assert response.status_code == 400
    assert snapshot(denial) == before


def test_a_second_appeal_adds_its_argument_and_keeps_the_denial_appealed(denial: Denial, biller: Any) -> None:
    services.denial_appeal(actor=biller, denial=denial, argument="First argument.")
    services.denial_appeal(actor=biller, denial=denial, argument="Second-level argument.")
    denial.refresh_from_db()
    assert denial.status == DenialStatus.APPEALED
    assert "First argument." in denial.note
    assert "Second-level argument." in denial.note


def test_the_same_appeal_submitted_twice_is_one_appeal(signed_in: Any, denial: Denial, biller: Any) -> None:
    client = signed_in(biller)
    url = reverse("billing:denial_appeal", args=[denial.pk])
    first = client.post(url, {"argument": "The diagnosis supports medical necessity."})
    denial.refresh_from_db()
    after_first = (denial.status, denial.note)
    events = AuditEvent.objects.filter(action="billing.denial_appealed").count()
    second = client.post(url, {"argument": "The diagnosis supports medical necessity."})
    assert first["Content-Type"] == second["Content-Type"] == "application/pdf"  # the letter again
    denial.refresh_from_db()
    assert (denial.status, denial.note) == after_first
    assert denial.note.count("appeal sent") == 1
    assert AuditEvent.objects.filter(action="billing.denial_appealed").count() == events == 1


def test_writing_off_needs_a_reason_and_records_the_decision(signed_in: Any, denial: Denial, biller: Any) -> None:
    client = signed_in(biller)
    before = snapshot(denial)
    client.post(reverse("billing:denial_close", args=[denial.pk]), {"outcome": "written_off", "note": ""})
    assert snapshot(denial) == before
    client.post(reverse("billing:denial_close", args=[denial.pk]), {"outcome": "written_off",
                                                                    "note": "Timely filing missed, no proof."})
    denial.refresh_from_db()
    assert denial.status == DenialStatus.WRITTEN_OFF
    assert denial.resolved_at is not None
    assert "Timely filing missed, no proof." in denial.note
    assert AuditEvent.objects.filter(actor=biller, action="billing.denial_written_off").exists()


def test_a_closed_denial_cannot_be_worked_any_more(denial: Denial, biller: Any) -> None:
    services.denial_close(actor=biller, denial=denial, outcome=DenialStatus.RESOLVED, note="Paid on appeal.")
    before = snapshot(denial)
    with pytest.raises(ValidationError, match="closed"):
        services.denial_appeal(actor=biller, denial=denial, argument="Again")
    with pytest.raises(ValidationError, match="closed"):
        services.denial_close(actor=biller, denial=denial, outcome=DenialStatus.WRITTEN_OFF, note="x")
    assert snapshot(denial) == before


def test_correcting_the_claim_goes_through_the_corrected_claim_flow_then_marks_the_denial(
        signed_in: Any, denial: Denial, biller: Any) -> None:
    client = signed_in(biller)
    before = snapshot(denial)
    client.post(reverse("billing:denial_corrected", args=[denial.pk]))
    assert snapshot(denial) == before  # no corrected claim yet: nothing to record
    response = client.post(reverse("billing:claim_correct", args=[denial.claim.pk]),
                           {"payer_claim_number": "PCN-77"})
    assert response.status_code == 302
    replacement = Claim.objects.get(original_claim=denial.claim)
    assert replacement.frequency_code == ClaimFrequency.CORRECTED
    page = client.get(denial.get_absolute_url()).content.decode()
    assert replacement.claim_number in page
    client.post(reverse("billing:denial_corrected", args=[denial.pk]))
    denial.refresh_from_db()
    assert denial.status == DenialStatus.CORRECTED
    assert replacement.claim_number in denial.note
    assert AuditEvent.objects.filter(actor=biller, action="billing.denial_corrected").exists()
