"""Eligibility: build a 270 request for one coverage, import the payer's 271 answers onto the coverages.

The 270's trace number (TRN02) is ours: "OPE" + a number from numbers.py + "-" + the coverage id, so the 271
that echoes it back (TRN*2) finds its coverage; a 271 without our trace is matched by member ID and payer ID
(and the dependent's date of birth). Each answer becomes an EligibilityResponse through the patients service,
which the check-in page shows. A 271 file is imported all or nothing, once per person (SHA-256 + importer): the
same person importing it again changes nothing; another biller may import it to record the answers about the
patients of their locations (answers an earlier import of the file already recorded are not recorded twice).
Amounts are read by money.parse_money: an amount that cannot be kept refuses the file.

Permission: BILLING_MANAGE at the patient's home location (the coverage's scope); answers about patients
elsewhere are only counted. Building a 270 is a PHI export (names, birth dates, member IDs leave the system):
audited per coverage.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import location_ids_where
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.core.models import Practice
from openpractice.core.selectors import practice_now
from openpractice.patients.models import Coverage, EligibilityResponse, SubscriberRelationship
from openpractice.patients.services import eligibility_response_record

from ..choices import AcknowledgementKind
from ..models import AcknowledgementImport, BillingSettings
from ..money import parse_money
from ..x12.eligibility_270 import FUNCTIONAL_ID, IMPLEMENTATION, EligibilityRequest, Member, build_270
from ..x12.eligibility_271 import Eligibility271, EligibilityAnswer, parse_271
from ..x12.envelope import Envelope
from ..x12.reader import X12SyntaxError, transaction_set_ids
from ..x12.segments import digits, ident
from .acknowledgements import (
    authorize_import,
    check_file,
    duplicate_note,
    first_imported,
    imported_before_note,
    previous_import,
    unreadable,
)
from .authorization import authorize_at
from .numbers import GROUP, INTERCHANGE, control_number_next

TRACE_COUNTER = "eligibility"
TRACE_RE = re.compile(r"^OPE([0-9]{1,12})-([0-9]{1,12})$")


def trace_number_format(sequence: int, coverage_id: int) -> str:
    return f"OPE{sequence:08d}-{coverage_id}"


def coverage_id_from_trace(trace: str) -> int | None:
    match = TRACE_RE.match(trace.strip())
    return int(match.group(2)) if match else None


# --- 270 out --------------------------------------------------------------------------------------------------


def _member(last: str, first: str, middle: str, born: dt.date | None, sex: str) -> Member:
    return Member(last_name=last, first_name=first, middle_name=middle, date_of_birth=born, sex=sex)


def _request_problems(coverage: Coverage, practice: Practice | None, settings: BillingSettings | None) -> list[str]:
    problems: list[str] = []
    if settings is None:
        problems.append(_("Fill in the billing settings (submitter and receiver IDs) first."))
    if practice is None or not practice.group_npi:
        problems.append(_("The practice needs a group NPI (practice settings): the payer knows the practice by it."))
    if not ident(coverage.payer.payer_id):
        problems.append(_("The payer “%(payer)s” has no electronic payer ID.") % {"payer": coverage.payer.name})
    if not ident(coverage.member_id):
        problems.append(_("The coverage has no member ID."))
    if practice is not None and len(digits(practice.ein)) != 9:
        problems.append(_("The practice's EIN is incomplete (it identifies the practice in the trace number)."))
    return problems


def eligibility_270_build(*, actor: Any, coverage: Coverage, service_date: dt.date | None = None) -> tuple[str, str]:
    """A 005010X279A1 270 asking the payer about `coverage` (health benefit plan coverage, EQ*30) on
    `service_date` (today by default). Returns (the interchange text, its trace number). Uses fresh ISA/GS
    control numbers and a trace number; audited as an export of the patient's data."""
    # Refused before the transaction opens, so the denial's audit event stays.
    authorize_at(actor=actor, location_id=coverage.patient.home_location_id, action="billing.eligibility_270",
                 target=coverage)
    return _build_270(actor=actor, coverage=coverage, service_date=service_date)


