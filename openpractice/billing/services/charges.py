"""Charge capture: a charge from a checked-out visit or stand-alone, its header, diagnoses and procedure lines.

Every write checks BILLING_MANAGE at the charge's location (the refusal is audited before any transaction
opens, so it is not rolled back), locks the charge row, refuses changes to a charge that went to a payer
("submitted claims are corrected with a corrected claim"), validates in words a biller understands and
writes its audit event (patient and location ids, names of fields, never their values) in the same
transaction. A change to a billed charge sends its claims not yet sent back to draft, to be rebuilt. Nothing is
half-written: a refused change leaves every row as it was.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from openpractice.audit.services import record
from openpractice.core.codes import place_of_service_codes
from openpractice.core.models import Location
from openpractice.core.selectors import practice_now
from openpractice.patients.models import Patient
from openpractice.patients.selectors import patient_scoped
from openpractice.scheduling.choices import AppointmentStatus
from openpractice.scheduling.models import Appointment, Provider, ReferringProvider
from openpractice.scheduling.selectors import practice_zone

from ..choices import EDITABLE_CLAIM_STATUSES, ChargeStatus, ClaimFrequency, ClaimStatus, StatusSource
from ..codes.icd10 import display_icd10, icd10_check, normalize_icd10
from ..codes.modifiers import is_modifier, modifier_conflicts, normalize_modifier
from ..codes.procedures import is_procedure_code, normalize_procedure_code, procedure_code_problem
from ..models import (
    MAX_DIAGNOSES,
    MAX_LINES,
    MAX_MODIFIERS,
    MAX_POINTERS,
    Charge,
    ChargeDiagnosis,
    ChargeLine,
    Claim,
    in_open_batch_q,
)
from ..money import CENT, parse_money
from ..selectors.charges import blocking_claims
from ..selectors.fees import fee_lookup
from .authorization import authorize_at
from .claim_status import claim_transition, claims_transition

MAX_UNITS = Decimal("99999.99")
MAX_AMOUNT = Decimal("99999999.99")
HEADER_FIELDS: tuple[str, ...] = (
    "place_of_service", "rendering_provider", "billing_provider", "referring_provider", "prior_authorization",
    "date_of_service",
)  # fmt: skip


class _Default:
    """Marks "not given": the billing provider then follows the rendering provider's own billing flag."""

    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT: Any = _Default()


# --- helpers -------------------------------------------------------------------------------------------------


def _audit(*, actor: Any, action: str, charge: Charge, changed: Iterable[str] = (), reason: str = "") -> None:
    record(actor=actor, action=action, target=charge, patient_id=charge.patient_id, location_id=charge.location_id,
           changed_fields=list(changed), reason=reason)


def _attname(name: str) -> str:
    return Charge._meta.get_field(name).attname  # type: ignore[union-attr]


def practice_today() -> dt.date:
    return practice_now().date()


def visit_date(appointment: Appointment) -> dt.date:
    """The practice-local calendar day of a visit (an evening visit in UTC is still that day locally)."""
    return appointment.starts_at.astimezone(practice_zone()).date()


def lock_charge(charge_id: int) -> Charge:
    """The charge row locked, with its location and patient. Every charge and claim service locks the charge
    first, then its claims, so two of them never wait on each other the other way round."""
    return Charge.objects.select_for_update(of=("self",)).select_related("location", "patient").get(pk=charge_id)


def _require_editable(charge: Charge) -> None:
    """Called with the charge row locked: refuse changes to a void charge or one whose claim went out."""
    if charge.status == ChargeStatus.VOID:
        raise ValidationError(_("This charge is void and can no longer change."), code="charge_void")
    if charge.status == ChargeStatus.BILLED:
        sent = blocking_claims(charge).order_by("pk").first()
        if sent is not None:
            raise ValidationError(
                _("Claim %(claim)s for this charge has gone to the payer (%(status)s): the charge can no longer "
                  "change. Submitted claims are corrected with a corrected claim.")
                % {"claim": sent.claim_number, "status": ClaimStatus(sent.status).label.lower()},
                code="charge_locked")


def _touch(charge: Charge) -> None:
    """Mark the charge changed (lines and diagnoses live in other tables)."""
    charge.save(update_fields=["updated_at"])


