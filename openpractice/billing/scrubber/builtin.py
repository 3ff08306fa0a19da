"""The built-in rules: what payers reject and what an X12 validator such as pyx12 cannot see.

Each rule is a small function `(item, context) -> findings` over data loaded beforehand (context.py): no rule
touches the database. `BUILTIN_RULES` runs them in a fixed order, so the first error of a claim is stable; the
codes they report are listed in `RULE_CODES` with a one-line description for the rules page.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from openpractice.core.codes import place_of_service_codes
from openpractice.core.models import AddressFields, Location
from openpractice.core.validators import npi_is_valid
from openpractice.patients.models import SubscriberRelationship

from ..choices import ClaimFrequency, ClaimStatus
from ..codes.icd10 import normalize_icd10
from ..codes.modifiers import is_modifier, modifier_conflicts
from ..codes.procedures import is_procedure_code, procedure_code_problem
from ..models import MAX_DIAGNOSES, MAX_POINTERS, Claim
from .context import ClaimInput, EarlierClaim, ScrubContext
from .findings import Finding, error, warning

Rule = Callable[[ClaimInput, ScrubContext], Iterable[Finding]]

# ICD-10-CM replaced ICD-9-CM for dates of service from this day on.
ICD10_START = dt.date(2015, 10, 1)
TIMELY_FILING_WARNING_DAYS = 14
# A line date this far from the claim's date of service is a typo, not a long service period.
LINE_DATE_SPAN_DAYS = 366
# The 837P's CAS segment (loop 2320) takes at most six reason/amount pairs per adjustment group.
MAX_CAS_REASONS = 6
RANK_NAMES = {1: gettext_lazy("primary"), 2: gettext_lazy("secondary"), 3: gettext_lazy("tertiary")}

_EIN = re.compile(r"^\d{2}-?\d{7}$")
_MODIFIER_FORMAT = re.compile(r"^[A-Z0-9]{2}$")
# ICD-9-CM shapes: 3 digits (+ up to 2), V + 2 digits (+ up to 2), E800–E999 (+ 1). Only tested on codes that
# are not valid ICD-10-CM, so "E119" (ICD-10 type 2 diabetes) or "E860" (dehydration) never match here.
_ICD9 = re.compile(r"^(?:\d{3}\d{0,2}|V\d{2}\d{0,2}|E[89]\d{2}\d?)$")

FIX_PROVIDERS = gettext_lazy("Fix it under Providers.")
FIX_PRACTICE = gettext_lazy("Fix it in the practice settings (Practice).")
FIX_CHARGE = gettext_lazy("Correct the charge, then rebuild the claim.")


def money(value: Decimal) -> str:
    return f"${value:,.2f}"


def is_icd9_shaped(code: str) -> bool:
    return bool(_ICD9.match(normalize_icd10(code)))


def _as_list(value: object) -> list[object]:
    """A JSON list column as a list (a lone value, as a hand-edited row might hold, becomes a list of one)."""
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _ascii(value: str) -> str:
    return value if value.isascii() else unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()


def writable(value: str | None) -> bool:
    """Whether a name or identifier keeps something once cleaned for X12: the 837P carries ASCII only (accents
    are folded, other scripts and the delimiters dropped), so it needs at least one letter or digit there."""
    return bool(value) and any(char.isalnum() for char in _ascii(value or ""))


def _same_place(one: AddressFields, other: AddressFields) -> bool:
    """Whether two addresses are one place as the 837P writes them (street, city, state and the 5-digit ZIP;
    case, accents and spacing aside). Never "the same" when the writer would see two places."""
    def key(row: AddressFields) -> tuple[str, ...]:
        parts = [" ".join(_ascii(value or "").upper().split())
                 for value in (row.address_line1, row.address_line2, row.city, row.state)]
        return (*parts, re.sub(r"\D", "", row.postal_code or "")[:5])
    return key(one) == key(other)


# --- claim level ---------------------------------------------------------------------------------------------


def required_patient(item: ClaimInput, context: ScrubContext) -> Iterator[Finding]:
    """The subscriber's member ID and the patient's date of birth, sex and address."""
    claim = item.claim
    coverage, patient = claim.coverage, claim.patient
    if not writable(coverage.member_id):
        yield error("missing_member_id",
                    _("The patient's %(payer)s coverage has no member ID.") % {"payer": claim.payer.name},
                    _("Add the member ID from the insurance card to the patient's coverage."))
    if patient.date_of_birth is None:
        yield error("missing_patient_dob", _("The patient's date of birth is missing."),
                    _("Add it on the patient's record."))
    if _blank(patient.sex):
        yield error("missing_patient_sex", _("The patient's sex is missing."), _("Add it on the patient's record."))
    address = (patient.address_line1, patient.city, patient.state, patient.postal_code)
    if any(_blank(value) for value in address):
        labels = (_("street"), _("city"), _("state"), _("ZIP code"))
        missing = [label for label, value in zip(labels, address, strict=True) if _blank(value)]
        yield error("missing_patient_address",
                    _("The patient's address is incomplete (missing: %(parts)s).") % {"parts": ", ".join(missing)},
                    _("Complete the address on the patient's record."))


def required_billing_provider(item: ClaimInput, context: ScrubContext) -> Iterable[Finding]:
    """Who bills: the billing provider's NPI (or the practice's group NPI), a taxonomy, the practice's EIN and
    address. The same for every claim of a provider pair: worked out once per run."""
    claim = item.claim
    key = ("billing", claim.billing_provider_id, claim.rendering_provider_id)
    return context.memo(key, lambda: _billing_provider_findings(claim, context))


def _billing_provider_findings(claim: Claim, context: ScrubContext) -> Iterator[Finding]:
    practice = context.practice
    billing = claim.billing_provider if claim.billing_provider_id is not None else None
    if billing is not None:
        if _blank(billing.npi):
            yield error("missing_billing_npi",
                        _("The billing provider %(name)s has no NPI.") % {"name": billing.display_name},
                        FIX_PROVIDERS)
        taxonomy, taxonomy_owner = billing.taxonomy_code, billing.display_name
    else:
        if practice is None or _blank(practice.group_npi):
            yield error("missing_billing_npi",
                        _("The claim bills under the practice, but the practice has no group NPI."),
                        _("Enter the group NPI in the practice settings, or name a billing provider on the charge."))
        taxonomy, taxonomy_owner = claim.rendering_provider.taxonomy_code, claim.rendering_provider.display_name
    if _blank(taxonomy):
        yield error("missing_taxonomy",
                    _("%(name)s has no taxonomy (specialty) code; payers need it to price the claim.")
                    % {"name": taxonomy_owner}, FIX_PROVIDERS)
    if practice is None or not _EIN.match(practice.ein or ""):
        yield error("missing_ein", _("The practice's EIN (tax ID) is missing or not 9 digits."),
                    _("Enter it as NN-NNNNNNN in the practice settings."))
    if practice is None or any(_blank(value) for value in (practice.address_line1, practice.city, practice.state,
                                                            practice.postal_code)):
        yield error("missing_billing_address", _("The practice's (billing provider's) address is incomplete."),
                    FIX_PRACTICE)


def required_payer_and_rendering(item: ClaimInput, context: ScrubContext) -> Iterable[Finding]:
    """The payer's electronic ID and the rendering provider's NPI: once per payer and provider."""
    claim = item.claim
    return context.memo(("payer", claim.payer_id, claim.rendering_provider_id),
                        lambda: _payer_and_rendering_findings(claim))


def _payer_and_rendering_findings(claim: Claim) -> Iterator[Finding]:
    payer = claim.payer
    if not writable(payer.payer_id):
        yield error("missing_payer_id", _("%(payer)s has no electronic payer ID.") % {"payer": payer.name},
                    _("Add the ID your clearinghouse uses for this payer under Payers."))
    if _blank(claim.rendering_provider.npi):
        yield error("missing_rendering_npi",
                    _("The rendering provider %(name)s has no NPI.") % {"name": claim.rendering_provider.display_name},
                    FIX_PROVIDERS)


def required_content(item: ClaimInput, context: ScrubContext) -> Iterator[Finding]:
    """A CMS place of service, at least one diagnosis and at least one line."""
    claim = item.claim
    if claim.place_of_service not in place_of_service_codes():
        yield error("invalid_place_of_service",
                    _("Place of service “%(pos)s” is not a CMS place-of-service code.") % {"pos": claim.place_of_service},
                    _("Choose the right place of service on the charge (or the location), then rebuild the claim."))
    if not claim.diagnosis_codes:
        yield error("missing_diagnosis", _("The claim has no diagnosis."),
                    _("Add at least one ICD-10-CM diagnosis to the charge, then rebuild the claim."))
    if not item.lines:
        yield error("missing_lines", _("The claim has no service lines."),
                    _("Add the procedures to the charge, then rebuild the claim."))


def npi_check_digit(item: ClaimInput, context: ScrubContext) -> Iterable[Finding]:
    """Every NPI on the claim passes its Luhn check digit (prefix 80840). Empty ones are the required rules' job.
    Once per combination of providers in a run."""
    claim = item.claim
    key = ("npi", claim.rendering_provider_id, claim.billing_provider_id, claim.referring_provider_id)
    return context.memo(key, lambda: _npi_findings(claim, context))


def _npi_findings(claim: Claim, context: ScrubContext) -> Iterator[Finding]:
    checks: list[tuple[str, str]] = [("rendering", claim.rendering_provider.npi)]
    billing = claim.billing_provider if claim.billing_provider_id is not None else None
    referring = claim.referring_provider if claim.referring_provider_id is not None else None
    if billing is not None:
        checks.append(("billing", billing.npi))
    elif context.practice is not None:
        checks.append(("group", context.practice.group_npi))
    if referring is not None:
        checks.append(("referring", referring.npi))
    for whose, npi in checks:
        if _blank(npi) or npi_is_valid(npi):
            continue
        labels: dict[str, tuple[str, str | Promise]] = {
            "rendering": (_("rendering provider's"), FIX_PROVIDERS),
            "billing": (_("billing provider's"), FIX_PROVIDERS),
            "group": (_("practice's group"), FIX_PRACTICE),
            "referring": (_("referring provider's"), _("Fix it under Referring providers (check the NPI registry).")),
        }
        label, fix = labels[whose]
        yield error("npi_check_digit",
                    _("The %(whose)s NPI %(npi)s fails the check digit — it is probably mistyped.")
                    % {"whose": label, "npi": npi}, fix)


def billing_zip_plus_four(item: ClaimInput, context: ScrubContext) -> Iterable[Finding]:
    """The 837P billing provider address (loop 2010AA, N403) needs the 9-digit ZIP+4. Once per run."""
    return context.memo(("zip4",), lambda: _zip_findings(context))


def _zip_findings(context: ScrubContext) -> Iterator[Finding]:
    practice = context.practice
    if practice is None or _blank(practice.postal_code):
        return
    digits = re.sub(r"\D", "", practice.postal_code)
    if len(digits) != 9:
        yield error("billing_zip_plus_four",
                    _("The billing address ZIP code %(zip)s has %(count)s digits; electronic claims need the full "
                      "ZIP+4 (9 digits) for the billing provider.") % {"zip": practice.postal_code, "count": len(digits)},
                    _("Enter the ZIP+4 (for example 27601-1234) in the practice settings."))


def coverage_active(item: ClaimInput, context: ScrubContext) -> Iterator[Finding]:
    """The policy covered the date of service, judged by its dates: a policy ended since (or switched off when it
    ended) still covered the visits before its end."""
    claim = item.claim
    coverage = claim.coverage
    dos = claim.date_of_service
    if coverage.is_in_force_on(dos):
        return
    if dos < coverage.effective_from:
        why = _("it starts on %(date)s") % {"date": coverage.effective_from.isoformat()}
    elif coverage.effective_to is not None:
        why = _("it ended on %(date)s") % {"date": coverage.effective_to.isoformat()}
    else:
        why = _("the coverage is marked inactive")
    yield error("coverage_inactive",
                _("The patient's %(payer)s coverage was not in force on the date of service %(dos)s (%(why)s).")
                % {"payer": claim.payer.name, "dos": dos.isoformat(), "why": why},
                _("Check eligibility for that date; bill the payer that covered it, or correct the coverage dates."))


def timely_filing(item: ClaimInput, context: ScrubContext) -> Iterator[Finding]:
    """The payer must receive an original claim within its limit after the date of service. (Corrected and void
    claims follow the payer's correction window, which the original's timely receipt already opened.)"""
    claim = item.claim
    if claim.frequency_code != ClaimFrequency.ORIGINAL:
        return
    days = claim.payer.timely_filing_days
    deadline = claim.date_of_service + dt.timedelta(days=days)
    left = (deadline - context.today).days
    if left > TIMELY_FILING_WARNING_DAYS:
        return
    values = {"payer": claim.payer.name, "days": days, "deadline": deadline.isoformat(), "left": left}
    if left < 0:
        yield error("timely_filing",
                    _("The %(payer)s filing limit (%(days)s days after the date of service) passed on %(deadline)s.")
                    % values,
                    _("Send it only with proof of timely filing or an appeal; otherwise write it off as a "
                      "timely-filing loss."))
    else:
        yield warning("timely_filing",
                      _("Only %(left)s day(s) left to file with %(payer)s: the deadline is %(deadline)s.") % values,
                      _("Send this claim in the next batch."))


def duplicate_claim(item: ClaimInput, context: ScrubContext) -> Iterator[Finding]:
    """Another open claim for the same patient, payer, date of service and procedure codes."""
    for other in context.duplicates_of(item):
        yield error("duplicate_claim",
                    _("Claim %(number)s (%(status)s) already bills %(codes)s for this patient, payer and date of "
                      "service.") % {"number": other.claim_number, "status": ClaimStatus(other.status).label.lower(),
                                     "codes": ", ".join(item.procedure_codes)},
                    _("If this one corrects it, make a corrected claim from %(number)s instead; otherwise close one "
                      "of the two.") % {"number": other.claim_number})


def secondary_prior_payment(item: ClaimInput, context: ScrubContext) -> Iterator[Finding]:
    """A secondary (or tertiary) claim carries the earlier payer's payment and date (837P loops 2320/2330)."""
    claim = item.claim
    if claim.payer_rank <= 1:
        return
    missing = []
    if claim.prior_payer_paid is None:
        missing.append(_("the amount paid"))
    if claim.prior_payer_paid_on is None:
        missing.append(_("the date it was paid"))
    if missing:
        yield error("secondary_prior_payment",
                    _("This claim goes to %(payer)s after another payer, but the earlier payer's payment is not "
                      "recorded (%(missing)s).") % {"payer": claim.payer.name, "missing": _(" and ").join(missing)},
                    _("Enter what the earlier payer paid and when, from its remittance, under Prior payment on the "
                      "claim."))


