"""Everything the scrubber needs, loaded in bulk before any rule runs.

The rules (builtin.py, practice_rules.py) never touch the database: they read a `ClaimInput` (a claim with its
related rows and lines already loaded) and a `ScrubContext` (the practice row, the active practice rules, the
possible duplicates of every claim in the run, what secondary claims need of the earlier payer, today's date).
Loading is a fixed number of queries whatever the number of claims: per chunk of claims, one for the claims and
one for their lines; per chunk of ids, one each for the patients, coverages, payers, locations, providers and
referring providers they name; for the whole run, one for duplicates, one for the payer claim numbers of
replaced claims, one for the practice and one for the rules; and, only when the run holds secondary claims, per
chunk of them one for the earlier payers' claims and one for the adjustments those payers made.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Collection, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar, cast

from django.db.models import Model, QuerySet
from django.utils import timezone

from openpractice.core.lookups import any_of_chunk_size
from openpractice.core.models import Location, Practice
from openpractice.patients.models import Coverage, Patient, Payer, SubscriberRelationship
from openpractice.scheduling.models import Provider, ReferringProvider

from ..choices import ClaimFrequency, ClaimStatus
from ..codes.icd10 import Icd10Verdict, icd10_check
from ..models import Claim, ClaimAdjustment, ClaimLine
from .findings import Finding
from .practice_rules import PracticeRule, active_practice_rules

# What the rules read, and nothing more: building model instances is most of the cost of a run, and a claim
# row is wide (timestamps, JSON, money). Every related row is read once and the same instance hung on each
# claim that names it: a patient's claims share one patient and coverage, a run shares a few payers, locations
# and providers.
CLAIM_FIELDS: tuple[str, ...] = (
    "claim_number", "charge", "patient", "location", "coverage", "payer", "payer_rank", "status", "frequency_code",
    "original_claim", "payer_claim_number", "date_of_service", "place_of_service", "rendering_provider",
    "billing_provider", "referring_provider", "prior_authorization", "diagnosis_codes", "total_charge",
    "prior_payer_paid", "prior_payer_paid_on", "batch",
)
PATIENT_FIELDS: tuple[str, ...] = (
    "first_name", "middle_name", "last_name", "date_of_birth", "sex", "address_line1", "address_line2", "city",
    "state", "postal_code",
)
COVERAGE_FIELDS: tuple[str, ...] = (
    "patient", "payer", "rank", "member_id", "group_number", "is_active", "effective_from", "effective_to",
    "subscriber_relationship", "subscriber_last_name",
)
# The same fields as values_list names, in ClaimRow's attribute order.
ROW_FIELDS: tuple[str, ...] = (
    "pk", "claim_number", "charge_id", "patient_id", "location_id", "coverage_id", "payer_id", "payer_rank",
    "status", "frequency_code", "original_claim_id", "payer_claim_number", "date_of_service", "place_of_service",
    "rendering_provider_id", "billing_provider_id", "referring_provider_id", "prior_authorization",
    "diagnosis_codes", "total_charge", "prior_payer_paid", "prior_payer_paid_on", "batch_id",
)
# Above this many patients in one run the duplicate query filters on the dates of service alone (a long IN
# list costs more than the extra rows it would save); above this many claims it reads the run's own claims too
# instead of leaving them out by id.
DUPLICATE_PATIENT_FILTER_LIMIT = 1000
DUPLICATE_EXCLUDE_LIMIT = 20000

DuplicateKey = tuple[int, int, dt.date, tuple[str, ...]]
M = TypeVar("M", bound=Model)
T = TypeVar("T")


def chunks(values: Sequence[T], size: int | None = None) -> Iterator[Sequence[T]]:
    """`values` in slices of at most `size` (by default as many as one `any_of` list should hold), to keep
    id lists and locked row sets bounded."""
    size = size or any_of_chunk_size()
    for start in range(0, len(values), size):
        yield values[start:start + size]


@dataclass(slots=True)
class ClaimLineInput:
    """A claim line as the rules read it, built from one row of ClaimLine: for 20,000 lines a model instance
    each would cost more than all the rules together."""

    pk: int
    claim_id: int
    line_number: int
    procedure_code: str
    modifiers: list[str]
    units: Decimal
    service_date_from: dt.date
    service_date_to: dt.date
    pointers: list[int]
    amount: Decimal


LINE_FIELDS: tuple[str, ...] = tuple(name for name in ClaimLineInput.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class ClaimInput:
    """A claim as the rules see it: the claim (its relations loaded) and its lines in line order."""

    claim: Claim
    lines: tuple[ClaimLineInput, ...]

    @property
    def procedure_codes(self) -> tuple[str, ...]:
        return tuple(sorted(line.procedure_code for line in self.lines))


@dataclass(frozen=True, slots=True)
class OtherClaim:
    """A claim that may duplicate one being scrubbed."""

    pk: int
    claim_number: str
    status: str
    original_claim_id: int | None


@dataclass(frozen=True, slots=True)
class EarlierClaim:
    """The claim an earlier payer (primary, for a secondary claim) received for the same charge: what the 837P's
    loops 2320/2330 of the later claim describe."""

    pk: int
    claim_number: str
    payer_rank: int
    payer_name: str
    payer_electronic_id: str
    member_id: str
    subscriber_last_name: str  # the coverage's subscriber; the patient when the patient is the subscriber


Adjustment = tuple[str, str, Decimal]  # (group code, reason code, amount)


@dataclass
class ScrubContext:
    today: dt.date
    practice: Practice | None
    rules: tuple[PracticeRule, ...] = ()
    duplicates: Mapping[DuplicateKey, tuple[OtherClaim, ...]] = field(default_factory=dict)
    # Payer claim numbers of the claims that corrected / void claims replace: {original claim id: number}.
    original_payer_claim_numbers: Mapping[int, str] = field(default_factory=dict)
    # For the secondary claims of the run: the earlier payers' claims of their charges, newest first,
    # {(charge id, payer rank): (claim, ...)}, and what the earlier payer adjusted, {claim id: adjustments}.
    earlier_claims: Mapping[tuple[int, int], tuple[EarlierClaim, ...]] = field(default_factory=dict)
    prior_adjustments: Mapping[int, tuple[Adjustment, ...]] = field(default_factory=dict)
    _icd10: dict[tuple[str, dt.date], Icd10Verdict] = field(default_factory=dict, repr=False)
    _rules_by_payer: dict[int, tuple[PracticeRule, ...]] = field(default_factory=dict, repr=False)
    _memo: dict[Hashable, tuple[Finding, ...]] = field(default_factory=dict, repr=False)

    def memo(self, key: Hashable, compute: Callable[[], Iterable[Finding]]) -> tuple[Finding, ...]:
        """The findings of a check that depends only on what `key` names (a provider, a payer, the practice):
        worked out for the first claim that needs it, shared by the rest of the run."""
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = tuple(compute())
        return found

    def icd10(self, code: str, on: dt.date) -> Icd10Verdict:
        """icd10_check, remembered for the run (many claims share codes and dates)."""
        key = (code, on)
        verdict = self._icd10.get(key)
        if verdict is None:
            verdict = self._icd10[key] = icd10_check(code, on)
        return verdict

    def rules_for_payer(self, payer_id: int) -> tuple[PracticeRule, ...]:
        found = self._rules_by_payer.get(payer_id)
        if found is None:
            found = self._rules_by_payer[payer_id] = tuple(
                rule for rule in self.rules if rule.payer_id is None or rule.payer_id == payer_id)
        return found

    def earlier_claim(self, claim: Claim, rank: int) -> EarlierClaim | None:
        """The newest claim (not a void) of payer rank `rank` for `claim`'s charge: the one the 837P writer
        describes in loops 2320/2330."""
        for earlier in self.earlier_claims.get((claim.charge_id, rank), ()):
            if earlier.pk != claim.pk:
                return earlier
        return None

    def duplicates_of(self, item: ClaimInput) -> list[OtherClaim]:
        """The other claims billing the same thing; none for a void claim (it cancels a claim, bills nothing)."""
        claim = item.claim
        codes = item.procedure_codes
        if not codes or claim.frequency_code == ClaimFrequency.VOID:
            return []
        found = self.duplicates.get((claim.patient_id, claim.payer_id, claim.date_of_service, codes), ())
        return [other for other in found
                if other.pk != claim.pk and other.pk != claim.original_claim_id and other.original_claim_id != claim.pk
                and not (other.original_claim_id is not None and other.original_claim_id == claim.original_claim_id)]


class ClaimRow:
    """A claim as the bulk path (services/scrubbing.claims_scrub) reads it: one values_list row with the same
    attribute names as Claim for everything the rules and the service read, and the related rows hung on it.
    Building 10,000 Claim instances (and decoding their JSON) costs more than every rule together; the model
    path (load_claims without rows=True) stays for callers that save or change the claims they scrub."""

    __slots__ = (*(name for name in ROW_FIELDS), "patient", "coverage", "payer", "location", "rendering_provider",
                 "billing_provider", "referring_provider", "scrubbed_at", "submitted_at")

    pk: int
    claim_number: str
    charge_id: int
    patient_id: int
    location_id: int
    coverage_id: int
    payer_id: int
    payer_rank: int
    status: str
    frequency_code: str
    original_claim_id: int | None
    payer_claim_number: str
    date_of_service: dt.date
    place_of_service: str
    rendering_provider_id: int
    billing_provider_id: int | None
    referring_provider_id: int | None
    prior_authorization: str
    diagnosis_codes: list[str]
    total_charge: Decimal
    prior_payer_paid: Decimal | None
    prior_payer_paid_on: dt.date | None
    batch_id: int | None
    patient: Patient
    coverage: Coverage
    payer: Payer
    location: Location
    rendering_provider: Provider
    billing_provider: Provider | None
    referring_provider: ReferringProvider | None
    scrubbed_at: dt.datetime | None
    submitted_at: dt.datetime | None

    def __init__(self, row: Sequence[object]) -> None:
        for name, value in zip(ROW_FIELDS, row, strict=True):
            setattr(self, name, value)
        self.billing_provider = None
        self.referring_provider = None
        self.scrubbed_at = None
        self.submitted_at = None

    @property
    def id(self) -> int:
        return self.pk


def load_claims(claim_ids: Collection[int], *, rows: bool = False) -> list[ClaimInput]:
    """The claims with every relation the rules read and their lines: per chunk of claims, one query for the
    claims and one for their lines; then one per kind of related row (in chunks of ids). With `rows`, each claim
    is a ClaimRow (read-only use: scrubbing) rather than a Claim instance."""
    ids = sorted(set(claim_ids))
    claims: list[Claim] = []
    lines: dict[int, list[ClaimLineInput]] = defaultdict(list)
    for chunk in chunks(ids):
        if rows:
            # A ClaimRow answers every attribute the rules read with the same name and value as a Claim.
            claims.extend(cast(Claim, ClaimRow(row)) for row in Claim.objects.filter(pk__any_of=chunk).order_by(
                "pk").values_list(*ROW_FIELDS))
        else:
            claims.extend(Claim.objects.filter(pk__any_of=chunk).only(*CLAIM_FIELDS).order_by("pk"))
        for row in ClaimLine.objects.filter(claim_id__any_of=chunk).order_by("claim_id", "line_number").values_list(
                *LINE_FIELDS):
            line = ClaimLineInput(*row)
            lines[line.claim_id].append(line)
    _attach_related(claims, rows=rows)
    return [ClaimInput(claim=claim, lines=tuple(lines.get(claim.pk, ()))) for claim in claims]


def _by_pk(queryset: QuerySet[M], ids: set[int]) -> dict[int, M]:
    found: dict[int, M] = {}
    for chunk in chunks(sorted(ids)):
        found.update((row.pk, row) for row in queryset.filter(pk__any_of=chunk))
    return found


def _attach_related(claims: Sequence[Claim], *, rows: bool = False) -> None:
    """Read each patient, coverage, payer, location and provider once and hang the same instance on every claim
    that names it."""
    patients = _by_pk(Patient.objects.only(*PATIENT_FIELDS), {claim.patient_id for claim in claims})
    coverages = _by_pk(Coverage.objects.only(*COVERAGE_FIELDS), {claim.coverage_id for claim in claims})
    payers = _by_pk(Payer.objects.all(), {claim.payer_id for claim in claims})
    locations = _by_pk(Location.objects.all(), {claim.location_id for claim in claims})
    providers = _by_pk(Provider.objects.all(), {claim.rendering_provider_id for claim in claims}
                       | {claim.billing_provider_id for claim in claims if claim.billing_provider_id is not None})
    referring_ids = {claim.referring_provider_id for claim in claims if claim.referring_provider_id is not None}
    referring = _by_pk(ReferringProvider.objects.all(), referring_ids) if referring_ids else {}
    if rows:  # ClaimRows: plain attributes
        for claim in claims:
            claim.patient = patients[claim.patient_id]
            claim.coverage = coverages[claim.coverage_id]
            claim.payer = payers[claim.payer_id]
            claim.location = locations[claim.location_id]
            claim.rendering_provider = providers[claim.rendering_provider_id]
            if claim.billing_provider_id is not None:
                claim.billing_provider = providers[claim.billing_provider_id]
            if claim.referring_provider_id is not None:
                claim.referring_provider = referring[claim.referring_provider_id]
        return
    # Straight into each claim's relation cache (what select_related does): the descriptors' checks, run
    # 70,000 times for 10,000 claims, would cost more than reading the rows.
    cache = {name: Claim._meta.get_field(name).set_cached_value for name in (  # type: ignore[union-attr]
        "patient", "coverage", "payer", "location", "rendering_provider", "billing_provider", "referring_provider")}
    for claim in claims:
        cache["patient"](claim, patients[claim.patient_id])
        cache["coverage"](claim, coverages[claim.coverage_id])
        cache["payer"](claim, payers[claim.payer_id])
        cache["location"](claim, locations[claim.location_id])
        cache["rendering_provider"](claim, providers[claim.rendering_provider_id])
        if claim.billing_provider_id is not None:
            cache["billing_provider"](claim, providers[claim.billing_provider_id])
        if claim.referring_provider_id is not None:
            cache["referring_provider"](claim, referring[claim.referring_provider_id])


def _duplicate_index(items: Sequence[ClaimInput]) -> dict[DuplicateKey, tuple[OtherClaim, ...]]:
    """Every non-closed claim that bills (not a void: a void cancels a claim, so it never duplicates the claim
    that bills the visit again) and shares a patient, payer, date of service and procedure codes with another,
    keyed by (patient, payer, date of service, sorted procedure codes): the run's own claims from what is loaded,
    the others with one query for the whole run."""
    if not items:
        return {}
    index: dict[DuplicateKey, list[OtherClaim]] = defaultdict(list)
    in_run: set[int] = set()
    for item in items:
        claim = item.claim
        in_run.add(claim.pk)
        if item.lines and claim.status != ClaimStatus.CLOSED and claim.frequency_code != ClaimFrequency.VOID:
            index[(claim.patient_id, claim.payer_id, claim.date_of_service, item.procedure_codes)].append(
                OtherClaim(pk=claim.pk, claim_number=claim.claim_number, status=claim.status,
                           original_claim_id=claim.original_claim_id))
    dates = [item.claim.date_of_service for item in items]
    patients = {item.claim.patient_id for item in items}
    rows = ClaimLine.objects.filter(claim__date_of_service__range=(min(dates), max(dates))).exclude(
        claim__status=ClaimStatus.CLOSED).exclude(claim__frequency_code=ClaimFrequency.VOID)
    if len(patients) <= DUPLICATE_PATIENT_FILTER_LIMIT:
        rows = rows.filter(claim__patient_id__any_of=patients)
    if len(in_run) <= DUPLICATE_EXCLUDE_LIMIT:
        rows = rows.exclude(claim_id__any_of=in_run)
    codes: dict[int, list[str]] = defaultdict(list)
    heads: dict[int, tuple[int, int, dt.date, OtherClaim]] = {}
    for claim_id, patient_id, payer_id, dos, number, status, original_id, code in rows.values_list(
            "claim_id", "claim__patient_id", "claim__payer_id", "claim__date_of_service", "claim__claim_number",
            "claim__status", "claim__original_claim_id", "procedure_code").iterator(chunk_size=5000):
        if claim_id in in_run:
            continue
        codes[claim_id].append(code)
        if claim_id not in heads:
            heads[claim_id] = (patient_id, payer_id, dos, OtherClaim(pk=claim_id, claim_number=number, status=status,
                                                                     original_claim_id=original_id))
    for claim_id, (patient_id, payer_id, dos, other) in heads.items():
        index[(patient_id, payer_id, dos, tuple(sorted(codes[claim_id])))].append(other)
    return {key: tuple(others) for key, others in index.items() if len(others) > 1}


def _original_payer_claim_numbers(items: Iterable[ClaimInput]) -> dict[int, str]:
    originals = {item.claim.original_claim_id for item in items if item.claim.original_claim_id is not None}
    if not originals:
        return {}
    return dict(Claim.objects.filter(pk__any_of=originals).values_list("pk", "payer_claim_number"))


def _earlier_claims(items: Sequence[ClaimInput]) -> dict[tuple[int, int], tuple[EarlierClaim, ...]]:
    """The earlier payers' claims (not voids) of the charges of the run's secondary claims, newest first."""
    later = [item.claim for item in items if item.claim.payer_rank > 1]
    if not later:
        return {}
    top = max(claim.payer_rank for claim in later)
    found: dict[tuple[int, int], list[EarlierClaim]] = defaultdict(list)
    for chunk in chunks(sorted({claim.charge_id for claim in later})):
        for (charge_id, rank, pk, number, payer_name, payer_id, member_id, relationship, subscriber_last,
             patient_last) in (
                Claim.objects.filter(charge_id__any_of=chunk, payer_rank__lt=top)
                .exclude(frequency_code=ClaimFrequency.VOID).order_by("charge_id", "payer_rank", "-pk")
                .values_list("charge_id", "payer_rank", "pk", "claim_number", "payer__name", "payer__payer_id",
                             "coverage__member_id", "coverage__subscriber_relationship",
                             "coverage__subscriber_last_name", "patient__last_name")):
            found[(charge_id, rank)].append(EarlierClaim(
                pk=pk, claim_number=number, payer_rank=rank, payer_name=payer_name, payer_electronic_id=payer_id or "",
                member_id=member_id or "",
                subscriber_last_name=(patient_last if relationship == SubscriberRelationship.SELF
                                      else subscriber_last) or ""))
    return {key: tuple(claims) for key, claims in found.items()}


def _prior_adjustments(items: Sequence[ClaimInput]) -> dict[int, tuple[Adjustment, ...]]:
    later = sorted(item.claim.pk for item in items if item.claim.payer_rank > 1)
    found: dict[int, list[Adjustment]] = defaultdict(list)
    for chunk in chunks(later):
        for claim_id, group, reason, amount in ClaimAdjustment.objects.filter(claim_id__any_of=chunk).order_by(
                "claim_id", "pk").values_list("claim_id", "group_code", "reason_code", "amount"):
            found[claim_id].append((group, reason, amount))
    return {claim_id: tuple(rows) for claim_id, rows in found.items()}


def build_context(
    items: Sequence[ClaimInput],
    *,
    today: dt.date | None = None,
    practice: Practice | None = None,
    rules: tuple[PracticeRule, ...] | None = None,
) -> ScrubContext:
    """The context for scrubbing `items` together: the practice, the active practice rules, duplicates."""
    return ScrubContext(
        today=today or timezone.localdate(),
        practice=practice if practice is not None else Practice.objects.first(),
        rules=rules if rules is not None else active_practice_rules(),
        duplicates=_duplicate_index(items),
        original_payer_claim_numbers=_original_payer_claim_numbers(items),
        earlier_claims=_earlier_claims(items),
        prior_adjustments=_prior_adjustments(items),
    )
