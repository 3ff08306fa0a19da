"""Acknowledgement campaigns: ask everyone, some roles or the people at some locations to read a published version
and attest it by a date; the people asked are fixed when the campaign starts. Email notices after commit,
reminders (a button, and a daily run for overdue requests: once a day per request), and the self-service
acknowledgement, which is kept forever and counts for that one version only.

compliance.manage starts, reminds and closes campaigns; every signed-in user acknowledges their own requests.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.models import RoleAssignment, User
from openpractice.accounts.permissions import can, refuse
from openpractice.accounts.roles import Perm, Role
from openpractice.audit.services import record
from openpractice.core.models import Location
from openpractice.core.selectors import practice_timezone_name, practice_today

from ..choices import Audience, VersionStatus
from ..models import Acknowledgement, AcknowledgementCampaign, AcknowledgementRequest, PolicyVersion

logger = logging.getLogger(__name__)


def audience_users(*, audience: str, roles: Iterable[str] = (), location_ids: Iterable[int] = ()) -> QuerySet[User]:
    """Active users holding a role that matches: any role (everyone), one of `roles`, or a role at one of the
    locations (a role held at all locations counts for every location)."""
    assignments = RoleAssignment.objects.all()
    if audience == Audience.ROLES:
        assignments = assignments.filter(role__in=list(roles))
    elif audience == Audience.LOCATIONS:
        assignments = assignments.filter(Q(all_locations=True) | Q(locations__in=list(location_ids)))
    return User.objects.filter(is_active=True, pk__in=assignments.values("user_id")).order_by("pk")


def open_requests() -> QuerySet[AcknowledgementRequest]:
    """Requests whose person has not acknowledged the campaign's version."""
    done = Acknowledgement.objects.filter(version_id=OuterRef("campaign__version_id"), user_id=OuterRef("user_id"))
    return AcknowledgementRequest.objects.filter(~Exists(done))


@dataclass(frozen=True)
class CampaignResult:
    campaign: AcknowledgementCampaign
    asked: int


def campaign_start(*, actor: Any, version: PolicyVersion, audience: str, due_on: dt.date,
                   roles: Iterable[str] = (), locations: Iterable[Location] = (),
                   attestation: str = "") -> CampaignResult:
    """Start a campaign on a published version; one request per person in the audience, each emailed after
    commit."""
    if not can(actor, Perm.COMPLIANCE_MANAGE):
        raise refuse(actor=actor, permission=Perm.COMPLIANCE_MANAGE, action="compliance.campaign_start",
                     target=version)
    roles, locations = list(roles), list(locations)
    if audience not in Audience.values:
        raise ValidationError({"audience": _("Choose who is asked.")}, code="audience")
    if audience == Audience.ROLES:
        if not roles:
            raise ValidationError({"roles": _("Choose at least one role.")}, code="roles_required")
        if set(roles) - set(Role.values):
            raise ValidationError({"roles": _("Unknown role.")}, code="roles_unknown")
    else:
        roles = []
    if audience == Audience.LOCATIONS:
        if not locations:
            raise ValidationError({"locations": _("Choose at least one location.")}, code="locations_required")
    else:
        locations = []
    if due_on < practice_today():
        raise ValidationError({"due_on": _("The due date cannot be in the past.")}, code="due_past")
    campaign = AcknowledgementCampaign(version=version, audience=audience, roles=sorted(roles), due_on=due_on,
                                       created_by=actor)
    if attestation.strip():
        campaign.attestation = attestation.strip()
    campaign.full_clean()
    with transaction.atomic():
        locked = PolicyVersion.objects.select_for_update().select_related("policy").get(pk=version.pk)
        if locked.status != VersionStatus.PUBLISHED or locked.policy.retired_at is not None:
            raise ValidationError(_("Only the published version of a policy in force can be acknowledged."),
                                  code="not_published")
        campaign.save(force_insert=True)
        if locations:
            campaign.locations.set(locations)
        user_ids = list(audience_users(audience=audience, roles=roles,
                                       location_ids=[location.pk for location in locations])
                        .values_list("pk", flat=True))
        AcknowledgementRequest.objects.bulk_create(
            [AcknowledgementRequest(campaign=campaign, user_id=user_id, due_on=due_on) for user_id in user_ids])
        record(actor=actor, action="compliance.campaign_started", target=campaign,
               changed_fields=["audience", "roles", "locations", "due_on"],
               reason=f"{len(user_ids)} person(s) asked")
        transaction.on_commit(lambda: notices_send(campaign_id=campaign.pk, user_ids=user_ids, kind="notice"))
    return CampaignResult(campaign=campaign, asked=len(user_ids))


