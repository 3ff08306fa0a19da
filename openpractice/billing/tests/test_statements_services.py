"""Patient statements: who gets one (minimum, cycle, 25 days, guarantors), aging, the run, its PDF and its email
through a real SMTP server."""

from __future__ import annotations

import datetime as dt
import socket
from collections.abc import Callable, Iterator
from decimal import Decimal
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core.exceptions import PermissionDenied, ValidationError

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.billing.choices import EntryKind, Party
from openpractice.billing.models import BillingSettings, Claim, Statement, StatementRun
from openpractice.billing.selectors.statements import (
    aging_bucket,
    cycle_day_of,
    statement_candidates,
    statement_run_preview,
    statements_to_print,
)
from openpractice.billing.services import statements as services
from openpractice.billing.services.ledger import NewEntry, ledger_post
from openpractice.billing.tests.factories import BillingSettingsFactory, make_claim
from openpractice.core.models import Location, Practice
from openpractice.core.selectors import practice_now
from openpractice.core.tests.smtp import Mailbox, free_port
from openpractice.patients.models import Patient, PreferredContact
from openpractice.patients.tests.factories import CoverageFactory, PatientFactory

pytestmark = pytest.mark.django_db

CHARGE = Decimal("125.00")
CONTRACTUAL = Decimal("25.00")


# --- helpers (also used by test_statements_views.py) ---------------------------------------------------------


def today() -> dt.date:
    return practice_now().date()


def owe(patient: Patient, amount: str | Decimal, *, actor: User, days_ago: int = 10,
        location: Location | None = None, code: str = "99213") -> Claim:
    """A visit `days_ago` days ago whose insurance paid part, the contract took 25.00 off, and `amount` went to
    the patient: CHARGE to the payer, payer payment, contractual, then a payer -> patient TRANSFER."""
    owed = Decimal(amount)
    dos = today() - dt.timedelta(days=days_ago)
    coverage = patient.coverages.filter(is_active=True).order_by("rank").first() or CoverageFactory(patient=patient)
    claim = make_claim(location=location or patient.home_location, actor=actor, coverage=coverage,
                       date_of_service=dos, lines=((code, CHARGE),), status="paid")
    common: dict[str, Any] = {"patient_id": patient.pk, "location_id": claim.location_id, "claim_id": claim.pk,
              "service_date": dos}
    payer: dict[str, Any] = {**common, "party": Party.PAYER, "payer_id": claim.payer_id}
    ledger_post(actor=actor, posted_on=dos, entries=[
        NewEntry(kind=EntryKind.CHARGE, amount=CHARGE, charge_id=claim.charge_id, **payer),
        NewEntry(kind=EntryKind.CONTRACTUAL, amount=-CONTRACTUAL, **payer),
        NewEntry(kind=EntryKind.PAYER_PAYMENT, amount=-(CHARGE - CONTRACTUAL - owed), **payer),
        NewEntry(kind=EntryKind.TRANSFER, amount=-owed, **payer),
        NewEntry(kind=EntryKind.TRANSFER, amount=owed, party=Party.PATIENT, **common),
    ])
    return claim


def pay(patient: Patient, claim: Claim, amount: str, *, actor: User) -> None:
    ledger_post(actor=actor, posted_on=today(), entries=[NewEntry(
        kind=EntryKind.PATIENT_PAYMENT, amount=-Decimal(amount), party=Party.PATIENT, patient_id=patient.pk,
        location_id=claim.location_id, claim_id=claim.pk, service_date=claim.date_of_service)])


def person(location: Location, **fields: Any) -> Patient:
    return PatientFactory(home_location=location, **fields)


def run(actor: User, *, on: dt.date | None = None, cycle_day: int | None = None,
        minimum: str = "0.00") -> StatementRun:
    return services.statement_run_create(actor=actor, statement_date=on or today(), cycle_day=cycle_day,
                                         minimum_balance=Decimal(minimum))


def pdf_document(html: str) -> Any:
    """WeasyPrint's laid-out document: the pages the PDF holds."""
    from weasyprint import HTML

    return HTML(string=html).render()


def pdf_text(html: str) -> str:
    """Every piece of text WeasyPrint laid out on the pages (what the PDF shows)."""
    def texts(box: Any) -> Iterator[str]:
        if getattr(box, "text", None):
            yield box.text
        for child in getattr(box, "children", ()):
            yield from texts(child)

    return " ".join(text for page in pdf_document(html).pages for text in texts(page._page_box))