def replacement_payer_claim_number(item: ClaimInput, context: ScrubContext) -> Iterator[Finding]:
    """A corrected (7) or void (8) claim names the payer's claim number of the claim it replaces (REF*F8)."""
    claim = item.claim
    if claim.frequency_code == ClaimFrequency.ORIGINAL:
        return
    # REF*F8 carries the ORIGINAL claim's payer number (the claim this one replaces); the claim's own, given by
    # the payer to an earlier send of this corrected claim, only when the original's is not recorded.
    original = context.original_payer_claim_numbers.get(claim.original_claim_id or 0, "").strip()
    if writable(original or claim.payer_claim_number.strip()):
        return
    kind = _("corrected") if claim.frequency_code == ClaimFrequency.CORRECTED else _("void")
    yield error("replacement_payer_claim_number",
                _("A %(kind)s claim must carry the payer's claim number of the claim it replaces, and none is "
                  "recorded.") % {"kind": kind},
                _("Enter the payer claim number from the original claim's remittance or 277CA."))


def secondary_earlier_claims(item: ClaimInput, context: ScrubContext) -> Iterator[Finding]:
    """A secondary (or tertiary) claim describes each earlier payer (837P loops 2320/2330) from that payer's claim
    for the same charge: the claim must exist, with a member ID, an electronic payer ID and a subscriber name."""
    claim = item.claim
    for rank in range(1, claim.payer_rank):
        earlier = context.earlier_claim(claim, rank)
        if earlier is None:
            yield error("secondary_earlier_claim",
                        _("This claim goes to %(payer)s as the %(rank)s payer, but there is no claim to the "
                          "%(earlier)s payer for this charge to describe it.")
                        % {"payer": claim.payer.name, "rank": RANK_NAMES.get(claim.payer_rank, claim.payer_rank),
                           "earlier": RANK_NAMES.get(rank, rank)},
                        _("Build the secondary claim from the primary payer's claim (Secondary claim on the primary "
                          "claim's page)."))
            continue
        yield from _earlier_claim_findings(earlier)