def _claims_back_to_draft(*, actor: Any, charge: Charge) -> list[Claim]:
    """Called after the charge changed, in the same transaction: its claims that carry the old snapshot and
    have not left (draft, held, ready or rejected, not waiting in an unsent batch) go back to draft, so a ready
    claim is never sent with what the charge no longer says. They are rebuilt from the charge, then scrubbed.
    A void claim repeats the claim it cancels, not the charge: it stays as it is. Returns the claims concerned."""
    stale = list(Claim.objects.filter(charge=charge, status__in=EDITABLE_CLAIM_STATUSES)
                 .exclude(in_open_batch_q()).exclude(frequency_code=ClaimFrequency.VOID).order_by("pk"))
    reason = _("charge changed: rebuild the claim")
    changes = claims_transition(actor=actor, source=StatusSource.USER,
                                moves=[(claim, ClaimStatus.DRAFT, reason) for claim in stale])
    by_pk = {claim.pk: claim for claim in stale}
    for change in changes:
        record(actor=actor, action="billing.claim_status_changed", target=by_pk[change.claim_id],
               patient_id=charge.patient_id, location_id=charge.location_id, changed_fields=["status"],
               reason=f"{change.from_status} -> {change.to_status} (charge changed)")
    return stale


def _check_date_of_service(value: Any) -> dt.date:
    if not isinstance(value, dt.date):
        raise ValidationError({"date_of_service": _("Enter the date of service.")})
    if value > practice_today():
        raise ValidationError({"date_of_service": _("The date of service cannot be in the future.")})
    return value


def _check_place_of_service(value: Any) -> str:
    code = str(value or "").strip()
    if code not in place_of_service_codes():
        raise ValidationError({"place_of_service": _("“%(code)s” is not a CMS place-of-service code (e.g. 11 "
                                                     "office, 02 telehealth).") % {"code": code}})
    return code


def _check_rendering(provider: Any, location: Location) -> Provider:
    if not isinstance(provider, Provider):
        raise ValidationError({"rendering_provider": _("Choose the rendering provider.")})
    if not provider.is_active or not provider.is_rendering:
        raise ValidationError({"rendering_provider": _("%(name)s is not an active rendering provider.")
                               % {"name": provider.display_name}})
    if not provider.locations.filter(pk=location.pk).exists():
        raise ValidationError({"rendering_provider": _("%(name)s does not work at %(location)s.")
                               % {"name": provider.display_name, "location": location.name}})
    return provider


def _check_billing(provider: Any) -> Provider | None:
    if provider is None:
        return None
    if not isinstance(provider, Provider):
        raise ValidationError({"billing_provider": _("Choose a billing provider, or none for the group.")})
    if not provider.is_billing or not provider.is_active:
        raise ValidationError({"billing_provider": _(
            "%(name)s does not bill under their own NPI: leave the billing provider empty so the practice bills "
            "as a group, or mark the provider as a billing provider.") % {"name": provider.display_name}})
    return provider


def _check_referring(provider: Any) -> ReferringProvider | None:
    if provider is None:
        return None
    if not isinstance(provider, ReferringProvider):
        raise ValidationError({"referring_provider": _("Choose a referring provider from the list.")})
    return provider


def _check_prior_authorization(value: Any) -> str:
    text = str(value or "").strip()
    if len(text) > 50:
        raise ValidationError({"prior_authorization": _("A prior authorization number has at most 50 characters.")})
    return text


def _check_diagnoses_on(charge: Charge, on: dt.date) -> None:
    problems = [icd10_check(code, on).message for code in charge.diagnoses.values_list("code", flat=True)]
    problems = [message for message in problems if message]
    if problems:
        raise ValidationError({"date_of_service": [
            _("On %(date)s: %(problem)s") % {"date": on.strftime("%m/%d/%Y"), "problem": message}
            for message in problems]})


# --- charges -------------------------------------------------------------------------------------------------


