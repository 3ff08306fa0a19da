"""Posting 835 remittances: each payment exactly once, all of it or nothing, matched to our claims.

- The file: read from the bytes with the streaming reader. The first pass checks the whole file (syntax and
  balancing): a file with any problem is refused with the reader's message (segment number and problem), kept as
  a refused import so the biller sees it, and nothing is posted. What it parsed is kept for the posting when the
  file is small (KEEP_PARSED_BYTES: no more than posting one payment of that size holds anyway); a larger file
  is read a second time, one payment at a time, never held parsed whole. The same file
  imported again after a complete import is a duplicate: kept as such, with a notice, nothing posted.
- Permission: billing.post_payments at every location whose claims the file pays. A payment posts whole or not
  at all, so it cannot be split between two billers' scopes: someone who may not post for one of the file's
  locations is refused (and audited) before anything is written.
- Each payment (ST-SE: BPR/TRN) posts in one transaction. It is identified by its payer and trace number
  (Remittance unique (payer_key, trace_number)): a payment posted before, from this file or inside another one,
  is skipped with a notice. Two imports racing each other post it once: the second insert waits for the first
  transaction and then fails on the unique key (PostgreSQL), or waits for the database lock (SQLite).
- Matching: CLP01 is our claim number. Lines by REF*6R, the line item control number the payer echoes from the
  837P's loop 2400 (ours is the claim line's id; while the 837P writer sends none, lines match on the fallback),
  then by procedure code + service date + charge. Claim payments that match no claim, match a claim that is not with
  the payer, carry a status with nothing to post (23, 25) or reverse nothing are kept with their lines and
  adjustments in the exceptions queue (RemittanceClaim.match = unmatched) and nothing is posted for them; the
  rest of the payment posts. remittance_claim_resolve() posts one by hand on the claim a biller picks;
  remittance_claim_dismiss() sets one aside with a note.
- Money, on the claim's ledger: PAYER_PAYMENT per line (claim level for what the lines do not carry), CO as
  CONTRACTUAL, OA/PI/CR as PAYER_ADJUSTMENT, PR as a TRANSFER pair from the payer to the patient (reason 1
  deductible, 2 coinsurance, 3 copay... kept in reason_code), or to the secondary payer's claim when the patient
  has a secondary coverage and this is the primary's adjudication (the secondary claim is built then).
  CARC 23 (the earlier payer's adjudication, on a secondary payer's remittance) is not posted: the primary's
  remittance already did. A denied claim (CLP02 = 4, or nothing paid, nothing left to the patient and a reason
  other than the contract (45) or the earlier payer (23)) keeps its CO/OA/PI amounts open with the payer and gets
  a Denial row: the denial is worked (appealed, corrected, or written off through approval), not written off by
  the posting. Reversals (CLP02 = 22) reverse the entries of the claim's latest posting not yet reversed (or, for
  a corrected or void claim, of the claim it replaces).
  PLB rows are kept on the remittance; a recoupment (WO) naming one of our claims is also posted on that claim.
- Claim status through claims_transition (source 835): paid when nothing is left with the payer (also when it
  paid nothing because everything went to the patient's deductible), partial when something is, denied,
  accepted again after a reversal (a void claim is closed by its reversal). A move the lifecycle forbids (an
  appealed claim reversed) leaves the status with a notice; the money posts.
- Audit: one event per payment posted, one per claim posted (with its patient), one per import.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol, cast

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import Event as AuditEntry
from openpractice.audit.services import record, record_many
from openpractice.core.bulk_insert import insert_rows
from openpractice.core.events import emit
from openpractice.core.gc_pause import gc_paused
from openpractice.core.lookups import any_of_chunk_size
from openpractice.core.models import Location
from openpractice.core.selectors import practice_now
from openpractice.patients.models import Coverage, Payer

from ..choices import (
    SENT_CLAIM_STATUSES,
    ChargeStatus,
    ClaimFrequency,
    ClaimStatus,
    EntryKind,
    Party,
    RemittanceClaimMatch,
    RemittanceImportStatus,
    StatusSource,
)
from ..denial_categories import categorize
from ..models import (
    AccountBalance,
    Charge,
    Claim,
    ClaimLine,
    Denial,
    LedgerEntry,
    ProviderAdjustment,
    Remittance,
    RemittanceAdjustment,
    RemittanceClaim,
    RemittanceImport,
    RemittanceLine,
)
from ..selectors.claims import open_claim_for
from ..x12.remit_835 import (
    Adjustment835,
    ClaimPayment835,
    Payment835,
    Remittance835Error,
    ServiceLine835,
    read_835,
)
from .authorization import authorize_at
from .claim_status import claims_transition, transition_allowed
from .claims import claim_build_secondary
from .ledger import NewEntry, balance_key, ledger_post, ledger_reverse

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
MAX_NOTICES = 200
# A file up to this size is parsed once: about 13,000 claims, whose parsed form is what posting a single payment of
# that size holds anyway.
KEEP_PARSED_BYTES = 4 * 1024 * 1024
PROCESSED = frozenset({"1", "2", "3", "19", "20", "21"})
PROCESSED_AS_PRIMARY = frozenset({"1", "19"})
PROCESSED_AS_SECONDARY = frozenset({"2", "20"})
DENIED = "4"
REVERSAL = "22"
POSTED_MATCHES = (RemittanceClaimMatch.MATCHED, RemittanceClaimMatch.RESOLVED)
PRIOR_PAYER = "23"  # CARC 23: the impact of the earlier payer's adjudication
NOT_DENIALS = frozenset({"23", "45"})  # CARC 45: the charge exceeds the contracted fee
ADJUSTMENT_KINDS = {"CO": EntryKind.CONTRACTUAL}  # every other group but PR: PAYER_ADJUSTMENT


def _money(value: Decimal | None) -> Decimal:
    return (value or ZERO).quantize(CENT, rounding=ROUND_HALF_UP)


# --- the summary -------------------------------------------------------------------------------------------------


@dataclass
class ImportSummary:
    payments: int = 0
    claims_matched: int = 0
    claims_unmatched: int = 0
    paid_total: Decimal = ZERO
    adjustment_total: Decimal = ZERO
    patient_responsibility_total: Decimal = ZERO
    denied_claims: int = 0
    reversed_claims: int = 0
    duplicates_skipped: int = 0
    errors: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    dry_run: bool = False
    import_id: int | None = None
    notices_left_off: int = 0

    def notice(self, text: str) -> None:
        if len(self.notices) < MAX_NOTICES:
            self.notices.append(text)
        else:
            self.notices_left_off += 1

    def add(self, other: PaymentResult) -> None:
        self.claims_matched += other.claims_matched
        self.claims_unmatched += other.claims_unmatched
        self.paid_total += other.paid_total
        self.adjustment_total += other.adjustment_total
        self.patient_responsibility_total += other.patient_responsibility_total
        self.denied_claims += other.denied_claims
        self.reversed_claims += other.reversed_claims
        for text in other.notices:
            self.notice(text)

    def as_json(self) -> dict[str, Any]:
        notices = list(self.notices)
        if self.notices_left_off:
            notices.append(_("… and %(count)s more notices.") % {"count": self.notices_left_off})
        return {
            "payments": self.payments, "claims_matched": self.claims_matched,
            "claims_unmatched": self.claims_unmatched, "paid_total": f"{self.paid_total:.2f}",
            "adjustment_total": f"{self.adjustment_total:.2f}",
            "patient_responsibility_total": f"{self.patient_responsibility_total:.2f}",
            "denied_claims": self.denied_claims, "reversed_claims": self.reversed_claims,
            "duplicates_skipped": self.duplicates_skipped, "errors": list(self.errors), "notices": notices,
            "dry_run": self.dry_run, "import_id": self.import_id,
        }


@dataclass
class PaymentResult:
    """What one payment posted; added to the summary only once its transaction committed."""

    claims_matched: int = 0
    claims_unmatched: int = 0
    paid_total: Decimal = ZERO
    adjustment_total: Decimal = ZERO
    patient_responsibility_total: Decimal = ZERO
    denied_claims: int = 0
    reversed_claims: int = 0
    notices: list[str] = field(default_factory=list)


# --- permission --------------------------------------------------------------------------------------------------


def _authorize_import(actor: Any) -> None:
    if not can(actor, Perm.BILLING_POST):
        raise refuse(actor=actor, permission=Perm.BILLING_POST, action="billing.remittance_import",
                     message=_("You may not post payments."))


def _authorize_locations(actor: Any, location_ids: Iterable[int]) -> None:
    missing = sorted(pk for pk in set(location_ids) if not can(actor, Perm.BILLING_POST, pk))
    if missing:
        names = ", ".join(Location.objects.filter(pk__in=missing).order_by("name").values_list("name", flat=True))
        raise refuse(actor=actor, permission=Perm.BILLING_POST, action="billing.remittance_import",
                     reason=f"{Perm.BILLING_POST} required at locations {missing}"[:200],
                     message=_("This file pays claims of locations where you may not post payments (%(names)s): "
                               "nothing was posted. A biller who posts for every location it pays must import "
                               "it.") % {"names": names})


def _claim_locations(claim_numbers: Sequence[str]) -> set[int]:
    chunk = any_of_chunk_size()
    found: set[int] = set()
    for start in range(0, len(claim_numbers), chunk):
        found.update(Claim.objects.filter(claim_number__any_of=claim_numbers[start:start + chunk]).order_by()
                     .values_list("location_id", flat=True).distinct())
    return found


# --- the file ----------------------------------------------------------------------------------------------------


def _scan(data: bytes) -> tuple[list[str], list[Payment835] | None]:
    """Read the whole file once to check it (raises Remittance835Error); returns its claim numbers, and its
    payments when the file is small enough to keep them for the posting (None: read it again)."""
    numbers: set[str] = set()
    count = 0
    kept: list[Payment835] | None = [] if len(data) <= KEEP_PARSED_BYTES else None
    with gc_paused():  # what is kept grows to tens of thousands of objects: see _post_file
        for payment in read_835(data):
            count += 1
            numbers.update(claim.claim_number for claim in payment.claims)
            if kept is not None:
                kept.append(payment)
    if count == 0:
        raise Remittance835Error("The file holds no 835 payment (no ST*835 transaction set).")
    return sorted(numbers), kept


def _completed_import(digest: str) -> RemittanceImport | None:
    """An earlier import of the same bytes that ran to its end (its summary is written last)."""
    return (RemittanceImport.objects.filter(sha256=digest, status=RemittanceImportStatus.POSTED,
                                            summary__has_key="payments")
            .order_by("imported_at", "pk").first())


def _when(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%m/%d/%Y %I:%M %p")


def remittance_import(*, actor: Any, filename: str, data: bytes, dry_run: bool = False) -> ImportSummary:
    """Import an 835 file: post every payment not posted before. Returns the summary (also kept on the
    RemittanceImport row). A malformed or unbalanced file posts nothing and comes back with `errors`; a file
    paying claims of locations where the actor may not post raises PermissionDenied (audited). With `dry_run`
    everything is worked out in a transaction that is rolled back: the summary says what an import would do."""
    _authorize_import(actor)
    filename = (filename or "835").strip()[:255] or "835"
    digest = hashlib.sha256(data).hexdigest()
    summary = ImportSummary(dry_run=dry_run)
    earlier = _completed_import(digest)
    if earlier is not None:
        summary.notice(_("This file was already imported on %(when)s (%(file)s): nothing was posted.")
                       % {"when": _when(earlier.imported_at), "file": earlier.filename})
        # Its payments, every one skipped, so the counts say what happened (not "0 payments, 0 skipped").
        summary.payments = summary.duplicates_skipped = int(earlier.summary.get("payments") or 0)
        if not dry_run:
            _keep_import(actor=actor, filename=filename, digest=digest, size=len(data),
                         status=RemittanceImportStatus.DUPLICATE, summary=summary)
        return summary
    try:
        if not data.strip():
            raise Remittance835Error("The file is empty.")
        claim_numbers, parsed = _scan(data)
    except Remittance835Error as error:
        summary.errors.append(_("The file was refused, nothing was posted: %(error)s") % {"error": error})
        if not dry_run:
            _keep_import(actor=actor, filename=filename, digest=digest, size=len(data),
                         status=RemittanceImportStatus.REFUSED, summary=summary, error=str(error))
        return summary
    _authorize_locations(actor, _claim_locations(claim_numbers))
    if dry_run:
        with transaction.atomic():
            _post_file(actor=actor, filename=filename, digest=digest, data=data, parsed=parsed, summary=summary)
            transaction.set_rollback(True)
        summary.import_id = None
        return summary
    _post_file(actor=actor, filename=filename, digest=digest, data=data, parsed=parsed, summary=summary)
    return summary


@transaction.atomic
def _keep_import(*, actor: Any, filename: str, digest: str, size: int, status: str, summary: ImportSummary,
                 error: str = "") -> RemittanceImport:
    """A refused or duplicate import, kept (in its own transaction) so the biller sees it in the list."""
    row = RemittanceImport(filename=filename, sha256=digest, size=size, status=status, error=error,
                           imported_by=actor, imported_at=timezone.now())
    row.full_clean(exclude=["summary"])
    row.save(force_insert=True)
    summary.import_id = row.pk
    row.summary = summary.as_json()
    row.save(update_fields=["summary"])
    record(actor=actor, action=f"billing.remittance_{status}", target=row, reason=(error or filename)[:200])
    return row


def _post_file(*, actor: Any, filename: str, digest: str, data: bytes, parsed: Sequence[Payment835] | None,
               summary: ImportSummary) -> None:
    source = RemittanceImport(filename=filename, sha256=digest, size=len(data), status=RemittanceImportStatus.POSTED,
                              imported_by=actor, imported_at=timezone.now())
    source.full_clean(exclude=["summary"])
    source.save(force_insert=True)
    summary.import_id = source.pk
    payers: dict[str, Payer | None] = {}
    try:
        # Tens of thousands of objects that live until the payment is posted: the cyclic collector would walk
        # them again and again for nothing (reference counting still frees them).
        with gc_paused():
            for payment in (parsed if parsed is not None else read_835(data)):
                summary.payments += 1
                _post_one(actor=actor, source=source, payment=payment, summary=summary, payers=payers)
    except Remittance835Error as error:  # the first pass read the same bytes; kept for the unforeseeable
        summary.errors.append(_("Reading stopped, the payments before were posted: %(error)s") % {"error": error})
    if summary.payments and summary.duplicates_skipped == summary.payments:
        source.status = RemittanceImportStatus.DUPLICATE
    source.summary = summary.as_json()
    source.error = "\n".join(summary.errors)
    source.save(update_fields=["status", "summary", "error"])
    record(actor=actor, action="billing.remittance_imported", target=source, reason=(
        f"{summary.payments} payments, {summary.duplicates_skipped} already posted, {summary.claims_matched} "
        f"claims posted, {summary.claims_unmatched} to the exceptions queue, paid {summary.paid_total:.2f}")[:200])


def _payer_key(payment: Payment835) -> str:
    return (payment.trace_originator or payment.payer_identifier or payment.payer_name).strip()[:80]


def _duplicate_notice(earlier: Remittance) -> str:
    return (_("Payment %(trace)s from %(payer)s was already posted on %(when)s (file %(file)s): skipped.")
            % {"trace": earlier.trace_number, "payer": earlier.payer_name or earlier.payer_key,
               "when": _when(earlier.posted_at), "file": earlier.source.filename})


def _post_one(*, actor: Any, source: RemittanceImport, payment: Payment835, summary: ImportSummary,
              payers: dict[str, Payer | None]) -> None:
    key, trace = _payer_key(payment), payment.trace_number.strip()[:80]
    earlier = Remittance.objects.filter(payer_key=key, trace_number=trace).select_related("source").first()
    if earlier is None:
        try:
            with transaction.atomic():
                result = _post_payment(actor=actor, source=source, payment=payment, payers=payers)
        except IntegrityError:
            # Another import posted the same payment meanwhile (the unique key waited for it): it counts.
            earlier = Remittance.objects.filter(payer_key=key, trace_number=trace).select_related("source").first()
            if earlier is None:
                raise
        else:
            summary.add(result)
            return
    summary.duplicates_skipped += 1
    summary.notice(_duplicate_notice(earlier))


def _payer_for(payment: Payment835, payers: dict[str, Payer | None]) -> Payer | None:
    ident = payment.payer_identifier.strip()
    if ident not in payers:
        found = list(Payer.objects.filter(payer_id=ident)[:2]) if ident else []
        payers[ident] = found[0] if len(found) == 1 else None
    return payers[ident]


def _post_payment(*, actor: Any, source: RemittanceImport, payment: Payment835,
                  payers: dict[str, Payer | None]) -> PaymentResult:
    remittance = Remittance(
        source=source, payer=_payer_for(payment, payers), payer_key=_payer_key(payment),
        payer_name=payment.payer_name.strip()[:120], trace_number=payment.trace_number.strip()[:80],
        payment_method=payment.payment_method[:3], payment_amount=_money(payment.payment_amount),
        credit_debit=(payment.credit_debit or "C")[:1], payment_date=payment.payment_date,
        production_date=payment.production_date, payee_npi=payment.payee_npi[:10], posted_at=timezone.now(),
        posted_by=actor)
    remittance.full_clean(validate_unique=False, validate_constraints=False)
    remittance.save(force_insert=True)  # first: a second import of this payment waits here, then fails
    posting = _Posting(actor=actor, remittance=remittance)
    posting.result.notices += [f"{remittance.trace_number}: {text}" for text in payment.notices]
    items = posting.prepare(payment.claims)
    posting.post(items, provider_adjustments=payment.provider_adjustments)
    record(actor=actor, action="billing.remittance_posted", target=remittance, reason=(
        f"trace {remittance.trace_number}: {len(items)} claims ({posting.result.claims_matched} posted, "
        f"{posting.result.claims_unmatched} to the queue), paid {posting.result.paid_total:.2f}, adjusted "
        f"{posting.result.adjustment_total:.2f}, patient {posting.result.patient_responsibility_total:.2f}")[:200])
    return posting.result


# --- posting -----------------------------------------------------------------------------------------------------


@dataclass
class _Item:
    """One claim payment on its way into the ledger."""

    payment: ClaimPayment835
    rc: RemittanceClaim
    claim: Claim | None
    line_rows: list[RemittanceLine]
    line_matches: list[LineToMatch | None]
    reverses: RemittanceClaim | None = None


RC_FIELDS = ("remittance", "occurrence", "claim", "match", "claim_number", "status_code", "charge_amount",
             "paid_amount", "patient_responsibility", "filing_indicator", "payer_claim_number", "patient_name",
             "member_id", "service_date", "remark_codes", "reverses", "note")
LINE_FIELDS = ("remittance_claim", "position", "claim_line", "procedure_code", "modifiers", "charge_amount",
               "paid_amount", "units", "service_date", "control_number", "allowed_amount", "remark_codes")


# What posting reads of a claim (a claim row is wide; 5,000 of them are loaded at once).
CLAIM_FIELDS = ("claim_number", "status", "charge_id", "patient_id", "location_id", "payer_id", "payer_rank",
                "frequency_code", "original_claim_id", "date_of_service", "payer_claim_number")


def _lock_claims(numbers: Sequence[str] = (), pks: Sequence[int] = ()) -> dict[Any, Claim]:
    """Claims by number (or pk), locked: their charges first, then the claims (the order every claim service
    takes, so nobody waits on anybody the other way round)."""
    chunk = any_of_chunk_size()
    field_name, values = ("claim_number", list(numbers)) if numbers else ("pk", list(pks))
    charge_ids: set[int] = set()
    for start in range(0, len(values), chunk):
        charge_ids.update(Claim.objects.filter(**{f"{field_name}__any_of": values[start:start + chunk]}).order_by()
                          .values_list("charge_id", flat=True))
    ordered = sorted(charge_ids)
    for start in range(0, len(ordered), chunk):
        list(Charge.objects.select_for_update().filter(pk__any_of=ordered[start:start + chunk]).order_by("pk")
             .values_list("pk", flat=True))
    found: dict[Any, Claim] = {}
    for start in range(0, len(values), chunk):
        for claim in (Claim.objects.select_for_update().only(*CLAIM_FIELDS)
                      .filter(**{f"{field_name}__any_of": values[start:start + chunk]}).order_by("pk")):
            found[getattr(claim, field_name)] = claim
    return found


class LineToMatch(Protocol):
    """What matching reads of a claim line: a ClaimLine, or the _Line posting loads in bulk."""

    @property
    def pk(self) -> int: ...
    @property
    def procedure_code(self) -> str: ...
    @property
    def service_date_from(self) -> dt.date: ...
    @property
    def amount(self) -> Decimal: ...


@dataclass(slots=True)
class _Line:
    """A claim line as posting needs it (pk, code, date, charge): 10,000 model instances took most of a second."""

    pk: int
    procedure_code: str
    service_date_from: dt.date
    amount: Decimal


def _lines_of(claim_ids: Sequence[int]) -> dict[int, list[LineToMatch]]:
    chunk = any_of_chunk_size()
    lines: dict[int, list[LineToMatch]] = defaultdict(list)
    for start in range(0, len(claim_ids), chunk):
        for pk, claim_id, code, day, amount in (
                ClaimLine.objects.filter(claim_id__any_of=list(claim_ids[start:start + chunk]))
                .order_by("claim_id", "line_number")
                .values_list("pk", "claim_id", "procedure_code", "service_date_from", "amount")):
            lines[claim_id].append(_Line(pk, code, day, amount))
    return lines


def match_lines(lines: Sequence[ServiceLine835], claim: Claim, claim_lines: Sequence[LineToMatch]
                ) -> list[LineToMatch | None]:
    """Each service line's claim line: by REF*6R (our claim line id) first, then by procedure code (as billed:
    SVC06 when the payer recoded it), service date and charge; a claim line is matched at most once. None where
    nothing fits (posted at claim level)."""
    by_pk = {str(line.pk): line for line in claim_lines}
    used: set[int] = set()
    matches: list[LineToMatch | None] = [None] * len(lines)
    for index, svc in enumerate(lines):
        hit = by_pk.get(svc.control_number.strip()) if svc.control_number else None
        if hit is not None and hit.pk not in used:
            matches[index] = hit
            used.add(hit.pk)
    for index, svc in enumerate(lines):
        if matches[index] is not None:
            continue
        day = svc.service_date_from or claim.date_of_service
        code = svc.original_procedure_code or svc.procedure_code  # SVC06: what we billed, when recoded
        for line in claim_lines:
            if (line.pk not in used and line.procedure_code == code
                    and line.service_date_from == day and line.amount == svc.charge_amount):
                matches[index] = line
                used.add(line.pk)
                break
    return matches


def _patient_name(payment: ClaimPayment835) -> str:
    return ", ".join(part for part in (payment.patient_last_name, payment.patient_first_name) if part)[:120]


def _service_date(payment: ClaimPayment835) -> dt.date | None:
    return payment.service_date_from or next(
        (line.service_date_from for line in payment.lines if line.service_date_from), None)


def _codes(payment: ClaimPayment835) -> tuple[list[str], list[str]]:
    """The claim payment's CARC (claim and line level) and RARC codes, each once, in file order."""
    reasons = [a.reason_code for a in payment.adjustments]
    remarks = list(payment.remark_codes)
    for line in payment.lines:
        reasons += [a.reason_code for a in line.adjustments]
        remarks += list(line.remark_codes)
    return list(dict.fromkeys(reasons)), list(dict.fromkeys(remarks))


