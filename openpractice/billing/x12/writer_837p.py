"""The ASC X12 005010X222A1 health care claim: professional (837P) writer.

Streaming: `claims_for_837p()` reads the claims of a queryset as plain values (no model instances: at 10,000
claims building ORM objects would cost more than writing the file), `chunk_size` claims at a time from one
streamed query, and completes each chunk with a few queries (its lines; for secondary claims the earlier
payer's adjustments and the earlier payers' claims for the same charge, with their coverages; payers, providers
and locations not seen yet, which are kept: there are few of them). `segments_837p()` turns the claims into
segments one at a time and `write_837p()` writes them as they come. Nothing holds the whole file or every claim,
so memory stays flat however large the batch.

A claim that lacks something the 837P requires raises `ClaimRefused` (an `X12WriteError` naming the claim) before
any of its segments is written; with `on_refused` the writer reports it there and leaves the claim out of the
file instead (a batch holds such a claim rather than failing the whole file). What is wrong with the
practice or the billing settings (EIN, legal name, submitter) fails the file: every claim would need it.

Shape of the file: one interchange (ISA) with one functional group (GS) holding one transaction set (ST) per
5,000 claims. In each transaction set: the submitter (1000A) and receiver (1000B); one billing-provider level
(2000A/2010AA) per billing provider, claims sorted so that each provider's claims follow each other; under it one
subscriber level (2000B with 2010BA subscriber and 2010BB payer) per claim, and a patient level (2000C/2010CA)
when the patient is not the subscriber; then the claim (2300), its referring, rendering and service-facility
providers (2310A/B/C), the earlier payers of a secondary claim (2320/2330A/2330B) and the service lines (2400).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TextIO

from django.db.models import F, QuerySet, TextField
from django.db.models.functions import Cast

from openpractice.core.models import Location, Practice
from openpractice.patients.models import Payer, SubscriberRelationship
from openpractice.scheduling.models import Provider, ReferringProvider

from ..choices import ClaimFrequency
from ..models import BillingSettings, Claim, ClaimAdjustment, ClaimLine
from .envelope import Envelope, ge, gs, iea, isa, se, st, st_control
from .segments import TERMINATOR, amount, composite, date8, digits, ident, segment, text, time4

VERSION = "005010X222A1"
MAX_CLAIMS_PER_TRANSACTION = 5000
CHUNK_SIZE = 500
MAX_DIAGNOSES = 12
MAX_CAS_REASONS = 6

# SBR01 (payer responsibility sequence) by payer rank.
RESPONSIBILITY = {1: "P", 2: "S", 3: "T"}
# The patient's relationship to the subscriber: SBR02 / PAT01 individual relationship codes.
RELATIONSHIP: dict[str, str] = {
    SubscriberRelationship.SELF: "18",
    SubscriberRelationship.SPOUSE: "01",
    SubscriberRelationship.CHILD: "19",
    SubscriberRelationship.OTHER: "G8",
}
# DMG03: 5010 knows F, M and U only.
SEX = {"F": "F", "M": "M", "U": "U", "X": "U"}
FREQUENCIES_NAMING_THE_ORIGINAL = frozenset({ClaimFrequency.CORRECTED, ClaimFrequency.VOID})


class X12WriteError(ValueError):
    """Something the 837P needs is missing; the message says what (and which claim), in a biller's words."""


class ClaimRefused(X12WriteError):
    """One claim cannot be written: `reason` says why (the message adds the claim number)."""

    def __init__(self, claim: ClaimData, reason: str) -> None:
        super().__init__(f"Claim {claim.claim_number}: {reason}")
        self.claim = claim
        self.reason = reason


# Called with each claim the writer leaves out and why (see write_837p's `on_refused`).
OnRefused = Callable[["ClaimData", str], None]


@dataclass
class WriteSummary:
    claim_count: int = 0
    total_charge: Decimal = Decimal(0)
    transaction_sets: int = 0
    segment_count: int = 0  # every segment of the file, envelope included (counted by write_837p)
    refused: int = 0  # claims left out (reported to on_refused)


# --- what the writer reads: plain values ---------------------------------------------------------------------


@dataclass(slots=True, frozen=True)
class Address:
    line1: str
    line2: str
    city: str
    state: str
    postal_code: str