def charge_create_from_appointment(*, actor: Any, appointment: Appointment) -> Charge:
    """Start the charge of a checked-out visit: patient, location, place of service, rendering provider (and
    billing provider when the provider bills under their own NPI) and the visit's date are filled in."""
    authorize_at(actor=actor, location_id=appointment.location_id, action="billing.charge_create",
                 target=appointment)
    with transaction.atomic():
        visit = Appointment.objects.select_for_update(of=("self",)).select_related(
            "provider", "location").get(pk=appointment.pk)
        if visit.status != AppointmentStatus.COMPLETED:
            raise ValidationError(
                _("Only a checked-out visit can be charged; this one is %(status)s.")
                % {"status": AppointmentStatus(visit.status).label.lower()}, code="not_checked_out")
        existing = Charge.objects.filter(appointment=visit).first()
        if existing is not None:
            raise ValidationError(
                _("This visit already has charge %(number)s: open it to add or change codes.")
                % {"number": existing.pk}, code="charge_exists", params={"charge_id": existing.pk})
        provider = visit.provider
        charge = Charge(
            patient_id=visit.patient_id, appointment=visit, location=visit.location,
            place_of_service=visit.location.place_of_service, rendering_provider=provider,
            billing_provider=provider if provider.is_billing else None, date_of_service=visit_date(visit),
            created_by=actor,
        )
        charge.full_clean(validate_unique=False)
        try:
            with transaction.atomic():
                charge.save(force_insert=True)
        except IntegrityError as error:  # another biller started it at the same moment
            raise ValidationError(_("This visit already has a charge: open it from the charge list."),
                                  code="charge_exists") from error
        _audit(actor=actor, action="billing.charge_created", charge=charge,
               changed=["patient", "appointment", "location", "place_of_service", "rendering_provider",
                        "billing_provider", "date_of_service"], reason=f"appointment {visit.pk}")
    return charge


def charge_create(
    *,
    actor: Any,
    patient: Patient,
    location: Location,
    rendering_provider: Provider,
    date_of_service: dt.date,
    place_of_service: str = "",
    billing_provider: Any = DEFAULT,
    referring_provider: ReferringProvider | None = None,
    prior_authorization: str = "",
) -> Charge:
    """A stand-alone charge (a service without an appointment: a nursing-home visit, a late entry).
    The place of service defaults to the location's; the billing provider to the rendering provider when they
    bill under their own NPI, else the group."""
    authorize_at(actor=actor, location_id=location.pk if location else None, action="billing.charge_create")
    if not patient_scoped(actor=actor).filter(pk=patient.pk).exists():
        raise ValidationError({"patient": _("Choose a patient registered at your locations.")})
    if not patient.is_active or patient.merged_into_id:
        raise ValidationError({"patient": _("This patient record is inactive or merged: charge the active record.")})
    provider = _check_rendering(rendering_provider, location)
    if billing_provider is DEFAULT:
        billing_provider = provider if provider.is_billing else None
    charge = Charge(
        patient=patient, location=location,
        place_of_service=_check_place_of_service(place_of_service or location.place_of_service),
        rendering_provider=provider, billing_provider=_check_billing(billing_provider),
        referring_provider=_check_referring(referring_provider),
        prior_authorization=_check_prior_authorization(prior_authorization),
        date_of_service=_check_date_of_service(date_of_service), created_by=actor,
    )
    charge.full_clean()
    with transaction.atomic():
        charge.save(force_insert=True)
        _audit(actor=actor, action="billing.charge_created", charge=charge,
               changed=[name for name in ("patient", "location", *HEADER_FIELDS) if getattr(charge, name, None)])
    return charge


def charge_update(*, actor: Any, charge: Charge, **fields: Any) -> Charge:
    """Change the header: place of service, providers, referring provider, prior authorization, date of service.
    A new date of service moves the lines dated on the old one and must keep every diagnosis valid."""
    authorize_at(actor=actor, location_id=charge.location_id, action="billing.charge_update", target=charge)
    unknown = sorted(set(fields) - set(HEADER_FIELDS))
    if unknown:
        raise ValidationError(_("Unknown or read-only field(s): %(fields)s.") % {"fields": ", ".join(unknown)},
                              code="unknown_field")
    with transaction.atomic():
        current = lock_charge(charge.pk)
        _require_editable(current)
        values: dict[str, Any] = {}
        if "place_of_service" in fields:
            values["place_of_service"] = _check_place_of_service(fields["place_of_service"])
        if "rendering_provider" in fields:
            values["rendering_provider"] = _check_rendering(fields["rendering_provider"], current.location)
        if "billing_provider" in fields:
            values["billing_provider"] = _check_billing(fields["billing_provider"])
        if "referring_provider" in fields:
            values["referring_provider"] = _check_referring(fields["referring_provider"])
        if "prior_authorization" in fields:
            values["prior_authorization"] = _check_prior_authorization(fields["prior_authorization"])
        old_date = current.date_of_service
        if "date_of_service" in fields:
            values["date_of_service"] = _check_date_of_service(fields["date_of_service"])
        changed = [name for name, value in values.items()
                   if getattr(current, _attname(name)) != (value.pk if hasattr(value, "pk") else value)]
        if not changed:
            return current
        for name in changed:
            setattr(current, name, values[name])
        current.full_clean()
        if "date_of_service" in changed:
            # A corrected date of service moves every line by the same number of days (a span stays a span).
            _check_diagnoses_on(current, current.date_of_service)
            shift = current.date_of_service - old_date
            lines = list(current.lines.all())
            for line in lines:
                line.service_date_from += shift
                line.service_date_to += shift
                if line.service_date_to > practice_today():
                    raise ValidationError({"date_of_service": _(
                        "Line %(line)s would end in the future on this date of service: change the line first.")
                        % {"line": line.line_number}})
            ChargeLine.objects.bulk_update(lines, ["service_date_from", "service_date_to"])
        current.save(update_fields=[*changed, "updated_at"])
        _claims_back_to_draft(actor=actor, charge=current)
        _audit(actor=actor, action="billing.charge_updated", charge=current, changed=changed)
    return current