def _all_adjustments(payment: ClaimPayment835) -> list[Adjustment835]:
    return [*payment.adjustments, *(a for line in payment.lines for a in line.adjustments)]


def _kept_open(adjustment: Adjustment835) -> bool:
    """An adjustment of what we are owed on this claim: not the patient's share (moved to the patient) and not
    the earlier payer's adjudication (CARC 23, on a secondary payer's remittance: posted on the primary claim)."""
    return adjustment.group_code != "PR" and adjustment.reason_code != PRIOR_PAYER


def _is_denial(payment: ClaimPayment835, adjustments: Sequence[Adjustment835], pr_total: Decimal) -> bool:
    """CLP02 = 4, or nothing paid, nothing left to the patient and a reason other than the contract (45) or the
    earlier payer (23): "nothing (more) is owed under the contract" is an adjudication, not a denial."""
    if payment.status_code == DENIED:
        return True
    return (payment.paid_amount == 0 and pr_total == 0 and all(svc.paid_amount == 0 for svc in payment.lines)
            and any(_kept_open(a) and a.reason_code not in NOT_DENIALS and a.amount for a in adjustments))


class _Posting:
    """Posts the claim payments of one remittance: rows, ledger entries, statuses, denials, audit."""

    def __init__(self, *, actor: Any, remittance: Remittance) -> None:
        self.actor = actor
        self.remittance = remittance
        self.today = practice_now().date()
        paid_on = remittance.payment_date or self.today
        self.paid_on = min(paid_on, self.today)
        self.result = PaymentResult()
        self.trace = remittance.trace_number
        self._with_secondary: set[int] = set()

    # -- rows --------------------------------------------------------------------------------------------------

    def prepare(self, payments: Sequence[ClaimPayment835]) -> list[_Item]:
        """Match every claim payment, keep its rows (RemittanceClaim, lines, adjustments): the unmatched ones
        wait in the exceptions queue."""
        claims = _lock_claims(numbers=sorted({p.claim_number for p in payments}))
        lines = _lines_of(sorted(claim.pk for claim in claims.values()))
        earlier = self._reversible(claim for p in payments if p.status_code == REVERSAL
                                   for claim in [claims.get(p.claim_number)] if claim is not None)
        items: list[_Item] = []
        occurrences: dict[str, int] = defaultdict(int)
        for payment in payments:
            occurrences[payment.claim_number] += 1
            claim = claims.get(payment.claim_number)
            match, note = RemittanceClaimMatch.MATCHED, ""
            reverses: RemittanceClaim | None = None
            if claim is not None and payment.status_code in PROCESSED_AS_SECONDARY and claim.payer_rank == 1:
                claim = self._secondary_of(claim, lines)  # the secondary paying on the primary's number
                if claim is None:
                    note = _("Processed as secondary, but the claim is a primary claim with no open secondary "
                             "claim: build the secondary claim, then match this payment to it.")
            if claim is None:
                match = RemittanceClaimMatch.UNMATCHED
                note = note or _("No claim of ours has this number.")
            elif claim.status not in SENT_CLAIM_STATUSES:
                match = RemittanceClaimMatch.UNMATCHED
                note = _("Claim %(claim)s is %(status)s, not with the payer: post this payment by hand on the "
                         "claim it belongs to.") % {"claim": claim.claim_number,
                                                    "status": ClaimStatus(claim.status).label.lower()}
            elif payment.status_code == REVERSAL:
                candidates = earlier.get(claim.pk, [])
                if candidates:
                    reverses = candidates.pop(0)
                else:
                    match = RemittanceClaimMatch.UNMATCHED
                    note = _("A reversal, but no earlier payment of this claim was posted to take back.")
            elif payment.status_code not in PROCESSED and payment.status_code != DENIED:
                match = RemittanceClaimMatch.UNMATCHED
                note = _("Status %(code)s carries nothing to post: check it and dismiss it.") % {
                    "code": payment.status_code}
            matched = match == RemittanceClaimMatch.MATCHED
            rc = RemittanceClaim(
                remittance=self.remittance, occurrence=occurrences[payment.claim_number],
                claim=claim, match=match, claim_number=payment.claim_number[:38],
                status_code=payment.status_code[:2], charge_amount=_money(payment.charge_amount),
                paid_amount=_money(payment.paid_amount),
                patient_responsibility=None if payment.patient_responsibility is None
                else _money(payment.patient_responsibility),
                filing_indicator=payment.filing_indicator[:2], payer_claim_number=payment.payer_claim_number[:50],
                patient_name=_patient_name(payment), member_id=payment.member_id[:80],
                service_date=_service_date(payment), remark_codes=list(payment.remark_codes), reverses=reverses,
                note=note[:500])
            # Lines are tied to claim lines only when posted: a queued payment must not pin a claim's lines.
            line_matches: list[LineToMatch | None] = (
                match_lines(payment.lines, claim, lines.get(claim.pk, [])) if matched and claim is not None
                else [None] * len(payment.lines))
            items.append(_Item(payment=payment, rc=rc, claim=claim if matched else None, line_rows=[],
                               line_matches=line_matches, reverses=reverses))
            if not matched:
                self.result.claims_unmatched += 1
                self.result.notices.append(_("Claim payment %(number)s (%(trace)s) is in the exceptions queue: "
                                             "%(why)s") % {"number": payment.claim_number, "trace": self.trace,
                                                           "why": note})
        self._store(items)
        return items

    def _store(self, items: list[_Item]) -> None:
        """Keep the claim payments, their lines and adjustments as the file gave them (rows of plain values,
        core.bulk_insert); the RemittanceClaim objects get their primary keys for what posting writes next."""
        insert_rows(RemittanceClaim, RC_FIELDS, [
            (rc.remittance_id, rc.occurrence, rc.claim_id, rc.match, rc.claim_number, rc.status_code,
             rc.charge_amount, rc.paid_amount, rc.patient_responsibility, rc.filing_indicator, rc.payer_claim_number,
             rc.patient_name, rc.member_id, rc.service_date, rc.remark_codes, rc.reverses_id, rc.note)
            for rc in (item.rc for item in items)])
        keys = {(number, occurrence): pk for pk, number, occurrence in RemittanceClaim.objects.filter(
            remittance=self.remittance).values_list("pk", "claim_number", "occurrence")}
        for item in items:
            item.rc.pk = keys[(item.rc.claim_number, item.rc.occurrence)]
            item.rc._state.adding = False
        insert_rows(RemittanceLine, LINE_FIELDS, [
            (item.rc.pk, position, match.pk if match is not None else None, svc.procedure_code[:48],
             list(svc.modifiers), _money(svc.charge_amount), _money(svc.paid_amount), svc.units, svc.service_date_from,
             svc.control_number[:50], None if svc.allowed_amount is None else _money(svc.allowed_amount),
             list(svc.remark_codes))
            for item in items
            for position, (svc, match) in enumerate(zip(item.payment.lines, item.line_matches, strict=True), 1)])
        lines = {(rc_id, position): pk for pk, rc_id, position in RemittanceLine.objects.filter(
            remittance_claim__remittance=self.remittance).values_list("pk", "remittance_claim_id", "position")}
        rows: list[tuple[Any, ...]] = []
        for item in items:
            rc_id = item.rc.pk
            rows += [(rc_id, None, a.group_code[:2], a.reason_code[:5], _money(a.amount), a.quantity)
                     for a in item.payment.adjustments]
            for position, svc in enumerate(item.payment.lines, 1):
                line_id = lines[(rc_id, position)]
                rows += [(rc_id, line_id, a.group_code[:2], a.reason_code[:5], _money(a.amount), a.quantity)
                         for a in svc.adjustments]
        insert_rows(RemittanceAdjustment, ("remittance_claim", "line", "group_code", "reason_code", "amount", "quantity"),
                rows)

    def _secondary_of(self, primary: Claim, lines: dict[int, list[LineToMatch]]) -> Claim | None:
        found = open_claim_for(charge_id=primary.charge_id, rank=2)
        if found is None:
            return None
        locked = _lock_claims(pks=[found.pk])[found.pk]
        lines[locked.pk] = list(locked.lines.order_by("line_number"))
        return locked

    @staticmethod
    def _reversible(claims: Iterable[Claim]) -> dict[int, list[RemittanceClaim]]:
        """For each claim, the postings a reversal may take back, latest first: its own, then (for a corrected
        or void claim) those of the claim it replaces."""
        wanted = {claim.pk: claim for claim in claims}
        if not wanted:
            return {}
        owners = {claim.pk: claim.pk for claim in wanted.values()}
        owners.update({claim.original_claim_id: claim.pk for claim in wanted.values()
                       if claim.original_claim_id is not None})
        rows = (RemittanceClaim.objects.filter(claim_id__in=list(owners), match__in=POSTED_MATCHES)
                .exclude(status_code=REVERSAL).filter(reversals__isnull=True).order_by("-pk"))
        found: dict[int, list[RemittanceClaim]] = defaultdict(list)
        for row in rows:
            assert row.claim_id is not None
            found[owners[row.claim_id]].append(row)
        for pk, claim in wanted.items():  # the claim's own postings before those of the claim it replaced
            found[pk].sort(key=lambda row: (row.claim_id != claim.pk, -row.pk))
        return found

    # -- money -------------------------------------------------------------------------------------------------

    def post(self, items: list[_Item], provider_adjustments: Sequence[Any] = ()) -> None:
        entries: list[NewEntry] = []
        moves: list[tuple[Claim, str, str]] = []
        statuses: dict[int, str] = {}
        denials: list[Denial] = []
        audits: list[tuple[Claim, str]] = []
        posted = [item for item in items if item.claim is not None]
        for item in posted:
            assert item.claim is not None
            statuses.setdefault(item.claim.pk, item.claim.status)
        original_statuses = dict(statuses)

        def move(claim: Claim, to_status: str, reason: str) -> None:
            current = statuses[claim.pk]
            if current == to_status:
                return
            if not transition_allowed(current, to_status):
                self.result.notices.append(_("Claim %(claim)s stays %(from)s (it cannot become %(to)s).") % {
                    "claim": claim.claim_number, "from": ClaimStatus(current).label.lower(),
                    "to": ClaimStatus(to_status).label.lower()})
                return
            statuses[claim.pk] = to_status
            moves.append((claim, to_status, reason))

        # Reversals first: their entries are reversed now, so the balances read below include them.
        for item in posted:
            if item.payment.status_code == REVERSAL:
                assert item.claim is not None
                entries += self._reverse(item)
                target = ClaimStatus.CLOSED if item.claim.frequency_code == ClaimFrequency.VOID \
                    else ClaimStatus.ACCEPTED
                move(item.claim, target, _("835 %(trace)s: reversal of an earlier payment") % {"trace": self.trace})
                audits.append((item.claim, f"reversal, remittance {self.remittance.pk}"))
        balances = self._payer_balances([item.claim for item in posted if item.claim is not None])
        for pending in entries:  # a replaced claim's balance moving to its replacement, not posted yet
            if pending.party == Party.PAYER:
                key = balance_key(pending.patient_id, pending.claim_id, Party.PAYER, pending.payer_id)
                balances[key] = balances.get(key, ZERO) + pending.amount
        self._with_secondary = self._patients_with_secondary(posted)
        secondary_wanted: list[_Item] = []
        pending_pr: dict[int, list[NewEntry]] = {}
        for item in posted:
            claim, payment = item.claim, item.payment
            assert claim is not None
            if payment.status_code == REVERSAL:
                continue
            claim_entries, pr_entries, denied = self._claim_entries(item)
            entries += claim_entries
            key = balance_key(claim.patient_id, claim.pk, Party.PAYER, claim.payer_id)
            balances[key] = balances.get(key, ZERO) + sum(
                (e.amount for e in [*claim_entries, *pr_entries] if e.party == Party.PAYER
                 and e.claim_id == claim.pk and e.payer_id == claim.payer_id), ZERO)
            self.result.claims_matched += 1
            if denied:
                self.result.denied_claims += 1
                move(claim, ClaimStatus.DENIED, _("835 %(trace)s: denied") % {"trace": self.trace})
                denials.append(self._denial(item))
            else:
                left = balances[key]
                move(claim, ClaimStatus.PAID if left <= 0 else ClaimStatus.PARTIAL,
                     _("835 %(trace)s: paid %(paid)s") % {"trace": self.trace, "paid": _money(payment.paid_amount)})
                if left < 0:
                    self.result.notices.append(_("Claim %(claim)s is overpaid by %(amount)s: a credit with the "
                                                 "payer.") % {"claim": claim.claim_number, "amount": -left})
            if (pr_entries and not denied and payment.status_code in PROCESSED_AS_PRIMARY
                    and claim.payer_rank == 1):
                secondary_wanted.append(item)
                pending_pr[item.rc.pk] = pr_entries
            else:
                entries += pr_entries
            audits.append((claim, f"remittance {self.remittance.pk}, paid {_money(payment.paid_amount)}"))
        numbers = self._payer_claim_numbers(posted)
        if moves:
            # PostgreSQL checks every foreign key of a row updated a second time in one transaction (ri_triggers:
            # its xmin is ours): the payer claim numbers go in the status UPDATE, not in one of their own.
            also_set = {"payer_claim_number": _numbers_expression(numbers)} if (
                numbers and connection.vendor == "postgresql") else None
            claims_transition(actor=self.actor, moves=moves, source=StatusSource.REMITTANCE,
                              locked_statuses=original_statuses, also_set=also_set)
            if also_set is not None:
                moved = {claim.pk for claim, _to, _why in moves}
                numbers = {pk: number for pk, number in numbers.items() if pk not in moved}
        if numbers:
            _set_payer_claim_numbers(numbers, now=timezone.now())
        for item in secondary_wanted:
            entries += self._to_secondary(item, pending_pr[item.rc.pk])
        entries += self._recoupments(provider_adjustments)
        ledger_post(actor=self.actor, entries=entries, posted_on=self.today)
        Denial.objects.bulk_create(denials)
        _audit_claims(self.actor, audits)
        for item in posted:  # the domain event (webhooks), one per claim paid, at the claim's location
            assert item.claim is not None
            emit("payment.posted", location_id=item.claim.location_id, data={
                "payment_id": self.remittance.pk, "kind": "era", "remittance_claim_id": item.rc.pk,
                "claim_id": item.claim.pk, "claim_number": item.claim.claim_number,
                "patient_id": item.claim.patient_id, "location_id": item.claim.location_id,
                "amount": str(_money(item.payment.paid_amount)), "status_code": item.payment.status_code,
                "trace_number": self.trace, "payer_id": self.remittance.payer_id})

    @staticmethod
    def _patients_with_secondary(items: Sequence[_Item]) -> set[int]:
        """Patients of primary claims whose patient share may go to a secondary payer: one query for them all."""
        patient_ids = sorted({item.claim.patient_id for item in items if item.claim is not None
                              and item.claim.payer_rank == 1 and item.payment.status_code in PROCESSED_AS_PRIMARY
                              and any(a.group_code == "PR" and a.amount for a in _all_adjustments(item.payment))})
        if not patient_ids:
            return set()
        return set(Coverage.objects.filter(patient_id__in=patient_ids, rank=2).values_list("patient_id", flat=True))

    def _payer_balances(self, claims: Sequence[Claim]) -> dict[str, Decimal]:
        keys = sorted({balance_key(c.patient_id, c.pk, Party.PAYER, c.payer_id) for c in claims})
        chunk = any_of_chunk_size()
        found: dict[str, Decimal] = {}
        for start in range(0, len(keys), chunk):
            found.update(AccountBalance.objects.filter(key__any_of=keys[start:start + chunk])
                         .values_list("key", "balance"))
        return found

    def _claim_entries(self, item: _Item) -> tuple[list[NewEntry], list[NewEntry], bool]:
        """The claim payment's entries: (payments and adjustments, the PR transfers, whether it is a denial).
        PR transfers come apart: they go to the patient, or to a secondary claim built afterwards."""
        claim, payment, rc = item.claim, item.payment, item.rc
        assert claim is not None
        paid_lines = sum((svc.paid_amount for svc in payment.lines), Decimal(0))
        adjustments = _all_adjustments(payment)
        pr_total = sum((a.amount for a in adjustments if a.group_code == "PR"), Decimal(0))
        open_total = sum((a.amount for a in adjustments if _kept_open(a)), Decimal(0))
        denied = _is_denial(payment, adjustments, pr_total)

        def entry(kind: str, amount: Decimal, *, line: LineToMatch | None = None, day: dt.date | None = None,
                  group: str = "", reason: str = "", party: str = Party.PAYER) -> NewEntry:
            return NewEntry(kind=kind, amount=_money(amount), party=party, patient_id=claim.patient_id,
                            location_id=claim.location_id, payer_id=claim.payer_id if party == Party.PAYER else None,
                            claim_id=claim.pk, claim_line_id=line.pk if line is not None else None,
                            charge_id=claim.charge_id, service_date=day or claim.date_of_service, group_code=group,
                            reason_code=reason[:5], remittance_claim_id=rc.pk)

        money: list[NewEntry] = []
        transfers: list[NewEntry] = []

        def adjust(adjustment: Adjustment835, line: LineToMatch | None, day: dt.date | None) -> None:
            group = adjustment.group_code
            if group == "PR":
                transfers.append(entry(EntryKind.TRANSFER, -adjustment.amount, line=line, day=day, group=group,
                                       reason=adjustment.reason_code))
                transfers.append(entry(EntryKind.TRANSFER, adjustment.amount, line=line, day=day, group=group,
                                       reason=adjustment.reason_code, party=Party.PATIENT))
            elif adjustment.reason_code == PRIOR_PAYER:
                return  # what the earlier payer paid and adjusted: posted on its own claim already
            elif not denied:
                money.append(entry(ADJUSTMENT_KINDS.get(group, EntryKind.PAYER_ADJUSTMENT), -adjustment.amount,
                                   line=line, day=day, group=group, reason=adjustment.reason_code))

        for svc, line in zip(payment.lines, item.line_matches, strict=True):
            day = svc.service_date_from
            money.append(entry(EntryKind.PAYER_PAYMENT, -svc.paid_amount, line=line, day=day))
            for adjustment in svc.adjustments:
                adjust(adjustment, line, day)
        if payment.paid_amount != paid_lines:
            money.append(entry(EntryKind.PAYER_PAYMENT, -(payment.paid_amount - paid_lines)))
        for adjustment in payment.adjustments:
            adjust(adjustment, None, None)
        self.result.paid_total += _money(payment.paid_amount)
        self.result.patient_responsibility_total += _money(pr_total)
        if not denied:
            self.result.adjustment_total += _money(open_total)
        return [e for e in money if e.amount], [e for e in transfers if e.amount], denied

    def _denial(self, item: _Item) -> Denial:
        claim, payment = item.claim, item.payment
        assert claim is not None
        reasons, remarks = _codes(payment)
        category, _step = categorize(reasons, remarks)
        amount = _money(sum((a.amount for a in _all_adjustments(payment) if _kept_open(a)), Decimal(0)))
        return Denial(claim=claim, remittance_claim=item.rc, category=category, reason_codes=reasons,
                      remark_codes=remarks, amount=amount)

    def _reverse(self, item: _Item) -> list[NewEntry]:
        """Take back the earlier posting `item.reverses`; returns further entries to post (the balance of a
        replaced claim moving to its replacement, or a voided charge leaving the ledger)."""
        claim, earlier = item.claim, item.reverses
        assert claim is not None
        assert earlier is not None
        originals = list(LedgerEntry.objects.filter(remittance_claim_id=earlier.pk, reverses__isnull=True)
                         .order_by("pk"))
        ledger_reverse(actor=self.actor, entries=originals, posted_on=self.today, remittance_claim_id=item.rc.pk,
                       memo=_("reversed by 835 %(trace)s") % {"trace": self.trace})
        self.result.reversed_claims += 1
        self.result.claims_matched += 1
        for entry in originals:
            if entry.kind == EntryKind.PAYER_PAYMENT:
                self.result.paid_total += entry.amount
            elif entry.kind in (EntryKind.CONTRACTUAL, EntryKind.PAYER_ADJUSTMENT):
                self.result.adjustment_total += entry.amount
            elif entry.kind == EntryKind.TRANSFER and entry.group_code == "PR" and entry.amount > 0:
                self.result.patient_responsibility_total -= entry.amount
        if any(entry.claim_id != earlier.claim_id for entry in originals):
            self.result.notices.append(_("The reversed payment of claim %(claim)s had moved the patient's share "
                                         "to a secondary claim: check that claim (it may need a corrected or void "
                                         "claim).") % {"claim": claim.claim_number})
        if earlier.claim_id == claim.pk:
            return []
        # The reversed posting was on the claim this one replaces: its open balance follows.
        replaced_id = earlier.claim_id
        assert replaced_id is not None
        rows = list(AccountBalance.objects.filter(claim_id=replaced_id, party=Party.PAYER).exclude(balance=0)
                    .order_by("key"))
        extra: list[NewEntry] = []
        charge_void = Charge.objects.filter(pk=claim.charge_id, status=ChargeStatus.VOID).exists()
        for row in rows:
            leaving = NewEntry(kind=EntryKind.TRANSFER, amount=-row.balance, party=Party.PAYER,
                               patient_id=row.patient_id, location_id=row.location_id, payer_id=row.payer_id,
                               claim_id=replaced_id, charge_id=claim.charge_id, service_date=row.service_date,
                               remittance_claim_id=item.rc.pk)
            if claim.frequency_code == ClaimFrequency.VOID:
                if charge_void:  # confirmed by the payer: the charge leaves the ledger
                    extra.append(replace(leaving, kind=EntryKind.CHARGE, memo=_("charge voided")))
                continue
            extra += [leaving, replace(leaving, amount=row.balance, payer_id=claim.payer_id, claim_id=claim.pk,
                                       service_date=claim.date_of_service)]
        return extra

    def _to_secondary(self, item: _Item, pr_entries: list[NewEntry]) -> list[NewEntry]:
        """Build (or find) the secondary claim and send the PR amounts to it; to the patient when there is no
        secondary coverage in force or the actor may not build claims at the location."""
        claim, payment = item.claim, item.payment
        assert claim is not None
        secondary = self._secondary_claim(claim, payment)
        if secondary is None:
            return pr_entries
        redirected: list[NewEntry] = []
        for entry in pr_entries:
            if entry.party == Party.PATIENT:
                redirected.append(NewEntry(
                    kind=entry.kind, amount=entry.amount, party=Party.PAYER, patient_id=secondary.patient_id,
                    location_id=secondary.location_id, payer_id=secondary.payer_id, claim_id=secondary.pk,
                    charge_id=secondary.charge_id, service_date=entry.service_date, group_code=entry.group_code,
                    reason_code=entry.reason_code, remittance_claim_id=entry.remittance_claim_id,
                    memo=_("patient share to secondary claim %(claim)s") % {"claim": secondary.claim_number}))
            else:
                redirected.append(entry)
        return redirected

    def _secondary_claim(self, primary: Claim, payment: ClaimPayment835) -> Claim | None:
        if primary.patient_id not in self._with_secondary:  # claim_build_secondary checks the dates
            return None
        existing = open_claim_for(charge_id=primary.charge_id, rank=2)
        if existing is not None:
            return existing
        if not can(self.actor, Perm.BILLING_MANAGE, primary.location_id):
            self.result.notices.append(_("Claim %(claim)s: the patient has a secondary insurance, but you may not "
                                         "build claims at this location; the patient's share stays with the "
                                         "patient until someone builds the secondary claim.")
                                       % {"claim": primary.claim_number})
            return None
        totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for adjustment in _all_adjustments(payment):
            totals[(adjustment.group_code, adjustment.reason_code)] += adjustment.amount
        adjustments = [(group, reason, _money(amount)) for (group, reason), amount in totals.items() if amount]
        try:
            return claim_build_secondary(actor=self.actor, claim=primary, paid=_money(payment.paid_amount),
                                         paid_on=max(self.paid_on, primary.date_of_service),
                                         adjustments=adjustments)
        except ValidationError:
            pass  # e.g. the payer adjudicated another total than we billed: the secondary without the payment
        try:
            secondary = claim_build_secondary(actor=self.actor, claim=primary)
        except ValidationError as error:
            if getattr(error, "code", "") != "no_coverage":
                self.result.notices.append(_("Claim %(claim)s: the secondary claim could not be built (%(why)s); "
                                             "the patient's share stays with the patient.")
                                           % {"claim": primary.claim_number, "why": " ".join(error.messages)})
            return None
        self.result.notices.append(_("Secondary claim %(claim)s was built without the primary's payment: enter it "
                                     "on the claim before sending.") % {"claim": secondary.claim_number})
        return secondary

    def _recoupments(self, adjustments: Sequence[Any]) -> list[NewEntry]:
        """Keep every PLB; post a recoupment (WO) on the claim its reference names, when it names one of ours."""
        if not adjustments:
            return []
        ProviderAdjustment.objects.bulk_create([
            ProviderAdjustment(remittance=self.remittance, fiscal_period_date=a.fiscal_period_date,
                               reason_code=a.reason_code[:2], reference=a.reference[:50], amount=_money(a.amount))
            for a in adjustments])
        wanted = [a for a in adjustments if a.reason_code == "WO" and a.reference.strip()]
        if not wanted:
            return []
        references = sorted({a.reference.strip() for a in wanted})
        candidates: dict[str, list[Claim]] = defaultdict(list)
        for claim in Claim.objects.filter(Q(claim_number__in=references) | Q(payer_claim_number__in=references)):
            for reference in {claim.claim_number, claim.payer_claim_number} & set(references):
                candidates[reference].append(claim)
        entries: list[NewEntry] = []
        for adjustment in wanted:
            found = candidates.get(adjustment.reference.strip(), [])
            if len(found) != 1 or not can(self.actor, Perm.BILLING_POST, found[0].location_id):
                continue
            claim = found[0]
            entries.append(NewEntry(
                kind=EntryKind.PROVIDER_ADJUSTMENT, amount=_money(adjustment.amount), party=Party.PAYER,
                patient_id=claim.patient_id, location_id=claim.location_id, payer_id=claim.payer_id,
                claim_id=claim.pk, charge_id=claim.charge_id, service_date=claim.date_of_service, group_code="",
                reason_code="WO", remittance_id=self.remittance.pk,
                memo=_("recoupment (PLB) in 835 %(trace)s") % {"trace": self.trace}))
            self.result.notices.append(_("Recoupment of %(amount)s posted on claim %(claim)s.")
                                       % {"amount": _money(adjustment.amount), "claim": claim.claim_number})
        return entries

    @staticmethod
    def _payer_claim_numbers(items: Sequence[_Item]) -> dict[int, str]:
        """The payer's claim numbers (CLP07) that differ from the claims': set on the claims, returned to write."""
        changed: dict[int, str] = {}
        for item in items:
            claim, number = item.claim, item.payment.payer_claim_number.strip()[:50]
            if claim is not None and number and claim.payer_claim_number != number:
                claim.payer_claim_number = number
                changed[claim.pk] = number
        return changed


