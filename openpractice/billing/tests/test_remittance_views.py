"""The 835 pages: Import 835 and what it posted, the imported files, the remittances with their claim payments,
and the exceptions queue (match by hand, dismiss)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.billing.models import (
    Claim,
    LedgerEntry,
    ProviderAdjustment,
    Remittance,
    RemittanceAdjustment,
    RemittanceClaim,
    RemittanceImport,
    RemittanceLine,
)
from openpractice.billing.tests.factories import make_claim
from openpractice.billing.tests.remit_support import charge_ledger, claim_payment, era, era_for
from openpractice.core.models import Location

pytestmark = pytest.mark.django_db


# --- building remittances as the posting service leaves them ---------------------------------------------------


def an_import(actor: User, name: str = "era.835", status: str = "posted", **summary: Any) -> RemittanceImport:
    return RemittanceImport.objects.create(
        filename=name, sha256=hashlib.sha256(name.encode()).hexdigest(), size=1200, status=status,
        summary={"payments": 1, "claims_matched": 1, "claims_unmatched": 0, "paid_total": "80.00",
                 "adjustment_total": "25.00", "patient_responsibility_total": "20.00", "denied_claims": 0,
                 "reversed_claims": 0, "duplicates_skipped": 0, "errors": [], "notices": [], "dry_run": False,
                 "import_id": None, **summary},
        imported_by=actor)


def a_remittance(actor: User, *, source: RemittanceImport | None = None, trace: str = "EFT1001",
                 payer: Any = None, amount: Decimal = Decimal("80.00")) -> Remittance:
    return Remittance.objects.create(
        source=source or an_import(actor, f"{trace}.835"), payer=payer, payer_key="ACME01", payer_name="ACME HEALTH",
        trace_number=trace, payment_method="ACH", payment_amount=amount, payment_date="2026-11-20",
        posted_by=actor)


def a_claim_payment(remittance: Remittance, claim: Claim | None, *, number: str = "", status_code: str = "1",
                    paid: Decimal = Decimal("80.00"), patient_name: str = "ROE, RICHARD",
                    member_id: str = "XJ12345") -> RemittanceClaim:
    """A claim payment of 125.00 charged: paid, CO-45 on the line, PR-2 (coinsurance) at claim level."""
    claim_payment = RemittanceClaim.objects.create(
        remittance=remittance, claim=claim, match="matched" if claim else "unmatched",
        claim_number=number or (claim.claim_number if claim else "OPX0000001"), status_code=status_code,
        charge_amount=Decimal("125.00"), paid_amount=paid, patient_responsibility=Decimal("20.00"),
        payer_claim_number="PCN778", patient_name=patient_name, member_id=member_id, remark_codes=["N130"])
    line = RemittanceLine.objects.create(
        remittance_claim=claim_payment, position=1, procedure_code="99213", modifiers=["25"],
        charge_amount=Decimal("125.00"), paid_amount=paid, units=Decimal(1), allowed_amount=Decimal("100.00"),
        remark_codes=["M15"])
    RemittanceAdjustment.objects.create(remittance_claim=claim_payment, line=line, group_code="CO", reason_code="45",
                                        amount=Decimal("25.00"))
    RemittanceAdjustment.objects.create(remittance_claim=claim_payment, group_code="PR", reason_code="2",
                                        amount=Decimal("20.00"))
    return claim_payment


def paid_at(actor: User, location: Location, trace: str = "EFT1001") -> tuple[Remittance, RemittanceClaim]:
    claim = make_claim(location=location, actor=actor, status="accepted")
    remittance = a_remittance(actor, trace=trace, payer=claim.payer)
    return remittance, a_claim_payment(remittance, claim)


# --- route samples for tests/test_routes.py ----------------------------------------------------------------------


def route_samples(world: Any, kind: str) -> tuple[Any, Any]:
    """For tests/test_routes.py SAMPLES: "remittance" (a remittance paying a North claim, one paying a South
    claim), "remittanceimport" (their files, imported by someone else) and "remittanceclaim" (two unmatched claim
    payments: only users posting at every location may work them, so both are outside a North-only user's scope).
    Built once per world."""
    cache = world.__dict__.get("_remittance_samples")
    if cache is None:
        from openpractice.accounts.tests.factories import user_with_role

        poster = user_with_role(Role.BILLER, username="remittance-poster")
        north_remittance, _paid = paid_at(poster, world.north, "EFT-NORTH")
        south_remittance, _paid = paid_at(poster, world.south, "EFT-SOUTH")
        cache = world.__dict__["_remittance_samples"] = {
            "remittance": (north_remittance, south_remittance),
            "remittanceimport": (north_remittance.source, south_remittance.source),
            "remittanceclaim": (a_claim_payment(north_remittance, None, number="OPX0000101"),
                                a_claim_payment(south_remittance, None, number="OPX0000102")),
        }
    return cache[kind]


# --- people ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def biller(make_user: Callable[..., User]) -> User:
    return make_user(Role.BILLER, username="biller")


@pytest.fixture
def north_biller(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.BILLER, locations=[north], username="north-biller")


def denials(user: User) -> int:
    return AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()


def viewed(user: User, patient_id: int) -> int:
    return AuditEvent.objects.filter(actor=user, action="patients.viewed", patient_id=patient_id).count()


# --- remittances ------------------------------------------------------------------------------------------------


def test_the_remittance_list_shows_payer_trace_date_amount_method_and_claims(signed_in, biller, north):
    remittance, _paid = paid_at(biller, north)
    page = signed_in(biller).get(reverse("billing:remittance_list")).content.decode()
    assert remittance.get_absolute_url() in page
    assert "EFT1001" in page
    assert "11/20/2026" in page
    assert "$80.00" in page
    assert "ACH" in page
    assert reverse("billing:remittance_upload") in page
    assert reverse("billing:remittance_exceptions") in page


def test_the_remittance_list_filters_by_payer_and_payment_date(signed_in, biller, north):
    first, _paid = paid_at(biller, north, "EFT-FIRST")
    second, _paid = paid_at(biller, north, "EFT-SECOND")
    Remittance.objects.filter(pk=second.pk).update(payment_date="2026-12-01")
    client = signed_in(biller)
    by_payer = client.get(reverse("billing:remittance_list"), {"payer": first.payer_id}).content.decode()
    assert "EFT-FIRST" in by_payer
    assert "EFT-SECOND" not in by_payer
    by_date = client.get(reverse("billing:remittance_list"), {"date_from": "2026-11-25"}).content.decode()
    assert "EFT-SECOND" in by_date
    assert "EFT-FIRST" not in by_date
    by_trace = client.get(reverse("billing:remittance_list"), {"q": "FIRST"}).content.decode()
    assert "EFT-FIRST" in by_trace
    assert "EFT-SECOND" not in by_trace


def test_a_north_biller_sees_only_remittances_paying_north_claims(signed_in, biller, north_biller, north, south):
    paid_at(biller, north, "EFT-NORTH")
    paid_at(biller, south, "EFT-SOUTH")
    page = signed_in(north_biller).get(reverse("billing:remittance_list")).content.decode()
    assert "EFT-NORTH" in page
    assert "EFT-SOUTH" not in page


def _list_queries(client: Any, name: str) -> int:
    client.get(reverse(name))  # warm the session and permission caches
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse(name)).status_code == 200
    return len(queries)


@pytest.mark.parametrize("name", ["billing:remittance_list", "billing:remittance_import_list",
                                  "billing:remittance_exceptions"])
def test_list_pages_cost_the_same_queries_for_few_and_many_rows(signed_in, biller, north, name):
    client = signed_in(biller)
    for index in range(2):
        remittance, _paid = paid_at(biller, north, f"EFT-A{index}")
        a_claim_payment(remittance, None, number=f"OPX-A{index}")
    few = _list_queries(client, name)
    for index in range(12):
        remittance, _paid = paid_at(biller, north, f"EFT-B{index}")
        a_claim_payment(remittance, None, number=f"OPX-B{index}")
    assert _list_queries(client, name) == few


def test_the_remittance_page_shows_claim_payments_lines_adjustments_remarks_and_plb(signed_in, biller, north):
    remittance, claim_payment = paid_at(biller, north)
    ProviderAdjustment.objects.create(remittance=remittance, reason_code="L6", reference="INT2026",
                                      amount=Decimal("-1.50"))
    response = signed_in(biller).get(remittance.get_absolute_url())
    assert response.status_code == 200
    page = response.content.decode()
    claim = claim_payment.claim
    assert reverse("billing:claim_detail", args=[claim.pk]) in page
    assert claim.patient.last_name in page
    for text in ("CO-45</span> $25.00", "PR-2</span> $20.00", "N130", "M15", "99213-25", "$100.00", "L6",
                 "INT2026", "$-1.50", "Processed as primary"):
        assert text in page, text


def test_opening_a_remittance_audits_each_patient_shown_once(signed_in, biller, north):
    remittance, claim_payment = paid_at(biller, north)
    second_claim = make_claim(location=north, actor=biller, status="accepted",
                              coverage=claim_payment.claim.coverage)
    a_claim_payment(remittance, second_claim)  # the same patient again
    signed_in(biller).get(remittance.get_absolute_url())
    assert viewed(biller, claim_payment.claim.patient_id) == 1


def test_a_north_biller_sees_only_the_north_claim_payments_of_a_shared_remittance(
        signed_in, biller, north_biller, north, south):
    remittance, north_payment = paid_at(biller, north)
    south_claim = make_claim(location=south, actor=biller, status="accepted")
    a_claim_payment(remittance, south_claim)
    a_claim_payment(remittance, None, patient_name="STRANGER, SAM")
    page = signed_in(north_biller).get(remittance.get_absolute_url()).content.decode()
    assert north_payment.claim.claim_number in page
    assert south_claim.claim_number not in page
    assert south_claim.patient.last_name not in page
    assert "STRANGER" not in page
    assert "2 more claim payments of this remittance" in page
    assert viewed(north_biller, south_claim.patient_id) == 0


def test_unmatched_claim_payments_show_to_billers_of_every_location_and_are_audited(signed_in, biller, north):
    remittance, _paid = paid_at(biller, north)
    unmatched = a_claim_payment(remittance, None, patient_name="STRANGER, SAM")
    page = signed_in(biller).get(remittance.get_absolute_url()).content.decode()
    assert "STRANGER, SAM" in page
    assert f"{reverse('billing:remittance_exceptions')}?match={unmatched.pk}" in page
    assert AuditEvent.objects.filter(actor=biller, action="patients.viewed", object_type="billing.remittanceclaim",
                                     object_id=str(unmatched.pk)).count() == 1


def test_a_remittance_of_another_location_is_not_found_and_the_attempt_audited(
        signed_in, biller, north_biller, south):
    remittance, _paid = paid_at(biller, south)
    before = denials(north_biller)
    assert signed_in(north_biller).get(remittance.get_absolute_url()).status_code == 404
    assert denials(north_biller) == before + 1


def test_front_desk_cannot_open_remittances(signed_in, make_user, biller, north):
    remittance, _paid = paid_at(biller, north)
    front_desk = make_user(Role.FRONT_DESK, username="desk")
    client = signed_in(front_desk)
    assert client.get(reverse("billing:remittance_list")).status_code == 404
    assert client.get(remittance.get_absolute_url()).status_code == 404
    assert denials(front_desk) == 2


def test_the_remittance_page_pages_its_claim_payments(signed_in, biller, north):
    remittance, _paid = paid_at(biller, north)
    for index in range(30):
        a_claim_payment(remittance, None, number=f"OPX{index:07d}", patient_name=f"PERSON{index:02d}, PAT")
    client = signed_in(biller)
    first = client.get(remittance.get_absolute_url()).content.decode()
    second = client.get(remittance.get_absolute_url(), {"page": 2}).content.decode()
    assert "Page 1 of 2" in first
    assert "PERSON00" in first
    assert "PERSON29" not in first
    assert "PERSON29" in second
    assert "PERSON00" not in second


# --- imported files -------------------------------------------------------------------------------------------


def test_the_import_list_shows_file_who_when_status_and_totals(signed_in, biller, north):
    remittance, _paid = paid_at(biller, north)
    an_import(biller, "refused.835", status="refused", payments=0, claims_matched=0, paid_total="0.00",
              errors=["segment 14: CLP balance"])
    page = signed_in(biller).get(reverse("billing:remittance_import_list")).content.decode()
    assert "EFT1001.835" in page
    assert "refused.835" in page
    assert "Refused (nothing posted)" in page
    assert "$80.00" in page
    assert remittance.source.get_absolute_url() in page


def test_the_import_page_drills_down_to_payments_and_claims(signed_in, biller, north):
    remittance, claim_payment = paid_at(biller, north)
    denied = a_claim_payment(remittance, make_claim(location=north, actor=biller, status="accepted"),
                             status_code="4", paid=Decimal("0.00"))
    unmatched = a_claim_payment(remittance, None, number="OPX7777777")
    page = signed_in(biller).get(remittance.source.get_absolute_url()).content.decode()
    assert remittance.get_absolute_url() in page
    assert reverse("billing:claim_detail", args=[claim_payment.claim_id]) in page
    assert reverse("billing:claim_detail", args=[denied.claim_id]) in page
    assert "OPX7777777" in page
    assert 'id="denied-title"' in page
    assert 'id="unmatched-title"' in page
    assert unmatched.claim_number in page


def test_a_north_biller_does_not_see_files_paying_only_south_claims(signed_in, biller, north_biller, south):
    remittance, _paid = paid_at(biller, south)
    client = signed_in(north_biller)
    assert "EFT1001.835" not in client.get(reverse("billing:remittance_import_list")).content.decode()
    before = denials(north_biller)
    assert client.get(remittance.source.get_absolute_url()).status_code == 404
    assert denials(north_biller) == before + 1


def test_a_file_shows_its_messages_only_to_its_importer_and_practice_wide_billers(
        signed_in, biller, north_biller, north, south):
    remittance, _paid = paid_at(biller, north)
    RemittanceImport.objects.filter(pk=remittance.source_id).update(
        summary={**remittance.source.summary, "notices": ["claim OP-SOUTH-1 already posted"]})
    assert "OP-SOUTH-1" in signed_in(biller).get(remittance.source.get_absolute_url()).content.decode()
    page = signed_in(north_biller).get(remittance.source.get_absolute_url()).content.decode()
    assert "OP-SOUTH-1" not in page
    assert "shown to the person who imported it" in page


# --- Import 835 (the posting service and the reader, end to end) -----------------------------------------------


def accepted_claim(actor: User, location: Location) -> Claim:
    claim = make_claim(location=location, actor=actor, status="accepted")
    charge_ledger([claim], actor)
    return claim


def an_835(text: str, name: str = "era.835") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="application/octet-stream")


def posted_state() -> tuple[int, int, int, int]:
    return (RemittanceImport.objects.count(), Remittance.objects.count(), RemittanceClaim.objects.count(),
            LedgerEntry.objects.count())


def test_the_import_page_offers_a_file_and_a_check_only_box(signed_in, biller):
    response = signed_in(biller).get(reverse("billing:remittance_upload"))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'type="file"' in page
    assert 'name="dry_run"' in page
    assert "Check only, post nothing" in page
    assert 'enctype="multipart/form-data"' in page


def test_importing_an_835_posts_it_and_shows_the_summary_with_drill_down(signed_in, biller, north):
    claim = accepted_claim(biller, north)
    response = signed_in(biller).post(reverse("billing:remittance_upload"), {"file": an_835(era_for([claim]))})
    assert response.status_code == 200
    page = response.content.decode()
    remittance = Remittance.objects.get()
    assert "Posted 1 payment." in page
    assert remittance.get_absolute_url() in page
    assert remittance.source.get_absolute_url() in page
    assert reverse("billing:claim_detail", args=[claim.pk]) in page
    assert "$100.00" in page  # 80% of the 125.00 line
    assert RemittanceClaim.objects.get().match == "matched"
    assert LedgerEntry.objects.filter(claim=claim, kind="payer_payment").exists()


def test_a_denial_in_the_file_links_to_the_denials_worklist_and_its_claim(signed_in, biller, north):
    claim = accepted_claim(biller, north)
    client = signed_in(biller)
    page = client.post(reverse("billing:remittance_upload"),
                       {"file": an_835(era_for([claim], status="4"))}).content.decode()
    assert 'id="denied-title"' in page
    assert reverse("billing:denial_list") in page
    assert reverse("billing:claim_detail", args=[claim.pk]) in page
    detail = client.get(Remittance.objects.get().get_absolute_url()).content.decode()
    assert "Denied" in detail
    assert reverse("billing:denial_list") in detail


def test_a_dry_run_posts_nothing_and_says_so(signed_in, biller, north):
    claim = accepted_claim(biller, north)
    before = posted_state()
    response = signed_in(biller).post(reverse("billing:remittance_upload"),
                                      {"file": an_835(era_for([claim])), "dry_run": "on"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Check only: nothing was posted." in page
    assert "$100.00" in page
    assert posted_state() == before
    assert Claim.objects.get(pk=claim.pk).status == "accepted"


def test_uploading_the_same_835_again_posts_nothing_and_says_duplicate(signed_in, biller, north):
    claim = accepted_claim(biller, north)
    client = signed_in(biller)
    client.post(reverse("billing:remittance_upload"), {"file": an_835(era_for([claim]))})
    before = posted_state()
    page = client.post(reverse("billing:remittance_upload"), {"file": an_835(era_for([claim]))}).content.decode()
    assert "Duplicate: this file (or every payment in it) was already imported." in page
    assert "already imported on" in page
    assert posted_state()[1:] == before[1:]
    assert RemittanceImport.objects.order_by("-pk").first().status == "duplicate"


def test_the_same_payment_inside_another_file_is_skipped_and_said(signed_in, biller, north):
    claim = accepted_claim(biller, north)
    client = signed_in(biller)
    client.post(reverse("billing:remittance_upload"), {"file": an_835(era_for([claim]))})
    entries = LedgerEntry.objects.count()
    other_file = era_for([claim]).replace("~\n", "~\r\n")  # other bytes, same payment (payer, trace number)
    page = client.post(reverse("billing:remittance_upload"), {"file": an_835(other_file, "again.835")}).content.decode()
    assert "Duplicate" in page
    assert "was already posted on" in page
    assert LedgerEntry.objects.count() == entries


def test_a_damaged_835_is_refused_naming_the_problem_and_posts_nothing(signed_in, biller, north):
    claim = accepted_claim(biller, north)
    paid = f"CLP*{claim.claim_number}*1*125.00*100.00"
    text = era_for([claim]).replace(paid, f"CLP*{claim.claim_number}*1*125.00*99.00")
    assert text != era_for([claim])
    before = posted_state()
    page = signed_in(biller).post(reverse("billing:remittance_upload"), {"file": an_835(text)}).content.decode()
    assert "The file was refused: nothing was posted." in page
    assert "segment" in page.lower()
    assert posted_state()[1:] == before[1:]
    assert RemittanceImport.objects.get().status == "refused"


def test_an_empty_or_too_large_file_is_refused_by_the_form(signed_in, biller, north, monkeypatch):
    claim = accepted_claim(biller, north)
    client = signed_in(biller)
    before = posted_state()
    empty = client.post(reverse("billing:remittance_upload"), {"file": an_835("")})
    assert empty.status_code == 400
    monkeypatch.setattr("openpractice.billing.forms_acks.MAX_FILE_BYTES", 100)
    large = client.post(reverse("billing:remittance_upload"), {"file": an_835(era_for([claim]))})
    assert large.status_code == 400
    assert "larger than" in large.content.decode()
    assert posted_state() == before


def test_front_desk_cannot_import_an_835_and_nothing_is_posted(signed_in, make_user, biller, north):
    claim = accepted_claim(biller, north)
    desk = make_user(Role.FRONT_DESK, username="desk")
    before = posted_state()
    response = signed_in(desk).post(reverse("billing:remittance_upload"), {"file": an_835(era_for([claim]))})
    assert response.status_code == 404
    assert denials(desk) == 1
    assert posted_state() == before
    assert Claim.objects.get(pk=claim.pk).status == "accepted"


def test_a_provider_may_read_remittances_but_not_import(signed_in, make_user, biller, north):
    provider = make_user(Role.PROVIDER, username="doc")
    client = signed_in(provider)
    assert client.get(reverse("billing:remittance_list")).status_code == 200
    assert client.get(reverse("billing:remittance_upload")).status_code == 404


def test_a_north_biller_importing_a_file_that_pays_south_claims_is_told_why_and_nothing_is_posted(
        signed_in, biller, north_biller, north, south):
    north_claim, south_claim = accepted_claim(biller, north), accepted_claim(biller, south)
    before = posted_state()
    response = signed_in(north_biller).post(reverse("billing:remittance_upload"),
                                            {"file": an_835(era_for([north_claim, south_claim]))})
    assert response.status_code == 400
    assert "South Clinic" in response.content.decode()
    assert posted_state() == before
    assert denials(north_biller) == 1


# --- exceptions queue -----------------------------------------------------------------------------------------


def unmatched_from_upload(client: Any, claim: Claim) -> RemittanceClaim:
    """Upload an 835 paying `claim` under a claim number that is not ours: it waits in the queue."""
    text = era([claim_payment(claim, number="OPX9999999")])
    client.post(reverse("billing:remittance_upload"), {"file": an_835(text)})
    return RemittanceClaim.objects.get(match="unmatched")


def test_the_queue_lists_unmatched_claim_payments_and_suggests_claims(signed_in, biller, north):
    claim = accepted_claim(biller, north)
    client = signed_in(biller)
    unmatched = unmatched_from_upload(client, claim)
    queue = client.get(reverse("billing:remittance_exceptions")).content.decode()
    assert "OPX9999999" in queue
    assert claim.patient.last_name.upper() in queue
    panel = client.get(reverse("billing:remittance_exceptions"), {"match": unmatched.pk}).content.decode()
    assert reverse("billing:remittance_claim_resolve", args=[unmatched.pk]) in panel
    assert f'name="claim" value="{claim.pk}"' in panel  # suggested by member ID


def test_searching_the_queue_for_a_claim_is_audited_as_a_patient_search(signed_in, biller, north):
    claim = accepted_claim(biller, north)
    client = signed_in(biller)
    unmatched = unmatched_from_upload(client, claim)
    panel = client.get(reverse("billing:remittance_exceptions"),
                       {"match": unmatched.pk, "find": claim.claim_number}).content.decode()
    assert f'name="claim" value="{claim.pk}"' in panel
    assert AuditEvent.objects.filter(actor=biller, action="patients.searched", object_type="billing.claim").exists()


def test_matching_an_unmatched_payment_posts_it_on_the_chosen_claim(signed_in, biller, north):
    claim = accepted_claim(biller, north)
    client = signed_in(biller)
    unmatched = unmatched_from_upload(client, claim)
    response = client.post(reverse("billing:remittance_claim_resolve", args=[unmatched.pk]), {"claim": claim.pk},
                           follow=True)
    assert "matched to claim" in response.content.decode()
    unmatched.refresh_from_db()
    assert (unmatched.match, unmatched.claim_id, unmatched.resolved_by_id) == ("resolved", claim.pk, biller.pk)
    assert LedgerEntry.objects.filter(claim=claim, kind="payer_payment").exists()
    entries = LedgerEntry.objects.count()
    again = client.post(reverse("billing:remittance_claim_resolve", args=[unmatched.pk]), {"claim": claim.pk},
                        follow=True)
    assert "no longer in the queue" in again.content.decode()
    assert LedgerEntry.objects.count() == entries


def test_matching_without_a_claim_changes_nothing(signed_in, biller, north):
    claim = accepted_claim(biller, north)
    client = signed_in(biller)
    unmatched = unmatched_from_upload(client, claim)
    entries = LedgerEntry.objects.count()
    response = client.post(reverse("billing:remittance_claim_resolve", args=[unmatched.pk]), {}, follow=True)
    assert "Choose the claim this payment is for." in response.content.decode()
    unmatched.refresh_from_db()
    assert unmatched.match == "unmatched"
    assert LedgerEntry.objects.count() == entries


def test_dismissing_needs_a_note_and_then_takes_it_out_of_the_queue(signed_in, biller, north):
    claim = accepted_claim(biller, north)
    client = signed_in(biller)
    unmatched = unmatched_from_upload(client, claim)
    refused = client.post(reverse("billing:remittance_claim_dismiss", args=[unmatched.pk]), {"note": ""},
                          follow=True)
    assert "Say why the payment is dismissed" in refused.content.decode()
    assert RemittanceClaim.objects.get(pk=unmatched.pk).match == "unmatched"
    done = client.post(reverse("billing:remittance_claim_dismiss", args=[unmatched.pk]), {"note": "Another practice's"},
                       follow=True)
    assert "Claim payment OPX9999999 dismissed." in done.content.decode()
    unmatched.refresh_from_db()
    assert (unmatched.match, unmatched.note) == ("dismissed", "Another practice's")
    assert "OPX9999999" not in client.get(reverse("billing:remittance_exceptions")).content.decode()


def test_a_north_only_biller_cannot_work_the_queue_and_nothing_changes(signed_in, biller, north_biller, north):
    claim = accepted_claim(biller, north)
    unmatched = unmatched_from_upload(signed_in(biller), claim)
    client = signed_in(north_biller)
    assert "OPX9999999" not in client.get(reverse("billing:remittance_exceptions")).content.decode()
    before = posted_state()
    for name, data in (("billing:remittance_claim_resolve", {"claim": claim.pk}),
                       ("billing:remittance_claim_dismiss", {"note": "not ours"})):
        assert client.post(reverse(name, args=[unmatched.pk]), data).status_code == 404
    assert denials(north_biller) == 2
    assert posted_state() == before
    assert RemittanceClaim.objects.get(pk=unmatched.pk).match == "unmatched"


def test_a_payment_kept_in_the_queue_for_a_claim_of_ours_is_worked_by_its_locations_billers(
        signed_in, make_user, biller, north_biller, north, south):
    claim = make_claim(location=north, actor=biller, status="draft")  # not with the payer: nothing to post on it
    charge_ledger([claim], biller)
    signed_in(biller).post(reverse("billing:remittance_upload"), {"file": an_835(era_for([claim]))})
    kept = RemittanceClaim.objects.get()
    assert (kept.match, kept.claim_id) == ("unmatched", claim.pk)
    assert claim.claim_number in signed_in(north_biller).get(reverse("billing:remittance_exceptions")).content.decode()
    south_biller = make_user(Role.BILLER, locations=[south], username="south-biller")
    assert claim.claim_number not in signed_in(south_biller).get(
        reverse("billing:remittance_exceptions")).content.decode()


def test_matching_to_a_claim_that_is_not_there_is_not_found_and_changes_nothing(signed_in, biller, north):
    claim = accepted_claim(biller, north)
    client = signed_in(biller)
    unmatched = unmatched_from_upload(client, claim)
    entries = LedgerEntry.objects.count()
    assert client.post(reverse("billing:remittance_claim_resolve", args=[unmatched.pk]),
                       {"claim": claim.pk + 1000}).status_code == 404
    assert RemittanceClaim.objects.get(pk=unmatched.pk).match == "unmatched"
    assert LedgerEntry.objects.count() == entries