def charge_set_diagnoses(*, actor: Any, charge: Charge, codes: Sequence[str]) -> list[ChargeDiagnosis]:
    """Replace the diagnosis list (positions 1..12, in the order given). Each code must be a valid, billable
    ICD-10-CM code in the code set in force on the date of service. Lines keep pointing at the same codes
    (their pointers follow the codes to their new positions); removing a code a line points at is refused."""
    authorize_at(actor=actor, location_id=charge.location_id, action="billing.charge_diagnoses", target=charge)
    normalized = [normalize_icd10(code) for code in codes if code and str(code).strip()]
    if not normalized:
        raise ValidationError({"diagnoses": _("Enter at least one diagnosis code.")})
    if len(normalized) > MAX_DIAGNOSES:
        raise ValidationError({"diagnoses": _("A claim carries at most %(max)s diagnoses; you entered %(count)s.")
                               % {"max": MAX_DIAGNOSES, "count": len(normalized)}})
    seen: set[str] = set()
    problems: list[str] = []
    for code in normalized:
        if code in seen:
            problems.append(_("%(code)s is listed twice.") % {"code": display_icd10(code)})
        seen.add(code)
    with transaction.atomic():
        current = lock_charge(charge.pk)
        _require_editable(current)
        for code in normalized:
            verdict = icd10_check(code, current.date_of_service)
            if not verdict.ok:
                problems.append(verdict.message)
        if problems:
            raise ValidationError({"diagnoses": problems})
        old = {d.position: d.code for d in current.diagnoses.all()}
        new_position = {code: position for position, code in enumerate(normalized, start=1)}
        lines = list(current.lines.all())
        for line in lines:
            moved: list[int] = []
            for pointer in line.pointers:
                pointed = old.get(pointer, "")
                if pointed not in new_position:
                    raise ValidationError({"diagnoses": _(
                        "Line %(line)s (%(procedure)s) points at %(code)s, which you removed: point the line at "
                        "another diagnosis first, or keep the code.") % {
                            "line": line.line_number, "procedure": line.procedure_code,
                            "code": display_icd10(pointed)}})
                moved.append(new_position[pointed])
            _set_pointers(line, moved)
        if [old.get(p) for p in sorted(old)] == normalized:
            return list(current.diagnoses.all())
        current.diagnoses.all().delete()
        created = ChargeDiagnosis.objects.bulk_create(
            ChargeDiagnosis(charge=current, position=position, code=code)
            for position, code in enumerate(normalized, start=1))
        ChargeLine.objects.bulk_update(lines, ["pointer1", "pointer2", "pointer3", "pointer4"])
        _touch(current)
        _claims_back_to_draft(actor=actor, charge=current)
        _audit(actor=actor, action="billing.charge_diagnoses_set", charge=current, changed=["diagnoses"],
               reason=f"{len(normalized)} diagnoses")
    return created


def _set_pointers(line: ChargeLine, pointers: Sequence[int]) -> None:
    padded = [*pointers, None, None, None, None][:MAX_POINTERS]
    line.pointer1, line.pointer2, line.pointer3, line.pointer4 = padded  # type: ignore[assignment]


