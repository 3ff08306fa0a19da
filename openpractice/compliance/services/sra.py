"""Security risk assessment writes: start the year's assessment (last year's answers as a starting point, marked
for review), answer it one safeguard at a time, complete it, and keep the risk register (scores, owners,
remediation plans, closing as mitigated or accepted).

compliance.manage changes everything here. A refusal is audited before any transaction opens (so it is kept) and
changes nothing. One assessment per year (a unique column): a second start of the same year is a form error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.core.pdf import render_pdf
from openpractice.core.selectors import practice_today

from ..choices import RiskStatus, Safeguard, SraAnswer, SraStatus
from ..models import Risk, SecurityRiskAssessment, SraQuestion, SraResponse
from ..selectors import sra as selectors

RISK_FIELDS: tuple[str, ...] = (
    "title", "safeguard", "description", "likelihood", "impact", "owner", "remediation", "due_on",
)  # fmt: skip
FIRST_YEAR = 2000


def _require_manage(actor: Any, action: str, target: Any = None) -> None:
    if not can(actor, Perm.COMPLIANCE_MANAGE):
        raise refuse(actor=actor, permission=Perm.COMPLIANCE_MANAGE, action=action, target=target)


def _year_taken(year: int) -> ValidationError:
    return ValidationError({"year": _("The %(year)s assessment already exists: open it from the list.")
                            % {"year": year}}, code="duplicate_year")


# --- assessments -----------------------------------------------------------------------------------------------


def assessment_start(*, actor: Any, year: int, copy_previous: bool = True) -> SecurityRiskAssessment:
    """Start the assessment of `year` (one per year). With `copy_previous`, the answers of the latest earlier
    assessment to still-active questions are copied with their original time, so they show as "to review" and
    the assessment cannot be completed until each section has been saved again."""
    _require_manage(actor, "compliance.sra_start")
    if not FIRST_YEAR <= year <= practice_today().year + 1:
        raise ValidationError({"year": _("Enter a year between %(first)s and %(last)s.")
                               % {"first": FIRST_YEAR, "last": practice_today().year + 1}}, code="year")
    if SecurityRiskAssessment.objects.filter(year=year).exists():
        raise _year_taken(year)
    previous = selectors.previous_assessment(year) if copy_previous else None
    try:
        with transaction.atomic():
            assessment = SecurityRiskAssessment.objects.create(year=year, started_by=actor)
            copied = []
            if previous is not None:
                copied = [SraResponse(assessment=assessment, question_id=row.question_id, answer=row.answer,
                                      notes=row.notes, answered_by_id=row.answered_by_id,
                                      answered_at=min(row.answered_at, assessment.started_at
                                                      - dt.timedelta(microseconds=1)))
                          for row in SraResponse.objects.filter(assessment=previous, question__is_active=True)]
                SraResponse.objects.bulk_create(copied)
            record(actor=actor, action="compliance.sra_started", target=assessment,
                   reason=(f"copied {len(copied)} answers from {previous.year}" if previous is not None else ""))
    except IntegrityError as exc:  # a concurrent start of the same year
        raise _year_taken(year) from exc
    return assessment


def _lock_in_progress(assessment: SecurityRiskAssessment) -> SecurityRiskAssessment:
    locked = SecurityRiskAssessment.objects.select_for_update().get(pk=assessment.pk)
    if locked.status != SraStatus.IN_PROGRESS:
        raise ValidationError(_("This assessment is completed: its answers no longer change."), code="completed")
    return locked


def answers_save(*, actor: Any, assessment: SecurityRiskAssessment, safeguard: str,
                 answers: Mapping[int, tuple[str, str]]) -> int:
    """Save one safeguard section: {question id: (answer, notes)}. Every answer saved counts as reviewed (a
    carried-over answer saved unchanged is confirmed). Returns how many answers changed or were confirmed."""
    _require_manage(actor, "compliance.sra_answer", assessment)
    if safeguard not in Safeguard.values:
        raise ValidationError(_("Unknown safeguard."), code="safeguard")
    errors: dict[str, str] = {}
    for question_id, (answer, _notes) in answers.items():
        if answer not in SraAnswer.values:
            errors[f"answer_{question_id}"] = _("Choose an answer.")
    if errors:
        raise ValidationError(errors, code="answer")
    now = timezone.now()
    with transaction.atomic():
        locked = _lock_in_progress(assessment)
        questions = set(SraQuestion.objects.filter(pk__in=list(answers), safeguard=safeguard, is_active=True)
                        .values_list("pk", flat=True))
        unknown = sorted(set(answers) - questions)
        if unknown:
            raise ValidationError(_("These questions are not active questions of this section: %(ids)s.")
                                  % {"ids": ", ".join(map(str, unknown))}, code="question")
        existing = {row.question_id: row for row in
                    SraResponse.objects.select_for_update().filter(assessment=locked, question_id__in=questions)}
        saved = 0
        for question_id, (answer, notes) in answers.items():
            notes = (notes or "").strip()
            row = existing.get(question_id)
            if row is None:
                SraResponse.objects.create(assessment=locked, question_id=question_id, answer=answer, notes=notes,
                                           answered_by=actor, answered_at=now)
                saved += 1
            elif (row.answer, row.notes) != (answer, notes) or row.answered_at < locked.started_at:
                row.answer, row.notes, row.answered_by, row.answered_at = answer, notes, actor, now
                row.save(update_fields=["answer", "notes", "answered_by", "answered_at"])
                saved += 1
        if saved:
            record(actor=actor, action="compliance.sra_answered", target=locked, changed_fields=["responses"],
                   reason=f"{safeguard}: {saved} answers")
    return saved


def assessment_complete(*, actor: Any, assessment: SecurityRiskAssessment, summary: str) -> SecurityRiskAssessment:
    """Close the year's assessment: every active question answered (carried-over answers reviewed) and a
    summary of the findings."""
    _require_manage(actor, "compliance.sra_complete", assessment)
    summary = (summary or "").strip()
    if not summary:
        raise ValidationError({"summary": _("Summarise the findings and the plan.")}, code="required")
    with transaction.atomic():
        locked = _lock_in_progress(assessment)
        done = selectors.progress(locked)
        if done.answered < done.questions:
            raise ValidationError(_("%(missing)s of %(total)s questions are not answered yet.")
                                  % {"missing": done.questions - done.answered, "total": done.questions},
                                  code="incomplete")
        if done.carried_over:
            raise ValidationError(_("%(count)s answers copied from last year have not been reviewed: save each "
                                    "section to confirm them.") % {"count": done.carried_over}, code="unreviewed")
        locked.status, locked.completed_by, locked.completed_at = SraStatus.COMPLETED, actor, timezone.now()
        locked.summary = summary
        fields = ["status", "completed_by", "completed_at", "summary"]
        locked.save(update_fields=fields)
        record(actor=actor, action="compliance.sra_completed", target=locked, changed_fields=fields)
    return locked


def report_pdf(*, actor: Any, assessment: SecurityRiskAssessment) -> bytes:
    """The assessment's report as a PDF (the caller checked compliance.view); the export is audited."""
    html = render_to_string("compliance/sra/report.html",
                            selectors.report_context(assessment=assessment, today=practice_today()))
    pdf = render_pdf(html)
    record(actor=actor, action="compliance.sra_report_exported", target=assessment)
    return pdf


