"""Writes to patients, coverage, insurance cards and payers.

Permission is checked here as well as in the views (the API and commands cannot skip it); a refusal is audited
BEFORE the write transaction opens so the audit row is not rolled back with it. Every change is audited with the
names of the fields that changed — never their values (they are PHI).
"""

from __future__ import annotations

import csv
import datetime
import difflib
import io
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Max, Model, Q
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record, record_denied

from .models import (
    ClaimFilingIndicator,
    Coverage,
    CoverageCard,
    EligibilityResponse,
    Patient,
    Payer,
    PayerPlan,
    PlanType,
    SubscriberRelationship,
    normalize_name,
    phone_digits,
)
from .selectors import patient_scoped

# Sent inside the merge transaction so other apps (scheduling) can move their rows to the survivor;
# patients must not import them.
patient_merged = Signal()  # kwargs: survivor, duplicate, actor

PATIENT_FIELDS: tuple[str, ...] = (
    "first_name", "middle_name", "last_name", "date_of_birth", "sex", "address_line1", "address_line2", "city",
    "state", "postal_code", "phone_mobile", "phone_home", "email", "preferred_contact", "preferred_language",
    "home_location", "guarantor", "emergency_contact_name", "emergency_contact_phone",
    "emergency_contact_relationship", "ssn", "is_active",
)  # fmt: skip
COVERAGE_FIELDS: tuple[str, ...] = (
    "rank", "payer", "plan", "member_id", "group_number", "subscriber_relationship", "subscriber_first_name",
    "subscriber_last_name", "subscriber_date_of_birth", "subscriber_sex", "subscriber_address_line1",
    "subscriber_address_line2", "subscriber_city", "subscriber_state", "subscriber_postal_code", "effective_from",
    "effective_to", "copay",
)  # fmt: skip
PAYER_FIELDS: tuple[str, ...] = (
    "name", "payer_id", "address_line1", "address_line2", "city", "state", "postal_code", "claim_filing_indicator",
    "timely_filing_days", "phone", "portal_url", "notes", "is_active",
)  # fmt: skip
SUBSCRIBER_FIELDS: tuple[str, ...] = tuple(name for name in COVERAGE_FIELDS if name.startswith("subscriber_")
                                           and name != "subscriber_relationship")

CARD_MAX_BYTES = 5 * 1024 * 1024
# Pillow format -> (content type, file extension). Only formats browsers and scanners produce for cards.
CARD_FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
    "GIF": ("image/gif", "gif"),
}


# --- helpers -------------------------------------------------------------------------------------------------


def _refuse(*, actor: Any, permission: str, action: str, target: Model | None = None) -> PermissionDenied:
    record_denied(
        actor=actor, action=action,
        object_type=target._meta.label_lower if target is not None else "",
        object_id=str(target.pk) if target is not None and target.pk else "",
        reason=f"{permission} required",
    )
    return PermissionDenied(_("You may not make this change."))


def _authorize(*, actor: Any, permission: str, action: str, locations: Iterable[Any] = (None,),
               target: Model | None = None) -> None:
    for location in locations:
        if not can(actor, permission, location):
            raise _refuse(actor=actor, permission=permission, action=action, target=target)