def _clean_pointers(values: Iterable[Any], diagnosis_count: int) -> list[int]:
    pointers: list[int] = []
    for value in values:
        if value in (None, ""):
            continue
        try:
            pointer = int(value)
        except (TypeError, ValueError) as error:
            raise ValidationError({"pointers": _("Diagnosis pointers are numbers from 1 to 12.")}) from error
        pointers.append(pointer)
    if diagnosis_count == 0:
        raise ValidationError({"pointers": _("Add the diagnoses first: each line points at 1 to 4 of them.")})
    if not pointers:
        raise ValidationError({"pointers": _("Point the line at 1 to 4 diagnoses (their numbers in the list).")})
    if len(pointers) > MAX_POINTERS:
        raise ValidationError({"pointers": _("A line points at most at %(max)s diagnoses.") % {"max": MAX_POINTERS}})
    if len(set(pointers)) != len(pointers):
        raise ValidationError({"pointers": _("Each diagnosis pointer may appear only once on a line.")})
    outside = [p for p in pointers if not 1 <= p <= diagnosis_count]
    if outside:
        raise ValidationError({"pointers": _(
            "Pointer %(pointer)s does not match a diagnosis: this charge has %(count)s (1 to %(count)s).")
            % {"pointer": outside[0], "count": diagnosis_count}})
    return pointers


def _clean_code(value: Any) -> str:
    code = normalize_procedure_code(str(value or ""))
    if not is_procedure_code(code):
        raise ValidationError({"procedure_code": procedure_code_problem(code)})
    return code


def _clean_modifiers(values: Iterable[Any]) -> list[str]:
    modifiers = [normalize_modifier(str(m)) for m in values if m is not None and str(m).strip()]
    if len(modifiers) > MAX_MODIFIERS:
        raise ValidationError({"modifiers": _("A line takes at most %(max)s modifiers.") % {"max": MAX_MODIFIERS}})
    unknown = [m for m in modifiers if not is_modifier(m)]
    if unknown:
        raise ValidationError({"modifiers": [_("“%(code)s” is not a modifier we know.") % {"code": m}
                                             for m in unknown]})
    conflicts = modifier_conflicts(modifiers)
    if conflicts:
        raise ValidationError({"modifiers": conflicts})
    return modifiers


def _decimal(value: Any, field: str, message: str) -> Decimal:
    if isinstance(value, float):
        value = str(value)
    try:
        number = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError) as error:
        raise ValidationError({field: message}) from error
    if not number.is_finite():
        raise ValidationError({field: message})
    return number


def _clean_units(value: Any) -> Decimal:
    units = _decimal(value, "units", _("Units are a number greater than 0, e.g. 1 or 2.5."))
    if units <= 0 or units > MAX_UNITS or units != units.quantize(CENT):
        raise ValidationError({"units": _("Units are a number greater than 0 with at most two decimals.")})
    return units


def _clean_amount(value: Any) -> Decimal:
    try:
        amount = parse_money(value)
    except ValueError as error:
        raise ValidationError({"amount": _("Enter the charge in dollars and cents (0 or more), e.g. 125.00.")}) \
            from error
    if amount > MAX_AMOUNT:
        raise ValidationError({"amount": _("Enter the charge in dollars and cents (0 or more), e.g. 125.00.")})
    return amount


def _clean_dates(start: Any, end: Any, charge: Charge) -> tuple[dt.date, dt.date]:
    start = start or charge.date_of_service
    end = end or start
    if not isinstance(start, dt.date) or not isinstance(end, dt.date):
        raise ValidationError({"service_date_from": _("Enter the service dates.")})
    if end < start:
        raise ValidationError({"service_date_to": _("The last service date cannot be before the first.")})
    if end > practice_today():
        raise ValidationError({"service_date_to": _("Service dates cannot be in the future.")})
    if start < charge.date_of_service - dt.timedelta(days=366) or end > charge.date_of_service + dt.timedelta(days=366):
        raise ValidationError({"service_date_from": _("Service dates must be within a year of the date of "
                                                      "service.")})
    return start, end