def _earlier_claim_findings(earlier: EarlierClaim) -> Iterator[Finding]:
    values = {"claim": earlier.claim_number, "payer": earlier.payer_name}
    if not writable(earlier.member_id):
        yield error("secondary_earlier_claim",
                    _("The coverage of earlier claim %(claim)s (%(payer)s) has no member ID.") % values,
                    _("Add the member ID from the insurance card to the patient's coverage."))
    if not writable(earlier.payer_electronic_id):
        yield error("secondary_earlier_claim",
                    _("The earlier payer %(payer)s (claim %(claim)s) has no electronic payer ID.") % values,
                    _("Add the ID your clearinghouse uses for this payer under Payers."))
    if not writable(earlier.payer_name):
        yield error("secondary_earlier_claim",
                    _("The earlier payer of claim %(claim)s has no name an electronic claim can carry.") % values,
                    _("Enter the payer's name under Payers."))
    if not writable(earlier.subscriber_last_name):
        yield error("secondary_earlier_claim",
                    _("The subscriber of the coverage billed on earlier claim %(claim)s has no last name the 837P "
                      "can carry.") % values,
                    _("Enter the subscriber's name on the patient's coverage."))


def secondary_balance(item: ClaimInput, context: ScrubContext) -> Iterator[Finding]:
    """What the earlier payer paid plus what it adjusted equals the claim's total (the 837P's COB balancing:
    CLM02 = AMT*D + the CAS amounts of loop 2320), and each adjustment group fits one CAS segment."""
    claim = item.claim
    if claim.payer_rank <= 1 or claim.prior_payer_paid is None:
        return  # secondary_prior_payment reports a payment that was not entered
    adjustments = context.prior_adjustments.get(claim.pk, ())
    adjusted = sum((amount for _group, _reason, amount in adjustments), Decimal(0))
    if claim.prior_payer_paid + adjusted != claim.total_charge:
        yield error("secondary_balance",
                    _("The earlier payer's payment (%(paid)s) and adjustments (%(adjusted)s) add up to %(sum)s, not "
                      "the claim total %(total)s.")
                    % {"paid": money(claim.prior_payer_paid), "adjusted": money(adjusted),
                       "sum": money(claim.prior_payer_paid + adjusted), "total": money(claim.total_charge)},
                    _("Enter the earlier payer's adjustments from its remittance under Prior payment (e.g. CO-45 "
                      "for the contractual write-down, PR-1 for the deductible)."))
    reasons: dict[str, int] = defaultdict(int)
    for group, _reason, _amount in adjustments:
        reasons[group] += 1
    for group, count in sorted(reasons.items()):
        if count > MAX_CAS_REASONS:
            yield error("secondary_adjustments",
                        _("The earlier payer's %(group)s adjustments have %(count)s reasons; a claim carries at most "
                          "%(max)s per group.") % {"group": group, "count": count, "max": MAX_CAS_REASONS},
                        _("Combine the amounts of the same reason under Prior payment."))


