"""Every billing list exports to CSV and XLSX with the list's filters, search and sort (the claim list's own test
is in test_claims_views.py). Each file holds exactly the rows of the list; lists that show patients audit one
`patients.exported` event per patient; a person who may not open a list may not export it; the big lists export
with a number of queries that does not grow with their rows."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.accounts.tests.factories import sign_in
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.billing.choices import ClaimStatus, EntryKind, PaymentMethod, WriteOffStatus
from openpractice.billing.models import (
    AcknowledgementImport,
    ClaimBatch,
    PatientPayment,
    StatementRun,
    WriteOff,
)
from openpractice.billing.selectors.receivables import today
from openpractice.billing.tests.factories import (
    FeeScheduleEntryFactory,
    FeeScheduleFactory,
    ScrubRuleFactory,
    make_charge,
    make_claim,
)
from openpractice.billing.tests.test_receivables_selectors import (
    claim_for,
    claim_payment,
    denial_of,
    paid_line,
    post,
    remittance,
    to_patient,
)
from openpractice.billing.tests.test_remittance_views import a_claim_payment, a_remittance, an_import
from openpractice.core.models import Location
from openpractice.core.tests.list_exports import (
    FORMATS,
    assert_export_matches_list,
    assert_export_queries_constant,
    column,
    exported,
    exported_patients,
)
from openpractice.patients.tests.factories import PatientFactory, PayerFactory

pytestmark = pytest.mark.django_db
_numbers = itertools.count(1)


@dataclass
class World:
    north: Location
    south: Location
    biller: User  # billing at every location
    north_biller: User  # billing at North only
    senior: User  # a senior practice manager at North (approves write-offs)
    payer: Any = None
    cache: dict[str, Any] = field(default_factory=dict)


@pytest.fixture
def world(make_user: Callable[..., User], north: Location, south: Location) -> World:
    return World(north=north, south=south, biller=make_user(Role.BILLER, username="biller"),
                 north_biller=make_user(Role.BILLER, locations=[north], username="north-biller"),
                 senior=make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, locations=[north], username="senior"),
                 payer=PayerFactory(name="Acme Health"))


@dataclass
class Spec:
    """One list: who exports it, its route and query, the id column and how a shown row gives that id, and the
    patients its rows show (None: a list that shows no patient)."""

    user: User
    route: str
    params: dict[str, Any]
    patients: list[int] | None
    header: str = "ID"
    key: Callable[[Any], Any] = lambda row: row.pk
    args: tuple[Any, ...] = ()

    @property
    def url(self) -> str:
        return reverse(self.route, args=self.args)


# --- the lists, each with rows in the filter, out of it, and out of the user's scope ---------------------------


def charges(w: World) -> Spec:
    made = [make_charge(location=w.north, actor=w.biller, date_of_service=dt.date(2026, 11, day)) for day in (2, 3)]
    make_charge(location=w.north, actor=w.biller, status="void")
    make_charge(location=w.south, actor=w.biller)
    return Spec(w.north_biller, "billing:charge_list", {"status": "open", "sort": "dos"},
                [charge.patient_id for charge in made])


def batches(w: World) -> Spec:
    def batch(status: str) -> ClaimBatch:
        number = next(_numbers)
        return ClaimBatch.objects.create(interchange_control_number=number, group_control_number=number,
                                         status=status, file_name=f"837-{number}.x12", usage_indicator="T",
                                         created_by=w.biller, payer=w.payer)
    for status in ("built", "built", "submitted"):
        batch(status)
    return Spec(w.biller, "billing:batch_list", {"status": "built"}, None)


def acknowledgements(w: World) -> Spec:
    for kind in ("999", "999", "277CA"):
        number = next(_numbers)
        AcknowledgementImport.objects.create(kind=kind, file_name=f"ack-{number}.x12", sha256=f"{number:064d}",
                                             imported_by=w.biller, summary={"accepted": number, "rejected": 1})
    return Spec(w.biller, "billing:ack_list", {"kind": "999"}, None)


def fee_schedules(w: World) -> Spec:
    FeeScheduleFactory(name=f"Acme {next(_numbers)}", payer=w.payer, created_by=w.biller)
    FeeScheduleFactory(name=f"Acme {next(_numbers)}", created_by=w.biller)
    FeeScheduleFactory(name=f"Medicare {next(_numbers)}", created_by=w.biller)
    return Spec(w.north_biller, "billing:fee_schedule_list", {"q": "acme", "sort": "name"}, None)


def fee_entries(w: World) -> Spec:
    # A name with characters a spreadsheet's sheet name may not hold.
    schedule = w.cache.get("schedule") or w.cache.setdefault("schedule", FeeScheduleFactory(
        name="Medicare 2026/27: [draft]", created_by=w.biller))
    for _ in range(2):
        FeeScheduleEntryFactory(schedule=schedule, procedure_code=f"9{next(_numbers):04d}")
    FeeScheduleEntryFactory(schedule=FeeScheduleFactory(created_by=w.biller), procedure_code="99999")  # not this one
    return Spec(w.north_biller, "billing:fee_schedule_detail", {"sort": "code"}, None, header="Code",
                key=lambda entry: entry.procedure_code, args=(schedule.pk,))


def rules(w: World) -> Spec:
    for active in (True, True, False):
        ScrubRuleFactory(name=f"Rule {next(_numbers)}", created_by=w.biller, procedure_code="99213",
                         requires_modifier="25", is_active=active)
    return Spec(w.north_biller, "billing:rule_list", {}, None)


def payments(w: World) -> Spec:
    def pay(location: Location) -> PatientPayment:
        return PatientPayment.objects.create(patient=PatientFactory(home_location=location), location=location,
                                             amount=Decimal("10.00"), method=PaymentMethod.CARD,
                                             received_on=dt.date(2026, 11, 2), received_by=w.biller)
    made = [pay(w.north), pay(w.north)]
    pay(w.south)
    return Spec(w.north_biller, "billing:payment_list", {"sort": "received"}, [p.patient_id for p in made])


def write_offs(w: World) -> Spec:
    def ask(location: Location, status: str = WriteOffStatus.PENDING) -> WriteOff:
        return WriteOff.objects.create(patient=PatientFactory(home_location=location), party="patient",
                                       location=location, amount=Decimal("80.00"), reason="hardship", status=status,
                                       requested_by=w.biller)
    made = [ask(w.north), ask(w.north)]
    ask(w.north, WriteOffStatus.REJECTED)
    ask(w.south)
    return Spec(w.senior, "billing:writeoff_pending", {}, [item.patient_id for item in made])


def _open_claim(w: World, location: Location, *, patient_share: str = "") -> Any:
    claim = claim_for(location, w.biller, payer=w.payer, days_old=10, as_of=today())
    post(claim, w.biller, EntryKind.CHARGE, "100.00", posted_on=today() - dt.timedelta(days=10))
    if patient_share:
        to_patient(claim, w.biller, patient_share, posted_on=today())
    return claim


def open_balances(w: World) -> Spec:
    made = [_open_claim(w, w.north), _open_claim(w, w.north)]
    _open_claim(w, w.south)
    return Spec(w.north_biller, "billing:receivables_claims", {"party": "payer", "sort": "claim"},
                [claim.patient_id for claim in made])


def patient_aging(w: World) -> Spec:
    made = [_open_claim(w, w.north, patient_share="40.00"), _open_claim(w, w.north, patient_share="15.00")]
    _open_claim(w, w.north)  # insurance only: no patient balance
    _open_claim(w, w.south, patient_share="20.00")
    return Spec(w.north_biller, "billing:receivables_patients", {"sort": "-total"},
                [claim.patient_id for claim in made], header="Patient ID", key=lambda row: row.patient_id)


def underpayments(w: World) -> Spec:
    if "contract" not in w.cache:
        schedule = w.cache["contract"] = FeeScheduleFactory(payer=w.payer, created_by=w.biller)
        FeeScheduleEntryFactory(schedule=schedule, procedure_code="99213", amount=Decimal("100.00"))

    def underpaid(location: Location) -> Any:
        claim = claim_for(location, w.biller, payer=w.payer, as_of=today())
        paid_line(claim_payment(remittance(w.biller, w.payer, paid_on=today()), claim, paid="60.00"), paid="60.00")
        return claim
    made = [underpaid(w.north), underpaid(w.north)]
    underpaid(w.south)
    return Spec(w.north_biller, "billing:receivables_underpayments", {"sort": "dos"},
                [claim.patient_id for claim in made])


def denials(w: World) -> Spec:
    made = [denial_of(claim_for(w.north, w.biller, payer=w.payer, status=ClaimStatus.DENIED), w.biller)
            for _ in range(2)]
    denial_of(claim_for(w.south, w.biller, payer=w.payer, status=ClaimStatus.DENIED), w.biller)
    return Spec(w.north_biller, "billing:denial_list", {"sort": "created"}, [d.claim.patient_id for d in made])


def remittances(w: World) -> Spec:
    for _ in range(2):
        a_remittance(w.biller, trace=f"EFT{next(_numbers)}", payer=w.payer)
    a_remittance(w.biller, trace=f"OTHER{next(_numbers)}")
    return Spec(w.biller, "billing:remittance_list", {"q": "EFT", "sort": "trace"}, None)


def remittance_files(w: World) -> Spec:
    for status in ("posted", "posted", "refused"):
        an_import(w.biller, f"era-{next(_numbers)}.835", status=status)
    return Spec(w.biller, "billing:remittance_import_list", {"status": "posted"}, None)


def exceptions(w: World) -> Spec:
    paying = w.cache.get("paying") or w.cache.setdefault("paying", a_remittance(w.biller, trace="EFT-X", payer=w.payer))
    for _ in range(2):
        a_claim_payment(paying, None, number=f"OPX{next(_numbers):07d}")
    a_claim_payment(paying, make_claim(location=w.north, actor=w.biller, status="accepted"))  # matched
    return Spec(w.biller, "billing:remittance_exceptions", {"sort": "number"}, None)


def statement_runs(w: World) -> Spec:
    for day in (1, 15):
        StatementRun.objects.create(statement_date=dt.date(2026, 11, day), created_by=w.biller)
    return Spec(w.north_biller, "billing:statement_list", {"sort": "date"}, None)


LISTS: dict[str, Callable[[World], Spec]] = {
    "charges": charges, "batches": batches, "acknowledgements": acknowledgements, "fee schedules": fee_schedules,
    "fees of a schedule": fee_entries, "scrubber rules": rules, "patient payments": payments,
    "write-offs to approve": write_offs, "A/R open balances": open_balances, "A/R by patient": patient_aging,
    "underpayments": underpayments, "denials": denials, "remittances": remittances,
    "835 files": remittance_files, "remittance exceptions": exceptions, "statement runs": statement_runs,
}
PATIENT_LISTS = ["charges", "patient payments", "write-offs to approve", "A/R open balances", "A/R by patient",
                 "underpayments", "denials"]


def _client(user: User) -> Client:
    return sign_in(Client(), user)


@pytest.mark.parametrize("name", list(LISTS))
def test_the_export_holds_exactly_the_rows_of_the_list(name: str, world: World) -> None:
    spec = LISTS[name](world)
    client = _client(spec.user)
    page = client.get(spec.url, spec.params).content.decode()
    assert "export=csv" in page
    assert "export=xlsx" in page
    rows = assert_export_matches_list(client, spec.url, spec.params, header=spec.header, key=spec.key)
    assert len(rows) == 3  # the header and the two rows in the filter and scope


@pytest.mark.parametrize("file_format", FORMATS)
@pytest.mark.parametrize("name", PATIENT_LISTS)
def test_a_list_of_patients_audits_one_export_event_per_patient(name: str, file_format: str, world: World) -> None:
    spec = LISTS[name](world)
    exported(_client(spec.user), spec.url, spec.params, file_format)
    assert spec.patients is not None
    assert exported_patients(spec.user) == sorted(spec.patients)


@pytest.mark.parametrize("name", [name for name in LISTS if name not in PATIENT_LISTS])
def test_a_list_without_patients_audits_the_file_only(name: str, world: World) -> None:
    spec = LISTS[name](world)
    exported(_client(spec.user), spec.url, spec.params)
    assert exported_patients(spec.user) == []
    assert AuditEvent.objects.filter(actor=spec.user, action="reports.list_exported").count() == 1


@pytest.mark.parametrize("name", list(LISTS))
def test_someone_who_cannot_open_a_billing_list_cannot_export_it(name: str, world: World,
                                                                  make_user: Callable[..., User]) -> None:
    spec = LISTS[name](world)
    office = make_user(Role.OFFICE_MANAGER, Tier.EXPERIENCED, username="office")
    response = _client(office).get(spec.url, {**spec.params, "export": "csv"})
    assert response.status_code == 404
    assert AuditEvent.objects.filter(actor=office, outcome=Outcome.DENIED).count() == 1
    assert not AuditEvent.objects.filter(action__in=["reports.list_exported", "patients.exported"]).exists()


@pytest.mark.parametrize("name", ["charges", "patient payments", "write-offs to approve", "A/R open balances",
                                  "A/R by patient", "underpayments", "denials", "remittances",
                                  "remittance exceptions", "batches"])
def test_a_big_list_exports_with_the_same_queries_for_more_rows(name: str, world: World) -> None:
    spec = LISTS[name](world)
    assert_export_queries_constant(_client(spec.user), spec.url, lambda: [LISTS[name](world)], spec.params)


def test_a_north_biller_exports_only_north_charges_even_when_asking_for_south(world: World) -> None:
    charges(world)
    rows = exported(_client(world.north_biller), reverse("billing:charge_list"), {"location": world.south.pk})
    assert column(rows, "Location") == ["North Clinic"] * 3  # the filter for South is not theirs: ignored


# --- pages that are not core.web tables ------------------------------------------------------------------------


@pytest.mark.parametrize("file_format", FORMATS)
@pytest.mark.parametrize(("which", "status"), [("held", "held"), ("rejected", "rejected"), ("near_limit", "draft")])
def test_each_worklist_exports_in_full_with_its_patients_audited(which: str, status: str, file_format: str,
                                                                  world: World) -> None:
    long_ago = today() - dt.timedelta(days=400)  # past any filing limit: on the near-limit list too
    made = [make_claim(location=world.north, actor=world.biller, status=status, date_of_service=long_ago)
            for _ in range(3)]
    make_claim(location=world.south, actor=world.biller, status=status, date_of_service=long_ago)
    make_claim(location=world.north, actor=world.biller, status="paid", date_of_service=long_ago)
    client = _client(world.north_biller)
    assert f"list={which}&amp;export=csv" in client.get(reverse("billing:worklists")).content.decode()
    rows = exported(client, reverse("billing:worklists"), {"list": which}, file_format)
    assert sorted(column(rows, "Claim")) == sorted(claim.claim_number for claim in made)
    assert exported_patients(world.north_biller) == sorted(claim.patient_id for claim in made)


def test_the_worklist_export_costs_the_same_queries_for_more_claims(world: World) -> None:
    def held() -> list[Any]:
        return [make_claim(location=world.north, actor=world.biller, status="held") for _ in range(2)]
    held()
    assert_export_queries_constant(_client(world.north_biller), reverse("billing:worklists"), held, {"list": "held"})


@pytest.mark.parametrize("file_format", FORMATS)
def test_the_aging_summary_exports_its_table_by_payer_and_totals(file_format: str, world: World) -> None:
    _open_claim(world, world.north)
    _open_claim(world, world.north, patient_share="40.00")
    _open_claim(world, world.south)
    client = _client(world.north_biller)
    assert "export=xlsx" in client.get(reverse("billing:receivables")).content.decode()
    rows = exported(client, reverse("billing:receivables"), file_format=file_format)
    assert rows[0] == ["Owed by", "0–30", "31–60", "61–90", "91–120", "120+", "Total", "Balances"]
    assert [(row[0], Decimal(row[1]), Decimal(row[6]), row[7]) for row in rows[1:]] == [
        ("Acme Health", 160, 160, "2"), ("All payers", 160, 160, "2"), ("Patients", 40, 40, "1"),
        ("Total A/R", 200, 200, "3")]


def test_payer_performance_exports_its_rows_to_who_reads_financial_reports(world: World,
                                                                          make_user: Callable[..., User]) -> None:
    other = PayerFactory(name="Blue Plan")
    for who, paid in ((world.payer, "90.00"), (other, "70.00")):
        claim = claim_for(world.north, world.biller, payer=who, as_of=today())
        paid_line(claim_payment(remittance(world.biller, who, paid_on=today()), claim, paid=paid), paid=paid)
    rows = exported(_client(world.north_biller), reverse("billing:receivables_payers"), {"code": "99213"})
    assert [(row[0], row[1], row[2], row[5]) for row in rows[1:]] == [("99213", "Acme Health", "yes", "90.00"),
                                                                     ("99213", "Blue Plan", "no", "70.00")]
    pm_entry = make_user(Role.PRACTICE_MANAGER, Tier.ENTRY, username="pm-entry")
    assert _client(pm_entry).get(reverse("billing:receivables_payers"), {"export": "csv"}).status_code == 404


def test_the_fee_export_of_a_schedule_reads_back_as_the_import_format(world: World) -> None:
    spec = fee_entries(world)
    rows = exported(_client(spec.user), spec.url, spec.params)
    assert rows[0] == ["Code", "Modifier", "Amount"]
    assert {row[2] for row in rows[1:]} == {"125.00"}


def test_an_underpayment_export_with_an_invalid_period_is_the_page_with_its_errors(world: World) -> None:
    response = _client(world.north_biller).get(reverse("billing:receivables_underpayments"), {
        "start": "2026-06-30", "end": "2026-06-01", "export": "csv"})
    assert response.status_code == 400
    assert not AuditEvent.objects.filter(action="reports.list_exported").exists()