@pytest.fixture
def biller(make_user: Callable[..., User]) -> User:
    return make_user(Role.BILLER, username="biller")


@pytest.fixture
def settings_row(practice: Practice) -> BillingSettings:
    return BillingSettingsFactory(statement_minimum_balance=Decimal("5.00"),
                                  statement_how_to_pay="Call 919-555-0100 to pay by card.")


# --- who gets a statement ------------------------------------------------------------------------------------


def test_a_guarantor_gets_one_statement_covering_their_own_and_their_dependants_balances(
    north: Location, biller: User, settings_row: BillingSettings,
) -> None:
    parent = person(north)
    child = person(north, guarantor=parent)
    owe(parent, "30.00", actor=biller)
    owe(child, "20.00", actor=biller)
    owe(child, "5.50", actor=biller)

    made = run(biller)

    statement = Statement.objects.get(run=made)
    assert (statement.patient_id, statement.guarantor_id) == (parent.pk, parent.pk)
    assert statement.amount_due == Decimal("55.50")
    assert statement.aging["patients"] == {str(parent.pk): "30.00", str(child.pk): "25.50"}


def test_a_dependant_whose_guarantor_owes_nothing_still_puts_the_statement_in_the_guarantors_name(
    north: Location, biller: User,
) -> None:
    parent = person(north)
    child = person(north, guarantor=parent)
    owe(child, "40.00", actor=biller)

    statement = Statement.objects.get(run=run(biller))

    assert statement.guarantor_id == parent.pk
    assert statement.aging["patients"] == {str(child.pk): "40.00"}


def test_the_minimum_applies_to_what_the_guarantor_owes_in_all_and_the_larger_minimum_wins(
    north: Location, biller: User, settings_row: BillingSettings,
) -> None:
    small = person(north)
    owe(small, "4.99", actor=biller)
    family = person(north)
    owe(family, "3.00", actor=biller)
    owe(person(north, guarantor=family), "3.00", actor=biller)
    bigger = person(north)
    owe(bigger, "12.00", actor=biller)

    assert {c.guarantor_id for c in statement_candidates(actor=biller, statement_date=today())} == {
        family.pk, bigger.pk}
    assert {c.guarantor_id for c in statement_candidates(
        actor=biller, statement_date=today(), minimum_balance=Decimal("10.00"))} == {bigger.pk}
    settings_row.statement_minimum_balance = Decimal("20.00")
    settings_row.save()
    assert statement_candidates(actor=biller, statement_date=today(), minimum_balance=Decimal("10.00")) == []


def test_nothing_owed_or_a_credit_gets_no_statement_and_a_credit_lowers_the_familys_total(
    north: Location, biller: User,
) -> None:
    paid_up = person(north)
    claim = owe(paid_up, "30.00", actor=biller)
    pay(paid_up, claim, "30.00", actor=biller)
    in_credit = person(north)
    claim = owe(in_credit, "10.00", actor=biller)
    pay(in_credit, claim, "25.00", actor=biller)
    parent = person(north)
    owe(parent, "50.00", actor=biller)
    child = person(north, guarantor=parent)
    claim = owe(child, "10.00", actor=biller)
    pay(child, claim, "20.00", actor=biller)

    [candidate] = statement_candidates(actor=biller, statement_date=today())

    assert candidate.guarantor_id == parent.pk
    assert candidate.amount_due == Decimal("40.00")
    assert candidate.per_patient == {parent.pk: Decimal("50.00"), child.pk: Decimal("-10.00")}


def test_a_cycle_takes_only_guarantors_born_on_that_day_with_the_29th_to_31st_folded_onto_the_1st_to_3rd(
    north: Location, biller: User,
) -> None:
    born_2nd = person(north, date_of_birth=dt.date(1970, 3, 2))
    born_30th = person(north, date_of_birth=dt.date(1985, 6, 30))
    born_28th = person(north, date_of_birth=dt.date(1990, 2, 28))
    # A dependant's own birthday does not matter: the guarantor's cycle does.
    dependant = person(north, date_of_birth=dt.date(2015, 1, 2), guarantor=born_28th)
    for patient in (born_2nd, born_30th, born_28th, dependant):
        owe(patient, "20.00", actor=biller)

    cycle_2 = run(biller, cycle_day=2)

    assert set(cycle_2.statements.values_list("guarantor_id", flat=True)) == {born_2nd.pk, born_30th.pk}
    assert [cycle_day_of(dt.date(2000, 1, day)) for day in (1, 2, 27, 28, 29, 30, 31)] == [1, 2, 27, 28, 1, 2, 3]
    everybody = run(biller, on=today() - dt.timedelta(days=30))
    assert set(everybody.statements.values_list("guarantor_id", flat=True)) == {
        born_2nd.pk, born_30th.pk, born_28th.pk}