def line_amount(*, procedure_code: str, modifiers: Sequence[str], units: Decimal, on: dt.date,
                amount: Any = None) -> Decimal:
    """The line's charge: as entered, else the standard fee x units."""
    if amount not in (None, ""):
        return _clean_amount(amount)
    fee = fee_lookup(procedure_code=procedure_code, modifiers=list(modifiers), on=on)
    if fee is None:
        raise ValidationError({"amount": _(
            "No standard fee for %(code)s: enter the charge or add it to the fee schedule.")
            % {"code": procedure_code + "".join(f"-{m}" for m in modifiers)}}, code="no_fee")
    return (Decimal(fee) * units).quantize(CENT, rounding=ROUND_HALF_UP)


def charge_line_add(
    *,
    actor: Any,
    charge: Charge,
    procedure_code: str,
    modifiers: Sequence[str] = (),
    units: Any = Decimal(1),
    service_date_from: dt.date | None = None,
    service_date_to: dt.date | None = None,
    pointers: Sequence[Any] = (1,),
    amount: Any = None,
) -> ChargeLine:
    """Add a procedure line. The charge is the standard fee x units unless an amount is given."""
    authorize_at(actor=actor, location_id=charge.location_id, action="billing.charge_line_add", target=charge)
    with transaction.atomic():
        current = lock_charge(charge.pk)
        _require_editable(current)
        count = current.lines.count()
        if count >= MAX_LINES:
            raise ValidationError(_("A claim carries at most %(max)s lines.") % {"max": MAX_LINES})
        code = _clean_code(procedure_code)
        mods = _clean_modifiers(modifiers)
        quantity = _clean_units(units)
        start, end = _clean_dates(service_date_from, service_date_to, current)
        chosen = _clean_pointers(pointers, current.diagnoses.count())
        total = line_amount(procedure_code=code, modifiers=mods, units=quantity, on=start, amount=amount)
        number = (current.lines.aggregate(top=Max("line_number"))["top"] or 0) + 1
        padded = [*mods, "", "", "", ""][:MAX_MODIFIERS]
        line = ChargeLine(charge=current, line_number=number, procedure_code=code, modifier1=padded[0],
                          modifier2=padded[1], modifier3=padded[2], modifier4=padded[3], units=quantity,
                          service_date_from=start, service_date_to=end, amount=total)
        _set_pointers(line, chosen)
        line.full_clean()
        line.save(force_insert=True)
        _touch(current)
        _claims_back_to_draft(actor=actor, charge=current)
        _audit(actor=actor, action="billing.charge_line_added", charge=current,
               changed=["procedure_code", "modifiers", "units", "service_dates", "pointers", "amount"],
               reason=f"line {number}")
    return line


LINE_FIELDS: tuple[str, ...] = (
    "procedure_code", "modifiers", "units", "service_date_from", "service_date_to", "pointers", "amount",
)  # fmt: skip


def charge_line_update(*, actor: Any, line: ChargeLine, **fields: Any) -> ChargeLine:
    """Change a line. A new code, modifier or number of units reprices it from the fee schedule unless an
    amount is given with the change."""
    charge = line.charge
    authorize_at(actor=actor, location_id=charge.location_id, action="billing.charge_line_update", target=charge)
    unknown = sorted(set(fields) - set(LINE_FIELDS))
    if unknown:
        raise ValidationError(_("Unknown or read-only field(s): %(fields)s.") % {"fields": ", ".join(unknown)},
                              code="unknown_field")
    with transaction.atomic():
        current = lock_charge(charge.pk)
        _require_editable(current)
        row = ChargeLine.objects.select_for_update().filter(pk=line.pk, charge=current).first()
        if row is None:
            raise ValidationError(_("This line was removed in the meantime."), code="gone")
        before = _line_values(row)
        code = _clean_code(fields["procedure_code"]) if "procedure_code" in fields else row.procedure_code
        mods = _clean_modifiers(fields["modifiers"]) if "modifiers" in fields else row.modifiers
        quantity = _clean_units(fields["units"]) if "units" in fields else row.units
        start, end = _clean_dates(fields.get("service_date_from", row.service_date_from),
                                  fields.get("service_date_to", row.service_date_to), current)
        chosen = (_clean_pointers(fields["pointers"], current.diagnoses.count()) if "pointers" in fields
                  else row.pointers)
        reprice = (code, mods, quantity) != (row.procedure_code, row.modifiers, row.units)
        if fields.get("amount") not in (None, ""):
            total = _clean_amount(fields["amount"])
        elif reprice:
            total = line_amount(procedure_code=code, modifiers=mods, units=quantity, on=start)
        else:
            total = row.amount
        padded = [*mods, "", "", "", ""][:MAX_MODIFIERS]
        row.procedure_code = code
        row.modifier1, row.modifier2, row.modifier3, row.modifier4 = padded
        row.units, row.service_date_from, row.service_date_to, row.amount = quantity, start, end, total
        _set_pointers(row, chosen)
        row.full_clean()
        after = _line_values(row)
        changed = [name for name in before if before[name] != after[name]]
        if changed:
            row.save(update_fields=["procedure_code", "modifier1", "modifier2", "modifier3", "modifier4", "units",
                                    "service_date_from", "service_date_to", "pointer1", "pointer2", "pointer3",
                                    "pointer4", "amount"])
            _touch(current)
            _claims_back_to_draft(actor=actor, charge=current)
            _audit(actor=actor, action="billing.charge_line_updated", charge=current, changed=changed,
                   reason=f"line {row.line_number}")
    return row


