"""Patient statements: the batch run, the PDF, email delivery, and the audit of every statement shown or sent.

Who is due a statement, statement cycles, the 25-day rule, delivery and who may see a statement: see
selectors/statements.py.

- A run (`statement_run_create`) makes one Statement per guarantor due one; Statement.patient and
  Statement.guarantor are both the guarantor (the account the statement is addressed to), amount_due is what
  the guarantor's patients owe, and Statement.aging keeps the aging buckets and each patient's balance as they
  were at the run. Making runs and emailing them is practice-wide (billing.manage at every location): a
  guarantor's statement adds up balances from every location, and a cycle covers the whole practice.
- The PDF is drawn by WeasyPrint from templates/billing/statements/statement_pdf.html (Letter, with the
  remittance stub at the top to tear off, its addresses placed for a #10 double-window envelope). Its visits are
  computed from the ledger entries written up to the moment the run was made, so printing a statement again
  next week gives the same document. A run's printable PDF holds its print statements (and email statements
  whose email failed), one after another, in ZIP code order.
- Email goes through Django's mail (SMTP) from the background worker (queued when the transaction commits), one
  message per guarantor with the PDF attached; its subject names only the practice. Each statement records emailed_at or email_error (a sentence
  without patient data); one person's bad address does not stop the others.
- Audit: a run writes one event per run and one per patient on each statement (patient and home location ids);
  showing a run's statements, downloading, printing and emailing them write one event per patient shown.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q, Sum
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.models import User
from openpractice.accounts.permissions import can, refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.core.models import Location, Practice
from openpractice.core.pdf import render_pdf
from openpractice.core.selectors import practice_now
from openpractice.patients.models import Patient

from ..choices import EntryKind, Party
from ..models import BillingSettings, Charge, ChargeLine, LedgerEntry, Statement, StatementRun
from ..money import parse_money
from ..selectors.statements import (
    AGING_BUCKETS,
    EMAIL,
    ZERO,
    statement_balances,
    statement_buckets,
    statement_candidates,
    statement_patient_ids,
    statement_scoped,
    statements_to_print,
)
from .authorization import authorize_practice_wide

logger = logging.getLogger(__name__)

DUE_DAYS = 30
ADJUSTMENT_KINDS = frozenset({EntryKind.CONTRACTUAL, EntryKind.PAYER_ADJUSTMENT, EntryKind.PROVIDER_ADJUSTMENT,
                              EntryKind.WRITE_OFF})


# --- making a run ------------------------------------------------------------------------------------------------


def _check_run(statement_date: Any, cycle_day: Any, minimum_balance: Any) -> tuple[dt.date, int | None, Decimal]:
    errors: dict[str, str] = {}
    if not isinstance(statement_date, dt.date) or isinstance(statement_date, dt.datetime):
        errors["statement_date"] = _("Enter the statement date.")
    elif statement_date > practice_now().date():
        errors["statement_date"] = _("A statement cannot be dated in the future.")
    if cycle_day is not None and (isinstance(cycle_day, bool) or not isinstance(cycle_day, int)
                                  or not 1 <= cycle_day <= 28):
        errors["cycle_day"] = _("Choose a cycle day from 1 to 28, or leave it empty for everybody.")
    minimum = ZERO
    try:
        minimum = parse_money(minimum_balance if minimum_balance is not None else ZERO)
    except ValueError as error:
        errors["minimum_balance"] = str(error)
    if errors:
        raise ValidationError(errors)
    return statement_date, cycle_day, minimum


def statement_run_create(*, actor: Any, statement_date: dt.date, cycle_day: int | None = None,
                         minimum_balance: Decimal = ZERO) -> StatementRun:
    """Make a run: one statement per guarantor due one on `statement_date` (in `cycle_day`'s cycle, or everybody
    when None; at least `minimum_balance` and the practice's minimum). Refuses (ValidationError) when nobody is
    due one, rather than keeping an empty run."""
    authorize_practice_wide(actor=actor, action="billing.statement_run_create")
    statement_date, cycle_day, minimum = _check_run(statement_date, cycle_day, minimum_balance)
    with transaction.atomic():
        # Runs take turns, so two made at the same moment cannot both send one guarantor a statement.
        if Practice.objects.select_for_update().order_by("pk").first() is None:
            raise ValidationError(_("Set up the practice (name and address) before sending statements."))
        candidates = statement_candidates(actor=actor, statement_date=statement_date, cycle_day=cycle_day,
                                          minimum_balance=minimum)
        if not candidates:
            raise ValidationError(_("No guarantor is due a statement for this date and cycle: no balance reaches "
                                    "the minimum, or everyone with one had a statement in the last 25 days."))
        run = StatementRun(cycle_day=cycle_day, statement_date=statement_date, minimum_balance=minimum,
                           created_by=actor, created_at=timezone.now())
        run.full_clean()
        run.save(force_insert=True)
        statements = [Statement(run=run, patient_id=candidate.guarantor_id, guarantor_id=candidate.guarantor_id,
                                amount_due=candidate.amount_due, aging=candidate.aging_json(),
                                delivery=candidate.delivery)
                      for candidate in candidates]
        for statement in statements:
            # The foreign keys come from rows read in this transaction and the (run, patient) pair is unique by
            # construction; the database holds both anyway.
            statement.full_clean(exclude=["run", "patient", "guarantor"], validate_unique=False,
                                 validate_constraints=False)
        Statement.objects.bulk_create(statements, batch_size=1000)
        for statement, candidate in zip(statements, candidates, strict=True):
            for patient_id, location_id in candidate.home_locations.items():
                record(actor=actor, action="billing.statement_issued", target=statement, patient_id=patient_id,
                       location_id=location_id,
                       reason=f"run {run.pk} dated {statement_date.isoformat()}, {statement.delivery}")
        emails = sum(1 for statement in statements if statement.delivery == EMAIL)
        record(actor=actor, action="billing.statement_run_created", target=run,
               changed_fields=["statements"],
               reason=f"{len(statements)} statement(s): {emails} email, {len(statements) - emails} print; "
                      f"cycle {cycle_day or 'all'}, minimum {minimum}")
    return run


# --- the document ------------------------------------------------------------------------------------------------


def usd(amount: Decimal) -> str:
    """$1,234.50 / -$20.00: money as the statement prints it."""
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


@dataclass(frozen=True)
class VisitRow:
    service_date: dt.date | None
    description: str
    charges: str
    insurance_paid: str
    adjustments: str
    patient_share: str
    patient_paid: str
    balance: str


@dataclass(frozen=True)
class PatientSection:
    name: str
    account_number: str
    rows: list[VisitRow]
    balance: str


@dataclass(frozen=True)
class StatementDocument:
    statement: Statement
    guarantor: Patient
    location: Location
    sections: list[PatientSection]
    buckets: list[tuple[str, str]]
    amount_due: str
    statement_date: dt.date
    due_date: dt.date


def _visit_key(claim_charge_id: int | None, charge_id: int | None) -> int | None:
    """Entries group by visit (charge): those of every claim of a charge (primary, secondary, corrected) and
    those naming the charge alone; entries with neither are the account's (payments on account)."""
    return claim_charge_id or charge_id


def _row(sums: dict[tuple[str, str], Decimal], *, service_date: dt.date | None, description: str) -> VisitRow:
    def total(condition: Any) -> Decimal:
        return sum((amount for (kind, party), amount in sums.items() if condition(kind, party)), ZERO)

    return VisitRow(
        service_date=service_date, description=description,
        charges=usd(total(lambda kind, party: kind == EntryKind.CHARGE)),
        insurance_paid=usd(-total(lambda kind, party: kind == EntryKind.PAYER_PAYMENT
                                  or (kind == EntryKind.REFUND and party == Party.PAYER))),
        adjustments=usd(-total(lambda kind, party: kind in ADJUSTMENT_KINDS)),
        patient_share=usd(total(lambda kind, party: party == Party.PATIENT
                                and kind in (EntryKind.CHARGE, EntryKind.TRANSFER))),
        patient_paid=usd(-total(lambda kind, party: party == Party.PATIENT
                                and kind in (EntryKind.PATIENT_PAYMENT, EntryKind.REFUND))),
        balance=usd(total(lambda kind, party: party == Party.PATIENT)),
    )


def _codes(lines: Iterable[tuple[str, Decimal]]) -> str:
    return ", ".join(code if units == 1 else f"{code} ×{units.normalize():f}" for code, units in lines)


def _visits_of_run(run: StatementRun, patient_ids: set[int]) -> dict[int, list[VisitRow]]:
    """Each patient's visits (and account activity) with a patient balance when the run was made, from the
    ledger entries written up to then: five queries however many patients."""
    cutoff = run.created_at
    entries = LedgerEntry.objects.filter(patient_id__in=sorted(patient_ids), created_at__lte=cutoff).order_by()
    owed: dict[tuple[int, int | None], Decimal] = defaultdict(Decimal)
    for patient_id, claim_charge_id, charge_id, amount in (
            entries.filter(party=Party.PATIENT).values("patient_id", "claim__charge_id", "charge_id")
            .annotate(total=Sum("amount")).values_list("patient_id", "claim__charge_id", "charge_id", "total")):
        owed[(patient_id, _visit_key(claim_charge_id, charge_id))] += amount
    open_visits = {key for key, amount in owed.items() if amount != 0}
    charge_ids = sorted({visit for _patient, visit in open_visits if visit is not None})
    sums: dict[tuple[int, int | None], dict[tuple[str, str], Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for patient_id, claim_charge_id, charge_id, kind, party, amount in (
            entries.filter(Q(claim__charge_id__in=charge_ids) | Q(claim__isnull=True, charge_id__in=charge_ids)
                           | Q(claim__isnull=True, charge__isnull=True, party=Party.PATIENT))
            .values("patient_id", "claim__charge_id", "charge_id", "kind", "party")
            .annotate(total=Sum("amount"))
            .values_list("patient_id", "claim__charge_id", "charge_id", "kind", "party", "total")):
        key = (patient_id, _visit_key(claim_charge_id, charge_id))
        if key in open_visits:
            sums[key][(kind, party)] += amount
    dates = dict(Charge.objects.filter(pk__in=charge_ids).values_list("pk", "date_of_service"))
    lines: dict[int, list[tuple[str, Decimal]]] = defaultdict(list)
    for charge_id, code, units in (ChargeLine.objects.filter(charge_id__in=charge_ids)
                                   .order_by("charge_id", "line_number")
                                   .values_list("charge_id", "procedure_code", "units")):
        lines[charge_id].append((code, units))
    rows: dict[int, list[tuple[Any, VisitRow]]] = defaultdict(list)
    for (patient_id, visit), by_kind in sums.items():
        if visit is None:
            balance = sum((amount for (_kind, party), amount in by_kind.items() if party == Party.PATIENT), ZERO)
            description = (_("Payments and credits on account") if balance < 0 else _("Other account activity"))
            rows[patient_id].append(((dt.date.max, 0), _row(by_kind, service_date=None, description=description)))
        else:
            service_date = dates.get(visit)
            rows[patient_id].append(((service_date or dt.date.max, visit), _row(
                by_kind, service_date=service_date, description=_codes(lines.get(visit, [])) or _("Visit"))))
    return {patient_id: [row for _order, row in sorted(found, key=lambda item: item[0])]
            for patient_id, found in rows.items()}


def statement_documents(statements: Sequence[Statement]) -> list[StatementDocument]:
    """What the PDF template draws for each statement (statements loaded with run, guarantor and the guarantor's
    home location). A constant number of queries per run, however many statements."""
    by_run: dict[int, list[Statement]] = defaultdict(list)
    for statement in statements:
        by_run[statement.run_id].append(statement)
    visits: dict[tuple[int, int], list[VisitRow]] = {}
    for run_statements in by_run.values():
        run = run_statements[0].run
        patient_ids = {pk for statement in run_statements for pk in statement_balances(statement)}
        for patient_id, rows in _visits_of_run(run, patient_ids).items():
            visits[(run.pk, patient_id)] = rows
    names = {patient.pk: patient for patient in Patient.objects.filter(
        pk__in=sorted({pk for statement in statements for pk in statement_balances(statement)})).only(
        "first_name", "middle_name", "last_name", "account_number")}
    documents = []
    for statement in statements:
        sections = []
        for patient_id, balance in statement_balances(statement).items():
            patient = names.get(patient_id)
            if patient is None:
                continue
            sections.append(PatientSection(name=patient.full_name, account_number=patient.account_number,
                                           rows=visits.get((statement.run_id, patient_id), []),
                                           balance=usd(balance)))
        # The guarantor's own section first, then dependants by name.
        sections.sort(key=lambda s: (s.account_number != statement.guarantor.account_number, s.name))
        statement_date = statement.run.statement_date
        documents.append(StatementDocument(
            statement=statement, guarantor=statement.guarantor, location=statement.guarantor.home_location,
            sections=sections, buckets=[(label, usd(amount)) for label, amount in statement_buckets(statement)],
            amount_due=usd(statement.amount_due), statement_date=statement_date,
            due_date=statement_date + dt.timedelta(days=DUE_DAYS)))
    return documents


def _how_to_pay() -> str:
    return (BillingSettings.objects.filter(singleton=True).values_list("statement_how_to_pay", flat=True).first()
            or "")


def statements_html(documents: Sequence[StatementDocument]) -> str:
    """The HTML WeasyPrint draws: every document one after another, each starting on a new page."""
    practice = Practice.objects.order_by("pk").first()
    return render_to_string("billing/statements/statement_pdf.html", {
        "documents": documents, "practice": practice, "how_to_pay": _how_to_pay(),
        "payable_to": (practice.legal_name or practice.name) if practice else "",
        "buckets": [label for label, _first, _last in AGING_BUCKETS], "due_days": DUE_DAYS,
    })


def _statements_loaded(queryset: Any) -> list[Statement]:
    return list(queryset.select_related("run", "guarantor", "guarantor__home_location"))


def _audit_shown(*, actor: Any, action: str, statements: Sequence[Statement], reason: str) -> None:
    """One event per patient each statement shows (the guarantor and every patient with a balance on it)."""
    shown = {(statement.pk, pk) for statement in statements for pk in statement_patient_ids(statement)}
    homes = dict(Patient.objects.filter(pk__in=sorted({pk for _statement, pk in shown}))
                 .values_list("pk", "home_location_id"))
    with transaction.atomic():
        for statement in statements:
            for patient_id in statement_patient_ids(statement):
                record(actor=actor, action=action, object_type="billing.statement", object_id=statement.pk,
                       patient_id=patient_id, location_id=homes.get(patient_id), reason=reason)


def statement_pdf(*, actor: Any, statement: Statement) -> bytes:
    """One statement as a PDF, for someone who may see it (billing.view); audited per patient it shows."""
    if not statement_scoped(actor=actor, permission=Perm.BILLING_VIEW).filter(pk=statement.pk).exists():
        raise refuse(actor=actor, permission=Perm.BILLING_VIEW, action="billing.statement_pdf", target=statement)
    loaded = _statements_loaded(Statement.objects.filter(pk=statement.pk))
    pdf = render_pdf(statements_html(statement_documents(loaded)))
    _audit_shown(actor=actor, action="billing.statement_exported", statements=loaded, reason="statement PDF")
    return pdf


def statement_run_pdf(*, actor: Any, run: StatementRun) -> bytes:
    """A run's statements to print and mail, in one PDF (see selectors.statements_to_print); audited per patient
    and once for the run. A run with nothing to print gives a one-page note saying so."""
    if not can(actor, Perm.BILLING_MANAGE):
        raise refuse(actor=actor, permission=Perm.BILLING_MANAGE, action="billing.statement_run_pdf", target=run)
    loaded = _statements_loaded(statements_to_print(actor=actor, run=run))
    pdf = render_pdf(statements_html(statement_documents(loaded)))
    with transaction.atomic():
        _audit_shown(actor=actor, action="billing.statement_printed", statements=loaded,
                     reason=f"run {run.pk} PDF for printing")
        record(actor=actor, action="billing.statement_run_printed", target=run,
               reason=f"{len(loaded)} statement(s) in the PDF")
    return pdf


def statement_run_viewed(*, actor: Any, run: StatementRun, statements: Iterable[Statement], how: str = "") -> None:
    """The audit of a run's page: one event per guarantor listed (name and amount due are financial PHI)."""
    shown = list(statements)
    with transaction.atomic():
        if not shown:
            record(actor=actor, action="billing.statement_run_viewed", target=run, reason=how)
        for statement in shown:
            record(actor=actor, action="billing.statement_run_viewed", target=run,
                   patient_id=statement.guarantor_id, location_id=statement.guarantor.home_location_id,
                   reason=how or f"statement {statement.pk}")


# --- email ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmailOutcome:
    sent: int
    failed: int


def statement_run_email(*, actor: Any, run: StatementRun) -> int:
    """Email the run's email statements not sent yet (practice-wide billing.manage). They are queued for the
    background worker once the caller's transaction commits; returns how many are to go. Sending again retries only those that failed."""
    authorize_practice_wide(actor=actor, action="billing.statement_run_email", target=run)
    with transaction.atomic():
        ids = list(Statement.objects.filter(run=run, delivery=EMAIL, emailed_at__isnull=True)
                   .order_by("pk").values_list("pk", flat=True))
        if ids:
            record(actor=actor, action="billing.statement_run_emailing", target=run,
                   reason=f"{len(ids)} statement(s) to email")
            transaction.on_commit(partial(_enqueue_emails, actor_id=actor.pk, statement_ids=ids))
    return len(ids)


def _enqueue_emails(*, actor_id: int | None, statement_ids: list[int]) -> None:
    from openpractice.billing.tasks import send_statement_emails  # the task module imports this one

    send_statement_emails(actor_id, statement_ids)


class _MailServerDown(Exception):
    """The mail server cannot be reached: the statements left are not tried one by one (each would wait for the
    connection timeout)."""


def _server_down(error: BaseException) -> bool:
    if isinstance(error, smtplib.SMTPServerDisconnected | smtplib.SMTPConnectError):
        return True
    return isinstance(error, OSError) and not isinstance(error, smtplib.SMTPException)


def _email_error(error: BaseException) -> str:
    """What went wrong, in words, without the address or anything else about the patient."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return _("The mail server refused the address. Check it, or print this statement.")
    if _server_down(error):
        return _("The mail server could not be reached (%(kind)s). Send again later.") % {
            "kind": type(error).__name__}
    return _("The mail server refused the message (%(kind)s).") % {"kind": type(error).__name__}


def _message(document: StatementDocument, pdf: bytes, connection: Any) -> EmailMessage:
    practice = Practice.objects.order_by("pk").first()
    practice_name = practice.name if practice else "OpenPractice"
    context = {"document": document, "practice": practice, "how_to_pay": _how_to_pay()}
    # The subject names the practice only: subjects show in lock screens and mailbox lists.
    subject = _("Your statement from %(practice)s") % {"practice": practice_name}
    body = render_to_string("billing/statements/email.txt", context)
    message = EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL,
                           to=[document.guarantor.email], connection=connection)
    message.attach(f"statement-{document.statement_date.isoformat()}.pdf", pdf, "application/pdf")
    return message


def _send_one(statement_id: int, *, actor: User | None, connection: Any) -> bool | None:
    """Claim, draw and send one statement. True sent, False failed (error recorded), None nothing to do.
    Raises _MailServerDown (after recording the error) when the server cannot be reached."""
    found = _statements_loaded(Statement.objects.filter(pk=statement_id, delivery=EMAIL, emailed_at__isnull=True))
    if not found:
        return None
    statement = found[0]
    if not statement.guarantor.email:
        Statement.objects.filter(pk=statement_id, emailed_at__isnull=True).update(
            email_error=_("No email address on file any more: print this statement."))
        return False
    now = timezone.now()
    # Claimed in one UPDATE, so a second click (or a second worker) does not send it twice.
    if not Statement.objects.filter(pk=statement_id, emailed_at__isnull=True).update(emailed_at=now, email_error=""):
        return None
    try:
        documents = statement_documents([statement])
        _message(documents[0], render_pdf(statements_html(documents)), connection).send(fail_silently=False)
    except (OSError, smtplib.SMTPException) as error:
        Statement.objects.filter(pk=statement_id, emailed_at=now).update(emailed_at=None,
                                                                         email_error=_email_error(error)[:300])
        logger.warning("Statement %s not emailed: %s", statement_id, type(error).__name__)
        if _server_down(error):
            raise _MailServerDown(_email_error(error)) from error
        return False
    _audit_shown(actor=actor, action="billing.statement_emailed", statements=[statement],
                 reason=f"run {statement.run_id} by email")
    return True


def statements_email_send(*, actor_id: int | None, statement_ids: Sequence[int]) -> EmailOutcome:
    """Send the statements (the worker's job, queued by statement_run_email; safe to run twice: each is claimed). One
    SMTP connection for all of them; when the server cannot be reached, the rest are marked with that error."""
    actor = User.objects.filter(pk=actor_id).first() if actor_id is not None else None
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except (OSError, smtplib.SMTPException) as error:
        logger.warning("Statements not emailed: %s", type(error).__name__)
        failed = Statement.objects.filter(pk__in=list(statement_ids), delivery=EMAIL, emailed_at__isnull=True).update(
            email_error=_email_error(error)[:300])
        return EmailOutcome(sent=0, failed=failed)
    sent = failed = 0
    try:
        for position, statement_id in enumerate(statement_ids):
            try:
                outcome = _send_one(statement_id, actor=actor, connection=connection)
            except _MailServerDown as down:
                rest = list(statement_ids[position + 1:])
                Statement.objects.filter(pk__in=rest, emailed_at__isnull=True).update(email_error=str(down)[:300])
                failed += 1 + len(rest)
                break
            sent += outcome is True
            failed += outcome is False
    finally:
        try:
            connection.close()
        except (OSError, smtplib.SMTPException):
            logger.warning("Closing the mail connection failed", exc_info=True)
    return EmailOutcome(sent=sent, failed=failed)