@transaction.atomic
def _build_270(*, actor: Any, coverage: Coverage, service_date: dt.date | None) -> tuple[str, str]:
    patient = coverage.patient
    practice = Practice.objects.first()
    settings = BillingSettings.objects.filter(singleton=True).first()
    problems = _request_problems(coverage, practice, settings)
    if problems:
        raise ValidationError(problems, code="incomplete")
    assert practice is not None
    assert settings is not None
    now = practice_now()
    interchange = control_number_next(INTERCHANGE)
    group = control_number_next(GROUP)
    trace = trace_number_format(control_number_next(TRACE_COUNTER), coverage.pk)
    try:
        envelope = Envelope(sender_id=settings.submitter_id, receiver_id=settings.receiver_id,
                            interchange_number=interchange, group_number=group,
                            usage_indicator=settings.usage_indicator, created=now, functional_id=FUNCTIONAL_ID,
                            version=IMPLEMENTATION)
    except ValueError as error:
        raise ValidationError(_("The interchange cannot be built: %(error)s.") % {"error": error}) from error
    patient_member = _member(patient.last_name, patient.first_name, patient.middle_name, patient.date_of_birth,
                             patient.sex)
    is_self = coverage.subscriber_relationship == SubscriberRelationship.SELF
    subscriber = patient_member if is_self else _member(
        coverage.subscriber_last_name, coverage.subscriber_first_name, "", coverage.subscriber_date_of_birth,
        coverage.subscriber_sex)
    request = EligibilityRequest(
        envelope=envelope, payer_name=coverage.payer.name, payer_id=coverage.payer.payer_id,
        provider_name=practice.name, provider_npi=practice.group_npi, member_id=coverage.member_id,
        subscriber=subscriber, trace_number=trace, originator_id="9" + digits(practice.ein),
        service_date=service_date or now.date(), dependent=None if is_self else patient_member,
        relationship="" if is_self else coverage.subscriber_relationship,
    )
    text = build_270(request)
    record(actor=actor, action="billing.eligibility_request_exported", target=coverage, patient_id=patient.pk,
           location_id=patient.home_location_id, reason=f"270 trace {trace}")
    return text, trace


# --- 271 in ---------------------------------------------------------------------------------------------------


@dataclass
class EligibilityOutcome:
    coverage_id: int
    patient_id: int
    patient_name: str
    payer_name: str
    is_active: bool
    copay: Decimal | None
    deductible: Decimal | None
    deductible_remaining: Decimal | None
    message: str


@dataclass
class EligibilityImportResult:
    file_name: str
    duplicate: bool = False
    import_id: int | None = None
    imported_at: Any = None
    recorded: list[EligibilityOutcome] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # answers no coverage matched (member ID, payer ID)
    ambiguous: list[str] = field(default_factory=list)  # answers several coverages matched
    not_yours: int = 0  # answers about patients outside the actor's locations: a count, never who
    already: int = 0  # answers an earlier import of this file (by someone else) already recorded
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {"recorded": len(self.recorded), "active": sum(1 for o in self.recorded if o.is_active),
                "unknown": len(self.unknown), "ambiguous": len(self.ambiguous), "not_yours": self.not_yours,
                "already": self.already, "notes": self.notes[:50]}


def _same_id(left: str, right: str) -> bool:
    return ident(left).upper() == ident(right).upper()


def _describe_answer(answer: EligibilityAnswer) -> str:
    who = _("member ID %(member)s") % {"member": answer.member_id or "?"}
    if answer.level == "dependent":
        who += _(" (dependent)")
    return _("%(who)s at payer %(payer)s") % {"who": who, "payer": answer.payer_id or answer.payer_name or "?"}


def _match(answer: EligibilityAnswer) -> tuple[Coverage | None, str]:
    """(the coverage the answer is about, "" or why none): by our trace first, else member ID + payer ID."""
    coverages = Coverage.objects.select_related("patient", "payer")
    for trace in answer.trace_numbers:
        coverage_id = coverage_id_from_trace(trace)
        if coverage_id is None:
            continue
        coverage = coverages.filter(pk=coverage_id).first()
        if coverage is not None and (not answer.member_id or _same_id(coverage.member_id, answer.member_id)):
            return coverage, ""
    if not answer.member_id or not answer.payer_id:
        return None, "unknown"
    candidates = list(coverages.filter(member_id__iexact=answer.member_id.strip(),
                                       payer__payer_id__iexact=answer.payer_id.strip()))
    if answer.level == "dependent":
        candidates = [c for c in candidates if c.subscriber_relationship != SubscriberRelationship.SELF]
        if answer.date_of_birth is not None:
            candidates = [c for c in candidates if c.patient.date_of_birth == answer.date_of_birth]
    else:
        candidates = [c for c in candidates if c.subscriber_relationship == SubscriberRelationship.SELF]
    if len(candidates) > 1:
        candidates = [c for c in candidates if c.is_active] or candidates
    if len(candidates) == 1:
        return candidates[0], ""
    return None, "ambiguous" if candidates else "unknown"


def _amounts(answer: EligibilityAnswer) -> dict[str, Decimal | None]:
    """The answer's copay and deductibles as money; ValidationError naming the amount the file got wrong."""
    amounts: dict[str, Decimal | None] = {}
    for name, label, value in (("copay", _("the copay"), answer.copay),
                               ("deductible", _("the deductible"), answer.deductible),
                               ("deductible_remaining", _("the deductible remaining"), answer.deductible_remaining)):
        try:
            amounts[name] = None if value is None else parse_money(value)
        except ValueError as error:
            raise ValidationError(_("%(what)s: %(error)s") % {"what": label, "error": error}) from error
    return amounts