def _line_values(line: ChargeLine) -> Mapping[str, Any]:
    return {"procedure_code": line.procedure_code, "modifiers": line.modifiers, "units": line.units,
            "service_dates": (line.service_date_from, line.service_date_to), "pointers": line.pointers,
            "amount": line.amount}


def charge_line_delete(*, actor: Any, line: ChargeLine) -> None:
    """Remove a line; the lines after it move up so the numbers stay 1, 2, 3 …"""
    charge = line.charge
    authorize_at(actor=actor, location_id=charge.location_id, action="billing.charge_line_delete", target=charge)
    with transaction.atomic():
        current = lock_charge(charge.pk)
        _require_editable(current)
        row = ChargeLine.objects.filter(pk=line.pk, charge=current).first()
        if row is None:
            raise ValidationError(_("This line was already removed."), code="gone")
        number = row.line_number
        row.delete()
        for later in current.lines.filter(line_number__gt=number).order_by("line_number"):
            later.line_number -= 1
            later.save(update_fields=["line_number"])
        _touch(current)
        _claims_back_to_draft(actor=actor, charge=current)
        _audit(actor=actor, action="billing.charge_line_deleted", charge=current, changed=["lines"],
               reason=f"line {number}")


def charge_void(*, actor: Any, charge: Charge) -> Charge:
    """Void a charge entered in error. Its claims that never left the office are closed with it; a charge
    whose claim went to a payer is voided with a void claim instead. Refused while a corrected or void claim
    replacing a claim the payer has is not with the payer yet (draft, held, ready, rejected): closing it would
    leave the payer with the old claim."""
    authorize_at(actor=actor, location_id=charge.location_id, action="billing.charge_void", target=charge)
    with transaction.atomic():
        current = lock_charge(charge.pk)
        _require_editable(current)
        pending = (current.claims.filter(frequency_code__in=[ClaimFrequency.CORRECTED, ClaimFrequency.VOID],
                                         status__in=EDITABLE_CLAIM_STATUSES)
                   .select_related("original_claim").order_by("pk").first())
        if pending is not None:
            names = {"claim": pending.claim_number,
                     "original": pending.original_claim.claim_number if pending.original_claim else "?"}
            if pending.frequency_code == ClaimFrequency.VOID:
                message = _("Void claim %(claim)s, which cancels claim %(original)s at the payer, is not with the "
                            "payer yet: voiding the charge now would close it and leave the payer with %(original)s. "
                            "Send the void claim instead: it cancels the billing at the payer.") % names
            else:
                message = _("Corrected claim %(claim)s, which replaces claim %(original)s at the payer, is not "
                            "with the payer yet: voiding the charge now would close it and leave the payer with "
                            "%(original)s. Send the corrected claim, then void it with a void claim once the payer "
                            "has it.") % names
            raise ValidationError(message, code="replacement_pending")
        for claim in current.claims.exclude(status=ClaimStatus.CLOSED).order_by("pk"):
            claim_transition(actor=actor, claim=claim, to_status=ClaimStatus.CLOSED,
                             reason=_("the charge was voided"))
        # claims.py builds on this module (lock_charge): imported here, not at the top, to keep one direction.
        from .claims import charge_ledger_void

        charge_ledger_void(actor=actor, charge=current)  # what the closed claims put in A/R leaves it
        current.status = ChargeStatus.VOID
        current.save(update_fields=["status", "updated_at"])
        _audit(actor=actor, action="billing.charge_voided", charge=current, changed=["status"])
    return current
