"""The billing worklists: held (with what to fix), rejected (with the payer's reason), near the filing limit;
scoped to the person's locations, a fixed number of queries, and the "scrub all" button."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.billing.choices import BatchStatus, ClaimStatus, StatusSource
from openpractice.billing.models import Claim, ClaimBatch, ClaimIssue, ClaimStatusChange
from openpractice.billing.selectors.worklists import near_filing_limit, worklists
from openpractice.billing.services.scrubbing import claim_scrub
from openpractice.patients.tests.factories import PayerFactory

from .scrub_samples import clean_claim, clean_coverage, today

URL = "billing:worklists"


@pytest.fixture
def biller(make_user: Any, north: Any) -> Any:
    return make_user(Role.BILLER, locations=[north])


@pytest.fixture
def viewer(make_user: Any, north: Any) -> Any:
    return make_user(Role.PRACTICE_MANAGER, Tier.ENTRY, locations=[north])


def a_held_claim(location: Any, actor: Any) -> Claim:
    claim = clean_claim(location=location, actor=actor)
    claim.total_charge = Decimal("1.00")
    claim.save(update_fields=["total_charge"])
    claim_scrub(actor=actor, claim=claim)
    return claim


def a_rejected_claim(location: Any, actor: Any, reason: str) -> Claim:
    claim = clean_claim(location=location, actor=actor, status=ClaimStatus.REJECTED)
    ClaimStatusChange.objects.create(claim=claim, from_status=ClaimStatus.SUBMITTED, to_status=ClaimStatus.REJECTED,
                                     source=StatusSource.ACK_277CA, reason="An older reason",
                                     at=timezone.now() - dt.timedelta(days=3))
    ClaimStatusChange.objects.create(claim=claim, from_status=ClaimStatus.SUBMITTED, to_status=ClaimStatus.REJECTED,
                                     source=StatusSource.ACK_277CA, reason=reason)
    return claim


def a_claim_near_its_limit(location: Any, actor: Any, *, days_left: int, status: str = ClaimStatus.DRAFT) -> Claim:
    """Date of service 60 days ago; the payer's limit set so that the deadline is `days_left` days away."""
    payer = PayerFactory(timely_filing_days=60 + days_left)
    return clean_claim(location=location, actor=actor, status=status, coverage=clean_coverage(location, payer=payer),
                       date_of_service=today() - dt.timedelta(days=60))


def test_held_claims_show_their_first_error_and_link_to_the_claim(signed_in: Any, north: Any, biller: Any) -> None:
    claim = a_held_claim(north, biller)
    response = signed_in(biller).get(reverse(URL))
    page = response.content.decode()
    assert response.status_code == 200
    assert claim.get_absolute_url() in page
    assert "The claim total (CLM02) is $1.00 but its lines add up to $137.00." in page
    assert "Rebuild the claim from its charge" in page


def test_rejected_claims_show_the_payers_latest_reason(signed_in: Any, north: Any, biller: Any) -> None:
    claim = a_rejected_claim(north, biller, "Subscriber not found (A3:33)")
    page = signed_in(biller).get(reverse(URL)).content.decode()
    assert claim.claim_number in page
    assert "Subscriber not found (A3:33)" in page
    assert "An older reason" not in page


def test_claims_near_the_filing_limit_are_sorted_by_days_left_and_show_the_deadline(north: Any, biller: Any) -> None:
    late = a_claim_near_its_limit(north, biller, days_left=-4, status=ClaimStatus.HELD)
    soon = a_claim_near_its_limit(north, biller, days_left=3, status=ClaimStatus.READY)
    later = a_claim_near_its_limit(north, biller, days_left=30, status=ClaimStatus.REJECTED)
    a_claim_near_its_limit(north, biller, days_left=31)  # not yet near
    a_claim_near_its_limit(north, biller, days_left=-50, status=ClaimStatus.SUBMITTED)  # already sent
    listed = near_filing_limit(actor=biller, today=today())
    assert [claim.pk for claim in listed.rows] == [late.pk, soon.pk, later.pk]
    assert [claim.days_left for claim in listed.rows] == [-4, 3, 30]
    assert listed.rows[0].deadline == today() - dt.timedelta(days=4)
    assert listed.count == 3


def test_the_page_says_how_late_or_how_close_each_claim_is(signed_in: Any, north: Any, biller: Any) -> None:
    a_claim_near_its_limit(north, biller, days_left=-4)
    a_claim_near_its_limit(north, biller, days_left=1)
    page = signed_in(biller).get(reverse(URL)).content.decode()
    assert "4 days late" in page
    assert ">1 day<" in page.replace("\n", "").replace("  ", "")


def test_each_section_counts_all_its_claims_and_shows_the_first_ones(north: Any, biller: Any) -> None:
    for _ in range(3):
        a_rejected_claim(north, biller, "Invalid member ID")
    lists = worklists(actor=biller, limit=2)
    assert (len(lists.rejected.rows), lists.rejected.count, lists.rejected.more) == (2, 3, 1)