def eligibility_271_import(*, actor: Any, file_name: str, content: bytes) -> EligibilityImportResult:
    """Import a 271 file: one EligibilityResponse per answer whose coverage is found and in the actor's scope.
    Raises PermissionDenied without BILLING_MANAGE, ValidationError for a file that is too large, not a 271 or
    malformed (nothing is recorded then)."""
    authorize_import(actor=actor, action="billing.eligibility_import")
    check_file(content)
    try:
        transaction_set, _convention = transaction_set_ids(content)
    except X12SyntaxError as error:
        raise unreadable(error) from error
    if transaction_set != "271":
        raise ValidationError(_("This file holds a %(kind)s transaction set, not a 271 eligibility response.")
                              % {"kind": transaction_set}, code="wrong_kind")
    file_name = (file_name or "eligibility").strip()[:200]
    sha256 = hashlib.sha256(content).hexdigest()
    result = EligibilityImportResult(file_name=file_name)
    earlier = previous_import(AcknowledgementKind.ELIGIBILITY_271, sha256, actor)
    if earlier is not None:
        return _duplicate(result, earlier)
    try:
        parsed = parse_271(content)
    except X12SyntaxError as error:
        raise unreadable(error) from error
    try:
        return _apply(actor=actor, file_name=file_name, sha256=sha256, parsed=parsed, result=result)
    except IntegrityError:  # the same person's double submit: the first import counts
        earlier = previous_import(AcknowledgementKind.ELIGIBILITY_271, sha256, actor)
        if earlier is None:
            raise
        return _duplicate(EligibilityImportResult(file_name=file_name), earlier)


def _duplicate(result: EligibilityImportResult, earlier: AcknowledgementImport) -> EligibilityImportResult:
    result.duplicate = True
    result.import_id = earlier.pk
    result.imported_at = earlier.imported_at
    result.notes.append(duplicate_note(earlier))
    return result


@transaction.atomic
def _apply(*, actor: Any, file_name: str, sha256: str, parsed: Eligibility271,
           result: EligibilityImportResult) -> EligibilityImportResult:
    earlier = AcknowledgementImport.objects.filter(kind=AcknowledgementKind.ELIGIBILITY_271, sha256=sha256)
    first = first_imported(AcknowledgementKind.ELIGIBILITY_271, sha256)
    if first is not None:
        result.notes.append(imported_before_note(first))
    # Every answer of one import is kept as received at the import's moment: so an answer this file already
    # recorded (an earlier import by someone else) is the coverage's response received at one of those moments.
    earlier_moments = list(earlier.values_list("imported_at", flat=True))
    imported = AcknowledgementImport(kind=AcknowledgementKind.ELIGIBILITY_271, file_name=file_name, sha256=sha256,
                                     imported_by=actor, imported_at=timezone.now())
    imported.full_clean(exclude=["summary"], validate_unique=False, validate_constraints=False)
    imported.save(force_insert=True)
    scope = location_ids_where(actor, Perm.BILLING_MANAGE)
    for rejection in parsed.rejections:
        result.notes.append(_("The payer turned the request back at the %(level)s level: %(why)s.")
                            % {"level": rejection.level, "why": rejection.describe()})
    received = imported.imported_at
    for answer in parsed.answers:
        coverage, problem = _match(answer)
        if coverage is None:
            (result.ambiguous if problem == "ambiguous" else result.unknown).append(_describe_answer(answer))
            continue
        patient = coverage.patient
        if scope is not None and patient.home_location_id not in scope:
            result.not_yours += 1
            continue
        trace_number = (answer.trace_numbers or answer.payer_traces or [""])[0][:50]
        if earlier_moments and EligibilityResponse.objects.filter(
                coverage=coverage, received_at__in=earlier_moments, trace_number=trace_number.strip()).exists():
            result.already += 1
            continue
        message = answer.message
        try:
            response = eligibility_response_record(
                actor=actor, coverage=coverage, is_active=answer.is_active,
                plan_description=answer.plan_description[:120], **_amounts(answer),
                message=message[:300], trace_number=trace_number, received_at=received,
            )
        except ValidationError as error:
            raise ValidationError(
                _("The answer for %(who)s (segment %(position)s) cannot be kept: %(error)s Nothing was changed.")
                % {"who": _describe_answer(answer), "position": answer.position, "error": " ".join(error.messages)}
            ) from error
        result.recorded.append(EligibilityOutcome(
            coverage_id=coverage.pk, patient_id=patient.pk, patient_name=f"{patient.last_name}, {patient.first_name}",
            payer_name=coverage.payer.name, is_active=response.is_active, copay=response.copay,
            deductible=response.deductible, deductible_remaining=response.deductible_remaining,
            message=response.message))
    imported.summary = result.summary()
    imported.save(update_fields=["summary"])
    record(actor=actor, action="billing.eligibility_imported", target=imported,
           changed_fields=["eligibility_responses"] if result.recorded else [],
           reason=(f"271: {len(result.recorded)} recorded, {len(result.unknown)} unknown, "
                   f"{len(result.ambiguous)} ambiguous, {result.not_yours} out of scope, "
                   f"{result.already} already recorded")[:200])
    result.import_id = imported.pk
    result.imported_at = imported.imported_at
    return result