# --- the risk register -----------------------------------------------------------------------------------------


def _check_risk(values: Mapping[str, Any]) -> None:
    errors: dict[str, str] = {}
    for name in ("likelihood", "impact"):
        value = values.get(name)
        if not isinstance(value, int) or not 1 <= value <= 5:
            errors[name] = _("Choose a value from 1 to 5.")
    owner = values.get("owner")
    if owner is None or not owner.is_active:
        errors["owner"] = _("Choose an active user as the owner.")
    if values.get("safeguard") not in Safeguard.values:
        errors["safeguard"] = _("Choose a safeguard.")
    if not (values.get("title") or "").strip():
        errors["title"] = _("Name the risk.")
    if errors:
        raise ValidationError(errors, code="invalid")


def _clean(data: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(data) - set(RISK_FIELDS))
    if unknown:
        raise ValidationError(_("Unknown or read-only field(s): %(fields)s.") % {"fields": ", ".join(unknown)},
                              code="unknown_field")
    return {name: (value.strip() if isinstance(value, str) else value) for name, value in data.items()}


def risk_create(*, actor: Any, data: Mapping[str, Any], assessment: SecurityRiskAssessment | None = None,
                question: SraQuestion | None = None) -> Risk:
    """Add a risk to the register, from an assessment's answer (question) or on its own."""
    _require_manage(actor, "compliance.risk_create", assessment)
    values = _clean(data)
    _check_risk(values)
    risk = Risk(assessment=assessment, question=question, created_by=actor, **values)
    risk.full_clean()
    with transaction.atomic():
        risk.save(force_insert=True)
        record(actor=actor, action="compliance.risk_created", target=risk,
               changed_fields=[name for name in RISK_FIELDS if name in data])
    return risk