@dataclass(slots=True)
class PayerData:
    pk: int
    name: str
    payer_id: str
    filing_indicator: str
    address: Address | None


@dataclass(slots=True)
class ProviderData:
    pk: int
    first_name: str
    last_name: str
    npi: str
    taxonomy_code: str


@dataclass(slots=True)
class LocationData:
    pk: int
    name: str
    npi: str
    address: Address


@dataclass(slots=True)
class PersonData:
    first_name: str
    middle_name: str
    last_name: str
    date_of_birth: dt.date | None
    sex: str
    address: Address | None


@dataclass(slots=True)
class LineData:
    line_number: int
    procedure_code: str
    modifiers: Sequence[str]
    units: Decimal
    amount: Decimal
    date_from: dt.date
    date_to: dt.date
    pointers: Sequence[int]
    # REF*6R, the line item control number: our claim line's id, which the payer echoes back in the 835 so
    # posting matches the line exactly rather than by code, date and charge.
    control_number: str = ""


@dataclass(slots=True)
class EarlierPayerData:
    """An earlier payer of a secondary (or tertiary) claim, from that payer's claim for the same charge and the
    coverage it billed (loops 2320/2330): whatever the patient's coverages say today."""

    rank: int
    relationship: str
    group_number: str
    member_id: str
    subscriber: PersonData
    payer: PayerData


@dataclass(slots=True)
class ClaimData:
    pk: int
    claim_number: str
    total_charge: Decimal
    place_of_service: str
    frequency_code: str
    payer_claim_number: str  # the original claim's, else the claim's own (REF*F8 of a corrected/void claim)
    prior_authorization: str
    diagnosis_codes: Sequence[str]
    payer_rank: int
    prior_payer_paid: Decimal | None
    prior_payer_paid_on: dt.date | None
    patient: PersonData
    relationship: str  # the patient is the subscriber's ...
    member_id: str
    group_number: str
    subscriber: PersonData  # the patient when the relationship is self
    payer: PayerData
    location: LocationData
    rendering: ProviderData
    billing: ProviderData | None  # None: the practice bills as a group
    referring: ProviderData | None
    lines: list[LineData] = field(default_factory=list)
    adjustments: list[tuple[str, str, Decimal]] = field(default_factory=list)  # (group, reason, amount)
    earlier_payers: list[EarlierPayerData] = field(default_factory=list)  # by rank


_ADDRESS = ("address_line1", "address_line2", "city", "state", "postal_code")
_CLAIM_COLUMNS = (
    "pk", "claim_number", "total_charge", "place_of_service", "frequency_code", "payer_claim_number",
    "original_claim__payer_claim_number", "prior_authorization", "diagnoses_json", "payer_rank", "prior_payer_paid",
    "prior_payer_paid_on", "payer_id", "location_id", "rendering_provider_id", "billing_provider_id",
    "referring_provider_id", "charge_id",
    "patient__first_name", "patient__middle_name", "patient__last_name", "patient__date_of_birth", "patient__sex",
    *(f"patient__{name}" for name in _ADDRESS),
    "coverage__subscriber_relationship", "coverage__member_id", "coverage__group_number",
    "coverage__subscriber_first_name", "coverage__subscriber_last_name", "coverage__subscriber_date_of_birth",
    "coverage__subscriber_sex", *(f"coverage__subscriber_{name}" for name in _ADDRESS),
)  # fmt: skip
# Positions in a _CLAIM_COLUMNS row that the chunk completion looks at.
_PK, _RANK, _PAYER, _LOCATION, _RENDERING, _BILLING, _REFERRING, _CHARGE = 0, 9, 12, 13, 14, 15, 16, 17
# An earlier payer's claim for the same charge, with the coverage it billed.
_EARLIER_COLUMNS = (
    "charge_id", "payer_rank", "coverage__subscriber_relationship", "coverage__group_number", "coverage__member_id",
    "payer_id", "coverage__subscriber_first_name", "coverage__subscriber_last_name",
    "coverage__subscriber_date_of_birth", "coverage__subscriber_sex",
    *(f"coverage__subscriber_{name}" for name in _ADDRESS),
)  # fmt: skip


