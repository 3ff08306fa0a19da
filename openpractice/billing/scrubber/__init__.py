"""The claim scrubber: built-in rules for what payers reject (and pyx12 cannot see) plus the practice's own
rules, run as a pure engine over claims loaded in bulk.

    items = load_claims(ids)                 # context.py: claims, relations and lines in bulk
    context = build_context(items)           # the practice, active practice rules, duplicates, today
    findings = scrub_many(items, context)    # engine.py: {claim id: [Finding, ...]}

services/scrubbing.py stores the findings as ClaimIssue rows and moves each claim to held or ready.
"""

from .builtin import BUILTIN_RULES, RULE_CODES
from .context import ClaimInput, ScrubContext, build_context, load_claims
from .engine import scrub, scrub_many
from .findings import Finding, first_error, has_error
from .practice_rules import PracticeRule, active_practice_rules, describe_rule

__all__ = [
    "BUILTIN_RULES", "RULE_CODES", "ClaimInput", "Finding", "PracticeRule", "ScrubContext", "active_practice_rules",
    "build_context", "describe_rule", "first_error", "has_error", "load_claims", "scrub",
    "scrub_many",
]