def test_nobody_gets_two_statements_within_25_days(north: Location, biller: User) -> None:
    long_ago = person(north)
    owe(long_ago, "20.00", actor=biller)
    first = run(biller, on=today() - dt.timedelta(days=30))
    recent = person(north)
    owe(recent, "20.00", actor=biller)

    six_days_later = run(biller, on=today() - dt.timedelta(days=24))
    twenty_five_days_later = run(biller, on=today() - dt.timedelta(days=5))

    assert set(first.statements.values_list("guarantor_id", flat=True)) == {long_ago.pk}
    assert set(six_days_later.statements.values_list("guarantor_id", flat=True)) == {recent.pk}
    assert set(twenty_five_days_later.statements.values_list("guarantor_id", flat=True)) == {long_ago.pk}
    preview = statement_run_preview(actor=biller, statement_date=today())
    assert (preview.statements, preview.skipped_recent) == (0, 2)
    with pytest.raises(ValidationError, match="No guarantor is due a statement"):
        run(biller)
    assert StatementRun.objects.count() == 3


def test_delivery_is_email_only_when_the_guarantor_prefers_email_and_has_an_address(
    north: Location, biller: User,
) -> None:
    emailed = person(north, email="pat@example.test", preferred_contact=PreferredContact.EMAIL)
    no_address = person(north, preferred_contact=PreferredContact.EMAIL)
    prefers_mail = person(north, email="mail@example.test", preferred_contact=PreferredContact.MAIL)
    for patient in (emailed, no_address, prefers_mail):
        owe(patient, "20.00", actor=biller)

    made = run(biller)

    assert dict(made.statements.values_list("guarantor_id", "delivery")) == {
        emailed.pk: "email", no_address.pk: "print", prefers_mail.pk: "print"}


# --- aging -----------------------------------------------------------------------------------------------------


def test_aging_buckets_follow_the_date_of_service() -> None:
    on = dt.date(2026, 11, 27)
    ages = {0: "0-30", 30: "0-30", 31: "31-60", 60: "31-60", 61: "61-90", 90: "61-90", 91: "91-120",
            120: "91-120", 121: "120+", 400: "120+"}
    assert {age: aging_bucket(on - dt.timedelta(days=age), on) for age in ages} == ages
    assert aging_bucket(None, on) == "0-30"
    assert aging_bucket(on + dt.timedelta(days=3), on) == "0-30"


def test_a_statement_keeps_its_balances_in_aging_buckets_by_date_of_service(north: Location, biller: User) -> None:
    guarantor = person(north)
    for days, amount in ((5, "10.00"), (45, "20.00"), (75, "30.00"), (100, "40.00"), (200, "50.00"),
                         (121, "1.00")):
        owe(guarantor, amount, actor=biller, days_ago=days)

    statement = Statement.objects.get(run=run(biller))

    assert statement.aging["buckets"] == {"0-30": "10.00", "31-60": "20.00", "61-90": "30.00",
                                          "91-120": "40.00", "120+": "51.00"}
    assert statement.amount_due == Decimal("151.00")


# --- the run: permission, audit --------------------------------------------------------------------------------


def test_a_run_is_audited_once_and_per_patient_on_each_statement(north: Location, south: Location,
                                                                  biller: User) -> None:
    parent = person(north)
    child = person(south, guarantor=parent)
    owe(child, "20.00", actor=biller)

    made = run(biller)

    statement = made.statements.get()
    issued = AuditEvent.objects.filter(action="billing.statement_issued", object_id=str(statement.pk))
    assert set(issued.values_list("patient_id", "location_id")) == {(parent.pk, north.pk), (child.pk, south.pk)}
    assert AuditEvent.objects.filter(action="billing.statement_run_created", object_id=str(made.pk)).count() == 1


@pytest.mark.parametrize(("role", "tier"), [(Role.BILLER, Tier.STANDARD), (Role.PRACTICE_MANAGER, Tier.ENTRY),
                                            (Role.FRONT_DESK, Tier.STANDARD)])
