"""The hire: an applicant whose offer was accepted becomes an employee, in one transaction.

What it writes: the Employee (from the applicant and the offer), a PayRate from the offer (effective on the start
date), the applicant's link to the employee and their move to "hired", the requisition marked filled when its
openings are reached, the onboarding checklist (when a template exists) and, if asked, a user account invited
with the position's role.

Who may: ``workforce.hiring`` at the requisition's location. The employee record and the first pay rate are
written on that hiring authority (workforce.manage / view_compensation are not needed: the pay was set by the
offer they made). A user account needs ``users.manage`` and the authority to grant the chosen role there; both are
checked before anything is written, and a refusal is audited and writes nothing else.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.accounts.permissions import can, refuse
from openpractice.accounts.roles import Perm, Role, tier_is_valid
from openpractice.accounts.selectors import is_administrator, may_grant
from openpractice.accounts.services.users import RoleSpec, user_invite
from openpractice.audit.services import record

from ..choices import ApplicantStage, ChecklistKind, EmployeeStatus, OfferStatus, RequisitionStatus
from ..models import Applicant, Checklist, Employee, Offer, PayRate, Requisition
from .hiring_requisitions import require_open
from .hiring_stages import stage_move_locked
from .onboarding import start_checklist_locked

_TRAILING_DIGITS = re.compile(r"^(.*?)(\d+)$")
FIRST_EMPLOYEE_NUMBER = "E-0001"


@dataclass(frozen=True)
class AccountRequest:
    """A user account for the new hire: a username, one role at a tier, for the chosen locations."""

    username: str
    role: str
    tier: str
    location_ids: Collection[int] = field(default_factory=frozenset)
    all_locations: bool = False


@dataclass(frozen=True)
class HireResult:
    employee: Employee
    pay_rate: PayRate
    checklist: Checklist | None  # None: no onboarding template for this position, nor a general one
    user: Any | None
    requisition_filled: bool


def next_employee_number() -> str:
    """Employee numbers are typed in on the HR record (the demo's run RB-1001, RB-1002 …): the next one continues
    the most recent employee's pattern — same prefix, the highest number with it plus one, same width."""
    latest = Employee.objects.order_by("-pk").values_list("employee_number", flat=True).first()
    match = _TRAILING_DIGITS.match(latest or "")
    if match is None:
        prefix, width, highest = "E-", 4, 0
        if latest is None:
            return FIRST_EMPLOYEE_NUMBER
    else:
        prefix, width = match.group(1), len(match.group(2))
        highest = 0
    for number in Employee.objects.filter(employee_number__startswith=prefix).values_list("employee_number",
                                                                                          flat=True):
        rest = number[len(prefix):]
        if rest.isdigit():
            highest = max(highest, int(rest))
    return f"{prefix}{highest + 1:0{width}d}"


def _authorize_account(*, actor: Any, applicant: Applicant, account: AccountRequest) -> None:
    """users.manage and the authority to grant the role where it is granted; refused (audited) before writing."""
    action = "workforce.applicant_hire"
    if not can(actor, Perm.USERS_MANAGE):
        raise refuse(actor=actor, permission=Perm.USERS_MANAGE, action=action, target=applicant,
                     reason="user account asked for without users.manage",
                     message=_("Creating a user account needs the “manage users” permission. Hire without an "
                               "account and ask an administrator to invite the person."))
    if not is_administrator(actor) and not may_grant(actor, account.role, account.tier,
                                                     all_locations=account.all_locations,
                                                     location_ids=account.location_ids):
        raise refuse(actor=actor, permission=Perm.USERS_MANAGE, action=action, target=applicant,
                     reason=f"grant {account.role}/{account.tier} beyond own access",
                     message=_("You may not grant this role at these locations. Choose a lower tier or your "
                               "own locations, or ask an administrator."))


def _check_account(account: AccountRequest, applicant: Applicant) -> None:
    errors: dict[str, str] = {}
    if not applicant.email:
        errors["create_account"] = _("The applicant has no email address to send the invitation to.")
    if not account.username.strip():
        errors["username"] = _("Choose a username.")
    if account.role not in Role.values:
        errors["role"] = _("Choose a role.")
    elif not tier_is_valid(account.role, account.tier):
        errors["tier"] = _("This role has no such tier.")
    if not account.all_locations and not account.location_ids:
        errors["locations"] = _("Choose at least one location.")
    if errors:
        raise ValidationError(errors)


def _check_manager(manager: Employee | None) -> None:
    if manager is not None and manager.status == EmployeeStatus.TERMINATED:
        raise ValidationError({"manager": _("This person no longer works here.")}, code="manager")


def _fill_requisition(requisition: Requisition, now: dt.datetime) -> bool:
    """Mark the (locked) requisition filled once its hired applicants reach its openings: only an OPEN one (a
    cancelled or rejected requisition keeps its status)."""
    if requisition.status != RequisitionStatus.OPEN:
        return False
    hired = requisition.applicants.filter(stage=ApplicantStage.HIRED).count()
    if hired < requisition.openings:
        return False
    requisition.status, requisition.closed_at = RequisitionStatus.FILLED, now
    requisition.save(update_fields=["status", "closed_at", "updated_at"])
    return True


def applicant_hire(*, actor: Any, applicant: Applicant, manager: Employee | None = None, employee_number: str = "",
                   account: AccountRequest | None = None) -> HireResult:
    """Hire `applicant` on their accepted offer (see the module's description for everything written)."""
    location_id = applicant.requisition.location_id
    if not can(actor, Perm.WORKFORCE_HIRING, location_id):
        raise refuse(actor=actor, permission=Perm.WORKFORCE_HIRING, action="workforce.applicant_hire",
                     target=applicant)
    if account is not None:
        _authorize_account(actor=actor, applicant=applicant, account=account)
        _check_account(account, applicant)
    _check_manager(manager)
    employee_number = (employee_number or "").strip()
    with transaction.atomic():
        requisition = Requisition.objects.select_for_update().select_related("position").get(
            pk=applicant.requisition_id)
        current = Applicant.objects.select_for_update().get(pk=applicant.pk)
        if current.stage == ApplicantStage.HIRED or current.employee_id is not None:
            raise ValidationError(_("This applicant has already been hired."), code="hired")
        require_open(requisition)  # not cancelled, rejected or already filled
        if requisition.applicants.filter(stage=ApplicantStage.HIRED).count() >= requisition.openings:
            raise ValidationError(_("Every opening on this requisition has been filled."), code="openings_filled")
        if current.stage != ApplicantStage.OFFER:
            raise ValidationError(_("The applicant is no longer at the offer stage (now at “%(stage)s”).")
                                  % {"stage": ApplicantStage(current.stage).label}, code="stage")
        offer = Offer.objects.select_for_update().filter(applicant=current, status=OfferStatus.ACCEPTED).first()
        if offer is None:
            raise ValidationError(_("An applicant is hired on an accepted offer: record the acceptance first."),
                                  code="no_accepted_offer")
        position = requisition.position
        employee = Employee(
            employee_number=employee_number or next_employee_number(), first_name=current.first_name,
            last_name=current.last_name, personal_email=current.email, phone=current.phone, position=position,
            position_since=offer.start_date, location_id=requisition.location_id, manager=manager,
            employment_type=offer.employment_type, flsa_status=offer.flsa_status, hire_date=offer.start_date,
            status=EmployeeStatus.ACTIVE,
        )
        employee.full_clean(validate_unique=False)
        try:
            with transaction.atomic():
                employee.save(force_insert=True)
        except IntegrityError as error:
            raise ValidationError({"employee_number": _("Another employee already has this number.")},
                                  code="duplicate") from error
        record(actor=actor, action="workforce.employee_created", target=employee, location_id=location_id,
               changed_fields=["employee_number", "first_name", "last_name", "personal_email", "phone", "position",
                               "position_since", "location", "manager", "employment_type", "flsa_status",
                               "hire_date"], reason=f"hired from applicant {current.pk}")
        rate = PayRate(employee=employee, effective_from=offer.start_date, basis=offer.pay_basis,
                       amount=f"{offer.pay_amount:.2f}", reason=_("Offer accepted"), created_by=actor)
        rate.full_clean(validate_unique=False, validate_constraints=False)
        rate.save(force_insert=True)
        record(actor=actor, action="workforce.pay_rate_added", target=employee, location_id=location_id,
               changed_fields=["effective_from", "basis", "amount", "hours_per_week", "reason"],
               reason=f"from accepted offer {offer.pk} under hiring authority")
        stage_move_locked(actor=actor, applicant=current, to_stage=ApplicantStage.HIRED,
                          note=f"hired as employee {employee.employee_number}")
        current.employee = employee
        current.save(update_fields=["employee", "updated_at"])
        filled = _fill_requisition(requisition, timezone.now())
        if filled:
            record(actor=actor, action="workforce.requisition_filled", target=requisition, location_id=location_id,
                   changed_fields=["status", "closed_at"])
        checklist = start_checklist_locked(actor=actor, employee=employee, kind=ChecklistKind.ONBOARDING,
                                           starts_on=offer.start_date)
        user = None
        if account is not None:
            user = user_invite(actor=actor, email=current.email, username=account.username,
                               first_name=current.first_name, last_name=current.last_name,
                               job_title=position.title,
                               roles=[RoleSpec(role=account.role, tier=account.tier,
                                               all_locations=account.all_locations,
                                               location_ids=frozenset(account.location_ids))])
            employee.user = user
            employee.save(update_fields=["user", "updated_at"])
        record(actor=actor, action="workforce.applicant_hired", target=current, location_id=location_id,
               changed_fields=["stage", "employee"],
               reason=(f"employee {employee.pk}, offer {offer.pk}; onboarding "
                       + (f"checklist {checklist.pk}" if checklist else "template missing")
                       + ("; requisition filled" if filled else "")
                       + (f"; user {user.pk} invited" if user is not None else ""))[:200])
    return HireResult(employee=employee, pay_rate=rate, checklist=checklist, user=user, requisition_filled=filled)
