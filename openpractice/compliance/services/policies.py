"""Policy library writes: a policy with its first draft, editing a draft, the review workflow (draft -> in review ->
approved by someone other than the author -> published, which retires the version in force), a new version as a
copy of the current text, retiring a policy, attachments of versions in progress, and the review reminders.

compliance.manage changes everything here. A refusal is audited before any transaction opens (so it is kept) and
changes nothing. The version text is sanitised with nh3 before it is stored: only basic formatting survives.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import smtplib
from collections.abc import Mapping
from typing import Any

import nh3
from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.models import User
from openpractice.accounts.permissions import can, refuse
from openpractice.accounts.roles import Perm
from openpractice.audit.services import record
from openpractice.core.files import CONTENT_TYPES, read_checked
from openpractice.core.selectors import practice_today

from ..choices import VersionStatus
from ..models import AcknowledgementCampaign, Policy, PolicyAttachment, PolicyVersion

logger = logging.getLogger(__name__)

POLICY_FIELDS: tuple[str, ...] = ("title", "category", "owner", "review_months")
VERSION_FIELDS: tuple[str, ...] = ("body_html", "change_summary", "effective_on")
IN_PROGRESS: tuple[str, ...] = (VersionStatus.DRAFT, VersionStatus.REVIEW, VersionStatus.APPROVED)
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
ATTACHMENT_TYPES: tuple[str, ...] = ("pdf", "png", "jpg", "docx")
# Days before next_review_on from which the owner is emailed, once each (see review_reminders_send).
REVIEW_REMINDER_DAYS: tuple[int, ...] = (30, 0)

ALLOWED_TAGS: frozenset[str] = frozenset({
    "p", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "a", "br",
    "table", "thead", "tbody", "tr", "th", "td", "caption",
})
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {"a": {"href"}, "th": {"colspan", "rowspan", "scope"},
                                           "td": {"colspan", "rowspan"}}
SAFE_URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto", "tel"})


def sanitize_html(html: str) -> str:
    """The text with only basic formatting: scripts (with their content), event handlers, styles and
    javascript:/data: links removed; every link gets rel="noopener noreferrer"."""
    return nh3.clean(
        html or "", tags=set(ALLOWED_TAGS), clean_content_tags={"script", "style"}, attributes=ALLOWED_ATTRIBUTES,
        url_schemes=set(SAFE_URL_SCHEMES), link_rel="noopener noreferrer", strip_comments=True,
    ).strip()


def _require_manage(actor: Any, action: str, target: Any = None) -> None:
    if not can(actor, Perm.COMPLIANCE_MANAGE):
        raise refuse(actor=actor, permission=Perm.COMPLIANCE_MANAGE, action=action, target=target)


def _check_keys(data: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationError(_("Unknown or read-only field(s): %(fields)s.") % {"fields": ", ".join(unknown)},
                              code="unknown_field")


def _check_owner(owner: Any) -> None:
    if owner is None or not isinstance(owner, User) or not owner.is_active:
        raise ValidationError({"owner": _("Choose an active user as the owner.")}, code="owner_inactive")


def _clean_version_data(data: Mapping[str, Any]) -> dict[str, Any]:
    cleaned = dict(data)
    if "body_html" in cleaned:
        cleaned["body_html"] = sanitize_html(cleaned["body_html"])
        if not cleaned["body_html"]:
            raise ValidationError({"body_html": _("The policy text is empty.")}, code="empty_text")
    if "change_summary" in cleaned:
        cleaned["change_summary"] = (cleaned["change_summary"] or "").strip()
    return cleaned


# --- policies ------------------------------------------------------------------------------------------------


def policy_create(*, actor: Any, data: Mapping[str, Any], version: Mapping[str, Any]) -> Policy:
    """A new policy and its first version (a draft by the actor)."""
    _require_manage(actor, "compliance.policy_create")
    _check_keys(data, POLICY_FIELDS)
    _check_keys(version, VERSION_FIELDS)
    _check_owner(data.get("owner"))
    policy = Policy(created_by=actor, **{name: (value.strip() if isinstance(value, str) else value)
                                         for name, value in data.items()})
    policy.full_clean()
    draft = PolicyVersion(number=1, author=actor, status=VersionStatus.DRAFT, **_clean_version_data(version))
    draft.full_clean(exclude=["policy"])
    with transaction.atomic():
        policy.save(force_insert=True)
        draft.policy = policy
        draft.save(force_insert=True)
        record(actor=actor, action="compliance.policy_created", target=policy, changed_fields=list(POLICY_FIELDS))
        record(actor=actor, action="compliance.policy_version_created", target=draft,
               changed_fields=[name for name in VERSION_FIELDS if getattr(draft, name) not in ("", None)])
    return policy


def policy_update(*, actor: Any, policy: Policy, data: Mapping[str, Any]) -> Policy:
    """Title, category, owner, review cycle. A changed cycle moves the next review of the version in force."""
    _require_manage(actor, "compliance.policy_update", policy)
    _check_keys(data, POLICY_FIELDS)
    if "owner" in data:
        _check_owner(data["owner"])
    with transaction.atomic():
        locked = Policy.objects.select_for_update().get(pk=policy.pk)
        if locked.retired_at is not None:
            raise ValidationError(_("This policy is retired."), code="retired")
        changed: list[str] = []
        for name, value in data.items():
            value = value.strip() if isinstance(value, str) else value
            if getattr(locked, name) != value:
                setattr(locked, name, value)
                changed.append(name)
        if not changed:
            return locked
        locked.full_clean()
        locked.save(update_fields=[*changed, "updated_at"])
        if "review_months" in changed:
            current = locked.versions.filter(status=VersionStatus.PUBLISHED).first()
            if current is not None and current.effective_on is not None:
                current.next_review_on = current.effective_on + relativedelta(months=locked.review_months)
                current.review_reminders_sent = []  # a new review date: its reminders are still to come
                current.save(update_fields=["next_review_on", "review_reminders_sent"])
        record(actor=actor, action="compliance.policy_updated", target=locked, changed_fields=changed)
    return locked


def policy_retire(*, actor: Any, policy: Policy) -> Policy:
    """Take the policy out of force: its published version and any version in progress are retired and open
    campaigns close. Acknowledgements stay (history)."""
    _require_manage(actor, "compliance.policy_retire", policy)
    now = timezone.now()
    with transaction.atomic():
        locked = Policy.objects.select_for_update().get(pk=policy.pk)
        if locked.retired_at is not None:
            raise ValidationError(_("This policy is already retired."), code="retired")
        locked.retired_at = now
        locked.save(update_fields=["retired_at", "updated_at"])
        versions = list(PolicyVersion.objects.select_for_update().filter(
            policy=locked, status__in=[VersionStatus.PUBLISHED, *IN_PROGRESS]))
        for version in versions:
            version.status, version.retired_at = VersionStatus.RETIRED, now
            version.save(update_fields=["status", "retired_at"])
            record(actor=actor, action="compliance.policy_version_retired", target=version,
                   changed_fields=["status", "retired_at"])
        AcknowledgementCampaign.objects.filter(version__policy=locked, closed_at__isnull=True).update(closed_at=now)
        record(actor=actor, action="compliance.policy_retired", target=locked, changed_fields=["retired_at"])
    policy.retired_at = now
    return policy


# --- versions ------------------------------------------------------------------------------------------------


def version_update(*, actor: Any, version: PolicyVersion, data: Mapping[str, Any]) -> PolicyVersion:
    """Edit a draft (text, what changed, effective date)."""
    _require_manage(actor, "compliance.policy_version_update", version)
    _check_keys(data, VERSION_FIELDS)
    cleaned = _clean_version_data(data)
    with transaction.atomic():
        locked = PolicyVersion.objects.select_for_update().get(pk=version.pk)
        if locked.status != VersionStatus.DRAFT:
            raise ValidationError(_("Only a draft can be edited."), code="not_draft")
        changed = [name for name, value in cleaned.items() if getattr(locked, name) != value]
        if not changed:
            return locked
        for name in changed:
            setattr(locked, name, cleaned[name])
        locked.full_clean(validate_constraints=False)
        locked.save(update_fields=changed)
        record(actor=actor, action="compliance.policy_version_updated", target=locked, changed_fields=changed)
    return locked


def _transition(*, actor: Any, version: PolicyVersion, action: str, audit_action: str, expected: str,
                wrong_state: str, apply: Any) -> PolicyVersion:
    _require_manage(actor, action, version)
    with transaction.atomic():
        locked = PolicyVersion.objects.select_for_update().select_related("policy").get(pk=version.pk)
        if locked.status != expected:
            raise ValidationError(wrong_state, code="wrong_status")
        if locked.policy.retired_at is not None:
            raise ValidationError(_("This policy is retired."), code="retired")
        fields = apply(locked)
        locked.save(update_fields=fields)
        record(actor=actor, action=audit_action, target=locked, changed_fields=fields)
    return locked


def version_submit(*, actor: Any, version: PolicyVersion) -> PolicyVersion:
    """Send a draft for review."""
    def apply(locked: PolicyVersion) -> list[str]:
        if not locked.effective_on:
            raise ValidationError({"effective_on": _("Set the effective date before sending the draft for review.")},
                                  code="effective_required")
        locked.status, locked.submitted_at = VersionStatus.REVIEW, timezone.now()
        return ["status", "submitted_at"]

    return _transition(actor=actor, version=version, action="compliance.policy_version_submit",
                       audit_action="compliance.policy_version_submitted", expected=VersionStatus.DRAFT,
                       wrong_state=_("Only a draft can be sent for review."), apply=apply)


def version_return(*, actor: Any, version: PolicyVersion) -> PolicyVersion:
    """Send a version in review back to draft (changes are needed)."""
    def apply(locked: PolicyVersion) -> list[str]:
        locked.status, locked.submitted_at = VersionStatus.DRAFT, None
        return ["status", "submitted_at"]

    return _transition(actor=actor, version=version, action="compliance.policy_version_return",
                       audit_action="compliance.policy_version_returned", expected=VersionStatus.REVIEW,
                       wrong_state=_("Only a version in review can be sent back."), apply=apply)


def version_approve(*, actor: Any, version: PolicyVersion) -> PolicyVersion:
    """Approve a version in review: four eyes, so never by its author."""
    if can(actor, Perm.COMPLIANCE_MANAGE) and version.author_id == getattr(actor, "pk", None):
        raise ValidationError(_("Someone other than the author must approve this version."), code="own_version")

    def apply(locked: PolicyVersion) -> list[str]:
        if locked.author_id == actor.pk:
            raise ValidationError(_("Someone other than the author must approve this version."), code="own_version")
        locked.status, locked.approved_by, locked.approved_at = VersionStatus.APPROVED, actor, timezone.now()
        return ["status", "approved_by", "approved_at"]

    return _transition(actor=actor, version=version, action="compliance.policy_version_approve",
                       audit_action="compliance.policy_version_approved", expected=VersionStatus.REVIEW,
                       wrong_state=_("Only a version in review can be approved."), apply=apply)


def version_publish(*, actor: Any, version: PolicyVersion) -> PolicyVersion:
    """Put an approved version in force. The version in force until now is retired in the same transaction (the
    database allows one published version per policy); the next review is due the review cycle after the
    effective date."""
    _require_manage(actor, "compliance.policy_version_publish", version)
    now = timezone.now()
    with transaction.atomic():
        policy = Policy.objects.select_for_update().get(pk=version.policy_id)
        locked = PolicyVersion.objects.select_for_update().get(pk=version.pk)
        if locked.status != VersionStatus.APPROVED:
            raise ValidationError(_("Only an approved version can be published."), code="wrong_status")
        if policy.retired_at is not None:
            raise ValidationError(_("This policy is retired."), code="retired")
        effective = locked.effective_on or practice_today()
        for previous in PolicyVersion.objects.select_for_update().filter(policy=policy,
                                                                          status=VersionStatus.PUBLISHED):
            previous.status, previous.retired_at = VersionStatus.RETIRED, now
            previous.save(update_fields=["status", "retired_at"])
            record(actor=actor, action="compliance.policy_version_retired", target=previous,
                   changed_fields=["status", "retired_at"], reason=f"superseded by v{locked.number}")
        locked.status, locked.published_by, locked.published_at = VersionStatus.PUBLISHED, actor, now
        locked.effective_on = effective
        locked.next_review_on = effective + relativedelta(months=policy.review_months)
        fields = ["status", "published_by", "published_at", "effective_on", "next_review_on"]
        locked.save(update_fields=fields)
        record(actor=actor, action="compliance.policy_version_published", target=locked, changed_fields=fields)
    return locked


def version_new(*, actor: Any, policy: Policy) -> PolicyVersion:
    """A new draft holding a copy of the text in force (or of the latest version). One version in progress at a
    time (a database constraint): a second one is refused with a clear message."""
    _require_manage(actor, "compliance.policy_version_create", policy)
    message = _("A version of this policy is already in progress: finish or publish it first.")
    with transaction.atomic():
        locked = Policy.objects.select_for_update().get(pk=policy.pk)
        if locked.retired_at is not None:
            raise ValidationError(_("This policy is retired."), code="retired")
        if locked.versions.filter(status__in=IN_PROGRESS).exists():
            raise ValidationError(message, code="in_progress")
        source = (locked.versions.filter(status=VersionStatus.PUBLISHED).first()
                  or locked.versions.order_by("-number").first())
        number = (locked.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
        draft = PolicyVersion(policy=locked, number=number, author=actor, status=VersionStatus.DRAFT,
                              body_html=source.body_html if source is not None else "")
        try:
            with transaction.atomic():
                draft.save(force_insert=True)
        except IntegrityError as exc:  # someone started one a moment ago
            raise ValidationError(message, code="in_progress") from exc
        record(actor=actor, action="compliance.policy_version_created", target=draft, changed_fields=["body_html"],
               reason=f"copy of v{source.number}" if source is not None else "")
    return draft


# --- attachments ---------------------------------------------------------------------------------------------


def attachment_add(*, actor: Any, version: PolicyVersion, title: str, upload: UploadedFile) -> PolicyAttachment:
    """Attach a PDF, PNG, JPEG or Word file (typed from its bytes, at most 10 MB, stored under a random name
    outside the web root) to a version in progress."""
    _require_manage(actor, "compliance.policy_attachment_add", version)
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("Give the attachment a title.")}, code="required")
    checked = read_checked(upload, field="file", max_bytes=ATTACHMENT_MAX_BYTES, allowed=ATTACHMENT_TYPES,
                           type_message=_("Upload a PDF, PNG, JPEG or Word (DOCX) file."))
    attachment = PolicyAttachment(version=version, title=title[:200], content_type=checked.content_type,
                                  size=len(checked.content), uploaded_by=actor)
    attachment.file.save(f"{secrets.token_hex(16)}.{checked.extension}", ContentFile(checked.content), save=False)
    try:
        with transaction.atomic():
            locked = PolicyVersion.objects.select_for_update().get(pk=version.pk)
            if locked.status not in (VersionStatus.DRAFT, VersionStatus.REVIEW):
                raise ValidationError(_("Files can be attached to a draft or a version in review only."),
                                      code="wrong_status")
            attachment.full_clean()
            attachment.save(force_insert=True)
            record(actor=actor, action="compliance.policy_attachment_added", target=attachment,
                   changed_fields=["title", "file"])
    except Exception:
        attachment.file.storage.delete(attachment.file.name or "")  # no orphan file
        raise
    return attachment


def attachment_remove(*, actor: Any, attachment: PolicyAttachment) -> None:
    """Remove a file from a draft or a version in review (published versions keep theirs)."""
    _require_manage(actor, "compliance.policy_attachment_remove", attachment)
    name = attachment.file.name or ""
    with transaction.atomic():
        version = PolicyVersion.objects.select_for_update().get(pk=attachment.version_id)
        if version.status not in (VersionStatus.DRAFT, VersionStatus.REVIEW):
            raise ValidationError(_("Files can be removed from a draft or a version in review only."),
                                  code="wrong_status")
        record(actor=actor, action="compliance.policy_attachment_removed", target=attachment,
               changed_fields=["file"])
        PolicyAttachment.objects.filter(pk=attachment.pk).delete()
        storage = attachment.file.storage
        transaction.on_commit(lambda: storage.delete(name) if name else None)


def attachment_opened(*, actor: Any, attachment: PolicyAttachment) -> None:
    """Audit that someone downloaded an attachment (the caller has checked they may)."""
    record(actor=actor, action="compliance.policy_attachment_viewed", target=attachment)


def attachment_content_type(attachment: PolicyAttachment) -> str:
    extension = (attachment.file.name or "").rsplit(".", 1)[-1].lower()
    return CONTENT_TYPES.get(extension, "application/octet-stream")


# --- review reminders ----------------------------------------------------------------------------------------


def review_reminders_send(*, today: dt.date | None = None) -> int:
    """The daily run: email the owner of each policy in force whose review is due within 30 days (once), and again
    on the day or once overdue (once). Each reminder is claimed under a row lock before it is sent and the claim
    is released when the mail server refuses, so several workers never send one twice and a missed day is caught
    up the next."""
    today = today or practice_today()
    horizon = today + dt.timedelta(days=max(REVIEW_REMINDER_DAYS))
    candidates = list(PolicyVersion.objects.filter(
        status=VersionStatus.PUBLISHED, policy__retired_at__isnull=True, next_review_on__lte=horizon,
        policy__owner__is_active=True,
    ).exclude(policy__owner__email="").order_by("pk").values_list("pk", flat=True))
    return sum(_review_reminder_send(version_id=pk, today=today) for pk in candidates)


def _review_threshold(days_left: int) -> int | None:
    """The most urgent threshold reached (0 once due or overdue), or None."""
    return min((days for days in REVIEW_REMINDER_DAYS if days_left <= days), default=None)


def _review_reminder_send(*, version_id: int, today: dt.date) -> int:
    try:
        with transaction.atomic():
            version = (PolicyVersion.objects.select_for_update(of=("self",))
                       .select_related("policy__owner").get(pk=version_id))
            if version.next_review_on is None or version.status != VersionStatus.PUBLISHED:
                return 0
            days_left = (version.next_review_on - today).days
            threshold = _review_threshold(days_left)
            if threshold is None or any(days <= threshold for days in version.review_reminders_sent):
                return 0
            version.review_reminders_sent = [*version.review_reminders_sent, threshold]
            version.save(update_fields=["review_reminders_sent"])
            owner = version.policy.owner
            base = str(settings.OPENPRACTICE_BASE_URL or "").rstrip("/")
            context = {"version": version, "policy": version.policy, "owner": owner, "days_left": days_left,
                       "link": base + reverse("compliance:policy_detail", kwargs={"pk": version.policy_id})}
            subject = " ".join(render_to_string("compliance/policies/email/review_subject.txt", context).split())
            body = render_to_string("compliance/policies/email/review.txt", context)
            record(actor=None, action="compliance.policy_review_reminder_sent", target=version.policy,
                   reason=f"review due {version.next_review_on}")
            # Sent inside the transaction: a refusal rolls the claim back, and the next run tries again.
            EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL,
                         to=[owner.email]).send(fail_silently=False)
    except (OSError, smtplib.SMTPException):
        logger.warning("Policy review reminder for version %s not sent: mail server unavailable", version_id,
                       exc_info=True)
        return 0
    return 1