def _numbers_expression(numbers: dict[int, str]) -> RawSQL:
    """PostgreSQL: each claim's new payer claim number, from one jsonb object by claim id (the claim's own number
    where it has none there), for an UPDATE of billing_claim. Only quoted names from the model go into the SQL."""
    quote = connection.ops.quote_name
    table = quote(Claim._meta.db_table)
    pk, column = (quote(str(cast("models.Field[Any, Any]", Claim._meta.get_field(name)).column))
                  for name in ("id", "payer_claim_number"))
    return RawSQL(f"COALESCE((%s::jsonb) ->> ({table}.{pk})::text, {table}.{column})",  # noqa: S611
                  [json.dumps({str(key): value for key, value in numbers.items()})])


def _set_payer_claim_numbers(numbers: dict[int, str], *, now: dt.datetime) -> None:
    """UPDATE the claims' payer claim numbers in one statement (PostgreSQL) or one prepared statement run for
    each (SQLite): bulk_update's CASE WHEN of 5,000 claims took seconds. Only quoted names from the model and
    placeholders go into the SQL."""
    quote = connection.ops.quote_name
    fields = {name: cast("models.Field[Any, Any]", Claim._meta.get_field(name))
              for name in ("id", "payer_claim_number", "updated_at")}
    table = quote(Claim._meta.db_table)
    pk, number, updated = (quote(str(field.column)) for field in fields.values())
    stamp = fields["updated_at"].get_db_prep_save(now, connection)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} SET {number} = u.n, {updated} = %s FROM UNNEST(%s::bigint[], %s::text[]) AS u(pk, n) "  # noqa: S608
                f"WHERE {table}.{pk} = u.pk", [stamp, list(numbers), list(numbers.values())])
        else:
            cursor.executemany(f"UPDATE {table} SET {number} = %s, {updated} = %s WHERE {pk} = %s",  # noqa: S608
                               [(value, stamp, key) for key, value in numbers.items()])