@functools.lru_cache(maxsize=4096)
def _json_list(value: str | None) -> tuple[Any, ...]:
    """A JSON list column read as text (modifiers, pointers, diagnoses): the same few values come back again and
    again, so each distinct text is parsed once (a bounded cache: memory stays flat)."""
    if not value:
        return ()
    parsed = json.loads(value)
    return tuple(parsed) if isinstance(parsed, list) else ()


def _address(values: tuple[Any, ...]) -> Address | None:
    line1, line2, city, state, postal_code = values
    if not line1:
        return None
    return Address(line1, line2 or "", city or "", state or "", postal_code or "")


class _References:
    """Payers, providers, referring providers and locations by id, fetched once each (there are few)."""

    def __init__(self) -> None:
        self.payers: dict[int, PayerData] = {}
        self.providers: dict[int, ProviderData] = {}
        self.referring: dict[int, ProviderData] = {}
        self.locations: dict[int, LocationData] = {}

    def load(self, *, payers: set[int], providers: set[int], referring: set[int], locations: set[int]) -> None:
        if missing := payers - self.payers.keys():
            for pk, name, payer_id, indicator, *address in Payer.objects.filter(pk__in=missing).values_list(
                    "pk", "name", "payer_id", "claim_filing_indicator", *_ADDRESS):
                self.payers[pk] = PayerData(pk, name, payer_id, indicator, _address(tuple(address)))
        if missing := providers - self.providers.keys():
            for pk, first, last, npi, taxonomy in Provider.objects.filter(pk__in=missing).values_list(
                    "pk", "first_name", "last_name", "npi", "taxonomy_code"):
                self.providers[pk] = ProviderData(pk, first, last, npi, taxonomy)
        if missing := referring - self.referring.keys():
            for pk, first, last, npi, taxonomy in ReferringProvider.objects.filter(pk__in=missing).values_list(
                    "pk", "first_name", "last_name", "npi", "taxonomy_code"):
                self.referring[pk] = ProviderData(pk, first, last, npi, taxonomy)
        if missing := locations - self.locations.keys():
            for pk, name, npi, *address in Location.objects.filter(pk__in=missing).values_list(
                    "pk", "name", "npi", *_ADDRESS):
                line1, line2, city, state, postal_code = address
                self.locations[pk] = LocationData(pk, name, npi, Address(line1, line2, city, state, postal_code))


def claims_for_837p(queryset: QuerySet[Claim], *, chunk_size: int = CHUNK_SIZE) -> Iterator[ClaimData]:
    """The claims of `queryset`, in the writer's order (billing provider, then claim), as plain values: one
    streamed query for the claims (with patient and coverage), and per chunk of `chunk_size` claims one query for
    their lines, two more when the chunk holds secondary claims (the earlier payer's adjustments; the earlier
    payers' claims of the same charges), and one per kind of reference data not seen yet."""
    rows = (queryset.annotate(diagnoses_json=Cast("diagnosis_codes", TextField()))
            .order_by(F("billing_provider_id").asc(nulls_first=True), "pk")
            .values_list(*_CLAIM_COLUMNS).iterator(chunk_size=chunk_size))
    references = _References()
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= chunk_size:
            yield from _complete(chunk, references)
            chunk = []
    if chunk:
        yield from _complete(chunk, references)