def names_writable(item: ClaimInput, context: ScrubContext) -> Iterator[Finding]:
    """Every name the 837P must carry keeps a letter or digit once cleaned for X12 (ASCII only): the patient,
    the subscriber, the providers, the payer and the practice. (The labels are translated only for a name that
    fails: this runs for every claim.)"""
    claim = item.claim
    patient, coverage = claim.patient, claim.coverage
    if not writable(patient.last_name):
        yield _name_finding(_("The patient's last name"), patient.last_name)
    if coverage.subscriber_relationship != SubscriberRelationship.SELF and not writable(coverage.subscriber_last_name):
        yield _name_finding(_("The subscriber's last name (on the coverage)"), coverage.subscriber_last_name)
    yield from context.memo(("payer_name", claim.payer_id), lambda: _names_findings(
        [(_("The payer's name"), claim.payer.name)]))
    billing = claim.billing_provider if claim.billing_provider_id is not None else None
    referring = claim.referring_provider if claim.referring_provider_id is not None else None
    yield from context.memo(
        ("provider_names", claim.rendering_provider_id, claim.billing_provider_id, claim.referring_provider_id),
        lambda: _names_findings([
            (_("The rendering provider's last name"), claim.rendering_provider.last_name),
            *([(_("The billing provider's last name"), billing.last_name)] if billing is not None else []),
            *([(_("The referring provider's last name"), referring.last_name)] if referring is not None else []),
        ]))
    yield from context.memo(("practice_name",), lambda: _practice_name_findings(context))


