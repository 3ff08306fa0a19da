"""Access reviews: the quarterly report, built from the audit log, of who holds PHI access, when they last signed in
and what looked unusual; the reviewer notes each finding, then the privacy officer signs it off (read-only after).

The findings come from a handful of set-based queries over AuditEvent (GROUP BY in the database, never a loop over
events in Python), each an index range on `action` (+ `occurred_at`):
- PHI_ACCESS: every active user whose role grants hold a PHI permission, the distinct patients they opened
  ("patients.viewed", allowed) in the period and their last sign-in ("auth.login" or User.last_login);
- VOLUME: user-days with more than VOLUME_THRESHOLD distinct patients opened;
- AFTER_HOURS: patient views outside 07:00-19:00 practice-local time, or on a Sunday;
- SURNAME: a user opened a patient whose last name equals theirs (ignoring case);
- DORMANT: PHI access but no sign-in in the DORMANT_DAYS before the period's end.
Findings name users and counts, never patients: the review page is no PHI read.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Max, Q, QuerySet
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, refuse
from openpractice.accounts.roles import PERMISSION_TABLE, PHI_PERMISSIONS, Perm
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.audit.services import record
from openpractice.core.selectors import practice_timezone_name, practice_today
from openpractice.patients.models import Patient

from ..choices import FindingKind
from ..models import AccessReview, AccessReviewFinding
from ..selectors.access_reviews import is_privacy_officer

# A full day of a front-desk or billing seat rarely reaches 50 different charts (a busy clinic books 25-40 visits
# per provider per day, and a desk serves two or three providers); more than that in one day is what a look-up
# spree or a scripted export looks like, so it is worth a reviewer's question without flagging ordinary days.
VOLUME_THRESHOLD = 50
# The practice's working day (local time); views outside it, or on a Sunday, are "after hours".
DAY_STARTS, DAY_ENDS = 7, 19
SUNDAY = 7  # ISO weekday
# 45 CFR 164.308(a)(3)(ii)(C): access no longer needed should end; an account unused for a quarter is the sign.
DORMANT_DAYS = 90
VIEWED = "patients.viewed"
SIGNED_IN = "auth.login"
NOTE_MAX = 500
CONCLUSION_MAX = 2000


def last_full_quarter(today: dt.date) -> tuple[dt.date, dt.date]:
    """The calendar quarter before the one `today` is in."""
    first_month = (today.month - 1) // 3 * 3 + 1
    this_quarter = dt.date(today.year, first_month, 1)
    end = this_quarter - dt.timedelta(days=1)
    return dt.date(end.year, (end.month - 1) // 3 * 3 + 1, 1), end


def _local_midnight(day: dt.date, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone)


def phi_role_filter() -> Q:
    """Role assignments whose (role, tier) grants any PHI permission, from the permission table."""
    condition = Q(pk__in=[])
    for (role, tier), permissions in PERMISSION_TABLE.items():
        if permissions & PHI_PERMISSIONS:
            condition |= Q(role_assignments__role=role, role_assignments__tier=tier)
    return condition


def _phi_users() -> QuerySet[Any]:
    return get_user_model().objects.filter(phi_role_filter(), is_active=True).distinct()


def _views(start: dt.datetime, end: dt.datetime) -> QuerySet[AuditEvent]:
    """Patient records opened in [start, end), by someone, allowed; the base of every patient-view finding."""
    return AuditEvent.objects.filter(action=VIEWED, outcome=Outcome.ALLOWED, occurred_at__gte=start,
                                     occurred_at__lt=end, actor__isnull=False,
                                     patient_id__isnull=False).order_by()


def _opened_and_same_surname(views: QuerySet[AuditEvent]) -> tuple[dict[int, int], dict[int, tuple[int, int]]]:
    """Per user, in one pass over the period's views: the distinct patients opened, and (distinct patients, views)
    for the patients whose last name is the user's (ignoring case).

    The distinct (user, patient) pairs first (one GROUP BY), then joined to users and patients by hash; a pair
    whose patient has another name (or no row) still counts as opened, hence the LEFT JOIN with the name in ON.
    COUNT(*) rather than COUNT(id) here and below: the id is not in the audit_action_time_idx index, and naming it
    would fetch every row from the table."""
    pairs_sql, params = views.values("actor_id", "patient_id").annotate(n=Count("*")).query.sql_with_params()
    quote = connection.ops.quote_name
    users, patients = get_user_model()._meta, Patient._meta
    user_pk, patient_pk, last_name = quote(str(users.pk.column)), quote(str(patients.pk.column)), quote("last_name")
    sql = (f"WITH pairs AS ({pairs_sql}) "  # noqa: S608 - names from the models, values bound
           f"SELECT pairs.actor_id, COUNT(*), COUNT(p.{patient_pk}), "
           f"SUM(CASE WHEN p.{patient_pk} IS NULL THEN 0 ELSE pairs.n END) FROM pairs "
           f"LEFT JOIN {quote(users.db_table)} u ON u.{user_pk} = pairs.actor_id "
           f"LEFT JOIN {quote(patients.db_table)} p ON p.{patient_pk} = pairs.patient_id "
           f"AND u.{last_name} <> '' AND LOWER(p.{last_name}) = LOWER(u.{last_name}) "
           "GROUP BY pairs.actor_id")
    opened: dict[int, int] = {}
    same: dict[int, tuple[int, int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for user_id, count, matched, matched_views in cursor.fetchall():
            opened[int(user_id)] = int(count)
            if matched:
                same[int(user_id)] = (int(matched), int(matched_views))
    return opened, same


def _require_manage(actor: Any, action: str, target: Any = None) -> None:
    if not can(actor, Perm.COMPLIANCE_MANAGE):
        raise refuse(actor=actor, permission=Perm.COMPLIANCE_MANAGE, action=action, target=target)


def compute_findings(*, review: AccessReview) -> list[AccessReviewFinding]:
    """The findings of the review's period, unsaved (five queries whatever the size of the audit log)."""
    zone = zoneinfo.ZoneInfo(practice_timezone_name())
    start = _local_midnight(review.period_start, zone)
    end = _local_midnight(review.period_end + dt.timedelta(days=1), zone)
    views = _views(start, end)
    findings: list[AccessReviewFinding] = []

    def add(kind: str, user_id: int, **fields: Any) -> None:
        findings.append(AccessReviewFinding(review=review, user_id=user_id, kind=kind, **fields))

    # 1. Who holds PHI access, with their own last_login (one query).
    holders = {row["pk"]: row["last_login"] for row in _phi_users().values("pk", "last_login")}
    # 2. Per user, in one pass over the period's views: the patients opened, and those sharing the user's last name.
    opened, same_surname = _opened_and_same_surname(views)
    # 3. Last sign-in in the log up to the period's end (one GROUP BY over the sign-in events).
    signed_in = dict(AuditEvent.objects.filter(action=SIGNED_IN, outcome=Outcome.ALLOWED, occurred_at__lt=end,
                                               actor_id__in=list(holders)).order_by()
                     .values("actor_id").annotate(last=Max("occurred_at")).values_list("actor_id", "last"))
    dormant_since = end - dt.timedelta(days=DORMANT_DAYS)
    for user_id, last_login in holders.items():
        # last_login may lie after the period (today's sign-in): the log, bounded by the period, wins then.
        candidates = [value for value in (signed_in.get(user_id), last_login) if value is not None and value < end]
        last = max(candidates) if candidates else None
        add(FindingKind.PHI_ACCESS, user_id, patients=opened.get(user_id, 0), last_sign_in=last)
        if last is None or last < dormant_since:
            add(FindingKind.DORMANT, user_id, patients=opened.get(user_id, 0), last_sign_in=last,
                detail=_("No sign-in in the %(days)d days before %(end)s.") % {
                    "days": DORMANT_DAYS, "end": review.period_end.isoformat()})
    # 4. Busy days: distinct patients per user and practice-local day (one GROUP BY); anyone, PHI role or not.
    busy = (views.annotate(day=TruncDate("occurred_at", tzinfo=zone)).values("actor_id", "day")
            .annotate(n=Count("patient_id", distinct=True)).filter(n__gt=VOLUME_THRESHOLD))
    for row in busy:
        add(FindingKind.VOLUME, row["actor_id"], day=row["day"], patients=row["n"],
            detail=_("%(n)d patients in one day (more than %(limit)d).") % {"n": row["n"],
                                                                            "limit": VOLUME_THRESHOLD})
    # 5. After hours (one GROUP BY): the local hour and weekday are worked out in WHERE, once per view, and the
    # counts run over the few late views only (a FILTER on each of four aggregates converted every view's time
    # four times, and three DISTINCT counts sorted all the views: 1 s of the 2 s at 1M events).
    late = (views.alias(hour=ExtractHour("occurred_at", tzinfo=zone),
                        weekday=ExtractIsoWeekDay("occurred_at", tzinfo=zone))
            .filter(Q(hour__lt=DAY_STARTS) | Q(hour__gte=DAY_ENDS) | Q(weekday=SUNDAY))
            .values("actor_id")
            .annotate(patients=Count("patient_id", distinct=True), views=Count("*"),
                      days=Count(TruncDate("occurred_at", tzinfo=zone), distinct=True), last=Max("occurred_at")))
    for late_row in late:
        add(FindingKind.AFTER_HOURS, late_row["actor_id"], patients=late_row["patients"],
            day=timezone.localtime(late_row["last"], zone).date(),
            detail=_("%(views)d views on %(days)d days outside %(start)02d:00-%(end)02d:00 or on a Sunday; "
                     "latest on the day shown.") % {"views": late_row["views"], "days": late_row["days"],
                                                    "start": DAY_STARTS, "end": DAY_ENDS})
    # 6. A patient sharing the user's last name (from pass 2). A correlated EXISTS let PostgreSQL start from the
    # patients whose name matches any user's and probe the audit table per patient: 2 s at 1M events.
    for user_id, (patients, count) in same_surname.items():
        add(FindingKind.SURNAME, user_id, patients=patients,
            detail=_("%(n)d patient(s) with the user's last name, %(views)d view(s).") % {
                "n": patients, "views": count})
    return findings


