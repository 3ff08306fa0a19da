"""Roles, seniority tiers and THE permission table.

This module is the one place that says who may do what. Views, the API and selectors ask
`permissions.can()` / `permissions.locations_where()`, which read this table; tests iterate over it.

A permission is "<area>.<capability>". Areas that later modules build (patients, billing, workforce …) are
listed now because a role is defined by its duties, and the duties decide today which roles see PHI and
therefore must use MFA. The navigation only shows modules that exist.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PRACTICE_MANAGER = "practice_manager", _("Practice manager")
    OFFICE_MANAGER = "office_manager", _("Office manager")
    FRONT_DESK = "front_desk", _("Front desk")
    BILLER = "biller", _("Biller / coder")
    PROVIDER = "provider", _("Provider")
    CLINICAL_STAFF = "clinical_staff", _("Clinical staff")
    HR = "hr", _("HR specialist")
    PRIVACY_OFFICER = "privacy_officer", _("Privacy / compliance officer")
    AUDITOR = "auditor", _("Auditor (read-only)")
    ADMINISTRATOR = "administrator", _("System administrator")


class Tier(models.TextChoices):
    STANDARD = "standard", _("Standard")
    # Practice manager, as MGMA describes the ladder.
    ENTRY = "entry", _("Entry level")
    ADVANCED = "advanced", _("Advanced")
    SENIOR = "senior", _("Senior")
    # Office manager.
    MID = "mid", _("Mid level")
    EXPERIENCED = "experienced", _("Experienced")


TIERS_BY_ROLE: dict[str, tuple[str, ...]] = {
    Role.PRACTICE_MANAGER: (Tier.ENTRY, Tier.ADVANCED, Tier.SENIOR),
    Role.OFFICE_MANAGER: (Tier.ENTRY, Tier.MID, Tier.EXPERIENCED),
    **dict.fromkeys(
        (Role.FRONT_DESK, Role.BILLER, Role.PROVIDER, Role.CLINICAL_STAFF, Role.HR, Role.PRIVACY_OFFICER,
         Role.AUDITOR, Role.ADMINISTRATOR),
        (Tier.STANDARD,),
    ),
}


class Perm:
    """Every permission the product knows. Strings, so that they read well in tests and the audit log."""

    # Foundation
    PRACTICE_VIEW = "practice.view"  # see the practice, its locations and departments
    PRACTICE_MANAGE = "practice.manage"  # edit them
    USERS_VIEW = "users.view"  # staff directory with roles
    USERS_MANAGE = "users.manage"  # invite, change roles and scope, deactivate
    AUDIT_VIEW = "audit.view"
    AUDIT_EXPORT = "audit.export"
    OUTBOX_VIEW = "outbox.view"  # demo mode: mail the app sent
    # Patients (PHI)
    PATIENTS_DEMOGRAPHICS = "patients.view_demographics"
    PATIENTS_EDIT = "patients.edit_demographics"
    PATIENTS_FINANCIAL = "patients.view_financial"
    PATIENTS_CLINICAL = "patients.view_clinical"
    PATIENTS_SSN = "patients.view_ssn"  # the full SSN; everyone else sees at most the last four digits
    PATIENTS_MERGE = "patients.merge"
    PAYERS_VIEW = "payers.view"
    PAYERS_MANAGE = "payers.manage"
    # Scheduling
    SCHEDULE_VIEW = "schedule.view"
    SCHEDULE_MANAGE = "schedule.manage"
    # Billing (financial PHI)
    BILLING_VIEW = "billing.view"
    BILLING_MANAGE = "billing.manage"
    BILLING_POST = "billing.post_payments"
    BILLING_WRITE_OFF = "billing.approve_write_offs"
    # Take a patient's payment at the desk (and see what the patient owes): front desk and billing.
    BILLING_COLLECT = "billing.collect_payments"
    # Workforce (HR records)
    WORKFORCE_VIEW = "workforce.view"
    WORKFORCE_MANAGE = "workforce.manage"
    WORKFORCE_PAY = "workforce.view_compensation"  # pay rates and pay history (confidential)
    WORKFORCE_PAYROLL = "workforce.payroll"  # timesheets, PTO approval, pay-period close, payroll export
    WORKFORCE_HIRING = "workforce.hiring"  # requisitions, applicants, scorecards, offers, hire
    WORKFORCE_APPROVE_HIRING = "workforce.approve_hiring"  # approve requisitions (a senior role)
    WORKFORCE_SCHEDULE = "workforce.schedule"  # schedule interviews and work onboarding tasks
    WORKFORCE_DISCIPLINE = "workforce.discipline"  # disciplinary records (confidential)
    # Compliance and cases
    COMPLIANCE_VIEW = "compliance.view"
    COMPLIANCE_MANAGE = "compliance.manage"
    COMPLIANCE_INCIDENTS = "compliance.incidents"
    CASES_VIEW = "cases.view"
    CASES_MANAGE = "cases.manage"
    CASES_STAFF = "cases.staff"  # staff conflicts and grievances (HR records, no patient PHI)
    CASES_CONFIDENTIAL = "cases.view_confidential"  # confidential cases of the kinds one works (senior roles)
    # Front desk communications
    FRONTDESK_VIEW = "frontdesk.view"
    FRONTDESK_MANAGE = "frontdesk.manage"  # log calls, work and hand on messages
    FRONTDESK_CONFIGURE = "frontdesk.configure"  # routing rules, queues, mailboxes, reply templates, reports
    # Vendors, inventory, facilities
    VENDORS_VIEW = "vendors.view"
    VENDORS_MANAGE = "vendors.manage"
    VENDORS_NEGOTIATE = "vendors.negotiate"
    INVENTORY_VIEW = "inventory.view"
    INVENTORY_USE = "inventory.use"
    INVENTORY_MANAGE = "inventory.manage"
    FACILITIES_VIEW = "facilities.view"
    FACILITIES_MANAGE = "facilities.manage"
    # Reporting
    REPORTS_OPERATIONS = "reports.operations"
    REPORTS_FINANCIAL = "reports.financial"
    REPORTS_MANAGE = "reports.manage"  # KPI targets, the operations brief's schedule and recipients, its history
    REPORTS_BUDGETS = "reports.budgets"  # set the practice's budgets
    # Integrations
    INTEGRATIONS_MANAGE = "integrations.manage"  # webhook subscriptions and their delivery log
    PATIENTS_BULK_EXPORT = "patients.bulk_export"  # FHIR $export of every patient and coverage in scope


ALL_PERMISSIONS: frozenset[str] = frozenset(
    value for name, value in vars(Perm).items() if name.isupper() and isinstance(value, str)
)

# Permissions that disclose protected health information. A role holding any of them must use MFA.
PHI_PERMISSIONS: frozenset[str] = frozenset(
    {
        Perm.PATIENTS_DEMOGRAPHICS, Perm.PATIENTS_EDIT, Perm.PATIENTS_FINANCIAL, Perm.PATIENTS_CLINICAL,
        Perm.PATIENTS_SSN, Perm.PATIENTS_MERGE, Perm.PATIENTS_BULK_EXPORT,
        Perm.BILLING_VIEW, Perm.BILLING_MANAGE, Perm.BILLING_POST, Perm.BILLING_WRITE_OFF, Perm.BILLING_COLLECT,
        Perm.SCHEDULE_VIEW, Perm.SCHEDULE_MANAGE, Perm.CASES_VIEW, Perm.CASES_MANAGE,
        Perm.COMPLIANCE_INCIDENTS, Perm.AUDIT_VIEW, Perm.AUDIT_EXPORT, Perm.FRONTDESK_VIEW,
        Perm.FRONTDESK_MANAGE, Perm.FRONTDESK_CONFIGURE,
    }
)
# Permissions so powerful (they hand out access) that MFA is required even without PHI.
PRIVILEGED_PERMISSIONS: frozenset[str] = frozenset({Perm.USERS_MANAGE, Perm.PRACTICE_MANAGE,
                                                     Perm.INTEGRATIONS_MANAGE})

P = Perm
_PM_ENTRY = {
    P.PRACTICE_VIEW, P.USERS_VIEW, P.PATIENTS_DEMOGRAPHICS, P.SCHEDULE_VIEW, P.SCHEDULE_MANAGE, P.BILLING_VIEW,
    P.FRONTDESK_VIEW, P.FRONTDESK_MANAGE, P.FRONTDESK_CONFIGURE, P.CASES_VIEW, P.CASES_MANAGE, P.COMPLIANCE_VIEW,
    P.VENDORS_VIEW,
    P.INVENTORY_VIEW, P.INVENTORY_USE, P.INVENTORY_MANAGE, P.FACILITIES_VIEW, P.FACILITIES_MANAGE,
    P.REPORTS_OPERATIONS, P.PAYERS_VIEW,
}
_PM_ADVANCED = _PM_ENTRY | {
    P.USERS_MANAGE, P.PATIENTS_FINANCIAL, P.PATIENTS_MERGE, P.PAYERS_MANAGE, P.BILLING_MANAGE, P.BILLING_COLLECT,
    P.WORKFORCE_VIEW, P.WORKFORCE_MANAGE, P.WORKFORCE_HIRING, P.WORKFORCE_APPROVE_HIRING, P.WORKFORCE_SCHEDULE,
    P.WORKFORCE_PAYROLL, P.COMPLIANCE_MANAGE, P.VENDORS_MANAGE, P.REPORTS_FINANCIAL, P.CASES_STAFF,
    P.REPORTS_MANAGE, P.REPORTS_BUDGETS, P.INTEGRATIONS_MANAGE, P.PATIENTS_BULK_EXPORT,
}
_PM_SENIOR = _PM_ADVANCED | {
    P.PRACTICE_MANAGE, P.BILLING_WRITE_OFF, P.WORKFORCE_PAY, P.WORKFORCE_DISCIPLINE, P.VENDORS_NEGOTIATE,
    P.COMPLIANCE_INCIDENTS, P.CASES_CONFIDENTIAL,
}
# Office manager entry sees the schedule (who is booked when) but no clinical or financial detail.
_OM_ENTRY = {
    P.PRACTICE_VIEW, P.FRONTDESK_VIEW, P.FRONTDESK_MANAGE, P.FRONTDESK_CONFIGURE, P.INVENTORY_VIEW,
    P.INVENTORY_USE, P.FACILITIES_VIEW, P.VENDORS_VIEW, P.SCHEDULE_VIEW, P.WORKFORCE_SCHEDULE,
}
_OM_MID = _OM_ENTRY | {
    P.USERS_VIEW, P.WORKFORCE_VIEW, P.INVENTORY_MANAGE, P.FACILITIES_MANAGE, P.VENDORS_MANAGE,
    P.REPORTS_OPERATIONS, P.WORKFORCE_PAYROLL, P.WORKFORCE_HIRING, P.REPORTS_MANAGE,
}
# Experienced office managers run a whole function such as payroll, so they see pay; discipline stays with HR
# and senior practice managers.
_OM_EXPERIENCED = _OM_MID | {P.WORKFORCE_MANAGE, P.WORKFORCE_PAY}

PERMISSION_TABLE: dict[tuple[str, str], frozenset[str]] = {
    (Role.PRACTICE_MANAGER, Tier.ENTRY): frozenset(_PM_ENTRY),
    (Role.PRACTICE_MANAGER, Tier.ADVANCED): frozenset(_PM_ADVANCED),
    (Role.PRACTICE_MANAGER, Tier.SENIOR): frozenset(_PM_SENIOR),
    (Role.OFFICE_MANAGER, Tier.ENTRY): frozenset(_OM_ENTRY),
    (Role.OFFICE_MANAGER, Tier.MID): frozenset(_OM_MID),
    (Role.OFFICE_MANAGER, Tier.EXPERIENCED): frozenset(_OM_EXPERIENCED),
    (Role.FRONT_DESK, Tier.STANDARD): frozenset({
        P.PRACTICE_VIEW, P.PATIENTS_DEMOGRAPHICS, P.PATIENTS_EDIT, P.SCHEDULE_VIEW, P.SCHEDULE_MANAGE,
        P.FRONTDESK_VIEW, P.FRONTDESK_MANAGE, P.PAYERS_VIEW, P.BILLING_COLLECT,
    }),
    (Role.BILLER, Tier.STANDARD): frozenset({
        P.PRACTICE_VIEW, P.PATIENTS_DEMOGRAPHICS, P.PATIENTS_EDIT, P.PATIENTS_FINANCIAL, P.PATIENTS_SSN,
        P.SCHEDULE_VIEW, P.BILLING_VIEW, P.BILLING_MANAGE, P.BILLING_POST, P.BILLING_COLLECT, P.REPORTS_FINANCIAL,
        P.PAYERS_VIEW, P.PAYERS_MANAGE,
    }),
    (Role.PROVIDER, Tier.STANDARD): frozenset({
        P.PRACTICE_VIEW, P.PATIENTS_DEMOGRAPHICS, P.PATIENTS_CLINICAL, P.SCHEDULE_VIEW, P.BILLING_VIEW,
    }),
    (Role.CLINICAL_STAFF, Tier.STANDARD): frozenset({
        P.PRACTICE_VIEW, P.PATIENTS_DEMOGRAPHICS, P.PATIENTS_CLINICAL, P.SCHEDULE_VIEW, P.INVENTORY_VIEW,
        P.INVENTORY_USE, P.FACILITIES_VIEW,
    }),
    (Role.HR, Tier.STANDARD): frozenset({
        P.PRACTICE_VIEW, P.USERS_VIEW, P.WORKFORCE_VIEW, P.WORKFORCE_MANAGE, P.WORKFORCE_PAY,
        P.WORKFORCE_PAYROLL, P.WORKFORCE_HIRING, P.WORKFORCE_SCHEDULE, P.WORKFORCE_DISCIPLINE, P.COMPLIANCE_VIEW,
        P.CASES_STAFF, P.CASES_CONFIDENTIAL,
    }),
    (Role.PRIVACY_OFFICER, Tier.STANDARD): frozenset({
        P.PRACTICE_VIEW, P.USERS_VIEW, P.AUDIT_VIEW, P.AUDIT_EXPORT, P.COMPLIANCE_VIEW, P.COMPLIANCE_MANAGE,
        P.COMPLIANCE_INCIDENTS, P.CASES_VIEW, P.CASES_MANAGE, P.CASES_CONFIDENTIAL, P.PATIENTS_DEMOGRAPHICS,
    }),
    (Role.AUDITOR, Tier.STANDARD): frozenset({
        P.PRACTICE_VIEW, P.USERS_VIEW, P.AUDIT_VIEW, P.AUDIT_EXPORT, P.COMPLIANCE_VIEW,
        P.REPORTS_OPERATIONS, P.REPORTS_FINANCIAL,
    }),
    (Role.ADMINISTRATOR, Tier.STANDARD): frozenset({
        P.PRACTICE_VIEW, P.PRACTICE_MANAGE, P.USERS_VIEW, P.USERS_MANAGE, P.OUTBOX_VIEW,
    }),
}  # fmt: skip


def role_tier_pairs() -> list[tuple[str, str]]:
    """Every (role, tier) the product knows, in the table's order."""
    return list(PERMISSION_TABLE)


def permissions_for(role: str, tier: str) -> frozenset[str]:
    return PERMISSION_TABLE.get((role, tier), frozenset())


def tier_is_valid(role: str, tier: str) -> bool:
    return tier in TIERS_BY_ROLE.get(role, ())


def requires_mfa(role: str, tier: str) -> bool:
    granted = permissions_for(role, tier)
    return bool(granted & (PHI_PERMISSIONS | PRIVILEGED_PERMISSIONS))
