"""The batch pages: list, build, detail, download, submit and discard, with their permissions and scope."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.billing.models import BatchSubmission, BillingSettings, Claim, ClaimBatch
from openpractice.billing.services.batches import batch_build
from openpractice.billing.tests.x12_support import ready_claim, ready_practice
from openpractice.billing.transports import batch_file_path, validation_path
from openpractice.core.models import Location, Practice
from openpractice.patients.tests.factories import PayerFactory


@pytest.fixture(autouse=True)
def data_dir(settings: Any, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path
    return tmp_path


@pytest.fixture
def billing(practice: Practice) -> BillingSettings:
    return ready_practice(practice)


@pytest.fixture
def biller(make_user: Callable[..., User]) -> User:
    return make_user(Role.BILLER, username="biller")


def _built(actor: User) -> ClaimBatch:
    batch = batch_build(actor=actor)
    assert batch is not None
    return batch


def _state() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], int]:
    return (list(ClaimBatch.objects.order_by("pk").values_list("pk", "status", "claim_count")),
            list(Claim.objects.order_by("pk").values_list("pk", "status", "batch_id")),
            BatchSubmission.objects.count())


def test_the_batch_list_shows_batches_with_a_constant_number_of_queries(
    billing: BillingSettings, north: Location, biller: User, signed_in: Callable[[User], Client],
) -> None:
    client = signed_in(biller)
    url = reverse("billing:batch_list")

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured.captured_queries)

    payer = PayerFactory(name="Blue Ridge Health")
    ready_claim(north, biller, payer=payer)
    assert batch_build(actor=biller, payer=payer) is not None
    one = count()
    for _ in range(4):
        ready_claim(north, biller)
        _built(biller)
    assert count() == one
    response = client.get(url)
    assert len(re.findall(rb'href="/billing/batches/\d+/"', response.content)) == 5
    assert "Blue Ridge Health" in response.content.decode()
    assert b"Build a batch" in response.content


def test_building_from_the_form_shows_the_ready_claims_per_payer_and_opens_the_new_batch(
    billing: BillingSettings, north: Location, biller: User, signed_in: Callable[[User], Client],
) -> None:
    payer = PayerFactory(name="Blue Ridge Health", payer_id="BRH01")
    ready_claim(north, biller, payer=payer)
    ready_claim(north, biller, payer=payer)
    ready_claim(north, biller)
    client = signed_in(biller)
    page = client.get(reverse("billing:batch_create")).content.decode()
    assert "Blue Ridge Health (BRH01) — 2 ready claim(s), $250.00" in page
    assert "all 3 claims" in page
    response = client.post(reverse("billing:batch_create"), {"payer": payer.pk, "validate": "on"})
    batch = ClaimBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == batch.get_absolute_url()
    assert batch.payer == payer
    assert batch.claim_count == 2
    detail = client.get(batch.get_absolute_url()).content.decode()
    assert "Valid" in detail
    assert "005010X222A1" in detail
    assert len(re.findall(r'href="/billing/claims/\d+/"', detail)) == 2


def test_building_when_nothing_is_ready_says_so(billing: BillingSettings, biller: User,
                                                signed_in: Callable[[User], Client]) -> None:
    response = signed_in(biller).post(reverse("billing:batch_create"), {}, follow=True)
    assert "No claims are ready to send" in response.content.decode()
    assert not ClaimBatch.objects.exists()


def test_building_without_billing_settings_shows_the_reason_on_the_form(
    practice: Practice, north: Location, biller: User, signed_in: Callable[[User], Client],
) -> None:
    ready_claim(north, biller)
    response = signed_in(biller).post(reverse("billing:batch_create"), {})
    assert response.status_code == 400
    assert "Billing settings are missing" in response.content.decode()


def test_the_detail_page_is_audited_and_shows_the_validation_errors(
    billing: BillingSettings, north: Location, biller: User, signed_in: Callable[[User], Client],
) -> None:
    from openpractice.billing.x12.validate import X12Validation

    ready_claim(north, biller)
    batch = _built(biller)
    X12Validation(ok=False, errors=["segment NM1 in loop 2010BA (segment 15 of the file): bad"]).save(
        validation_path(batch))
    page = signed_in(biller).get(batch.get_absolute_url()).content.decode()
    assert "segment NM1 in loop 2010BA (segment 15 of the file): bad" in page
    assert AuditEvent.objects.filter(action="billing.batch_viewed", actor=biller, object_id=str(batch.pk)).count() == 1


def test_the_detail_page_audits_each_patient_it_shows_once_and_only_those_of_the_page(
    billing: BillingSettings, north: Location, south: Location, biller: User, signed_in: Callable[[User], Client],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from openpractice.billing.views import batches as views

    monkeypatch.setattr(views, "CLAIMS_PER_PAGE", 2)
    first = ready_claim(north, biller)
    ready_claim(south, biller, coverage=first.coverage)  # the same patient, seen at South too
    third = ready_claim(north, biller)
    batch = _built(biller)
    client = signed_in(biller)
    client.get(batch.get_absolute_url())
    viewed = AuditEvent.objects.filter(action="billing.batch_viewed", object_id=str(batch.pk))
    assert [(event.patient_id, event.location_id) for event in viewed] == [(first.patient_id, north.pk)]
    client.get(batch.get_absolute_url() + "?page=2")
    assert [(event.patient_id, event.location_id) for event in viewed.order_by("pk")] == [
        (first.patient_id, north.pk), (third.patient_id, north.pk)]


def test_downloading_streams_the_file_and_is_audited_as_an_export(
    billing: BillingSettings, north: Location, biller: User, signed_in: Callable[[User], Client],
) -> None:
    ready_claim(north, biller)
    batch = _built(biller)
    response = signed_in(biller).get(reverse("billing:batch_download", args=[batch.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{batch.file_name}"'
    assert response["Cache-Control"] == "no-store"
    assert b"".join(response.streaming_content) == batch_file_path(batch).read_bytes()
    [event] = AuditEvent.objects.filter(action="billing.batch_exported")
    assert event.actor_id == biller.pk
    assert event.object_id == str(batch.pk)


def test_a_download_is_audited_for_every_patient_in_the_file_even_one_whose_claim_was_sent_again_since(
    billing: BillingSettings, north: Location, south: Location, biller: User, signed_in: Callable[[User], Client],
) -> None:
    from openpractice.billing.services.batches import batch_submit

    resent, stays = ready_claim(north, biller), ready_claim(south, biller)
    batch = _built(biller)
    batch_submit(actor=biller, batch=batch)
    Claim.objects.filter(pk=resent.pk).update(status="ready")  # rejected, fixed, ready again …
    assert _built(biller).pk != batch.pk  # … and in a new batch now
    response = signed_in(biller).get(reverse("billing:batch_download", args=[batch.pk]))
    assert response.status_code == 200
    exported = AuditEvent.objects.filter(action="billing.batch_exported", object_id=str(batch.pk))
    assert sorted((event.patient_id, event.location_id) for event in exported) == sorted(
        [(resent.patient_id, north.pk), (stays.patient_id, south.pk)])
    assert all("sha256" in event.reason and "1 claim(s)" in event.reason for event in exported)


def test_building_tells_which_claims_the_837p_could_not_carry_and_held(
    billing: BillingSettings, north: Location, biller: User, signed_in: Callable[[User], Client],
) -> None:
    ready_claim(north, biller)
    paper = ready_claim(north, biller, payer=PayerFactory(name="Paper Only", payer_id=""))
    response = signed_in(biller).post(reverse("billing:batch_create"), {}, follow=True)
    page = response.content.decode()
    assert "built with 1 claim(s)" in page
    assert f"The 837P cannot carry 1 claim(s) ({paper.claim_number})" in page
    assert Claim.objects.get(pk=paper.pk).status == "held"


def test_submitting_and_discarding_from_the_page(billing: BillingSettings, north: Location, biller: User,
                                                signed_in: Callable[[User], Client], data_dir: Path) -> None:
    client = signed_in(biller)
    ready_claim(north, biller)
    batch = _built(biller)
    response = client.post(reverse("billing:batch_submit", args=[batch.pk]), follow=True)
    assert "Batch submitted" in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == "submitted"
    assert (data_dir / "x12" / "outbox" / batch.file_name).exists()
    assert "Delivered" in response.content.decode()
    refused = client.post(reverse("billing:batch_discard", args=[batch.pk]), follow=True)
    assert "cannot be discarded" in refused.content.decode()
    ready_claim(north, biller)
    second = _built(biller)
    response = client.post(reverse("billing:batch_discard", args=[second.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("billing:batch_list")
    assert ClaimBatch.objects.get(pk=second.pk).status == "discarded"
    page = client.get(second.get_absolute_url()).content.decode()
    assert "This batch was discarded before it was sent" in page
    assert f'action="{reverse("billing:batch_submit", args=[second.pk])}"' not in page
    assert f'action="{reverse("billing:batch_discard", args=[second.pk])}"' not in page


def test_a_discarded_batch_stays_visible_to_the_person_who_built_it_and_to_no_other_location(
    billing: BillingSettings, north: Location, south: Location, make_user: Callable[..., User],
    signed_in: Callable[[User], Client],
) -> None:
    north_biller = make_user(Role.BILLER, locations=[north], username="north-biller")
    south_biller = make_user(Role.BILLER, locations=[south], username="south-biller")
    ready_claim(north, north_biller)
    batch = _built(north_biller)
    client = signed_in(north_biller)
    client.post(reverse("billing:batch_discard", args=[batch.pk]))
    assert batch.get_absolute_url() in client.get(reverse("billing:batch_list")).content.decode()
    assert client.get(batch.get_absolute_url()).status_code == 200
    assert signed_in(south_biller).get(batch.get_absolute_url()).status_code == 404


@pytest.mark.parametrize(("role", "tier"), [(Role.FRONT_DESK, Tier.STANDARD),
                                            (Role.PRACTICE_MANAGER, Tier.ENTRY)])
def test_people_without_billing_manage_cannot_build_submit_discard_or_download(
    billing: BillingSettings, north: Location, biller: User, make_user: Callable[..., User],
    signed_in: Callable[[User], Client], role: str, tier: str,
) -> None:
    ready_claim(north, biller)
    batch = _built(biller)
    ready_claim(north, biller)
    someone = make_user(role, tier, username="someone")
    client = signed_in(someone)
    before = _state()
    for method, url in (("post", reverse("billing:batch_create")),
                        ("post", reverse("billing:batch_submit", args=[batch.pk])),
                        ("post", reverse("billing:batch_discard", args=[batch.pk])),
                        ("get", reverse("billing:batch_download", args=[batch.pk]))):
        assert getattr(client, method)(url).status_code == 404, url
    assert _state() == before
    assert AuditEvent.objects.filter(actor=someone, outcome="denied").count() == 4
    assert not AuditEvent.objects.filter(action="billing.batch_exported").exists()


def test_a_batch_with_a_claim_outside_the_users_locations_is_not_found_and_the_attempt_is_audited(
    billing: BillingSettings, north: Location, south: Location, biller: User, make_user: Callable[..., User],
    signed_in: Callable[[User], Client],
) -> None:
    ready_claim(north, biller)
    ready_claim(south, biller)
    mixed = _built(biller)
    ready_claim(north, biller)
    north_only = _built(biller)
    north_biller = make_user(Role.BILLER, locations=[north], username="north-biller")
    client = signed_in(north_biller)
    listed = client.get(reverse("billing:batch_list")).content.decode()
    assert north_only.get_absolute_url() in listed
    assert mixed.get_absolute_url() not in listed
    before = _state()
    assert client.get(mixed.get_absolute_url()).status_code == 404
    assert client.post(reverse("billing:batch_submit", args=[mixed.pk])).status_code == 404
    assert _state() == before
    assert AuditEvent.objects.filter(actor=north_biller, outcome="denied").count() == 2
    assert client.get(north_only.get_absolute_url()).status_code == 200