def test_a_biller_sees_only_claims_of_their_locations(signed_in: Any, north: Any, south: Any, biller: Any,
                                                       make_user: Any) -> None:
    other = make_user(Role.BILLER, locations=[south])
    theirs = [a_held_claim(south, other), a_rejected_claim(south, other, "Not ours"),
              a_claim_near_its_limit(south, other, days_left=2)]
    mine = a_held_claim(north, biller)
    page = signed_in(biller).get(reverse(URL)).content.decode()
    assert mine.claim_number in page
    for claim in theirs:
        assert claim.claim_number not in page
    lists = worklists(actor=biller)
    assert (lists.held.count, lists.rejected.count, lists.near_limit.count) == (1, 0, 0)


def test_showing_the_worklists_is_audited_once_without_phi(signed_in: Any, north: Any, biller: Any) -> None:
    a_held_claim(north, biller)
    before = AuditEvent.objects.filter(action="billing.worklists_viewed").count()
    signed_in(biller).get(reverse(URL))
    events = AuditEvent.objects.filter(action="billing.worklists_viewed")
    assert events.count() == before + 1
    assert events.last().reason == "1 held, 0 rejected, 0 near the filing limit shown"  # type: ignore[union-attr]


def _page_queries(client: Any) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse(URL)).status_code == 200
    return len(captured.captured_queries)


def test_the_page_takes_the_same_number_of_queries_for_one_or_many_claims(signed_in: Any, north: Any,
                                                                           biller: Any) -> None:
    client = signed_in(biller)
    a_held_claim(north, biller)
    a_rejected_claim(north, biller, "Invalid member ID")
    a_claim_near_its_limit(north, biller, days_left=5)
    client.get(reverse(URL))  # warm the session and permission caches
    few = _page_queries(client)
    for _ in range(4):
        a_held_claim(north, biller)
        a_rejected_claim(north, biller, "Invalid member ID")
        a_claim_near_its_limit(north, biller, days_left=5)
    assert _page_queries(client) == few


def test_scrub_all_scrubs_the_draft_and_held_claims_of_the_billers_locations(
        signed_in: Any, north: Any, south: Any, biller: Any, make_user: Any) -> None:
    draft = clean_claim(location=north, actor=biller)
    held = a_held_claim(north, biller)
    held.total_charge = Decimal("137.00")  # fixed since it was held
    held.save(update_fields=["total_charge"])
    ready = clean_claim(location=north, actor=biller, status=ClaimStatus.READY)
    elsewhere = clean_claim(location=south, actor=make_user(Role.BILLER, locations=[south]))
    response = signed_in(biller).post(reverse(URL), follow=True)
    assert response.status_code == 200
    assert "Scrubbed 2 claims: 2 ready to send, 0 held for fixing." in response.content.decode()
    statuses = dict(Claim.objects.values_list("pk", "status"))
    assert (statuses[draft.pk], statuses[held.pk], statuses[ready.pk], statuses[elsewhere.pk]) == (
        ClaimStatus.READY, ClaimStatus.READY, ClaimStatus.READY, ClaimStatus.DRAFT)
    ready.refresh_from_db()
    assert ready.scrubbed_at is None  # ready claims are not part of "draft and held"
    assert not ClaimIssue.objects.exists()


def test_scrub_all_takes_a_claim_sent_in_an_earlier_batch_but_not_one_waiting_in_an_unsent_batch(
        signed_in: Any, north: Any, biller: Any) -> None:
    def batch(status: str, number: int) -> ClaimBatch:
        return ClaimBatch.objects.create(interchange_control_number=number, group_control_number=number,
                                         status=status, usage_indicator="T", file_name=f"837P-{number:09d}.x12")

    sent_before = clean_claim(location=north, actor=biller)  # sent, rejected, then put back to draft
    Claim.objects.filter(pk=sent_before.pk).update(batch=batch(BatchStatus.SUBMITTED, 1))
    waiting = clean_claim(location=north, actor=biller)
    Claim.objects.filter(pk=waiting.pk).update(batch=batch(BatchStatus.BUILT, 2))
    response = signed_in(biller).post(reverse(URL), follow=True)
    assert "Scrubbed 1 claim: 1 ready to send, 0 held for fixing." in response.content.decode()
    statuses = dict(Claim.objects.values_list("pk", "status"))
    assert (statuses[sent_before.pk], statuses[waiting.pk]) == (ClaimStatus.READY, ClaimStatus.DRAFT)


def test_someone_who_only_views_billing_has_no_scrub_button_and_cannot_scrub(
        signed_in: Any, north: Any, biller: Any, viewer: Any) -> None:
    claim = a_held_claim(north, biller)
    client = signed_in(viewer)
    page = client.get(reverse(URL)).content.decode()
    assert "Scrub all draft and held claims" not in page
    assert claim.claim_number in page
    issues_before = list(ClaimIssue.objects.values_list("pk", flat=True))
    response = client.post(reverse(URL), follow=True)
    assert "Only people who manage billing can scrub claims." in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.HELD
    assert list(ClaimIssue.objects.values_list("pk", flat=True)) == issues_before
    assert AuditEvent.objects.filter(actor=viewer, outcome=Outcome.DENIED).count() == 1


def test_people_without_billing_access_do_not_see_the_worklists(signed_in: Any, make_user: Any, north: Any) -> None:
    front_desk = make_user(Role.FRONT_DESK, locations=[north])
    assert signed_in(front_desk).get(reverse(URL)).status_code == 404
    assert AuditEvent.objects.filter(actor=front_desk, outcome=Outcome.DENIED).count() == 1