def _messages(campaign: AcknowledgementCampaign, requests: list[AcknowledgementRequest], kind: str,
              today: dt.date) -> list[EmailMessage]:
    from openpractice.core.selectors import practice_settings

    base = str(settings.OPENPRACTICE_BASE_URL or "").rstrip("/")
    result: list[EmailMessage] = []
    for request in requests:
        if not request.user.email:
            continue
        context = {"campaign": campaign, "version": campaign.version, "policy": campaign.version.policy,
                   "person": request.user, "ack_request": request, "reminder": kind != "notice",
                   "overdue": request.due_on < today, "practice_name": practice_settings().name,
                   "link": base + reverse("compliance:ackrequest_detail", kwargs={"pk": request.pk})}
        subject = " ".join(render_to_string("compliance/policies/email/acknowledge_subject.txt", context).split())
        body = render_to_string("compliance/policies/email/acknowledge.txt", context)
        # One message each: nobody sees who else was asked.
        result.append(EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL,
                                   to=[request.user.email]))
    return result


def notices_send(*, campaign_id: int, user_ids: list[int], kind: str) -> int:
    """Email the people asked (after commit). A mail server that is down loses nothing: the requests are there
    and "My policies" shows them; a reminder can be sent later."""
    campaign = AcknowledgementCampaign.objects.select_related("version__policy").get(pk=campaign_id)
    requests = list(AcknowledgementRequest.objects.filter(campaign=campaign, user_id__in=user_ids)
                    .select_related("user").order_by("pk"))
    messages = _messages(campaign, requests, kind, practice_today())
    if not messages:
        return 0
    try:
        return int(get_connection(fail_silently=False).send_messages(messages) or 0)
    except (OSError, smtplib.SMTPException):
        logger.warning("Acknowledgement %s emails for campaign %s not sent: mail server unavailable", kind,
                       campaign_id, exc_info=True)
        return 0


def campaign_remind(*, actor: Any, campaign: AcknowledgementCampaign) -> int:
    """Remind everyone who has not acknowledged yet (the button); returns how many are reminded."""
    if not can(actor, Perm.COMPLIANCE_MANAGE):
        raise refuse(actor=actor, permission=Perm.COMPLIANCE_MANAGE, action="compliance.campaign_remind",
                     target=campaign)
    now = timezone.now()
    with transaction.atomic():
        locked = AcknowledgementCampaign.objects.select_for_update().select_related("version").get(pk=campaign.pk)
        if locked.closed_at is not None:
            raise ValidationError(_("This campaign is closed."), code="closed")
        if locked.version.status != VersionStatus.PUBLISHED:
            raise ValidationError(_("This version is no longer in force: start a campaign on the new one."),
                                  code="not_published")
        pending = list(open_requests().filter(campaign=locked).values_list("pk", flat=True))
        user_ids = list(AcknowledgementRequest.objects.filter(pk__in=pending).values_list("user_id", flat=True))
        AcknowledgementRequest.objects.filter(pk__in=pending).update(reminded_at=now)
        locked.last_reminded_at = now
        locked.save(update_fields=["last_reminded_at"])
        record(actor=actor, action="compliance.campaign_reminded", target=locked, changed_fields=["reminded_at"],
               reason=f"{len(pending)} person(s) reminded")
        if user_ids:
            transaction.on_commit(lambda: notices_send(campaign_id=locked.pk, user_ids=user_ids, kind="reminder"))
    campaign.last_reminded_at = now
    return len(pending)