def risk_update(*, actor: Any, risk: Risk, data: Mapping[str, Any]) -> Risk:
    """Change a risk's details, score, owner or remediation plan (its status changes through close/reopen)."""
    _require_manage(actor, "compliance.risk_update", risk)
    values = _clean(data)
    with transaction.atomic():
        locked = Risk.objects.select_for_update().get(pk=risk.pk)
        changed = [name for name, value in values.items() if getattr(locked, name) != value]
        if not changed:
            return locked
        for name in changed:
            setattr(locked, name, values[name])
        _check_risk({name: getattr(locked, name) for name in RISK_FIELDS})
        locked.full_clean()
        locked.save(update_fields=changed)
        record(actor=actor, action="compliance.risk_updated", target=locked, changed_fields=changed)
    return locked


def risk_close(*, actor: Any, risk: Risk, status: str, note: str) -> Risk:
    """Mark an open risk mitigated or accepted, with a note saying how or why. Accepting a high or critical risk
    (the bands of selectors.SERIOUS_BANDS) is a management decision: compliance.manage and a written reason."""
    _require_manage(actor, "compliance.risk_close", risk)
    note = (note or "").strip()
    if status not in (RiskStatus.MITIGATED, RiskStatus.ACCEPTED):
        raise ValidationError({"status": _("Choose mitigated or accepted.")}, code="status")
    with transaction.atomic():
        locked = Risk.objects.select_for_update().get(pk=risk.pk)
        if locked.status != RiskStatus.OPEN:
            raise ValidationError(_("Only an open risk can be closed."), code="wrong_status")
        if not note:
            serious = status == RiskStatus.ACCEPTED and selectors.band_of(locked.score) in selectors.SERIOUS_BANDS
            raise ValidationError({"note": _("Accepting a high or critical risk needs a written reason.") if serious
                                   else _("Say how the risk was mitigated or why it is accepted.")},
                                  code="note_required")
        locked.status, locked.closing_note, locked.closed_at = status, note, timezone.now()
        fields = ["status", "closing_note", "closed_at"]
        locked.save(update_fields=fields)
        record(actor=actor, action=f"compliance.risk_{status}", target=locked, changed_fields=fields,
               reason=f"score {locked.score} ({selectors.band_of(locked.score)})")
    return locked


def risk_reopen(*, actor: Any, risk: Risk) -> Risk:
    """Put a mitigated or accepted risk back on the open register. The last closing note stays on the risk (the
    history of why it was closed); the next closing replaces it."""
    _require_manage(actor, "compliance.risk_reopen", risk)
    with transaction.atomic():
        locked = Risk.objects.select_for_update().get(pk=risk.pk)
        if locked.status == RiskStatus.OPEN:
            raise ValidationError(_("This risk is already open."), code="wrong_status")
        locked.status, locked.closed_at = RiskStatus.OPEN, None
        fields = ["status", "closed_at"]
        locked.save(update_fields=fields)
        record(actor=actor, action="compliance.risk_reopened", target=locked, changed_fields=fields)
    return locked


def risk_prefill(question: SraQuestion) -> dict[str, Any]:
    """The "add to the risk register" form's starting values for a "no" or "partly" answer."""
    title = question.text.rstrip("?")
    return {"title": (_("Not in place: %(topic)s") % {"topic": title})[:200], "safeguard": question.safeguard,
            "description": f"{question.reference} — {question.text}" if question.reference else question.text}
