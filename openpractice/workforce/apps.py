from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkforceConfig(AppConfig):
    name = "openpractice.workforce"
    label = "workforce"
    verbose_name = "Workforce"

    def ready(self) -> None:
        from openpractice.accounts.permissions import register_restriction
        from openpractice.accounts.roles import Perm
        from openpractice.core.navigation import NavItem, register
        from openpractice.scheduling import booking_checks

        from .selectors.training import phi_restriction
        from .services.credentials import licence_booking_check

        # Neither accounts nor scheduling import workforce: its checks are handed to them here. PHI access is
        # withdrawn while HIPAA training has lapsed (a practice setting); an expired licence flags or refuses
        # a booking.
        register_restriction(phi_restriction)
        booking_checks.register("workforce.licence", licence_booking_check)

        # Lazy strings, so the menu is translated per request. HR between billing (40-57) and the practice (100+);
        # each person's own records in "My work".
        section: Any = _("Workforce")
        mine: Any = _("My work")
        entries: list[tuple[int, Any, Any, str, str | None]] = [
            (58, section, _("Hiring"), "workforce:requisition_list", Perm.WORKFORCE_HIRING),
            (60, section, _("Employees"), "workforce:employee_list", Perm.WORKFORCE_VIEW),
            (61, section, _("Positions"), "workforce:position_list", Perm.WORKFORCE_VIEW),
            (62, section, _("Org chart"), "workforce:org_chart", Perm.WORKFORCE_VIEW),
            (63, section, _("Onboarding"), "workforce:checklist_list", Perm.WORKFORCE_SCHEDULE),
            (64, section, _("Checklist templates"), "workforce:template_list", Perm.WORKFORCE_MANAGE),
            (65, section, _("Training"), "workforce:training_list", Perm.WORKFORCE_VIEW),
            (66, section, _("Credentials"), "workforce:credential_expiring", Perm.WORKFORCE_VIEW),
            (67, section, _("Credential catalog"), "workforce:credential_type_list", Perm.WORKFORCE_VIEW),
            (68, section, _("Overdue training"), "workforce:training_overdue", Perm.WORKFORCE_VIEW),
            (69, section, _("Courses"), "workforce:course_list", Perm.WORKFORCE_VIEW),
            (70, section, _("Discipline"), "workforce:discipline_list", Perm.WORKFORCE_DISCIPLINE),
            (71, section, _("Training settings"), "workforce:training_settings", Perm.WORKFORCE_MANAGE),
            (72, section, _("Pay benchmarks"), "workforce:benchmark_list", Perm.WORKFORCE_PAY),
            (73, section, _("Compa-ratio"), "workforce:compa_ratio_report", Perm.WORKFORCE_PAY),
            (74, section, _("Time entries"), "workforce:timesheet_list", Perm.WORKFORCE_PAYROLL),
            (75, section, _("PTO requests"), "workforce:pto_list", Perm.WORKFORCE_PAYROLL),
            (76, section, _("Pay periods"), "workforce:payperiod_list", Perm.WORKFORCE_PAYROLL),
            (77, section, _("Workforce reports"), "workforce:workforce_reports", Perm.WORKFORCE_VIEW),
            (78, section, _("Offers"), "workforce:offer_list", Perm.WORKFORCE_HIRING),
            (79, section, _("Interview criteria"), "workforce:criterion_list", Perm.WORKFORCE_MANAGE),
            (80, mine, _("My profile"), "workforce:my_profile", None),
            (81, mine, _("My credentials"), "workforce:my_credentials", None),
            (82, mine, _("My training"), "workforce:training_mine", None),
            (83, mine, _("My disciplinary record"), "workforce:discipline_mine", None),
            (84, mine, _("My time"), "workforce:time_mine", None),
            (85, mine, _("My interviews"), "workforce:my_interviews", None),
            (86, mine, _("Development plans"), "workforce:devplan_list", None),
        ]
        for order, group, label, url_name, permission in entries:
            register(NavItem(order, group, label, url_name, permission))