def _complete(rows: list[tuple[Any, ...]], references: _References) -> list[ClaimData]:
    ids = [row[_PK] for row in rows]
    lines: dict[int, list[LineData]] = defaultdict(list)
    for claim_id, *values in (ClaimLine.objects.filter(claim_id__in=ids).order_by("claim_id", "line_number")
                              .annotate(modifiers_json=Cast("modifiers", TextField()),
                                        pointers_json=Cast("pointers", TextField()))
                              .values_list("claim_id", "line_number", "procedure_code", "modifiers_json", "units",
                                           "amount", "service_date_from", "service_date_to", "pointers_json", "pk")):
        number, code, modifiers, units, line_amount, date_from, date_to, pointers, line_id = values
        lines[claim_id].append(LineData(number, code, _json_list(modifiers), units, line_amount, date_from, date_to,
                                        _json_list(pointers), str(line_id)))
    secondary = [row for row in rows if row[_RANK] > 1]
    adjustments: dict[int, list[tuple[str, str, Decimal]]] = defaultdict(list)
    earlier: dict[tuple[int, int], tuple[Any, ...]] = {}  # (charge, payer rank): the newest claim that billed
    payer_ids = {row[_PAYER] for row in rows}
    if secondary:
        for claim_id, group, reason, adjustment in (
                ClaimAdjustment.objects.filter(claim_id__in=[row[_PK] for row in secondary]).order_by("claim_id", "pk")
                .values_list("claim_id", "group_code", "reason_code", "amount")):
            adjustments[claim_id].append((group, reason, adjustment))
        for values in (Claim.objects.filter(charge_id__in={row[_CHARGE] for row in secondary},
                                            payer_rank__lt=max(row[_RANK] for row in secondary))
                       .exclude(frequency_code=ClaimFrequency.VOID).order_by("charge_id", "payer_rank", "-pk")
                       .values_list(*_EARLIER_COLUMNS)):
            if earlier.setdefault((values[0], values[1]), values) is values:
                payer_ids.add(values[5])
    references.load(
        payers=payer_ids, locations={row[_LOCATION] for row in rows},
        providers={row[_RENDERING] for row in rows} | {row[_BILLING] for row in rows if row[_BILLING] is not None},
        referring={row[_REFERRING] for row in rows if row[_REFERRING] is not None},
    )
    claims = []
    for row in rows:
        (pk, number, total, pos, frequency, payer_claim_number, original_number, authorization, diagnoses, rank,
         paid, paid_on, payer_id, location_id, rendering_id, billing_id, referring_id, charge_id,
         first, middle, last, born, sex, *rest) = row
        patient_address, (relationship, member_id, group_number, sub_first, sub_last, sub_born, sub_sex), \
            sub_address = rest[:5], rest[5:12], rest[12:17]
        patient = PersonData(first, middle or "", last, born, sex, _address(tuple(patient_address)))
        subscriber = patient if relationship == SubscriberRelationship.SELF else PersonData(
            sub_first or "", "", sub_last or "", sub_born, sub_sex or "", _address(tuple(sub_address)))
        claim = ClaimData(
            pk=pk, claim_number=number, total_charge=total, place_of_service=pos, frequency_code=frequency,
            payer_claim_number=original_number or payer_claim_number or "", prior_authorization=authorization or "",
            diagnosis_codes=_json_list(diagnoses), payer_rank=rank, prior_payer_paid=paid, prior_payer_paid_on=paid_on,
            patient=patient, relationship=relationship, member_id=member_id, group_number=group_number or "",
            subscriber=subscriber, payer=references.payers[payer_id], location=references.locations[location_id],
            rendering=references.providers[rendering_id],
            billing=references.providers[billing_id] if billing_id is not None else None,
            referring=references.referring[referring_id] if referring_id is not None else None,
            lines=lines.pop(pk, []), adjustments=adjustments.pop(pk, []),
        )
        if rank > 1:
            claim.earlier_payers = [_earlier(earlier[(charge_id, earlier_rank)], patient, references)
                                    for earlier_rank in range(1, rank) if (charge_id, earlier_rank) in earlier]
        claims.append(claim)
    return claims


def _earlier(values: tuple[Any, ...], patient: PersonData, references: _References) -> EarlierPayerData:
    (_, rank, relationship, group_number, member_id, payer_id, first, last, born, sex, *address) = values
    subscriber = patient if relationship == SubscriberRelationship.SELF else PersonData(
        first or "", "", last or "", born, sex or "", _address(tuple(address)))
    return EarlierPayerData(rank, relationship, group_number or "", member_id or "", subscriber,
                            references.payers[payer_id])


# --- writing -------------------------------------------------------------------------------------------------


def write_837p(
    out: TextIO,
    claims: Iterable[ClaimData],
    *,
    envelope: Envelope,
    billing_settings: BillingSettings,
    practice: Practice,
    uppercase: bool = True,
    line_breaks: bool = True,
    claims_per_transaction: int = MAX_CLAIMS_PER_TRANSACTION,
    on_refused: OnRefused | None = None,
) -> WriteSummary:
    """Write the whole interchange to `out`, a claim's segments at a time. A claim that lacks a value the 837P
    requires is left out and reported to `on_refused(claim, reason)` when given; without it ClaimRefused is
    raised. X12WriteError (the practice or the settings) stops the file: the caller discards what was written."""
    summary = WriteSummary()
    end = TERMINATOR + ("\n" if line_breaks else "")
    writer = _Writer(envelope=envelope, billing_settings=billing_settings, practice=practice, uppercase=uppercase,
                     claims_per_transaction=claims_per_transaction, summary=summary, on_refused=on_refused)
    write = out.write
    for group in writer.groups(claims):
        write(end.join(group))
        write(end)
        summary.segment_count += len(group)
    return summary