def _names_findings(names: list[tuple[str, str]]) -> Iterator[Finding]:
    for whose, name in names:
        if not writable(name):
            yield _name_finding(whose, name)


def _name_finding(whose: str, name: str | None) -> Finding:
    return error("name_not_writable",
                 _("%(whose)s (%(name)s) has no letter or digit an electronic claim can carry.")
                 % {"whose": whose, "name": name or "—"},
                 _("Enter the name in Latin letters as on the insurance card (accents are fine)."))


def _practice_name_findings(context: ScrubContext) -> Iterator[Finding]:
    practice = context.practice
    if practice is None or not writable(practice.legal_name or practice.name):
        yield error("name_not_writable",
                    _("The practice's legal name has no letter or digit an electronic claim can carry (the billing "
                      "provider's name in the 837P)."),
                    FIX_PRACTICE)


def facility_zip_plus_four(item: ClaimInput, context: ScrubContext) -> Iterable[Finding]:
    """When the location is not the billing address, the 837P names it as the service facility (loop 2310C),
    whose ZIP code (N403) needs all 9 digits. Once per location in a run."""
    location = item.claim.location
    return context.memo(("facility_zip", location.pk), lambda: _facility_findings(location, context))


def _facility_findings(location: Location, context: ScrubContext) -> Iterator[Finding]:
    practice = context.practice
    if practice is None or _same_place(location, practice):
        return
    postal = location.postal_code or ""
    digits = re.sub(r"\D", "", postal)
    if len(digits) != 9:
        yield error("facility_zip_plus_four",
                    _("The service location %(name)s has ZIP code %(zip)s; electronic claims name a location other "
                      "than the billing address with its full ZIP+4 (9 digits).")
                    % {"name": location.name, "zip": postal or "—"},
                    _("Enter the location's ZIP+4 (for example 27601-1234) under Practice > Locations."))