def access_review_create(*, actor: Any, period_start: dt.date | None = None,
                         period_end: dt.date | None = None) -> AccessReview:
    """Build the review of a period (default: the last full calendar quarter) and store its findings."""
    _require_manage(actor, "compliance.access_review_create")
    today = practice_today()
    if period_start is None or period_end is None:
        default_start, default_end = last_full_quarter(today)
        period_start, period_end = period_start or default_start, period_end or default_end
    if period_end < period_start:
        raise ValidationError({"period_end": _("The end comes before the start.")})
    if period_end >= today:
        raise ValidationError({"period_end": _("Review a period that has ended (up to yesterday).")})
    review = AccessReview(period_start=period_start, period_end=period_end, created_by=actor)
    review.full_clean()
    with transaction.atomic():
        review.save(force_insert=True)
        findings = compute_findings(review=review)
        AccessReviewFinding.objects.bulk_create(findings, batch_size=500)
        counts = finding_counts(findings)
        # Reading the log this broadly is itself worth a trace.
        record(actor=actor, action="compliance.access_review_created", target=review,
               changed_fields=["findings"],
               reason=f"{period_start.isoformat()}..{period_end.isoformat()}: "
                      + ", ".join(f"{kind} {n}" for kind, n in counts.items()))
    return review


def _locked_open(review: AccessReview) -> AccessReview:
    locked = AccessReview.objects.select_for_update().get(pk=review.pk)
    if locked.signed_off_at is not None:
        raise ValidationError(_("The review is signed off: it can no longer change."), code="signed_off")
    return locked