def _audit_claims(actor: Any, audits: Sequence[tuple[Claim, str]]) -> None:
    """One event per claim posted, naming its patient (a remittance discloses nothing, but who touched whose
    money is asked of the trail patient by patient): appended together, under one lock of the chain."""
    record_many(actor=actor, events=[
        AuditEntry(action="billing.claim_payment_posted", target=claim, patient_id=claim.patient_id,
                   location_id=claim.location_id, changed_fields=CLAIM_AUDIT_FIELDS, reason=reason)
        for claim, reason in audits])


CLAIM_AUDIT_FIELDS = ("ledger", "status", "payer_claim_number")


# --- the exceptions queue ------------------------------------------------------------------------------------------


def _stored_payment(rc: RemittanceClaim) -> tuple[ClaimPayment835, list[RemittanceLine]]:
    """The claim payment as the 835 gave it, back from its stored rows."""
    lines = list(rc.lines.order_by("position"))
    by_line: dict[int | None, list[Adjustment835]] = defaultdict(list)
    for row in rc.adjustments.order_by("pk"):
        by_line[row.line_id].append(Adjustment835(row.group_code, row.reason_code, row.amount, row.quantity))
    services = tuple(ServiceLine835(
        procedure_qualifier="HC", procedure_code=line.procedure_code, modifiers=tuple(line.modifiers),
        charge_amount=line.charge_amount, paid_amount=line.paid_amount, units=line.units,
        service_date_from=line.service_date, service_date_to=line.service_date, control_number=line.control_number,
        allowed_amount=line.allowed_amount, adjustments=tuple(by_line[line.pk]), remark_codes=tuple(line.remark_codes),
        segment_position=0) for line in lines)
    last, _comma, first = rc.patient_name.partition(", ")
    payment = ClaimPayment835(
        claim_number=rc.claim_number, status_code=rc.status_code, charge_amount=rc.charge_amount,
        paid_amount=rc.paid_amount, patient_responsibility=rc.patient_responsibility,
        filing_indicator=rc.filing_indicator, payer_claim_number=rc.payer_claim_number, patient_last_name=last,
        patient_first_name=first, member_id=rc.member_id, service_date_from=rc.service_date,
        service_date_to=rc.service_date, adjustments=tuple(by_line[None]), remark_codes=tuple(rc.remark_codes),
        lines=services, segment_position=0)
    return payment, lines