def claim_total(item: ClaimInput, context: ScrubContext) -> Iterator[Finding]:
    """CLM02, the claim's total charge, equals the sum of its lines (SV102)."""
    claim = item.claim
    if not item.lines:
        return  # required_content reports the missing lines
    lines_total = sum((line.amount for line in item.lines), Decimal(0))
    if claim.total_charge != lines_total:
        yield error("claim_total",
                    _("The claim total (CLM02) is %(total)s but its lines add up to %(lines)s.")
                    % {"total": money(claim.total_charge), "lines": money(lines_total)},
                    _("Rebuild the claim from its charge so the total matches the lines."))


def diagnoses(item: ClaimInput, context: ScrubContext) -> Iterator[Finding]:
    """ICD-10-CM codes valid and billable for the date of service; no ICD-9 codes; at most 12."""
    claim = item.claim
    codes = _as_list(claim.diagnosis_codes)
    dos = claim.date_of_service
    if len(codes) > MAX_DIAGNOSES:
        yield error("too_many_diagnoses",
                    _("The claim has %(count)s diagnoses; a professional claim takes at most %(max)s.")
                    % {"count": len(codes), "max": MAX_DIAGNOSES},
                    _("Keep the %(max)s that the lines point at, then rebuild the claim.") % {"max": MAX_DIAGNOSES})
    for position, code in enumerate(codes, start=1):
        verdict = context.icd10(str(code), dos)
        if verdict.ok:
            continue
        if verdict.reason == "no_table":
            yield warning("icd10_not_checked",
                          _("Diagnosis %(position)s (%(code)s) was not checked: %(why)s")
                          % {"position": position, "code": code, "why": verdict.message},
                          _("Load the ICD-10-CM code set for that year under Code sets."))
        elif dos >= ICD10_START and is_icd9_shaped(str(code)):
            message = (_("Diagnosis %(position)s (%(code)s) looks like an ICD-9 code. ICD-9 is not accepted for "
                         "dates of service after 2015-10-01; this claim's is %(dos)s.")
                       % {"position": position, "code": code, "dos": dos.isoformat()})
            if verdict.reason == "not_billable":  # a V code: also an incomplete ICD-10-CM code
                message = f"{message} {_('Read as ICD-10-CM:')} {verdict.message}"
            yield error("icd9_code", message, _("Code the diagnosis in ICD-10-CM on the charge, then rebuild the claim."))
        else:
            yield error("icd10_invalid",
                        _("Diagnosis %(position)s: %(why)s") % {"position": position, "why": verdict.message},
                        FIX_CHARGE)


