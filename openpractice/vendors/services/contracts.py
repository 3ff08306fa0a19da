"""Contract writes and the daily contract jobs.

vendors.manage records and changes contracts. A contract that involves PHI puts its vendor in the compliance BAA
register (the agreement itself is compliance's). Every morning the job (1) renews contracts that renew
automatically and reached their end (the end moves by the renewal term and the alerts start over), and (2) sends
the alerts before each notice deadline (60, 30, 14 and 7 days before, and on the day) to the contract's owner and
the vendor managers, each once: the threshold is recorded on the contract under a row lock before the mail goes,
and released if the mail server refuses so the next run tries again.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
import smtplib
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from openpractice.accounts.models import User
from openpractice.accounts.permissions import can, refuse
from openpractice.accounts.roles import PERMISSION_TABLE, Perm
from openpractice.audit.services import record
from openpractice.compliance.services.associates import associate_for_vendor
from openpractice.core.selectors import practice_settings, practice_today

from ..choices import ContractStatus
from ..models import Contract, Vendor

logger = logging.getLogger(__name__)

ALERT_DAYS: tuple[int, ...] = (60, 30, 14, 7, 0)
CONTRACT_FIELDS: tuple[str, ...] = (
    "kind", "title", "reference", "terms", "starts_on", "ends_on", "auto_renews", "renewal_months", "notice_days",
    "annual_value", "handles_phi", "status", "owner",
)  # fmt: skip


def _require(actor: Any, action: str, target: Any) -> None:
    if not can(actor, Perm.VENDORS_MANAGE):
        raise refuse(actor=actor, permission=Perm.VENDORS_MANAGE, action=action, target=target)


def _values(data: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(data) - set(CONTRACT_FIELDS))
    if unknown:
        raise ValidationError(_("Unknown or read-only field(s): %(fields)s.") % {"fields": ", ".join(unknown)},
                              code="unknown_field")
    return {name: (value.strip() if isinstance(value, str) else value) for name, value in data.items()}


def _check_renewal(contract: Contract) -> None:
    if contract.auto_renews and contract.ends_on is None:
        raise ValidationError({"ends_on": _("A contract that renews automatically needs an end date.")})
    if contract.ends_on is not None and contract.notice_days > (contract.ends_on - contract.starts_on).days:
        raise ValidationError({"notice_days": _("The notice period is longer than the contract.")})


def contract_create(*, actor: Any, vendor: Vendor, data: Mapping[str, Any]) -> Contract:
    _require(actor, "vendors.contract_create", vendor)
    contract = Contract(vendor=vendor, **_values(data))
    contract.full_clean()
    _check_renewal(contract)
    with transaction.atomic():
        contract.save(force_insert=True)
        record(actor=actor, action="vendors.contract_created", target=contract, changed_fields=sorted(data))
        if contract.handles_phi:
            associate_for_vendor(actor=actor, vendor=vendor)
    return contract


def contract_update(*, actor: Any, contract: Contract, data: Mapping[str, Any]) -> Contract:
    """Change terms or dates; a new end date or notice period starts the alerts over."""
    _require(actor, "vendors.contract_update", contract)
    values = _values(data)
    with transaction.atomic():
        locked = Contract.objects.select_for_update().get(pk=contract.pk)
        changed = [name for name, value in values.items() if getattr(locked, name) != value]
        for name in changed:
            setattr(locked, name, values[name])
        locked.full_clean()
        _check_renewal(locked)
        if not changed:
            return locked
        if {"ends_on", "notice_days"} & set(changed):
            locked.notice_alerts_sent = []
            changed.append("notice_alerts_sent")
        locked.save(update_fields=[*changed, "updated_at"])
        record(actor=actor, action="vendors.contract_updated", target=locked, changed_fields=changed)
        if "handles_phi" in changed and locked.handles_phi:
            associate_for_vendor(actor=actor, vendor=locked.vendor)
    return locked


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def contracts_renew(*, today: dt.date) -> int:
    """Renew active auto-renewing contracts whose end has passed (as many terms as needed to reach today)."""
    renewed = 0
    due = Contract.objects.filter(status=ContractStatus.ACTIVE, auto_renews=True, ends_on__lt=today)
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            contract = Contract.objects.select_for_update().get(pk=pk)
            if contract.ends_on is None or contract.ends_on >= today or not contract.renewal_months:
                continue
            ends_on = contract.ends_on
            while ends_on < today:
                ends_on = _add_months(ends_on, contract.renewal_months)
            contract.ends_on, contract.notice_alerts_sent = ends_on, []
            contract.save(update_fields=["ends_on", "notice_alerts_sent", "updated_at"])
            record(actor=None, action="vendors.contract_renewed", target=contract,
                   changed_fields=["ends_on", "notice_alerts_sent"], reason=f"renewed to {ends_on.isoformat()}")
            renewed += 1
    return renewed


def alert_threshold(*, deadline: dt.date, today: dt.date, already: list[int]) -> int | None:
    """The alert due today for a notice deadline: the nearest threshold reached and not yet sent (one mail even
    when several were missed)."""
    left = (deadline - today).days
    if left < 0:
        return None
    reached = [days for days in ALERT_DAYS if left <= days and days not in already]
    return min(reached) if reached else None


def _recipients(contract: Contract) -> list[str]:
    pairs = [pair for pair, granted in PERMISSION_TABLE.items() if Perm.VENDORS_MANAGE in granted]
    held = Q(pk__in=[])
    for role, tier in pairs:
        held |= Q(role_assignments__role=role, role_assignments__tier=tier)
    users = list(User.objects.filter(held, is_active=True).distinct().order_by("pk"))
    if contract.owner_id and contract.owner is not None and contract.owner.is_active:
        users.insert(0, contract.owner)
    return list(dict.fromkeys(user.email.lower() for user in users
                              if user.email and can(user, Perm.VENDORS_MANAGE)))


def _alert_mail(contract: Contract, threshold: int, addresses: list[str]) -> list[EmailMessage]:
    try:
        path = reverse("vendors:contract_detail", kwargs={"pk": contract.pk})
    except NoReverseMatch:  # the pages are not there yet
        path = ""
    context = {"contract": contract, "threshold": threshold, "deadline": contract.notice_deadline,
               "practice_name": practice_settings().name,
               "link": (str(settings.OPENPRACTICE_BASE_URL or "").rstrip("/") + path) if path else ""}
    subject = " ".join(render_to_string("vendors/email/notice_subject.txt", context).split())
    body = render_to_string("vendors/email/notice.txt", context)
    return [EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[address])
            for address in addresses]


def notice_alert_send(*, contract_id: int, today: dt.date) -> bool:
    with transaction.atomic():
        contract = Contract.objects.select_for_update().filter(pk=contract_id, status=ContractStatus.ACTIVE).first()
        if contract is None or contract.notice_deadline is None:
            return False
        threshold = alert_threshold(deadline=contract.notice_deadline, today=today,
                                    already=list(contract.notice_alerts_sent))
        if threshold is None:
            return False
        contract.notice_alerts_sent = [*contract.notice_alerts_sent, threshold]
        contract.save(update_fields=["notice_alerts_sent"])
    addresses = _recipients(contract)
    try:
        messages = _alert_mail(contract, threshold, addresses)
        if messages:
            get_connection(fail_silently=False).send_messages(messages)
    except (OSError, smtplib.SMTPException):
        with transaction.atomic():
            locked = Contract.objects.select_for_update().get(pk=contract_id)
            locked.notice_alerts_sent = [days for days in locked.notice_alerts_sent if days != threshold]
            locked.save(update_fields=["notice_alerts_sent"])
        logger.warning("Notice alert for contract %s not sent: mail server unavailable", contract_id, exc_info=True)
        return False
    record(actor=None, action="vendors.contract_notice_alert_sent", target=contract,
           changed_fields=["notice_alerts_sent"], reason=f"{threshold} days before; {len(addresses)} recipient(s)")
    return True


def contract_jobs_run(*, today: dt.date | None = None) -> tuple[int, int]:
    """The daily run: renewals first (a renewed contract's next deadline is what the alerts then look at), then
    the notice alerts. Returns (renewed, alerts sent)."""
    today = today or practice_today()
    renewed = contracts_renew(today=today)
    horizon = today + dt.timedelta(days=max(ALERT_DAYS))
    sent = 0
    # A deadline not yet passed needs an end not yet passed; the deadline itself is computed per contract.
    for contract in Contract.objects.filter(status=ContractStatus.ACTIVE, ends_on__gte=today).only(
            "pk", "starts_on", "ends_on", "notice_days", "notice_alerts_sent"):
        deadline = contract.notice_deadline
        if deadline is None or deadline > horizon:
            continue
        if alert_threshold(deadline=deadline, today=today, already=list(contract.notice_alerts_sent)) is not None:
            sent += notice_alert_send(contract_id=contract.pk, today=today)
    return renewed, sent