def _locked_unmatched(remittance_claim: RemittanceClaim) -> RemittanceClaim:
    rc = RemittanceClaim.objects.select_for_update().select_related("remittance").get(pk=remittance_claim.pk)
    if rc.match != RemittanceClaimMatch.UNMATCHED:
        raise ValidationError(_("This claim payment is no longer in the exceptions queue (%(state)s).")
                              % {"state": rc.get_match_display()}, code="not_unmatched")
    return rc


def remittance_claim_resolve(*, actor: Any, remittance_claim: RemittanceClaim, claim: Claim) -> RemittanceClaim:
    """Match a claim payment from the exceptions queue to `claim` by hand and post it, as the import would
    have. billing.post_payments at the claim's location."""
    authorize_at(actor=actor, location_id=claim.location_id, action="billing.remittance_claim_resolve",
                 target=remittance_claim, permission=Perm.BILLING_POST)
    with transaction.atomic():
        rc = _locked_unmatched(remittance_claim)
        current = _lock_claims(pks=[claim.pk])[claim.pk]
        if current.status not in SENT_CLAIM_STATUSES:
            raise ValidationError(_("Claim %(claim)s is %(status)s: only a claim the payer has can take a payment.")
                                  % {"claim": current.claim_number, "status": ClaimStatus(current.status).label.lower()},
                                  code="not_sent")
        payment, line_rows = _stored_payment(rc)
        reverses: RemittanceClaim | None = None
        if payment.status_code == REVERSAL:
            candidates = _Posting._reversible([current]).get(current.pk, [])
            if not candidates:
                raise ValidationError(_("This reversal takes back a payment, but no payment of claim %(claim)s was "
                                        "posted: dismiss it, or match it to the claim that was paid.")
                                      % {"claim": current.claim_number}, code="nothing_to_reverse")
            reverses = candidates[0]
        elif payment.status_code not in PROCESSED and payment.status_code != DENIED:
            raise ValidationError(_("Status %(code)s carries nothing to post: dismiss it instead.")
                                  % {"code": payment.status_code}, code="nothing_to_post")
        matches = match_lines(payment.lines, current, list(current.lines.order_by("line_number")))
        for row, match in zip(line_rows, matches, strict=True):
            row.claim_line_id = match.pk if match is not None else None
        RemittanceLine.objects.bulk_update(line_rows, ["claim_line"])
        rc.claim, rc.match, rc.reverses = current, RemittanceClaimMatch.RESOLVED, reverses
        rc.resolved_by, rc.resolved_at = actor, timezone.now()
        rc.full_clean(exclude=["remark_codes"], validate_unique=False, validate_constraints=False)
        rc.save(update_fields=["claim", "match", "reverses", "resolved_by", "resolved_at"])
        posting = _Posting(actor=actor, remittance=rc.remittance)
        posting.post([_Item(payment=payment, rc=rc, claim=current, line_rows=line_rows, line_matches=matches,
                            reverses=reverses)])
        record(actor=actor, action="billing.remittance_claim_resolved", target=rc, patient_id=current.patient_id,
               location_id=current.location_id, changed_fields=["claim", "match"],
               reason=f"claim {current.pk}, remittance {rc.remittance_id}")
    return rc