def segments_837p(
    claims: Iterable[ClaimData],
    *,
    envelope: Envelope,
    billing_settings: BillingSettings,
    practice: Practice,
    uppercase: bool = True,
    claims_per_transaction: int = MAX_CLAIMS_PER_TRANSACTION,
    summary: WriteSummary | None = None,
    on_refused: OnRefused | None = None,
) -> Iterator[str]:
    """The segments of the interchange (without terminators), one at a time. `summary` (claims, total, transaction
    sets) is complete once the generator is exhausted; its segment_count is left to the consumer. `on_refused`
    as for write_837p."""
    writer = _Writer(envelope=envelope, billing_settings=billing_settings, practice=practice, uppercase=uppercase,
                     claims_per_transaction=claims_per_transaction, summary=summary or WriteSummary(),
                     on_refused=on_refused)
    for group in writer.groups(claims):
        yield from group


@dataclass(frozen=True, slots=True)
class _Place:
    """An address as it goes on the wire (cleaned), comparable by place."""

    line1: str
    line2: str
    city: str
    state: str
    postal: str

    def same_place(self, other: _Place) -> bool:
        return (self.line1, self.line2, self.city, self.state, self.postal[:5]) == (
            other.line1, other.line2, other.city, other.state, other.postal[:5])

    def segments(self) -> list[str]:
        return [f"N3*{self.line1}*{self.line2}" if self.line2 else f"N3*{self.line1}",
                segment("N4", self.city, self.state, self.postal)]


