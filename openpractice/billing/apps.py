from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "openpractice.billing"
    label = "billing"
    verbose_name = "Billing and claims"

    def ready(self) -> None:
        from openpractice.accounts.roles import Perm
        from openpractice.core.navigation import NavItem, register

        section: Any = _("Billing")
        register(NavItem(40, section, _("Claim worklists"), "billing:worklists", Perm.BILLING_VIEW))  # type: ignore[arg-type]
        register(NavItem(41, section, _("Charges"), "billing:charge_list", Perm.BILLING_VIEW))  # type: ignore[arg-type]
        register(NavItem(42, section, _("Claims"), "billing:claim_list", Perm.BILLING_VIEW))  # type: ignore[arg-type]
        register(NavItem(43, section, _("Batches (837P)"), "billing:batch_list", Perm.BILLING_VIEW))  # type: ignore[arg-type]
        register(NavItem(44, section, _("Acknowledgements"), "billing:ack_list", Perm.BILLING_VIEW))  # type: ignore[arg-type]
        register(NavItem(45, section, _("Fee schedules"), "billing:fee_schedule_list", Perm.BILLING_VIEW))  # type: ignore[arg-type]
        register(NavItem(46, section, _("Scrubber rules"), "billing:rule_list", Perm.BILLING_VIEW))  # type: ignore[arg-type]
        register(NavItem(47, section, _("Code sets"), "billing:codes", Perm.BILLING_VIEW))  # type: ignore[arg-type]
        register(NavItem(48, section, _("Billing settings"), "billing:settings", Perm.BILLING_VIEW))  # type: ignore[arg-type]
        register(NavItem(54, section, _("A/R aging"), "billing:receivables", Perm.BILLING_VIEW))  # type: ignore[arg-type]
        register(NavItem(56, section, _("Receivables KPIs"), "billing:receivables_kpis", Perm.REPORTS_FINANCIAL))  # type: ignore[arg-type]
        register(NavItem(57, section, _("Payer performance"), "billing:receivables_payers", Perm.REPORTS_FINANCIAL))  # type: ignore[arg-type]
        register(NavItem(55, section, _("Denials"), "billing:denial_list", Perm.BILLING_VIEW))  # type: ignore[arg-type]
        register(NavItem(52, section, _("Remittances (835)"), "billing:remittance_list", Perm.BILLING_VIEW))  # type: ignore[arg-type]
        register(NavItem(53, section, _("Remittance exceptions"), "billing:remittance_exceptions", Perm.BILLING_POST))  # type: ignore[arg-type]
        register(NavItem(49, section, _("Patient payments"), "billing:payment_list", Perm.BILLING_COLLECT))  # type: ignore[arg-type]
        register(NavItem(51, section, _("Patient statements"), "billing:statement_list", Perm.BILLING_VIEW))  # type: ignore[arg-type]
        register(NavItem(50, section, _("Write-offs to approve"), "billing:writeoff_pending", Perm.BILLING_WRITE_OFF))  # type: ignore[arg-type]
