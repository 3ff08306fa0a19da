"""The receivables pages: aging (chart and drill-downs), patients, KPIs, payer performance, underpayments. Who may
open which, what another location's person sees, the PHI audit, and query counts that do not grow with rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.billing.choices import EntryKind
from openpractice.billing.selectors.receivables import today
from openpractice.billing.tests.factories import FeeScheduleEntryFactory, FeeScheduleFactory
from openpractice.patients.tests.factories import PayerFactory

from .test_receivables_selectors import claim_for, claim_payment, paid_line, post, remittance, to_patient


@pytest.fixture
def biller(make_user: Any, north: Any) -> Any:
    return make_user(Role.BILLER, locations=[north])


@pytest.fixture
def payer() -> Any:
    return PayerFactory(name="Acme Health")


def open_claim(location: Any, actor: Any, payer: Any, *, days_old: int = 10, amount: str = "100.00",
               patient_share: str = "") -> Any:
    claim = claim_for(location, actor, payer=payer, days_old=days_old, amount=amount, as_of=today())
    post(claim, actor, EntryKind.CHARGE, amount, posted_on=today() - dt.timedelta(days=days_old))
    if patient_share:
        to_patient(claim, actor, patient_share, posted_on=today())
    return claim


def queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


# --- aging -----------------------------------------------------------------------------------------------------


def test_the_aging_page_shows_payers_by_bucket_with_links_to_their_claims(signed_in: Any, north: Any, biller: Any,
                                                                          payer: Any) -> None:
    open_claim(north, biller, payer, days_old=10, amount="1234.50")
    open_claim(north, biller, payer, days_old=150, amount="300.00", patient_share="40.00")
    response = signed_in(biller).get(reverse("billing:receivables"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Acme Health" in page
    assert "$1,234.50" in page
    assert "$1,534.50" in page  # total A/R
    assert f"?party=payer&amp;payer={payer.pk}&amp;bucket=4" in page  # the 120+ cell opens its claims
    assert "<svg" in page


def test_the_aging_page_of_a_north_biller_leaves_out_south(signed_in: Any, north: Any, south: Any, biller: Any,
                                                           payer: Any) -> None:
    open_claim(north, biller, payer, amount="111.00")
    open_claim(south, biller, PayerFactory(name="Southern Mutual"), amount="999.00")
    page = signed_in(biller).get(reverse("billing:receivables")).content.decode()
    assert "$111.00" in page
    assert "Southern Mutual" not in page
    assert "$999.00" not in page


def test_drilling_into_a_payer_bucket_lists_its_claims_and_audits_the_list(signed_in: Any, north: Any, biller: Any,
                                                                           payer: Any) -> None:
    young = open_claim(north, biller, payer, days_old=10)
    old = open_claim(north, biller, payer, days_old=100)
    url = reverse("billing:receivables_claims") + f"?party=payer&payer={payer.pk}&bucket=3"
    page = signed_in(biller).get(url).content.decode()
    assert old.claim_number in page
    assert young.claim_number not in page
    assert AuditEvent.objects.filter(actor=biller, action="billing.receivables_viewed").exists()


def test_drilling_into_a_patient_audits_that_patients_record(signed_in: Any, north: Any, biller: Any,
                                                             payer: Any) -> None:
    claim = open_claim(north, biller, payer, patient_share="25.00")
    url = reverse("billing:receivables_claims") + f"?party=patient&patient={claim.patient_id}"
    page = signed_in(biller).get(url).content.decode()
    assert claim.claim_number in page
    assert "$25.00" in page
    assert AuditEvent.objects.filter(actor=biller, action="patients.viewed", patient_id=claim.patient_id).exists()


def test_a_patient_of_another_location_shows_nothing(signed_in: Any, south: Any, biller: Any, payer: Any) -> None:
    claim = open_claim(south, biller, payer, patient_share="25.00")
    url = reverse("billing:receivables_claims") + f"?patient={claim.patient_id}"
    page = signed_in(biller).get(url).content.decode()
    assert claim.claim_number not in page
    assert claim.patient.last_name not in page
    assert not AuditEvent.objects.filter(action="patients.viewed", patient_id=claim.patient_id).exists()


def test_the_patient_aging_lists_what_each_patient_owes(signed_in: Any, north: Any, biller: Any, payer: Any) -> None:
    claim = open_claim(north, biller, payer, days_old=40, patient_share="60.00")
    page = signed_in(biller).get(reverse("billing:receivables_patients")).content.decode()
    assert claim.patient.last_name in page
    assert "$60.00" in page
    assert AuditEvent.objects.filter(actor=biller, action="billing.receivables_viewed",
                                     reason__startswith="patient aging: 1 patient").exists()


@pytest.mark.parametrize("route", ["billing:receivables", "billing:receivables_patients",
                                   "billing:receivables_claims"])
def test_aging_pages_run_the_same_queries_for_more_balances(signed_in: Any, north: Any, biller: Any, payer: Any,
                                                            route: str) -> None:
    client = signed_in(biller)
    open_claim(north, biller, payer, patient_share="10.00")
    url = reverse(route)
    client.get(url)
    few = queries(client, url)
    for days in (5, 40, 70, 100, 200):
        open_claim(north, biller, PayerFactory(), days_old=days, patient_share="10.00")
    assert queries(client, url) == few


# --- who may open what -----------------------------------------------------------------------------------------


def test_an_auditor_sees_kpis_and_payer_performance_but_not_patients_balances(signed_in: Any, make_user: Any) -> None:
    client = signed_in(make_user(Role.AUDITOR))
    assert client.get(reverse("billing:receivables_kpis")).status_code == 200
    assert client.get(reverse("billing:receivables_payers")).status_code == 200
    for route in ("billing:receivables", "billing:receivables_patients", "billing:receivables_claims",
                  "billing:receivables_underpayments"):
        assert client.get(reverse(route)).status_code == 404


def test_an_entry_level_practice_manager_sees_the_aging_but_not_the_kpis(signed_in: Any, make_user: Any,
                                                                         north: Any) -> None:
    client = signed_in(make_user(Role.PRACTICE_MANAGER, Tier.ENTRY, locations=[north]))
    assert client.get(reverse("billing:receivables")).status_code == 200
    assert client.get(reverse("billing:receivables_kpis")).status_code == 404


# --- KPIs and payer performance --------------------------------------------------------------------------------


def test_the_kpi_page_shows_each_value_with_its_numerator_and_denominator(signed_in: Any, north: Any, biller: Any,
                                                                          payer: Any) -> None:
    claim = open_claim(north, biller, payer, days_old=30, amount="9000.00")
    post(claim, biller, EntryKind.PAYER_PAYMENT, "-5400.00", posted_on=today())
    page = signed_in(biller).get(reverse("billing:receivables_kpis")).content.decode()
    assert "Days in A/R" in page
    assert "36.0 days" in page  # 3,600 open / (9,000 / 90 a day)
    assert "$3,600.00" in page
    assert "$100.00" in page


def test_the_kpi_page_refuses_a_period_that_ends_before_it_starts(signed_in: Any, biller: Any) -> None:
    response = signed_in(biller).get(reverse("billing:receivables_kpis") + "?start=2026-06-30&end=2026-06-01")
    assert response.status_code == 400
    assert "The period must end on or after its first day." in response.content.decode()


def test_payer_performance_filters_by_code_and_marks_the_best_payer(signed_in: Any, north: Any, biller: Any,
                                                                    payer: Any) -> None:
    other = PayerFactory(name="Blue Plan")
    for who, paid in ((payer, "90.00"), (other, "70.00")):
        claim = claim_for(north, biller, payer=who, as_of=today())
        paid_line(claim_payment(remittance(biller, who, paid_on=today()), claim, paid=paid), paid=paid)
    page = signed_in(biller).get(reverse("billing:receivables_payers") + "?code=99213").content.decode()
    assert page.index("Acme Health") < page.index("Blue Plan")
    assert "pays best" in page
    assert "$90.00" in page


# --- underpayments ---------------------------------------------------------------------------------------------


def test_the_underpayment_worklist_lists_lines_paid_below_contract(signed_in: Any, north: Any, biller: Any,
                                                                   payer: Any) -> None:
    schedule = FeeScheduleFactory(payer=payer, created_by=biller)
    FeeScheduleEntryFactory(schedule=schedule, procedure_code="99213", amount=Decimal("100.00"))
    claim = claim_for(north, biller, payer=payer, as_of=today())
    paid_line(claim_payment(remittance(biller, payer, paid_on=today()), claim, paid="60.00"), paid="60.00",
              adjustments=(("PR", "2", "20.00"),))
    client = signed_in(biller)
    page = client.get(reverse("billing:receivables_underpayments")).content.decode()
    assert claim.claim_number in page
    assert "$20.00" in page  # the variance: 100 expected, 60 + 20 received
    few = queries(client, reverse("billing:receivables_underpayments"))
    for _ in range(4):
        more = claim_for(north, biller, payer=payer, as_of=today())
        paid_line(claim_payment(remittance(biller, payer, paid_on=today()), more, paid="10.00"), paid="10.00")
    assert queries(client, reverse("billing:receivables_underpayments")) == few