def test_only_billing_managers_of_every_location_may_run_statements_and_a_refusal_changes_nothing(
    north: Location, biller: User, make_user: Callable[..., User], role: str, tier: str,
) -> None:
    owe(person(north), "20.00", actor=biller)
    # A biller of North only, a practice manager who may only look, a front desk clerk.
    user = make_user(role, tier, locations=[north] if role == Role.BILLER else None, username="someone")

    with pytest.raises(PermissionDenied):
        run(user)

    assert not StatementRun.objects.exists()
    assert not Statement.objects.exists()
    assert AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED,
                                     action="billing.statement_run_create").count() == 1


@pytest.mark.parametrize(("fields", "field"), [
    ({"statement_date": dt.date(2999, 1, 1)}, "statement_date"),
    ({"cycle_day": 29}, "cycle_day"),
    ({"cycle_day": 0}, "cycle_day"),
    ({"minimum_balance": Decimal("-1.00")}, "minimum_balance"),
    ({"minimum_balance": Decimal("1.001")}, "minimum_balance"),
])
def test_a_run_refuses_a_future_date_a_cycle_outside_1_to_28_and_a_bad_minimum(
    north: Location, biller: User, fields: dict[str, Any], field: str,
) -> None:
    owe(person(north), "20.00", actor=biller)
    arguments: dict[str, Any] = {"statement_date": today(), "cycle_day": None, "minimum_balance": Decimal(0),
                                 **fields}
    with pytest.raises(ValidationError) as raised:
        services.statement_run_create(actor=biller, **arguments)
    assert field in raised.value.message_dict
    assert not StatementRun.objects.exists()


# --- the PDF ---------------------------------------------------------------------------------------------------


def test_the_statement_pdf_is_a_pdf_showing_the_guarantor_the_services_the_aging_and_the_amount_due(
    north: Location, biller: User, settings_row: BillingSettings,
) -> None:
    parent = person(north, first_name="Dana", last_name="Whitfield")
    child = person(north, first_name="Robin", last_name="Whitfield", guarantor=parent)
    owe(parent, "30.00", actor=biller, days_ago=40, code="99214")
    owe(child, "12.25", actor=biller, days_ago=5, code="90471")
    statement = Statement.objects.get(run=run(biller))

    pdf = services.statement_pdf(actor=biller, statement=statement)

    assert pdf.startswith(b"%PDF-")
    html = services.statements_html(services.statement_documents([statement]))
    # One US Letter page (8.5 x 11 in at 96 CSS px to the inch).
    assert [(page.width, page.height) for page in pdf_document(html).pages] == [(816, 1056)]
    text = pdf_text(html)
    for expected in ("Dana Whitfield", "Robin Whitfield", parent.account_number, "99214", "90471", "$42.25",
                     "$125.00", "$30.00", "$12.25", "Call 919-555-0100 to pay by card.", "Amount enclosed",
                     "Riverbend Family Medicine", "120+ days"):
        assert expected in text, expected
    # The visits: charged 125.00, the contract took 25.00, insurance paid the rest but the patient's share.
    assert "$25.00" in text
    assert "$87.75" in text
    assert "$70.00" in text
    exported = AuditEvent.objects.filter(action="billing.statement_exported", object_id=str(statement.pk))
    assert set(exported.values_list("patient_id", flat=True)) == {parent.pk, child.pk}


def test_the_pdf_shows_the_statement_as_it_was_when_the_run_was_made(north: Location, biller: User) -> None:
    guarantor = person(north)
    claim = owe(guarantor, "60.00", actor=biller)
    statement = Statement.objects.get(run=run(biller))
    before = services.statements_html(services.statement_documents([statement]))

    pay(guarantor, claim, "60.00", actor=biller)

    after = services.statements_html(services.statement_documents([statement]))
    assert after == before
    assert "$60.00" in after


def test_a_statement_pdf_is_refused_outside_the_viewers_locations(
    north: Location, south: Location, biller: User, make_user: Callable[..., User],
) -> None:
    owe(person(south), "20.00", actor=biller)
    statement = Statement.objects.get(run=run(biller))
    north_biller = make_user(Role.BILLER, locations=[north], username="north-biller")

    with pytest.raises(PermissionDenied):
        services.statement_pdf(actor=north_biller, statement=statement)

    assert AuditEvent.objects.filter(actor=north_biller, outcome=Outcome.DENIED).count() == 1
    assert not AuditEvent.objects.filter(action="billing.statement_exported").exists()


