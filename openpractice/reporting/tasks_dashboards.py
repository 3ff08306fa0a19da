"""Keep the dashboards' figures warm. A year of receivables figures over a million ledger lines takes seconds to
compute; the dashboards read them from the shared cache (reporting.kpis), so a job recomputes, a little before
they expire, the figures of every scope a reader of the dashboards has (figures are cached per scope, never per
person, so ten managers with every location cost one warm-up)."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from openpractice.accounts.models import User
from openpractice.accounts.permissions import location_ids_where, prefetch_grants
from openpractice.accounts.roles import Perm

from .kpis import kpi_warm

# The figures of a period that includes today live 5 minutes in the cache (kpis.CACHE_SECONDS_CURRENT).
WARM_EVERY_MINUTES = 4
_SCOPED_BY = (Perm.REPORTS_FINANCIAL, Perm.REPORTS_OPERATIONS, Perm.WORKFORCE_VIEW, Perm.FRONTDESK_CONFIGURE)


def dashboards_warm() -> int:
    """Warm the KPI figures once per distinct scope among active users; returns how many scopes were warmed."""
    seen: set[tuple[frozenset[int] | None, ...]] = set()
    users = prefetch_grants(User.objects.filter(is_active=True, deactivated_at__isnull=True).order_by("pk"))
    with translation.override(settings.LANGUAGE_CODE):  # the cache key holds the language the pages use
        for user in users:
            scope = tuple(location_ids_where(user, permission) for permission in _SCOPED_BY)
            if scope in seen or all(ids is not None and not ids for ids in scope):
                continue
            seen.add(scope)
            kpi_warm(actor=user)
    return len(seen)


@db_periodic_task(crontab(minute=f"*/{WARM_EVERY_MINUTES}"))
def warm_dashboard_figures() -> int:
    return dashboards_warm()
