"""Reporting demo data: the practice's KPI targets, set by the senior practice manager through the service (so each
is audited as a real change would be). Figures a typical primary-care group aims for: days in A/R at most 35 (off
target past 45), a clean claim rate of at least 95% (close down to 90%), denials at most 5% (off past 10%), net
collections at least 96%, A/R over 120 days at most 12% of A/R, no-shows at most 8%, and a few operational
ceilings. Seeded after the modules (94) and before the brief (97), whose past briefs show status against them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from openpractice.core.seeding import seeder

from .choices import Direction
from .models import KpiTarget
from .services_targets import kpi_target_set

MOST, LEAST = Direction.AT_MOST, Direction.AT_LEAST

# kpi: (direction, target, off target past)
DEMO_TARGETS: dict[str, tuple[str, str, str | None]] = {
    "days_in_ar": (MOST, "35", "45"),
    "clean_claim_rate": (LEAST, "95", "90"),
    "denial_rate": (MOST, "5", "10"),
    "net_collection_rate": (LEAST, "96", "92"),
    "ar_over_120": (MOST, "12", "20"),
    "no_show_rate": (MOST, "8", "12"),
    "staff_turnover": (MOST, "4", "6"),
    "sla_breach_rate": (MOST, "10", "20"),
    "first_response_median": (MOST, "4", "8"),
    "overdue_work_orders": (MOST, "0", "3"),
    "items_below_par": (MOST, "3", "8"),
    "overdue_training": (MOST, "0", "5"),
    "credentials_expiring": (MOST, "2", "5"),
    "overdue_cases": (MOST, "0", "2"),
    "policy_reviews_overdue": (MOST, "0", "2"),
    "breach_notices_due": (MOST, "0", "1"),
}


@seeder(94)
def seed_targets(context: dict[str, Any]) -> None:
    report = context.setdefault("report", [])
    if KpiTarget.objects.exists():
        report.append("reporting: KPI targets already set, nothing added")
        return
    manager = context["users"]["pm_senior"]
    for kpi, (direction, target, warn_at) in DEMO_TARGETS.items():
        kpi_target_set(actor=manager, kpi=kpi, direction=direction, target=Decimal(target),
                       warn_at=Decimal(warn_at) if warn_at is not None else None)
    report.append(f"reporting: {len(DEMO_TARGETS)} KPI targets")