def _check_keys(data: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationError(
            _("Unknown or read-only field(s): %(fields)s.") % {"fields": ", ".join(unknown)}, code="unknown_field")


def _attname(instance: Model, name: str) -> str:
    return instance._meta.get_field(name).attname  # type: ignore[union-attr]


def _apply(instance: Model, data: Mapping[str, Any]) -> list[str]:
    """Set `data` on `instance`, validate, and return the names of the fields whose value really changed."""
    before = {name: getattr(instance, _attname(instance, name)) for name in data}
    for name, value in data.items():
        if isinstance(value, str):
            value = value.strip()
        if instance._meta.get_field(name).is_relation and value is not None and not isinstance(value, Model):
            setattr(instance, _attname(instance, name), value)
        else:
            setattr(instance, name, value)
    instance.full_clean()
    return [name for name in data if getattr(instance, _attname(instance, name)) != before[name]]


def _location_id(value: Any) -> Any:
    return value.pk if isinstance(value, Model) else value


# --- patients ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DuplicateCandidate:
    patient: Patient
    score: float
    reasons: tuple[str, ...]


class PossibleDuplicates(Exception):
    """Registration found patients who may be the same person; the caller shows them and may confirm."""

    def __init__(self, candidates: list[DuplicateCandidate]) -> None:
        super().__init__(_("This patient may already be registered."))
        self.candidates = candidates


def _name_similarity(first: str, last: str, other: Patient) -> float:
    mine = f"{first}{last}"
    straight = difflib.SequenceMatcher(None, mine, f"{other.search_first_name}{other.search_last_name}").ratio()
    # First and last name typed the wrong way round is a classic front-desk slip.
    swapped = difflib.SequenceMatcher(None, mine, f"{other.search_last_name}{other.search_first_name}").ratio()
    return max(straight, swapped)


def patient_duplicate_candidates(*, actor: Any, data: Mapping[str, Any], exclude_pk: int | None = None,
                                 limit: int = 10) -> list[DuplicateCandidate]:
    """Patients in the actor's scope who may be the same person: same DOB with a similar name, same phone with a
    similar name, or same DOB and phone. Works the same on SQLite and PostgreSQL: an indexed pre-filter, then
    difflib on normalised names in Python."""
    first = normalize_name(str(data.get("first_name") or ""))
    last = normalize_name(str(data.get("last_name") or ""))
    dob = data.get("date_of_birth")
    phones = {phone_digits(str(data.get(name) or "")) for name in ("phone_mobile", "phone_home")} - {""}
    if not (first or last):
        return []
    prefilter = Q(search_last_name=last, search_first_name__startswith=first[:1])
    if isinstance(dob, datetime.date):
        prefilter |= Q(date_of_birth=dob)
    if phones:
        prefilter |= Q(phone_mobile_digits__in=phones) | Q(phone_home_digits__in=phones)
    queryset = patient_scoped(actor=actor).filter(prefilter, merged_into__isnull=True)
    if exclude_pk is not None:
        queryset = queryset.exclude(pk=exclude_pk)
    candidates: list[DuplicateCandidate] = []
    for other in queryset[:200]:
        similarity = _name_similarity(first, last, other)
        same_dob = isinstance(dob, datetime.date) and other.date_of_birth == dob
        same_phone = bool(phones & {other.phone_mobile_digits, other.phone_home_digits} - {""})
        reasons: list[str] = []
        if same_dob:
            reasons.append(_("same date of birth"))
        if same_phone:
            reasons.append(_("same phone"))
        if similarity >= 0.75:
            reasons.append(_("similar name"))
        if (same_dob and similarity >= 0.7) or (same_phone and similarity >= 0.7) or (same_dob and same_phone) \
                or similarity >= 0.95:
            score = similarity + (0.5 if same_dob else 0) + (0.3 if same_phone else 0)
            candidates.append(DuplicateCandidate(patient=other, score=round(score, 3), reasons=tuple(reasons)))
    candidates.sort(key=lambda c: -c.score)
    return candidates[:limit]


GUARANTOR_CHAIN_LIMIT = 25


def _check_guarantor(*, actor: Any, patient_pk: int | None, guarantor: Any) -> None:
    """The guarantor must be another active patient the actor may see, and choosing them must not close a
    loop (A pays for B who pays for A). Called inside the write transaction: the patient's and the guarantor's
    rows are locked first, so two desks setting each other's guarantor at the same moment take turns and the
    second sees the first's change."""
    if guarantor is None or guarantor == "":
        return
    guarantor_pk = guarantor.pk if isinstance(guarantor, Model) else guarantor
    if patient_pk is not None and guarantor_pk == patient_pk:
        raise ValidationError({"guarantor": _("A patient cannot be their own guarantor: choose “Self”.")},
                              code="guarantor_self")
    list(Patient.objects.select_for_update().filter(pk__in={guarantor_pk, patient_pk} - {None}).order_by("pk")
         .values_list("pk"))
    chosen = patient_scoped(actor=actor).filter(pk=guarantor_pk).first()
    if chosen is None or not chosen.is_active or chosen.merged_into_id:
        raise ValidationError({"guarantor": _("Choose an active patient at your locations as the guarantor.")},
                              code="guarantor_unknown")
    if patient_pk is None:
        return  # a new record has no dependents, so it cannot close a loop
    step, seen = chosen.guarantor_id, {chosen.pk}
    while step is not None and step not in seen and len(seen) < GUARANTOR_CHAIN_LIMIT:
        if step == patient_pk:
            raise ValidationError({"guarantor": _(
                "%(name)s already has this patient as their guarantor (directly or through others): each would "
                "pay for the other. Choose someone who pays their own balance, or “Self”.") % {
                    "name": chosen.full_name}}, code="guarantor_loop")
        seen.add(step)
        step = Patient.objects.filter(pk=step).values_list("guarantor_id", flat=True).first()


def _next_account_number() -> str:
    # Called inside the transaction; the unique constraint catches a concurrent twin and the caller retries.
    last = Patient.objects.aggregate(top=Max("account_number"))["top"]
    number = int(last[1:]) + 1 if last else 1001
    return f"P{number:07d}"


def patient_register(*, actor: Any, data: Mapping[str, Any], confirm_not_duplicate: bool = False) -> Patient:
    """Register a new patient. Raises PossibleDuplicates unless `confirm_not_duplicate` (the user saw the
    candidates and chose "register anyway")."""
    location = data.get("home_location")
    locations = [_location_id(location)] if location else [None]
    _authorize(actor=actor, permission=Perm.PATIENTS_EDIT, action="patients.register", locations=locations)
    if data.get("ssn"):
        # Per location like every other permission: biller at South may not record SSNs of North's patients.
        _authorize(actor=actor, permission=Perm.PATIENTS_SSN, action="patients.register", locations=locations)
    _check_keys(data, PATIENT_FIELDS)
    patient = Patient(account_number="P0000000")
    _apply(patient, data)  # validation first: duplicates of invalid input are beside the point
    if data.get("guarantor") is not None:
        with transaction.atomic():
            _check_guarantor(actor=actor, patient_pk=None, guarantor=data["guarantor"])
    if not confirm_not_duplicate:
        candidates = patient_duplicate_candidates(actor=actor, data=data)
        if candidates:
            raise PossibleDuplicates(candidates)
    for attempt in range(3):
        try:
            with transaction.atomic():
                patient.account_number = _next_account_number()
                patient.save(force_insert=True)
                record(actor=actor, action="patients.registered", target=patient, patient_id=patient.pk,
                       location_id=patient.home_location_id,
                       changed_fields=[name for name in data if data[name] not in ("", None)],
                       reason="confirmed not a duplicate" if confirm_not_duplicate else "")
            return patient
        except IntegrityError:
            patient.pk = None
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def patient_update(*, actor: Any, patient: Patient, data: Mapping[str, Any]) -> Patient:
    """Change demographics. Moving a patient to another home location needs the permission at both."""
    locations = [patient.home_location_id]
    if "home_location" in data and _location_id(data["home_location"]) not in (None, patient.home_location_id):
        locations.append(_location_id(data["home_location"]))
    _authorize(actor=actor, permission=Perm.PATIENTS_EDIT, action="patients.update", locations=locations,
               target=patient)
    if "ssn" in data:
        # Where the record is and where it goes: the SSN is readable at both afterwards.
        _authorize(actor=actor, permission=Perm.PATIENTS_SSN, action="patients.update", target=patient,
                   locations=locations)
    _check_keys(data, PATIENT_FIELDS)
    if patient.merged_into_id:
        raise ValidationError(_("This record was merged into another; edit that one."), code="merged")
    with transaction.atomic():
        if data.get("guarantor") is not None:
            _check_guarantor(actor=actor, patient_pk=patient.pk, guarantor=data["guarantor"])
        current = Patient.objects.select_for_update().get(pk=patient.pk)
        changed = _apply(current, data)
        if changed:
            current.save(update_fields=[*changed, "updated_at"])
            record(actor=actor, action="patients.updated", target=current, patient_id=current.pk,
                   location_id=current.home_location_id, changed_fields=changed)
    return current


@dataclass
class MergeResult:
    survivor: Patient
    duplicate: Patient
    coverages_moved: int = 0
    coverages_deactivated: int = 0


def patient_merge(*, actor: Any, survivor: Patient, duplicate: Patient) -> MergeResult:
    """Fold `duplicate` into `survivor`: coverages and dependents move, the duplicate becomes inactive with
    merged_into set. Audited on both patient ids. Coverage that would clash with the survivor's (same policy,
    or no free rank) moves as inactive so no history is lost."""
    _authorize(actor=actor, permission=Perm.PATIENTS_MERGE, action="patients.merge", target=duplicate,
               locations=[survivor.home_location_id, duplicate.home_location_id])
    if survivor.pk == duplicate.pk:
        raise ValidationError(_("Choose two different patients to merge."), code="same_patient")
    with transaction.atomic():
        both = {p.pk: p for p in Patient.objects.select_for_update().filter(pk__in=[survivor.pk, duplicate.pk])}
        keep, lose = both[survivor.pk], both[duplicate.pk]
        if keep.merged_into_id or lose.merged_into_id:
            raise ValidationError(_("One of these records was already merged."), code="already_merged")
        result = MergeResult(survivor=keep, duplicate=lose)
        kept = list(Coverage.objects.filter(patient=keep, is_active=True))
        used_ranks = {c.rank for c in kept}
        policies = {(c.payer_id, c.member_id.upper()) for c in kept}
        for coverage in Coverage.objects.filter(patient=lose).order_by("-is_active", "rank"):
            coverage.patient = keep
            fields = ["patient", "updated_at"]
            if coverage.is_active:
                free = [rank for rank in (1, 2, 3) if rank not in used_ranks]
                if (coverage.payer_id, coverage.member_id.upper()) in policies or not free:
                    coverage.is_active = False
                    fields.append("is_active")
                    result.coverages_deactivated += 1
                else:
                    if coverage.rank not in free:
                        coverage.rank = free[0]
                        fields.append("rank")
                    used_ranks.add(coverage.rank)
                    policies.add((coverage.payer_id, coverage.member_id.upper()))
            coverage.save(update_fields=fields)
            result.coverages_moved += 1
        Patient.objects.filter(guarantor=lose).exclude(pk=keep.pk).update(guarantor=keep)
        if keep.guarantor_id == lose.pk:
            keep.guarantor = None
            keep.save(update_fields=["guarantor", "updated_at"])
        lose.is_active = False
        lose.merged_into = keep
        lose.save(update_fields=["is_active", "merged_into", "updated_at"])
        patient_merged.send(sender=Patient, survivor=keep, duplicate=lose, actor=actor)
        reason = f"P{lose.pk} merged into P{keep.pk}"
        record(actor=actor, action="patients.merged", target=keep, patient_id=keep.pk,
               location_id=keep.home_location_id, changed_fields=["coverages"], reason=reason)
        record(actor=actor, action="patients.merged_away", target=lose, patient_id=lose.pk,
               location_id=lose.home_location_id, changed_fields=["is_active", "merged_into"], reason=reason)
    return result


# --- coverage ------------------------------------------------------------------------------------------------


def _normalise_subscriber(data: dict[str, Any]) -> None:
    # The patient is the subscriber: the subscriber fields describe nobody else, so clear them.
    if data.get("subscriber_relationship") == SubscriberRelationship.SELF:
        for name in SUBSCRIBER_FIELDS:
            data[name] = None if name == "subscriber_date_of_birth" else ""


def coverage_add(*, actor: Any, patient: Patient, data: Mapping[str, Any]) -> Coverage:
    _authorize(actor=actor, permission=Perm.PATIENTS_EDIT, action="coverages.add", target=patient,
               locations=[patient.home_location_id])
    _check_keys(data, COVERAGE_FIELDS)
    if patient.merged_into_id or not patient.is_active:
        raise ValidationError(_("Add coverage to an active patient record."), code="inactive_patient")
    values = dict(data)
    values.setdefault("subscriber_relationship", SubscriberRelationship.SELF)
    _normalise_subscriber(values)
    rank = values.get("rank", 1)
    if Coverage.objects.filter(patient=patient, rank=rank, is_active=True).exists():
        # Checked before validation so the message lands on the field; the partial unique index still
        # guards against two people adding the same rank at the same moment.
        raise ValidationError({"rank": _("The patient already has an active coverage in this order; end it "
                                         "first.")})
    coverage = Coverage(patient=patient)
    _apply(coverage, values)
    with transaction.atomic():
        coverage.save(force_insert=True)
        record(actor=actor, action="coverages.added", target=coverage, patient_id=patient.pk,
               location_id=patient.home_location_id,
               changed_fields=[name for name in values if values[name] not in ("", None)])
    return coverage


def coverage_update(*, actor: Any, coverage: Coverage, data: Mapping[str, Any]) -> Coverage:
    patient = coverage.patient
    _authorize(actor=actor, permission=Perm.PATIENTS_EDIT, action="coverages.update", target=coverage,
               locations=[patient.home_location_id])
    _check_keys(data, COVERAGE_FIELDS)
    values = dict(data)
    if "subscriber_relationship" in values:
        _normalise_subscriber(values)
    if "rank" in values and coverage.is_active and Coverage.objects.filter(
            patient_id=coverage.patient_id, rank=values["rank"], is_active=True).exclude(pk=coverage.pk).exists():
        raise ValidationError({"rank": _("The patient already has an active coverage in this order.")})
    with transaction.atomic():
        current = Coverage.objects.select_for_update().select_related("patient").get(pk=coverage.pk)
        changed = _apply(current, values)
        if changed:
            current.save(update_fields=[*changed, "updated_at"])
            record(actor=actor, action="coverages.updated", target=current, patient_id=current.patient_id,
                   location_id=patient.home_location_id, changed_fields=changed)
    return current


def coverage_end(*, actor: Any, coverage: Coverage, end_date: datetime.date) -> Coverage:
    """End a policy on `end_date`: it stays on record (valid for services up to that date) and frees its rank."""
    patient = coverage.patient
    _authorize(actor=actor, permission=Perm.PATIENTS_EDIT, action="coverages.end", target=coverage,
               locations=[patient.home_location_id])
    with transaction.atomic():
        current = Coverage.objects.select_for_update().get(pk=coverage.pk)
        if not current.is_active:
            raise ValidationError(_("This coverage has already ended."), code="ended")
        current.effective_to = end_date
        current.is_active = False
        current.full_clean()
        current.save(update_fields=["effective_to", "is_active", "updated_at"])
        record(actor=actor, action="coverages.ended", target=current, patient_id=current.patient_id,
               location_id=patient.home_location_id, changed_fields=["effective_to", "is_active"])
    return current


def _sniff_image(content: bytes) -> tuple[str, str]:
    """(content type, extension) of a real image, decided from the bytes alone; ValidationError otherwise."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(content)) as image:
            image_format = image.format or ""
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise ValidationError(_("This file is not an image we can read (use JPEG, PNG, WebP or GIF)."),
                              code="not_image") from error
    if image_format not in CARD_FORMATS:
        raise ValidationError(_("Upload the card as JPEG, PNG, WebP or GIF."), code="image_format")
    return CARD_FORMATS[image_format]


def card_upload(*, actor: Any, coverage: Coverage, side: str, upload: UploadedFile) -> CoverageCard:
    """Store one side of an insurance card. The client's file name and content type are ignored: the type comes
    from the bytes, the name is random."""
    patient = coverage.patient
    _authorize(actor=actor, permission=Perm.PATIENTS_EDIT, action="coverages.card_upload", target=coverage,
               locations=[patient.home_location_id])
    if side not in ("front", "back"):
        raise ValidationError({"side": _("Choose the front or the back of the card.")})
    if upload.size is None or upload.size > CARD_MAX_BYTES:
        raise ValidationError({"file": _("The image is larger than 5 MB.")}, code="too_large")
    content = upload.read(CARD_MAX_BYTES + 1)
    if len(content) > CARD_MAX_BYTES:
        raise ValidationError({"file": _("The image is larger than 5 MB.")}, code="too_large")
    try:
        content_type, extension = _sniff_image(content)
    except ValidationError as error:
        raise ValidationError({"file": error.messages}) from error
    card = CoverageCard(coverage=coverage, side=side, content_type=content_type, size=len(content),
                        uploaded_by=actor, uploaded_at=timezone.now())
    card.file.save(f"{secrets.token_hex(16)}.{extension}", ContentFile(content), save=False)
    try:
        with transaction.atomic():
            card.save(force_insert=True)
            record(actor=actor, action="coverages.card_uploaded", target=card, patient_id=patient.pk,
                   location_id=patient.home_location_id, changed_fields=[f"card.{side}"])
    except Exception:
        card.file.delete(save=False)  # no orphan file when the row could not be written
        raise
    return card


# --- payers --------------------------------------------------------------------------------------------------


def payer_create(*, actor: Any, data: Mapping[str, Any]) -> Payer:
    _authorize(actor=actor, permission=Perm.PAYERS_MANAGE, action="payers.create")
    _check_keys(data, PAYER_FIELDS)
    payer = Payer()
    _apply(payer, data)
    with transaction.atomic():
        payer.save(force_insert=True)
        record(actor=actor, action="payers.created", target=payer,
               changed_fields=[name for name in data if data[name] not in ("", None)])
    return payer


def payer_update(*, actor: Any, payer: Payer, data: Mapping[str, Any]) -> Payer:
    _authorize(actor=actor, permission=Perm.PAYERS_MANAGE, action="payers.update", target=payer)
    _check_keys(data, PAYER_FIELDS)
    with transaction.atomic():
        current = Payer.objects.select_for_update().get(pk=payer.pk)
        changed = _apply(current, data)
        if changed:
            current.save(update_fields=[*changed, "updated_at"])
            record(actor=actor, action="payers.updated", target=current, changed_fields=changed)
    return current


def payer_plan_add(*, actor: Any, payer: Payer, name: str, plan_type: str) -> PayerPlan:
    _authorize(actor=actor, permission=Perm.PAYERS_MANAGE, action="payers.plan_add", target=payer)
    plan = PayerPlan(payer=payer, name=name.strip(), plan_type=plan_type)
    plan.full_clean()
    with transaction.atomic():
        plan.save(force_insert=True)
        record(actor=actor, action="payers.plan_added", target=plan, changed_fields=["name", "plan_type"])
    return plan


IMPORT_COLUMNS: tuple[str, ...] = (
    "name", "payer_id", "address_line1", "address_line2", "city", "state", "postal_code", "claim_filing_indicator",
    "timely_filing_days", "phone", "portal_url", "notes", "plans",
)  # fmt: skip
REQUIRED_COLUMNS: tuple[str, ...] = ("name", "address_line1", "city", "state", "postal_code")
IMPORT_MAX_ROWS = 5000


@dataclass
class ImportRow:
    line: int
    name: str
    action: str = ""  # "create" or "update"
    errors: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    rows: list[ImportRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # problems with the file itself
    saved: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors and all(not row.errors for row in self.rows)

    @property
    def error_count(self) -> int:
        return len(self.errors) + sum(1 for row in self.rows if row.errors)


def _parse_plans(text: str) -> list[tuple[str, str]]:
    """"Gold PPO:ppo; Basic HMO:hmo; Standard" -> [(name, plan_type)]; the type defaults to "other"."""
    plans: list[tuple[str, str]] = []
    for part in (text or "").split(";"):
        if not part.strip():
            continue
        name, _sep, plan_type = part.partition(":")
        plans.append((name.strip(), (plan_type.strip().lower() or PlanType.OTHER)))
    return plans


def payer_import_csv(*, actor: Any, content: bytes | str, dry_run: bool = False) -> ImportReport:
    """Create or update payers (matched by name) and add their plans from a CSV with IMPORT_COLUMNS as the
    header. Every row is validated first; if any row has an error nothing is saved (all or nothing) and the
    report says what is wrong on which line."""
    _authorize(actor=actor, permission=Perm.PAYERS_MANAGE, action="payers.import")
    report = ImportReport()
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            report.errors.append(_("The file is not UTF-8 text. Save it as “CSV UTF-8” and try again."))
            return report
    if "\x00" in content:  # a binary file; PostgreSQL text cannot hold NUL either
        report.errors.append(_("This is a binary file, not a CSV text file."))
        return report
    reader = csv.DictReader(io.StringIO(content))
    header = [name.strip() for name in (reader.fieldnames or [])]
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    unknown = [name for name in header if name not in IMPORT_COLUMNS]
    if missing:
        report.errors.append(_("Missing column(s): %(cols)s.") % {"cols": ", ".join(missing)})
    if unknown:
        report.errors.append(_("Unknown column(s): %(cols)s.") % {"cols": ", ".join(unknown)})
    if report.errors:
        return report
    existing = {payer.name.casefold(): payer for payer in Payer.objects.all()}
    seen: dict[str, int] = {}
    prepared: list[tuple[ImportRow, Payer, list[PayerPlan]]] = []
    for raw in reader:
        line = reader.line_num
        if len(prepared) >= IMPORT_MAX_ROWS:
            report.errors.append(_("At most %(max)s rows per file.") % {"max": IMPORT_MAX_ROWS})
            return report
        values = {(key or "").strip(): (value or "").strip() for key, value in raw.items() if key}
        if not any(values.values()):
            continue
        row = ImportRow(line=line, name=values.get("name", ""))
        report.rows.append(row)
        key = row.name.casefold()
        if key in seen:
            row.errors.append(_("The same payer is also on line %(line)s.") % {"line": seen[key]})
        seen[key] = line
        payer = existing.get(key) or Payer()
        row.action = "update" if payer.pk else "create"
        data: dict[str, Any] = {name: values.get(name, "") for name in PAYER_FIELDS
                                if name in values and name != "is_active"}
        data["claim_filing_indicator"] = data.get("claim_filing_indicator", "").upper() or \
            (payer.claim_filing_indicator if payer.pk else ClaimFilingIndicator.COMMERCIAL)
        data["state"] = data.get("state", "").upper()
        days = data.get("timely_filing_days", "")
        data["timely_filing_days"] = (int(days) if days.isdigit() else days) if days else (
            payer.timely_filing_days if payer.pk else 90)
        for name, value in data.items():
            setattr(payer, name, value)
        try:
            payer.full_clean(validate_unique=False)
        except ValidationError as error:
            row.errors.extend(f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items())
        plans: list[PayerPlan] = []
        known_plans = set(payer.plans.values_list("name", flat=True)) if payer.pk else set()
        for plan_name, plan_type in _parse_plans(values.get("plans", "")):
            if plan_type not in PlanType.values:
                row.errors.append(_("plans: unknown plan type “%(type)s”.") % {"type": plan_type})
            elif not plan_name or len(plan_name) > 80:
                row.errors.append(_("plans: a plan name must have 1 to 80 characters."))
            elif plan_name not in known_plans:
                known_plans.add(plan_name)
                plans.append(PayerPlan(name=plan_name, plan_type=plan_type))
        prepared.append((row, payer, plans))
    if not report.rows:
        report.errors.append(_("The file has no payer rows."))
    if not report.ok or dry_run:
        return report
    with transaction.atomic():
        for _row, payer, plans in prepared:
            payer.save()
            for plan in plans:
                plan.payer = payer
            PayerPlan.objects.bulk_create(plans)
        record(actor=actor, action="payers.imported", object_type="patients.payer",
               changed_fields=["payers", "plans"],
               reason=f"{sum(r.action == 'create' for r in report.rows)} created, "
                      f"{sum(r.action == 'update' for r in report.rows)} updated")
    report.saved = True
    return report


# --- eligibility (what the payer said about a coverage) --------------------------------------------------------


def eligibility_response_record(
    *, actor: Any, coverage: Coverage, is_active: bool, plan_description: str = "",
    copay: Decimal | None = None, deductible: Decimal | None = None, deductible_remaining: Decimal | None = None,
    message: str = "", trace_number: str = "", received_at: datetime.datetime | None = None,
) -> EligibilityResponse:
    """Keep what a payer answered about `coverage` (a 271 eligibility response): shown at check-in.

    Whoever keeps the patient's insurance (PATIENTS_EDIT) or bills it (BILLING_MANAGE) at the patient's home
    location may record one. Audited with the field names only; never the amounts or the payer's message."""
    patient = coverage.patient
    location_id = patient.home_location_id
    if not (can(actor, Perm.PATIENTS_EDIT, location_id) or can(actor, Perm.BILLING_MANAGE, location_id)):
        raise _refuse(actor=actor, permission=f"{Perm.PATIENTS_EDIT} or {Perm.BILLING_MANAGE}",
                      action="coverages.eligibility_record", target=coverage)
    response = EligibilityResponse(
        coverage=coverage, received_at=received_at or timezone.now(), is_active=is_active,
        plan_description=plan_description.strip(), copay=copay, deductible=deductible,
        deductible_remaining=deductible_remaining, message=message.strip(), trace_number=trace_number.strip(),
    )
    response.full_clean()
    with transaction.atomic():
        response.save(force_insert=True)
        record(actor=actor, action="coverages.eligibility_recorded", target=response, patient_id=patient.pk,
               location_id=location_id,
               changed_fields=["is_active"] + [name for name in ("plan_description", "copay", "deductible",
                                                                 "deductible_remaining", "message", "trace_number")
                                               if getattr(response, name) not in ("", None)])
    return response