# --- line level ----------------------------------------------------------------------------------------------


def procedure_codes(item: ClaimInput, context: ScrubContext) -> Iterator[Finding]:
    for line in item.lines:
        if not is_procedure_code(line.procedure_code):
            yield error("procedure_code_format", procedure_code_problem(line.procedure_code), FIX_CHARGE,
                        line=line.line_number)


def modifiers(item: ClaimInput, context: ScrubContext) -> Iterator[Finding]:
    """Modifiers well formed, known, at most 4, no duplicates and no contradicting pairs."""
    for line in item.lines:
        if not line.modifiers:
            continue
        codes = [str(code) for code in _as_list(line.modifiers)]
        for code in codes:
            if not _MODIFIER_FORMAT.match(code):
                yield error("modifier_invalid",
                            _("Modifier “%(code)s” is not a modifier: modifiers are two letters or digits.")
                            % {"code": code}, FIX_CHARGE, line=line.line_number)
            elif not is_modifier(code):
                yield warning("modifier_unknown",
                              _("Modifier %(code)s is not one OpenPractice knows; check it against the payer's "
                                "list.") % {"code": code}, FIX_CHARGE, line=line.line_number)
        for problem in modifier_conflicts(codes):
            yield error("modifier_conflict", problem, FIX_CHARGE, line=line.line_number)


def units(item: ClaimInput, context: ScrubContext) -> Iterator[Finding]:
    for line in item.lines:
        if line.units is None or line.units <= 0:
            yield error("units_invalid",
                        _("Line %(line)s bills %(units)s units; units must be more than zero.")
                        % {"line": line.line_number, "units": line.units}, FIX_CHARGE, line=line.line_number)


def line_dates(item: ClaimInput, context: ScrubContext) -> Iterator[Finding]:
    """Line dates in order, not in the future, and within a year of the claim's date of service."""
    dos = item.claim.date_of_service
    span = dt.timedelta(days=LINE_DATE_SPAN_DAYS)
    earliest, latest = dos - span, min(dos + span, context.today)
    for line in item.lines:
        start, end = line.service_date_from, line.service_date_to
        if earliest <= start <= end <= latest:
            continue
        values = {"line": line.line_number, "from": start.isoformat(), "to": end.isoformat(),
                  "dos": dos.isoformat()}
        if end < start:
            message = _("Line %(line)s ends (%(to)s) before it starts (%(from)s).") % values
        elif end > context.today:
            message = _("Line %(line)s is dated in the future (%(to)s); a service is billed after it is given.") % values
        elif start < dos - span or end > dos + span:
            message = _("Line %(line)s is dated %(from)s to %(to)s, more than a year from the date of service "
                        "%(dos)s — probably a typo.") % values
        else:
            continue
        yield error("line_dates", message, FIX_CHARGE, line=line.line_number)


def diagnosis_pointers(item: ClaimInput, context: ScrubContext) -> Iterator[Finding]:
    """Each line points at 1 to 4 different diagnoses of the claim (SV107)."""
    count = len(_as_list(item.claim.diagnosis_codes))
    if not count:
        return  # required_content reports the missing diagnoses
    for line in item.lines:
        pointers = _as_list(line.pointers)
        if 0 < len(pointers) <= MAX_POINTERS and all(type(p) is int and 1 <= p <= count for p in pointers) \
                and len(set(pointers)) == len(pointers):
            continue
        values = {"line": line.line_number, "count": count, "max": MAX_POINTERS}
        problems = []
        if not pointers:
            problems.append(_("Line %(line)s points at no diagnosis.") % values)
        if len(pointers) > MAX_POINTERS:
            problems.append(_("Line %(line)s points at %(n)s diagnoses; at most %(max)s are allowed.")
                            % {**values, "n": len(pointers)})
        outside = [str(p) for p in pointers if not isinstance(p, int) or isinstance(p, bool) or not 1 <= p <= count]
        if outside:
            problems.append(_("Line %(line)s points at diagnosis %(which)s, but the claim has %(count)s.")
                            % {**values, "which": ", ".join(outside)})
        if len(set(map(str, pointers))) != len(pointers):
            problems.append(_("Line %(line)s points at the same diagnosis twice.") % values)
        for problem in problems:
            yield error("diagnosis_pointers", problem,
                        _("Correct the line's diagnosis pointers on the charge, then rebuild the claim."),
                        line=line.line_number)


