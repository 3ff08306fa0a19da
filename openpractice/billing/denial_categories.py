"""Why a claim was denied, in the worklist's terms: a category and the next step, from its CARC and RARC codes.

The codes are those of the two public code lists the 835 uses, maintained by X12 (Claim Adjustment Reason Codes,
x12.org/codes/claim-adjustment-reason-codes) and by CMS for X12 (Remittance Advice Remark Codes,
x12.org/codes/remittance-advice-remark-codes). Only codes are kept here, never the lists' descriptions; the table
holds the codes that clearly point at one category, everything else is "other". When a denial carries codes of
several categories, the one that decides what to do first wins (CATEGORY_ORDER): a duplicate needs no work, a
missed filing limit is rarely appealable, an eligibility problem must be fixed before coding matters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext_lazy as _

from .choices import DenialCategory

C = DenialCategory

CARC_CATEGORIES: dict[str, str] = {
    # duplicate
    "18": C.DUPLICATE, "B13": C.DUPLICATE,
    # timely filing
    "29": C.TIMELY_FILING,
    # eligibility and coordination of benefits
    "22": C.ELIGIBILITY, "24": C.ELIGIBILITY, "26": C.ELIGIBILITY, "27": C.ELIGIBILITY, "31": C.ELIGIBILITY,
    "32": C.ELIGIBILITY, "33": C.ELIGIBILITY, "109": C.ELIGIBILITY, "177": C.ELIGIBILITY, "200": C.ELIGIBILITY,
    # authorization and referral
    "15": C.AUTHORIZATION, "39": C.AUTHORIZATION, "62": C.AUTHORIZATION, "197": C.AUTHORIZATION,
    "198": C.AUTHORIZATION,
    # coding: codes, modifiers, diagnoses, bundling, missing or invalid claim data
    "4": C.CODING, "5": C.CODING, "6": C.CODING, "7": C.CODING, "8": C.CODING, "9": C.CODING, "10": C.CODING,
    "11": C.CODING, "16": C.CODING, "97": C.CODING, "146": C.CODING, "181": C.CODING, "182": C.CODING,
    "236": C.CODING,
}  # fmt: skip

RARC_CATEGORIES: dict[str, str] = {
    "N30": C.ELIGIBILITY,
    "N54": C.AUTHORIZATION,
    "M51": C.CODING, "M76": C.CODING, "MA130": C.CODING,
}  # fmt: skip

CATEGORY_ORDER: tuple[str, ...] = (
    C.DUPLICATE, C.TIMELY_FILING, C.ELIGIBILITY, C.AUTHORIZATION, C.CODING, C.OTHER,
)

NEXT_STEPS: dict[str, Any] = {
    C.ELIGIBILITY: _("Check the patient's insurance (run an eligibility check, ask for the current card), correct "
                     "the coverage on the patient's record, then bill the right payer or the patient."),
    C.AUTHORIZATION: _("Find the authorization or referral number (or ask the payer for a retroactive one), add it "
                       "to the charge and send a corrected claim; appeal if it was on file when the visit "
                       "happened."),
    C.CODING: _("Compare the procedure codes, modifiers and diagnoses with the visit note, fix the charge and send "
                "a corrected claim."),
    C.TIMELY_FILING: _("Find the proof the claim was sent in time (the clearinghouse report, the 999 or 277CA "
                       "acceptance) and appeal with it; without proof, write the balance off."),
    C.DUPLICATE: _("Check whether the payer already paid this service under another claim; if it did, nothing is "
                   "owed. If not, call the payer with the first claim's number."),
    C.OTHER: _("Read the reason and remark codes on the remittance, then call the payer or appeal with the "
               "visit's records."),
}


def _clean(code: str) -> str:
    """A code as the 835 may write it ("co-50", " 50 ") reduced to the list's form ("50")."""
    text = code.strip().upper()
    if "-" in text:  # group-prefixed (CO-50)
        text = text.split("-", 1)[1]
    return text


def categorize(reason_codes: Sequence[str], remark_codes: Sequence[str]) -> tuple[DenialCategory, str]:
    """The denial's category and the suggested next step (plain words), from its CARC and RARC codes."""
    found = {CARC_CATEGORIES[c] for c in map(_clean, reason_codes) if c in CARC_CATEGORIES}
    found |= {RARC_CATEGORIES[c] for c in map(_clean, remark_codes) if c in RARC_CATEGORIES}
    category = next((c for c in CATEGORY_ORDER if c in found), C.OTHER)
    return DenialCategory(category), str(NEXT_STEPS[category])