class _Writer:
    """Turns claims into groups of segments (a header, a billing provider, a claim, a trailer). What repeats from
    claim to claim (a payer's, a provider's, a facility's segments) is formatted once and reused."""

    def __init__(self, *, envelope: Envelope, billing_settings: BillingSettings, practice: Practice,
                 uppercase: bool, claims_per_transaction: int, summary: WriteSummary,
                 on_refused: OnRefused | None = None) -> None:
        if not 1 <= claims_per_transaction <= MAX_CLAIMS_PER_TRANSACTION:
            raise ValueError(f"claims_per_transaction must be 1..{MAX_CLAIMS_PER_TRANSACTION}")
        self.envelope = envelope
        self.settings = billing_settings
        self.practice = practice
        self.upper = uppercase
        self.claims_per_transaction = claims_per_transaction
        self.summary = summary
        self.on_refused = on_refused
        self.practice_place = self._place(Address(practice.address_line1, practice.address_line2, practice.city,
                                                  practice.state, practice.postal_code))
        self.practice_ein = digits(practice.ein)
        if len(self.practice_ein) != 9:
            raise X12WriteError("The practice's EIN must have nine digits (Practice settings).")
        self.practice_name = self.t(practice.legal_name or practice.name, 60)
        if not self.practice_name:
            raise X12WriteError("The practice's legal name is needed for the billing provider (Practice settings).")
        self._payer_segments: dict[int, list[str]] = {}
        self._rendering_segments: dict[int, list[str]] = {}
        self._referring_segments: dict[int, str] = {}
        self._facility_segments: dict[int, list[str]] = {}

    # --- values ----------------------------------------------------------------------------------------------

    def t(self, value: str | None, max_length: int | None = None) -> str:
        return text(value, max_length, upper=self.upper)

    def _place(self, address: Address) -> _Place:
        return _Place(self.t(address.line1, 55), self.t(address.line2, 55), self.t(address.city, 30),
                      text(address.state, 2), digits(address.postal_code)[:9])

    def _person(self, code: str, person: PersonData | ProviderData, qualifier: str = "", number: str = "", *,
                claim: ClaimData, what: str) -> str:
        last_name = self.t(person.last_name, 60)
        if not last_name:
            raise ClaimRefused(claim, f"the {what}'s last name is empty once cleaned for X12.")
        middle = person.middle_name if isinstance(person, PersonData) else ""
        return segment("NM1", code, "1", last_name, self.t(person.first_name, 35), self.t(middle, 25), "", "",
                       qualifier, number)

    @staticmethod
    def _required(value: str, claim: ClaimData, message: str) -> str:
        if not value:
            raise ClaimRefused(claim, message)
        return value

    # --- the interchange -------------------------------------------------------------------------------------

    def groups(self, claims: Iterable[ClaimData]) -> Iterator[list[str]]:
        envelope = self.envelope
        summary = self.summary
        yield [isa(envelope), gs(envelope)]
        in_transaction = 0  # claims in the open transaction set
        count = 0  # segments of the open transaction set
        control = ""
        hl = 0
        provider_hl = 0
        provider_key: object = None
        for claim in claims:
            # Each claim's segments (and its billing-provider level when it opens one) are made before anything
            # is yielded, so a refused claim leaves no trace: no empty 2000A, no header without a claim.
            new_set = in_transaction in (0, self.claims_per_transaction)
            key = claim.billing.pk if claim.billing is not None else None
            opens_provider = new_set or key != provider_key
            start = 0 if new_set else hl
            claim_provider_hl = start + 1 if opens_provider else provider_hl
            try:
                provider = self._billing_provider(claim, claim_provider_hl) if opens_provider else []
                body, next_hl = self._claim(claim, claim_provider_hl if opens_provider else start,
                                            claim_provider_hl)
            except ClaimRefused as refused:
                if self.on_refused is None:
                    raise
                self.on_refused(claim, refused.reason)
                summary.refused += 1
                continue
            if new_set:
                if in_transaction:
                    yield [se(count + 1, control)]
                    in_transaction = 0
                summary.transaction_sets += 1
                control = st_control(summary.transaction_sets)
                header = self._header(control)
                count = len(header)
                yield header
            if opens_provider:
                provider_key = key  # a fresh billing-provider level in every transaction set
                provider_hl = claim_provider_hl
                count += len(provider)
                yield provider
            hl = next_hl
            count += len(body)
            yield body
            in_transaction += 1
            summary.claim_count += 1
            summary.total_charge += claim.total_charge
        trailer = [se(count + 1, control)] if in_transaction else []
        yield [*trailer, ge(summary.transaction_sets, envelope), iea(1, envelope)]

    def _header(self, control: str) -> list[str]:
        s = self.settings
        created = self.envelope.created
        reference = f"{self.envelope.interchange_number:09d}{control}"
        submitter = self.t(s.submitter_name, 60)
        receiver = self.t(s.receiver_name, 60)
        if not submitter or not receiver:
            raise X12WriteError("The submitter and receiver names are needed (Billing settings).")
        contact = [self.t(s.contact_name, 60) or submitter, "TE", digits(s.contact_phone)]
        if s.contact_email:
            contact += ["EM", ident(s.contact_email, 256)]
        return [
            st("837", control, VERSION),
            segment("BHT", "0019", "00", reference, date8(created), time4(created), "CH"),
            segment("NM1", "41", "2", submitter, "", "", "", "", "46", ident(s.submitter_id, 80)),
            segment("PER", "IC", *contact),
            segment("NM1", "40", "2", receiver, "", "", "", "", "46", ident(s.receiver_id, 80)),
        ]

    def _billing_provider(self, claim: ClaimData, hl: int) -> list[str]:
        provider = claim.billing
        if provider is None:
            npi = self._required(digits(self.practice.group_npi), claim,
                                 "the practice bills as a group but has no group NPI (Practice settings).")
            segments = [
                segment("HL", str(hl), "", "20", "1"),
                segment("NM1", "85", "2", self.practice_name, "", "", "", "", "XX", npi),
            ]
        else:
            segments = [
                segment("HL", str(hl), "", "20", "1"),
                segment("PRV", "BI", "PXC", ident(provider.taxonomy_code, 50)),
                self._person("85", provider, "XX", digits(provider.npi), claim=claim, what="billing provider"),
            ]
        segments += self.practice_place.segments()
        segments.append(segment("REF", "EI", self.practice_ein))
        return segments

    # --- one claim -------------------------------------------------------------------------------------------

    def _claim(self, claim: ClaimData, hl: int, provider_hl: int) -> tuple[list[str], int]:
        patient = claim.patient
        is_self = claim.relationship == SubscriberRelationship.SELF
        # 2000B subscriber, 2010BA, 2010BB
        hl += 1
        subscriber_hl = hl
        out = [
            f"HL*{hl}*{provider_hl}*22*{0 if is_self else 1}",
            segment("SBR", RESPONSIBILITY[claim.payer_rank], "18" if is_self else "", ident(claim.group_number, 50),
                    "", "", "", "", "", claim.payer.filing_indicator),
        ]
        member_id = self._required(ident(claim.member_id, 80), claim, "the coverage has no member ID.")
        subscriber = claim.subscriber
        out.append(self._person("IL", subscriber, "MI", member_id, claim=claim,
                                what="patient" if is_self else "subscriber"))
        if subscriber.address is not None:
            out += self._place(subscriber.address).segments()
        if subscriber.date_of_birth is not None:
            out.append(f"DMG*D8*{date8(subscriber.date_of_birth)}*{SEX.get(subscriber.sex, 'U')}")
        out += self._payer(claim.payer, claim)
        if not is_self:
            # 2000C patient, 2010CA
            hl += 1
            out.append(f"HL*{hl}*{subscriber_hl}*23*0")
            out.append(f"PAT*{RELATIONSHIP.get(claim.relationship, 'G8')}")
            out.append(self._person("QC", patient, claim=claim, what="patient"))
            if patient.address is not None:
                out += self._place(patient.address).segments()
            if patient.date_of_birth is not None:
                out.append(f"DMG*D8*{date8(patient.date_of_birth)}*{SEX.get(patient.sex, 'U')}")
        # 2300 claim
        out.append(f"CLM*{ident(claim.claim_number, 38)}*{amount(claim.total_charge)}***"
                   f"{composite(claim.place_of_service, 'B', claim.frequency_code)}*Y*A*Y*Y")
        if claim.prior_authorization:
            out.append(segment("REF", "G1", ident(claim.prior_authorization, 50)))
        if claim.frequency_code in FREQUENCIES_NAMING_THE_ORIGINAL:
            # The payer's number of the ORIGINAL claim (ClaimData.payer_claim_number puts it first).
            out.append(segment("REF", "F8", self._required(
                ident(claim.payer_claim_number, 50), claim,
                "a corrected or void claim needs the payer's claim number of the claim it replaces.")))
        out.append(self._diagnoses(claim))
        # 2310A referring, 2310B rendering, 2310C service facility
        if claim.referring is not None:
            out.append(self._referring(claim.referring, claim))
        if claim.billing is None or claim.billing.pk != claim.rendering.pk:
            out += self._rendering(claim.rendering, claim)
        out += self._service_facility(claim.location)
        if claim.payer_rank > 1:
            out += self._other_payers(claim)
        # 2400 lines
        for line in claim.lines:
            procedure = composite("HC", ident(line.procedure_code, 48), *(ident(m, 2) for m in line.modifiers[:4]))
            pointers = ":".join(str(p) for p in line.pointers[:4])
            sv1 = f"SV1*{procedure}*{amount(line.amount)}*UN*{amount(line.units)}"
            out += [
                f"LX*{line.line_number}",
                f"{sv1}***{pointers}" if pointers else sv1,
                f"DTP*472*D8*{date8(line.date_from)}" if line.date_from == line.date_to else
                f"DTP*472*RD8*{date8(line.date_from)}-{date8(line.date_to)}",
            ]
            if line.control_number:
                out.append(f"REF*6R*{ident(line.control_number, 50)}")
        if not claim.lines:
            raise ClaimRefused(claim, "the claim has no service line.")
        return out, hl

    def _payer(self, payer: PayerData, claim: ClaimData) -> list[str]:
        cached = self._payer_segments.get(payer.pk)
        if cached is None:
            payer_id = self._required(ident(payer.payer_id, 80), claim,
                                      f"the payer {payer.name} has no electronic payer ID.")
            name = self._required(self.t(payer.name, 60), claim, "the payer's name is empty once cleaned for X12.")
            cached = [segment("NM1", "PR", "2", name, "", "", "", "", "PI", payer_id)]
            if payer.address is not None and payer.address.city:
                cached += self._place(payer.address).segments()
            self._payer_segments[payer.pk] = cached
        return cached

    def _referring(self, provider: ProviderData, claim: ClaimData) -> str:
        cached = self._referring_segments.get(provider.pk)
        if cached is None:
            cached = self._person("DN", provider, "XX", digits(provider.npi), claim=claim, what="referring provider")
            self._referring_segments[provider.pk] = cached
        return cached

    def _rendering(self, provider: ProviderData, claim: ClaimData) -> list[str]:
        cached = self._rendering_segments.get(provider.pk)
        if cached is None:
            cached = [self._person("82", provider, "XX", digits(provider.npi), claim=claim, what="rendering provider"),
                      segment("PRV", "PE", "PXC", ident(provider.taxonomy_code, 50))]
            self._rendering_segments[provider.pk] = cached
        return cached

    def _diagnoses(self, claim: ClaimData) -> str:
        codes = [ident(code, 30).replace(".", "") for code in claim.diagnosis_codes][:MAX_DIAGNOSES]
        codes = [code for code in codes if code]
        if not codes:
            raise ClaimRefused(claim, "the claim has no diagnosis.")
        return segment("HI", composite("ABK", codes[0]), *(composite("ABF", code) for code in codes[1:]))

    def _service_facility(self, location: LocationData) -> list[str]:
        """2310C, only when the location is not the billing provider's address."""
        cached = self._facility_segments.get(location.pk)
        if cached is None:
            place = self._place(location.address)
            if place.same_place(self.practice_place):
                cached = []
            else:
                npi = digits(location.npi)
                cached = [segment("NM1", "77", "2", self.t(location.name, 60) or self.practice_name, "", "", "", "",
                                  "XX" if npi else "", npi), *place.segments()]
            self._facility_segments[location.pk] = cached
        return cached

    def _other_payers(self, claim: ClaimData) -> list[str]:
        """2320/2330A/2330B for each earlier payer, from its claim for the same charge; the one just before this
        claim's payer carries what it paid and adjusted (CAS, AMT*D, DTP*573)."""
        if [other.rank for other in claim.earlier_payers] != list(range(1, claim.payer_rank)):
            raise ClaimRefused(claim, "a secondary claim needs the earlier payer's claim for the same charge to "
                                      "describe that payer (build it from the primary claim).")
        out: list[str] = []
        for other in claim.earlier_payers:
            just_before = other.rank == claim.payer_rank - 1
            out.append(segment("SBR", RESPONSIBILITY[other.rank], RELATIONSHIP.get(other.relationship, "G8"),
                               ident(other.group_number, 50), "", "", "", "", "", other.payer.filing_indicator))
            if just_before:
                out += self._adjustments(claim)
                if claim.prior_payer_paid is not None:
                    out.append(segment("AMT", "D", amount(claim.prior_payer_paid)))
            out.append(segment("OI", "", "", "Y", "", "", "Y"))
            member_id = self._required(ident(other.member_id, 80), claim, "the earlier coverage has no member ID.")
            out.append(self._person("IL", other.subscriber, "MI", member_id, claim=claim,
                                    what="earlier coverage's subscriber"))
            payer_id = self._required(ident(other.payer.payer_id, 80), claim,
                                      f"the earlier payer {other.payer.name} has no electronic payer ID.")
            name = self._required(self.t(other.payer.name, 60), claim,
                                  "the earlier payer's name is empty once cleaned for X12.")
            out.append(segment("NM1", "PR", "2", name, "", "", "", "", "PI", payer_id))
            if just_before and claim.prior_payer_paid_on is not None:
                out.append(segment("DTP", "573", "D8", date8(claim.prior_payer_paid_on)))
        return out

    def _adjustments(self, claim: ClaimData) -> list[str]:
        """CAS at claim level, one segment per group code with up to six reason/amount pairs."""
        groups: dict[str, list[str]] = {}
        for group, reason, adjustment in claim.adjustments:
            groups.setdefault(group, []).extend([ident(reason, 5), amount(adjustment), ""])
        out = []
        for group, triples in groups.items():
            if len(triples) > MAX_CAS_REASONS * 3:
                raise ClaimRefused(claim, f"the earlier payer's {group} adjustments have more than "
                                          f"{MAX_CAS_REASONS} reasons; combine amounts of the same reason.")
            out.append(segment("CAS", group, *triples))
        return out