def remittance_claim_dismiss(*, actor: Any, remittance_claim: RemittanceClaim, note: str) -> RemittanceClaim:
    """Set a claim payment of the exceptions queue aside (not ours, nothing to post), saying why. Nothing is
    posted. billing.post_payments at its claim's location, or anywhere for one that names no claim of ours."""
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Say why this claim payment is set aside.")})
    if len(note) > 500:
        raise ValidationError({"note": _("Keep the note under 500 characters.")})
    if remittance_claim.claim_id is not None:
        authorize_at(actor=actor, location_id=remittance_claim.claim.location_id if remittance_claim.claim else None,
                     action="billing.remittance_claim_dismiss", target=remittance_claim,
                     permission=Perm.BILLING_POST)
    elif not can(actor, Perm.BILLING_POST):
        raise refuse(actor=actor, permission=Perm.BILLING_POST, action="billing.remittance_claim_dismiss",
                     target=remittance_claim)
    with transaction.atomic():
        rc = _locked_unmatched(remittance_claim)
        rc.match, rc.note = RemittanceClaimMatch.DISMISSED, note
        rc.resolved_by, rc.resolved_at = actor, timezone.now()
        rc.full_clean(exclude=["remark_codes"], validate_unique=False, validate_constraints=False)
        rc.save(update_fields=["match", "note", "resolved_by", "resolved_at"])
        claim = rc.claim
        record(actor=actor, action="billing.remittance_claim_dismissed", target=rc,
               patient_id=claim.patient_id if claim else None, location_id=claim.location_id if claim else None,
               changed_fields=["match", "note"], reason=note[:200])
    return rc