def test_a_family_living_at_two_locations_is_only_for_people_who_work_at_both(
    north: Location, south: Location, biller: User, make_user: Callable[..., User],
) -> None:
    parent = person(north)
    person(south, guarantor=parent)  # no balance: still part of the family's account
    owe(parent, "20.00", actor=biller)
    made = run(biller)
    north_biller = make_user(Role.BILLER, locations=[north], username="north-biller")
    both = make_user(Role.BILLER, locations=[north, south], username="both-biller")

    assert not statements_to_print(actor=north_biller, run=made).exists()
    assert statements_to_print(actor=both, run=made).count() == 1


def test_the_run_pdf_holds_the_paper_statements_and_the_failed_emails_in_zip_code_order(
    north: Location, biller: User,
) -> None:
    paper_late = person(north, last_name="Zeller", postal_code="27999")
    paper_early = person(north, last_name="Abbott", postal_code="27101")
    emailed = person(north, last_name="Mailer", email="m@example.test", preferred_contact=PreferredContact.EMAIL)
    failed = person(north, last_name="Bounce", email="b@example.test", preferred_contact=PreferredContact.EMAIL,
                    postal_code="27500")
    for patient in (paper_late, paper_early, emailed, failed):
        owe(patient, "20.00", actor=biller)
    made = run(biller)
    Statement.objects.filter(guarantor=failed).update(email_error="The mail server refused the address.")

    printed = list(statements_to_print(actor=biller, run=made))
    pdf = services.statement_run_pdf(actor=biller, run=made)

    assert [s.guarantor_id for s in printed] == [paper_early.pk, failed.pk, paper_late.pk]
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(services.statements_html(services.statement_documents(printed)))
    assert "ABBOTT" in text
    assert "ZELLER" in text
    assert "BOUNCE" in text
    assert "MAILER" not in text
    assert AuditEvent.objects.filter(action="billing.statement_printed").values("patient_id").distinct().count() == 3
    assert AuditEvent.objects.filter(action="billing.statement_run_printed", object_id=str(made.pk)).count() == 1


def test_a_run_pdf_with_nothing_to_print_says_so(north: Location, biller: User) -> None:
    owe(person(north, email="m@example.test", preferred_contact=PreferredContact.EMAIL), "20.00", actor=biller)
    made = run(biller)

    assert services.statement_run_pdf(actor=biller, run=made).startswith(b"%PDF-")
    assert "Nothing to print" in pdf_text(services.statements_html([]))


# --- email through a real SMTP server -------------------------------------------------------------------------


class RefusingMailbox(Mailbox):
    """Accepts mail except for one address (550 at RCPT TO)."""

    def __init__(self, refused: str) -> None:
        super().__init__()
        self.refused = refused

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address == self.refused:
            return "550 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"


@pytest.fixture
def refusing_smtp(settings: Any) -> Iterator[RefusingMailbox]:
    mailbox = RefusingMailbox("nobody@example.test")
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", controller.port, False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield mailbox
    finally:
        controller.stop()


def _email_family(north: Location, biller: User) -> tuple[Patient, Patient]:
    parent = person(north, first_name="Jordan", last_name="Okafor", email="jordan@example.test",
                    preferred_contact=PreferredContact.EMAIL)
    child = person(north, first_name="Sam", last_name="Okafor", guarantor=parent)
    owe(parent, "30.00", actor=biller)
    owe(child, "17.50", actor=biller)
    return parent, child


def _attachments(message: Message) -> list[Message]:
    return [part for part in message.walk() if part.get_content_disposition() == "attachment"]


def test_emailing_a_run_sends_each_statement_through_smtp_with_its_pdf_and_no_patient_data_in_the_subject(
    north: Location, biller: User, smtp_server: Mailbox, django_capture_on_commit_callbacks: Any,
) -> None:
    parent, child = _email_family(north, biller)
    owe(person(north), "25.00", actor=biller)  # a paper statement: not emailed
    made = run(biller)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.statement_run_email(actor=biller, run=made) == 1

    [message] = smtp_server.messages
    assert message["To"] == "jordan@example.test"
    subject = str(message["Subject"])
    assert subject == "Your statement from Riverbend Family Medicine"
    for private in ("Jordan", "Okafor", "Sam", parent.account_number, "47.50"):
        assert private not in subject
    [attachment] = _attachments(message)
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"statement-{made.statement_date.isoformat()}.pdf"
    payload = attachment.get_payload(decode=True)
    assert isinstance(payload, bytes)
    assert payload.startswith(b"%PDF-")
    body = next(part for part in message.walk() if part.get_content_type() == "text/plain")
    assert "$47.50" in str(body.get_payload(decode=True), "utf-8")
    statement = made.statements.get(delivery="email")
    assert statement.emailed_at is not None
    assert statement.email_error == ""
    assert set(AuditEvent.objects.filter(action="billing.statement_emailed").values_list(
        "patient_id", flat=True)) == {parent.pk, child.pk}