def access_review_note(*, actor: Any, review: AccessReview, finding_id: int, note: str) -> AccessReviewFinding:
    """The reviewer's note on one finding (what they found out); until sign-off."""
    _require_manage(actor, "compliance.access_review_note", review)
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": _("At most %(n)d characters.") % {"n": NOTE_MAX}})
    with transaction.atomic():
        _locked_open(review)
        finding = AccessReviewFinding.objects.filter(review=review, pk=finding_id).first()
        if finding is None:
            raise ValidationError({"finding": _("This finding is not part of the review.")}, code="unknown")
        finding.reviewer_note = note
        finding.save(update_fields=["reviewer_note"])
        record(actor=actor, action="compliance.access_review_noted", target=review,
               object_id=str(review.pk), changed_fields=["reviewer_note"], reason=f"finding {finding.pk}")
    return finding


def access_review_sign_off(*, actor: Any, review: AccessReview, conclusion: str) -> AccessReview:
    """The privacy officer's sign-off (the PRIVACY_OFFICER role, not only compliance.manage); then read-only."""
    _require_manage(actor, "compliance.access_review_sign_off", review)
    if not is_privacy_officer(actor):
        raise refuse(actor=actor, permission=Perm.COMPLIANCE_MANAGE, action="compliance.access_review_sign_off",
                     target=review, reason="privacy officer role required")
    conclusion = conclusion.strip()
    if not conclusion:
        raise ValidationError({"conclusion": _("Write the conclusion of the review.")})
    if len(conclusion) > CONCLUSION_MAX:
        raise ValidationError({"conclusion": _("At most %(n)d characters.") % {"n": CONCLUSION_MAX}})
    with transaction.atomic():
        locked = _locked_open(review)
        locked.signed_off_by, locked.signed_off_at, locked.sign_off_note = actor, timezone.now(), conclusion
        locked.save(update_fields=["signed_off_by", "signed_off_at", "sign_off_note"])
        record(actor=actor, action="compliance.access_review_signed_off", target=locked,
               changed_fields=["signed_off_by", "signed_off_at", "sign_off_note"])
    return locked


def finding_counts(findings: Iterable[AccessReviewFinding]) -> dict[str, int]:
    counts = dict.fromkeys(FindingKind.values, 0)
    for finding in findings:
        counts[finding.kind] += 1
    return counts