def campaign_close(*, actor: Any, campaign: AcknowledgementCampaign) -> AcknowledgementCampaign:
    """Stop reminding; the requests and acknowledgements stay."""
    if not can(actor, Perm.COMPLIANCE_MANAGE):
        raise refuse(actor=actor, permission=Perm.COMPLIANCE_MANAGE, action="compliance.campaign_close",
                     target=campaign)
    with transaction.atomic():
        locked = AcknowledgementCampaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.closed_at is not None:
            raise ValidationError(_("This campaign is already closed."), code="closed")
        locked.closed_at = timezone.now()
        locked.save(update_fields=["closed_at"])
        record(actor=actor, action="compliance.campaign_closed", target=locked, changed_fields=["closed_at"])
    campaign.closed_at = locked.closed_at
    return campaign


def overdue_reminders_send(*, today: dt.date | None = None) -> int:
    """The daily run: remind each person whose request is past due, still open, in an open campaign on the
    version in force, and not reminded yet today. Each request is claimed (reminded_at) before the mail goes,
    so a second run or a second worker the same day sends nothing."""
    today = today or practice_today()
    # "Today" in the practice's time zone, whatever the server's is.
    start_of_today = dt.datetime.combine(today, dt.time.min, tzinfo=zoneinfo.ZoneInfo(practice_timezone_name()))
    candidates = list(open_requests().filter(
        due_on__lt=today, campaign__closed_at__isnull=True, campaign__version__status=VersionStatus.PUBLISHED,
        campaign__version__policy__retired_at__isnull=True, user__is_active=True,
    ).filter(Q(reminded_at__isnull=True) | Q(reminded_at__lt=start_of_today))
        .values_list("pk", "campaign_id", "user_id", "reminded_at"))
    now = timezone.now()
    claimed: dict[int, list[int]] = {}
    for pk, campaign_id, user_id, reminded_at in candidates:
        if AcknowledgementRequest.objects.filter(pk=pk, reminded_at=reminded_at).update(reminded_at=now):
            claimed.setdefault(campaign_id, []).append(user_id)
    sent = 0
    for campaign_id, user_ids in claimed.items():
        sent += notices_send(campaign_id=campaign_id, user_ids=user_ids, kind="reminder")
        record(actor=None, action="compliance.campaign_overdue_reminded",
               object_type="compliance.acknowledgementcampaign", object_id=campaign_id, changed_fields=["reminded_at"], reason=f"{len(user_ids)} overdue")
    return sent


def acknowledge(*, actor: Any, request: AcknowledgementRequest, attested: bool) -> tuple[Acknowledgement, bool]:
    """The person's own attestation for the request's version. (acknowledgement, created): acknowledging again is
    a no-op. Only the version in force can be acknowledged."""
    if request.user_id != getattr(actor, "pk", None):
        raise refuse(actor=actor, permission="self", action="compliance.acknowledge", target=request,
                     reason="not the person asked")
    if not attested:
        raise ValidationError({"attested": _("Tick the box to confirm the attestation.")}, code="attestation")
    campaign = AcknowledgementCampaign.objects.select_related("version__policy").get(pk=request.campaign_id)
    existing = Acknowledgement.objects.filter(version_id=campaign.version_id, user=actor).first()
    if existing is not None:
        return existing, False
    version = campaign.version
    if version.status != VersionStatus.PUBLISHED or version.policy.retired_at is not None:
        raise ValidationError(_("This version is no longer in force; it cannot be acknowledged."),
                              code="not_published")
    try:
        with transaction.atomic():
            acknowledgement = Acknowledgement.objects.create(version=version, user=actor,
                                                             attestation=campaign.attestation)
            record(actor=actor, action="compliance.policy_acknowledged", target=acknowledgement,
                   changed_fields=["acknowledged_at"], reason=f"campaign {campaign.pk}")
    except IntegrityError:  # a double click: the first one counts
        return Acknowledgement.objects.get(version=version, user=actor), False
    return acknowledgement, True
