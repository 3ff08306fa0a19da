"""The role dashboards: who may open which (every role and tier of the permission table), what each viewer sees
of them, the filters, charts on the page, and a query count that does not grow with the rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import PERMISSION_TABLE, Role, Tier, permissions_for
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.core.models import Location
from openpractice.reporting.models import KpiTarget
from openpractice.reporting.selectors_dashboards import DASHBOARDS

from .dashboard_support import populate

PAGES = [(spec.key, spec.url_name) for spec in DASHBOARDS]


def panel_keys(html: str) -> set[str]:
    import re

    return set(re.findall(r'<section class="card dashboard-panel" id="panel-([a-z-]+)"', html))


def test_each_dashboard_opens_for_the_roles_that_hold_one_of_its_permissions_and_no_other(
        practice: Any, north: Location, make_user: Callable[..., User]) -> None:
    populate(1, actor=make_user(Role.PRACTICE_MANAGER, Tier.SENIOR), locations=[north])
    problems = []
    for role, tier in PERMISSION_TABLE:
        user = make_user(role, tier, username=f"{role}-{tier}")
        client = Client()
        from openpractice.accounts.tests.factories import sign_in

        sign_in(client, user)
        held = permissions_for(role, tier)
        for spec in DASHBOARDS:
            allowed = bool(spec.permissions & held)
            denied_before = AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()
            targets_before = list(KpiTarget.objects.values_list("kpi", "target"))
            response = client.get(reverse(spec.url_name))
            expected = 200 if allowed else 404
            if response.status_code != expected:
                problems.append(f"{role}/{tier} {spec.key}: {response.status_code}, expected {expected}")
            denied_after = AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()
            if not allowed and denied_after != denied_before + 1:
                problems.append(f"{role}/{tier} {spec.key}: the refusal was not audited")
            if list(KpiTarget.objects.values_list("kpi", "target")) != targets_before:
                problems.append(f"{role}/{tier} {spec.key}: something changed")
            if allowed and b"<svg" not in response.content and spec.key != "privacy":
                problems.append(f"{role}/{tier} {spec.key}: no chart")
        index = client.get(reverse("reporting:dashboards"))
        if any(spec.permissions & held for spec in DASHBOARDS):
            listed = {spec.key for spec in DASHBOARDS if reverse(spec.url_name).encode() in index.content}
            if listed != {spec.key for spec in DASHBOARDS if spec.permissions & held}:
                problems.append(f"{role}/{tier} index lists {sorted(listed)}")
        elif index.status_code != 404:
            problems.append(f"{role}/{tier} index: {index.status_code}, expected 404")
    assert problems == []


def test_anonymous_visitors_are_sent_to_sign_in(db: Any, client: Client) -> None:
    for _key, url_name in PAGES:
        response = client.get(reverse(url_name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_the_practice_dashboard_shows_only_the_panels_of_the_viewers_permissions(
        practice: Any, north: Location, make_user: Callable[..., User], signed_in: Callable[[User], Client]) -> None:
    chief = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR)
    populate(1, actor=chief, locations=[north])
    url = reverse("reporting:dashboard_practice")
    assert panel_keys(signed_in(chief).get(url).content.decode()) == {
        "finance-trends", "aging", "denials", "operations-trends", "staffing", "compliance", "cases"}
    entry = make_user(Role.PRACTICE_MANAGER, Tier.ENTRY)  # reports.operations, no reports.financial or HR
    html = signed_in(entry).get(url).content.decode()
    assert panel_keys(html) == {"operations-trends", "compliance", "cases"}
    assert "Days in A/R" not in html
    auditor = make_user(Role.AUDITOR)  # figures, no HR records, no cases
    html = signed_in(auditor).get(url).content.decode()
    assert panel_keys(html) == {"finance-trends", "aging", "denials", "operations-trends", "compliance"}
    assert "Overdue training" not in html
    # The auditor may not open the denials worklist (billing.view): the panel does not link to it.
    assert reverse("billing:denial_list") not in html


def test_each_role_dashboard_has_its_panels(practice: Any, north: Location, make_user: Callable[..., User],
                                            signed_in: Callable[[User], Client]) -> None:
    chief = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR)
    populate(1, actor=chief, locations=[north])
    client = signed_in(chief)
    expected = {
        "office": {"schedule", "operations-trends", "queues", "low-stock", "work-orders", "expiring"},
        "billing": {"billing-trends", "aging", "denials", "claims", "filing"},
        "hr": {"headcount", "turnover", "hiring", "training", "credentials"},
        "privacy": {"incidents", "policies", "hipaa"},
    }
    for key, panels in expected.items():
        html = client.get(reverse(f"reporting:dashboard_{key}")).content.decode()
        assert panel_keys(html) == panels, key
        assert "{#" not in html  # no template comment leaks onto the page
        assert "style=" not in html.split('<main id="main"', 1)[1]  # CSP: no inline style
    privacy = make_user(Role.PRIVACY_OFFICER)
    html = signed_in(privacy).get(reverse("reporting:dashboard_privacy")).content.decode()
    assert panel_keys(html) == {"incidents", "policies", "hipaa", "denied"}
    assert '<svg class="chart chart-bar"' in html


def test_a_viewer_of_one_location_sees_its_figures_and_cannot_pick_another(
        practice: Any, north: Location, south: Location, make_user: Callable[..., User],
        signed_in: Callable[[User], Client]) -> None:
    chief = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR)
    populate(1, actor=chief, locations=[north])
    populate(2, actor=chief, locations=[south])
    manager = make_user(Role.OFFICE_MANAGER, Tier.EXPERIENCED, locations=[north])
    client = signed_in(manager)
    html = client.get(reverse("reporting:dashboard_office")).content.decode()
    assert "South Clinic" not in html
    # North's queue: two messages a week old still open, both past their resolve-by time (South has four).
    assert '<div class="stat status-missed">2</div><div class="stat-label">Past a service level</div>' in html
    refused = client.get(reverse("reporting:dashboard_office"), {"location": south.pk})
    assert refused.status_code == 400
    assert "Select a valid choice" in refused.content.decode()
    everywhere = signed_in(chief).get(reverse("reporting:dashboard_office"), {"location": south.pk})
    assert everywhere.status_code == 200
    assert '<div class="stat status-missed">4</div><div class="stat-label">Past a service level</div>' in (
        everywhere.content.decode())


def test_an_unknown_period_is_a_400_with_the_form_error(practice: Any, make_user: Callable[..., User],
                                                       signed_in: Callable[[User], Client]) -> None:
    client = signed_in(make_user(Role.BILLER))
    response = client.get(reverse("reporting:dashboard_billing"), {"period": "decade"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    for period in ("30d", "month", "quarter", "year"):
        assert client.get(reverse("reporting:dashboard_billing"), {"period": period}).status_code == 200


@pytest.mark.parametrize(("key", "url_name"), PAGES, ids=[key for key, _name in PAGES])
def test_a_dashboard_costs_the_same_queries_however_many_rows(
        key: str, url_name: str, practice: Any, north: Location, south: Location, make_user: Callable[..., User],
        signed_in: Callable[[User], Client]) -> None:
    chief = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR)
    client = signed_in(chief)

    def queries() -> int:
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse(url_name))
        assert response.status_code == 200
        return len(captured)

    populate(1, actor=chief, locations=[north, south])
    queries()  # the first request also loads the session and the viewer's roles
    few = queries()
    populate(3, actor=chief, locations=[north, south])
    assert queries() == few
    # Asked again within the cache's time, the KPI figures are not computed again.
    with CaptureQueriesContext(connection) as captured:
        client.get(reverse(url_name))
    assert len(captured) <= few


def test_the_index_links_the_targets_page_for_those_who_set_targets(
        practice: Any, make_user: Callable[..., User], signed_in: Callable[[User], Client]) -> None:
    chief = signed_in(make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED)).get(reverse("reporting:dashboards"))
    assert reverse("reporting:kpi_targets") in chief.content.decode()
    auditor = signed_in(make_user(Role.AUDITOR)).get(reverse("reporting:dashboards"))
    assert reverse("reporting:kpi_targets") not in auditor.content.decode()