BUILTIN_RULES: tuple[Rule, ...] = (
    required_patient, required_billing_provider, required_payer_and_rendering, required_content, names_writable,
    npi_check_digit, billing_zip_plus_four, facility_zip_plus_four, coverage_active, timely_filing, duplicate_claim,
    secondary_prior_payment, secondary_earlier_claims, secondary_balance, replacement_payer_claim_number,
    claim_total, diagnoses, procedure_codes, modifiers, units, line_dates, diagnosis_pointers,
)

# Every code a built-in rule reports, with what it checks (shown on the rules page).
RULE_CODES: dict[str, Promise] = {
    "missing_member_id": gettext_lazy("The subscriber's member ID is present."),
    "missing_patient_dob": gettext_lazy("The patient's date of birth is present."),
    "missing_patient_sex": gettext_lazy("The patient's sex is present."),
    "missing_patient_address": gettext_lazy("The patient's address is complete."),
    "missing_billing_npi": gettext_lazy("The billing provider (or the practice's group) has an NPI."),
    "missing_taxonomy": gettext_lazy("The billing (or rendering) provider has a taxonomy code."),
    "missing_ein": gettext_lazy("The practice's EIN is present and 9 digits."),
    "missing_billing_address": gettext_lazy("The practice's billing address is complete."),
    "missing_payer_id": gettext_lazy("The payer has an electronic payer ID."),
    "missing_rendering_npi": gettext_lazy("The rendering provider has an NPI."),
    "invalid_place_of_service": gettext_lazy("The place of service is a CMS code."),
    "missing_diagnosis": gettext_lazy("The claim has at least one diagnosis."),
    "missing_lines": gettext_lazy("The claim has at least one service line."),
    "name_not_writable": gettext_lazy("Names (patient, subscriber, providers, payer, practice) have letters an "
                                      "electronic claim can carry."),
    "npi_check_digit": gettext_lazy("Every NPI passes its check digit (rendering, billing, group, referring)."),
    "billing_zip_plus_four": gettext_lazy("The billing provider's ZIP code has all 9 digits (ZIP+4)."),
    "facility_zip_plus_four": gettext_lazy("A service location other than the billing address has its ZIP+4."),
    "coverage_inactive": gettext_lazy("The coverage was in force on the date of service."),
    "timely_filing": gettext_lazy("The payer's timely-filing limit has not passed (warning 14 days before)."),
    "duplicate_claim": gettext_lazy("No other open claim bills the same codes for the patient, payer and date."),
    "secondary_prior_payment": gettext_lazy("Secondary claims record the earlier payer's payment and its date."),
    "secondary_earlier_claim": gettext_lazy("Secondary claims follow the earlier payer's claim for the same charge "
                                            "(member ID, payer ID, subscriber)."),
    "secondary_balance": gettext_lazy("The earlier payer's payment plus its adjustments equals the claim total."),
    "secondary_adjustments": gettext_lazy("At most six reasons per adjustment group of the earlier payer."),
    "replacement_payer_claim_number": gettext_lazy("Corrected and void claims name the payer's claim number of "
                                                   "the claim they replace."),
    "claim_total": gettext_lazy("The claim total (CLM02) equals the sum of its lines."),
    "too_many_diagnoses": gettext_lazy("At most 12 diagnoses."),
    "icd10_invalid": gettext_lazy("Diagnoses are valid, billable ICD-10-CM codes for the date of service."),
    "icd10_not_checked": gettext_lazy("A code set is loaded for the date of service (warning)."),
    "icd9_code": gettext_lazy("No ICD-9 codes (not accepted after 2015-10-01)."),
    "procedure_code_format": gettext_lazy("Procedure codes are CPT or HCPCS Level II codes."),
    "modifier_invalid": gettext_lazy("Modifiers are two letters or digits."),
    "modifier_unknown": gettext_lazy("Modifiers are ones OpenPractice knows (warning)."),
    "modifier_conflict": gettext_lazy("At most four modifiers a line, none twice, no contradicting pairs."),
    "units_invalid": gettext_lazy("Units are more than zero."),
    "line_dates": gettext_lazy("Line dates are in order, not in the future, and near the date of service."),
    "diagnosis_pointers": gettext_lazy("Each line points at 1 to 4 different diagnoses of the claim."),
}