def test_nothing_is_emailed_before_the_transaction_commits_and_sending_again_sends_nothing_twice(
    north: Location, biller: User, smtp_server: Mailbox, django_capture_on_commit_callbacks: Any,
) -> None:
    _email_family(north, biller)
    made = run(biller)

    with django_capture_on_commit_callbacks(execute=False) as pending:
        services.statement_run_email(actor=biller, run=made)
    assert smtp_server.messages == []
    assert len(pending) == 1
    assert made.statements.get().emailed_at is None
    pending[0]()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.statement_run_email(actor=biller, run=made) == 0
    # The queued send, run once more (a retried task), finds the statement already claimed.
    assert services.statements_email_send(actor_id=biller.pk, statement_ids=[made.statements.get().pk]) == (
        services.EmailOutcome(sent=0, failed=0))
    assert len(smtp_server.messages) == 1


def test_a_refused_address_is_recorded_on_its_statement_and_the_others_still_go(
    north: Location, biller: User, refusing_smtp: RefusingMailbox, django_capture_on_commit_callbacks: Any,
) -> None:
    good = person(north, email="good@example.test", preferred_contact=PreferredContact.EMAIL)
    bad = person(north, email="nobody@example.test", preferred_contact=PreferredContact.EMAIL)
    owe(good, "20.00", actor=biller)
    owe(bad, "20.00", actor=biller)
    made = run(biller)

    with django_capture_on_commit_callbacks(execute=True):
        services.statement_run_email(actor=biller, run=made)

    assert [m["To"] for m in refusing_smtp.messages] == ["good@example.test"]
    refused = made.statements.get(guarantor=bad)
    assert refused.emailed_at is None
    assert refused.email_error.startswith("The mail server refused the address")
    assert "nobody" not in refused.email_error
    assert made.statements.get(guarantor=good).emailed_at is not None
    assert list(statements_to_print(actor=biller, run=made)) == [refused]


def test_an_unreachable_mail_server_marks_every_statement_failed_and_a_later_send_retries_them(
    north: Location, biller: User, settings: Any, smtp_server: Mailbox, django_capture_on_commit_callbacks: Any,
) -> None:
    for name in ("one", "two"):
        owe(person(north, email=f"{name}@example.test", preferred_contact=PreferredContact.EMAIL), "20.00",
            actor=biller)
    made = run(biller)
    working_port = settings.EMAIL_PORT
    with socket.socket() as closed:  # a port nobody listens on
        closed.bind(("127.0.0.1", 0))
        settings.EMAIL_PORT = closed.getsockname()[1]
    with django_capture_on_commit_callbacks(execute=True):
        services.statement_run_email(actor=biller, run=made)

    errors = list(made.statements.values_list("emailed_at", "email_error"))
    assert all(sent is None for sent, _error in errors)
    assert all(error.startswith("The mail server could not be reached") for _sent, error in errors)
    assert len(errors) == 2

    settings.EMAIL_PORT = working_port
    with django_capture_on_commit_callbacks(execute=True):
        assert services.statement_run_email(actor=biller, run=made) == 2
    assert sorted(m["To"] for m in smtp_server.messages) == ["one@example.test", "two@example.test"]
    assert not made.statements.filter(emailed_at__isnull=True).exists()


def test_emailing_is_refused_without_billing_manage_everywhere_and_nothing_is_sent(
    north: Location, biller: User, make_user: Callable[..., User], smtp_server: Mailbox,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _email_family(north, biller)
    made = run(biller)
    north_biller = make_user(Role.BILLER, locations=[north], username="north-biller")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(PermissionDenied):
        services.statement_run_email(actor=north_biller, run=made)

    assert smtp_server.messages == []
    assert made.statements.get().emailed_at is None
    assert AuditEvent.objects.filter(actor=north_biller, outcome=Outcome.DENIED).count() == 1
