"""Demo security risk assessment: last year's assessment, completed eleven months ago; this year's in progress,
started from last year's answers (the administrative section reviewed, the other two still "to review"); and a
risk register of five: two open high risks, one open risk whose remediation is overdue, one mitigated, one
accepted.

`seed_sra(context)` is called by the compliance demo seeder (it needs the privacy officer from the accounts
seeder). Everything goes through the services, as the privacy officer, so the demo has the same checks and audit
trail as typed-in data; last year's stamps are then moved back to last year. Seeding again adds nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from openpractice.accounts.models import User
from openpractice.core.selectors import practice_today

from .choices import RiskStatus, Safeguard, SraAnswer
from .models import Risk, SecurityRiskAssessment, SraQuestion, SraResponse
from .services import sra as services

LAST_STARTED_DAYS_AGO, LAST_ANSWERED_DAYS_AGO, LAST_COMPLETED_DAYS_AGO = 365, 350, 335

# Last year's answers that were not "yes" (by regulation reference); everything else was "yes".
LAST_YEAR_GAPS: dict[str, tuple[str, str]] = {
    "164.308(a)(3)": (SraAnswer.PARTLY, "Accounts of people who left are removed at the monthly review, not the day "
                                        "they leave."),
    "164.308(a)(7)": (SraAnswer.PARTLY, "Nightly backups to the cloud EHR; a restore has never been tested."),
    "164.310(b)": (SraAnswer.NO, "The front desk screens face the waiting room."),
    "164.312(a)(2)(ii)": (SraAnswer.NO, "No written emergency access procedure."),
    "164.312(a)(2)(iv)": (SraAnswer.PARTLY, "Desktops are encrypted; two older laptops are not."),
}
# This year's review of the administrative section: what changed since last year.
THIS_YEAR_ADMINISTRATIVE: dict[str, tuple[str, str]] = {
    "164.308(a)(3)": (SraAnswer.PARTLY, "Still removed at the monthly review; the HR offboarding checklist is "
                                        "being changed."),
    "164.308(a)(7)": (SraAnswer.NO, "Still no restore test; the cloud EHR's contract does not include one."),
}


@dataclass(frozen=True)
class DemoRisk:
    title: str
    safeguard: str
    reference: str
    likelihood: int
    impact: int
    owner: str
    remediation: str
    due_in_days: int | None
    this_year: bool
    status: str = RiskStatus.OPEN
    closing_note: str = ""


RISKS: tuple[DemoRisk, ...] = (
    DemoRisk("Backups have never been restored: recovery after ransomware is unproven", Safeguard.ADMINISTRATIVE,
             "164.308(a)(7)", 3, 5, "pm_senior", "Test a full restore with the cloud EHR vendor each quarter; "
             "write down the steps and the time it took.", 45, True),
    DemoRisk("Two laptops that hold PHI are not encrypted", Safeguard.TECHNICAL, "164.312(a)(2)(iv)", 3, 4,
             "admin", "Turn on full-disk encryption on both laptops or replace them.", 30, True),
    DemoRisk("Accounts of people who leave stay active for up to a month", Safeguard.ADMINISTRATIVE,
             "164.308(a)(3)", 3, 3, "hr", "Add account removal to the HR offboarding checklist, done on the last "
             "day.", -21, False),
    DemoRisk("Front desk screens can be read from the waiting room", Safeguard.PHYSICAL, "164.310(b)", 3, 2,
             "pm_advanced", "Turn the screens and fit privacy filters.", -120, False, RiskStatus.MITIGATED,
             "Screens turned away from the waiting room and privacy filters fitted at both front desks."),
    DemoRisk("No written emergency access procedure", Safeguard.TECHNICAL, "164.312(a)(2)(ii)", 2, 2, "privacy",
             "", None, False, RiskStatus.ACCEPTED,
             "Two administrators and the cloud EHR vendor's support can reach the records in an outage; "
             "accepted until the next assessment."),
)


def _answers(questions: list[SraQuestion], safeguard: str,
             gaps: dict[str, tuple[str, str]]) -> dict[int, tuple[str, str]]:
    return {question.pk: gaps.get(question.reference, (SraAnswer.YES, ""))
            for question in questions if question.safeguard == safeguard}


def _at(days_ago: int) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days_ago)


def seed_sra(context: dict[str, Any]) -> None:
    users: dict[str, User] = context.get("users") or {}
    privacy = users.get("privacy")
    if privacy is None:
        return
    report = context.setdefault("report", [])
    today = practice_today()
    if SecurityRiskAssessment.objects.filter(year__in=[today.year - 1, today.year]).exists():
        report.append("security risk assessment: already seeded, nothing added")
        return
    questions = list(SraQuestion.objects.filter(is_active=True))
    last = services.assessment_start(actor=privacy, year=today.year - 1, copy_previous=False)
    for safeguard in Safeguard.values:
        services.answers_save(actor=privacy, assessment=last, safeguard=safeguard,
                              answers=_answers(questions, safeguard, LAST_YEAR_GAPS))
    last = services.assessment_complete(actor=privacy, assessment=last, summary=(
        "Most safeguards are in place. Gaps: offboarding is slow, backups are not restore-tested, front desk "
        "screens are visible, two laptops are unencrypted and there is no written emergency access procedure. "
        "Each is in the risk register with an owner."))
    # Move last year's stamps back to last year, so the copy below carries its answers over "to review".
    SecurityRiskAssessment.objects.filter(pk=last.pk).update(started_at=_at(LAST_STARTED_DAYS_AGO),
                                                             completed_at=_at(LAST_COMPLETED_DAYS_AGO))
    SraResponse.objects.filter(assessment=last).update(answered_at=_at(LAST_ANSWERED_DAYS_AGO))
    current = services.assessment_start(actor=privacy, year=today.year, copy_previous=True)
    services.answers_save(actor=privacy, assessment=current, safeguard=Safeguard.ADMINISTRATIVE,
                          answers=_answers(questions, Safeguard.ADMINISTRATIVE,
                                           {**LAST_YEAR_GAPS, **THIS_YEAR_ADMINISTRATIVE}))
    by_reference = {question.reference: question for question in questions}
    for spec in RISKS:
        owner = users.get(spec.owner) or privacy
        risk = services.risk_create(
            actor=privacy, assessment=current if spec.this_year else last,
            question=by_reference.get(spec.reference), data={
                "title": spec.title, "safeguard": spec.safeguard, "description": "",
                "likelihood": spec.likelihood, "impact": spec.impact, "owner": owner,
                "remediation": spec.remediation,
                "due_on": today + dt.timedelta(days=spec.due_in_days) if spec.due_in_days is not None else None})
        if spec.status != RiskStatus.OPEN:
            services.risk_close(actor=privacy, risk=risk, status=spec.status, note=spec.closing_note)
    report.append(f"2 security risk assessments ({last.year} completed, {current.year} in progress), "
                  f"{Risk.objects.count()} risks")
