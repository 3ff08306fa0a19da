"""KPI targets: set and cleared through the service (validated, audited), refused to those without
reports.manage or who may not see the KPI (audited, nothing changed), and the targets page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.reporting.choices import Direction
from openpractice.reporting.demo_targets import DEMO_TARGETS
from openpractice.reporting.kpis import kpi_definitions
from openpractice.reporting.models import KpiTarget
from openpractice.reporting.services_targets import kpi_target_clear, kpi_target_set

MOST, LEAST = Direction.AT_MOST, Direction.AT_LEAST


def targets() -> list[tuple[Any, ...]]:
    return list(KpiTarget.objects.order_by("kpi").values_list("kpi", "direction", "target", "warn_at"))


@pytest.fixture
def manager(make_user: Callable[..., User]) -> User:
    return make_user(Role.PRACTICE_MANAGER, Tier.ADVANCED)


def test_setting_a_target_stores_it_and_audits_the_change(manager: User) -> None:
    kpi_target_set(actor=manager, kpi="days_in_ar", direction=MOST, target=Decimal(35), warn_at=Decimal(45))
    row = kpi_target_set(actor=manager, kpi="days_in_ar", direction=MOST, target=Decimal(30), warn_at=None)
    assert targets() == [("days_in_ar", MOST, Decimal("30.00"), None)]
    assert row.updated_by == manager
    events = list(AuditEvent.objects.filter(action="reporting.kpi_target_set").order_by("seq")
                  .values_list("reason", flat=True))
    assert events == ["days_in_ar: none -> at_most 35 warn 45", "days_in_ar: at_most 35.00 warn 45.00 -> at_most 30"]


def test_clearing_a_target_removes_it_and_audits_what_it_was(manager: User) -> None:
    kpi_target_set(actor=manager, kpi="clean_claim_rate", direction=LEAST, target=Decimal(95), warn_at=Decimal(90))
    assert kpi_target_clear(actor=manager, kpi="clean_claim_rate") is True
    assert kpi_target_clear(actor=manager, kpi="clean_claim_rate") is False
    assert targets() == []
    assert AuditEvent.objects.get(action="reporting.kpi_target_cleared").reason == (
        "clean_claim_rate: at_least 95.00 warn 90.00")


@pytest.mark.parametrize(("kpi", "direction", "target", "warn_at", "field"), [
    ("days_in_ar", MOST, "35", "30", "warn_at"),  # a ceiling's warning lies above it
    ("clean_claim_rate", LEAST, "95", "97", "warn_at"),  # a floor's below it
    ("denial_rate", MOST, "120", None, "target"),  # a percentage
    ("denial_rate", MOST, "5", "101", "warn_at"),
    ("overdue_training", MOST, "-1", None, "target"),
    ("happiness", MOST, "1", None, "kpi"),
    ("days_in_ar", "sideways", "35", None, "direction"),
])
def test_bad_targets_are_refused_with_the_field_at_fault_and_nothing_saved(
        manager: User, kpi: str, direction: str, target: str, warn_at: str | None, field: str) -> None:
    KpiTarget.objects.create(kpi="denial_rate", direction=MOST, target=Decimal(5))
    before = targets()
    with pytest.raises(ValidationError) as raised:
        kpi_target_set(actor=manager, kpi=kpi, direction=direction, target=Decimal(target),
                       warn_at=Decimal(warn_at) if warn_at else None)
    assert field in raised.value.message_dict
    assert targets() == before


@pytest.mark.parametrize(("role", "tier", "kpi"), [
    (Role.BILLER, Tier.STANDARD, "denial_rate"),  # sees the KPI, may not set targets
    (Role.AUDITOR, Tier.STANDARD, "days_in_ar"),
    (Role.OFFICE_MANAGER, Tier.MID, "days_in_ar"),  # sets targets, but not for a KPI it may not see
])
def test_setting_or_clearing_without_the_right_is_refused_audited_and_changes_nothing(
        make_user: Callable[..., User], role: str, tier: str, kpi: str) -> None:
    KpiTarget.objects.create(kpi=kpi, direction=MOST, target=Decimal(5))
    user = make_user(role, tier)
    before = targets()
    with pytest.raises(PermissionDenied):
        kpi_target_set(actor=user, kpi=kpi, direction=MOST, target=Decimal(1))
    with pytest.raises(PermissionDenied):
        kpi_target_clear(actor=user, kpi=kpi)
    assert targets() == before
    assert AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count() == 2


def test_an_office_manager_sets_the_operational_targets(make_user: Callable[..., User]) -> None:
    office = make_user(Role.OFFICE_MANAGER, Tier.MID)
    kpi_target_set(actor=office, kpi="no_show_rate", direction=MOST, target=Decimal(8), warn_at=Decimal(12))
    assert targets() == [("no_show_rate", MOST, Decimal("8.00"), Decimal("12.00"))]


def test_the_demo_targets_are_valid_and_name_kpis_of_the_registry(make_user: Callable[..., User]) -> None:
    keys = {definition.key for definition in kpi_definitions()}
    assert set(DEMO_TARGETS) <= keys
    chief = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR)
    from openpractice.reporting.demo_targets import seed_targets

    context: dict[str, Any] = {"users": {"pm_senior": chief}, "report": []}
    seed_targets(context)
    assert KpiTarget.objects.get(kpi="days_in_ar").target == Decimal(35)
    assert KpiTarget.objects.count() == len(DEMO_TARGETS)
    seed_targets(context)  # a second run adds nothing
    assert KpiTarget.objects.count() == len(DEMO_TARGETS)


# --- the page --------------------------------------------------------------------------------------------------


def test_the_page_lists_the_kpis_the_viewer_reads_with_their_targets_and_status(
        make_user: Callable[..., User], signed_in: Callable[[User], Client]) -> None:
    KpiTarget.objects.create(kpi="overdue_training", direction=MOST, target=0, warn_at=2)
    office = make_user(Role.OFFICE_MANAGER, Tier.MID)
    html = signed_in(office).get(reverse("reporting:kpi_targets")).content.decode()
    assert "No-show rate" in html
    assert "Overdue training" in html
    assert "Days in A/R" not in html  # not a KPI an office manager reads
    assert 'id="id_overdue_training_target"' in html
    assert 'value="0.00"' in html
    assert "On target" in html  # no overdue training today


def test_saving_a_target_on_the_page_redirects_with_a_message(manager: User,
                                                              signed_in: Callable[[User], Client]) -> None:
    client = signed_in(manager)
    response = client.post(reverse("reporting:kpi_targets"), {
        "kpi": "days_in_ar", "action": "save", "direction": MOST, "target": "35", "warn_at": "45"})
    assert response.status_code == 302
    assert response["Location"] == reverse("reporting:kpi_targets")
    assert targets() == [("days_in_ar", MOST, Decimal("35.00"), Decimal("45.00"))]
    page = client.get(response["Location"]).content.decode()
    assert "The target of Days in A/R was saved." in page
    removed = client.post(reverse("reporting:kpi_targets"), {"kpi": "days_in_ar", "action": "clear"})
    assert removed.status_code == 302
    assert targets() == []


@pytest.mark.parametrize("data", [
    {"kpi": "days_in_ar", "action": "save", "direction": MOST, "target": "35", "warn_at": "20"},
    {"kpi": "days_in_ar", "action": "save", "direction": MOST, "target": ""},
    {"kpi": "days_in_ar", "action": "save", "direction": MOST, "target": "lots"},
    {"kpi": "happiness", "action": "save", "direction": MOST, "target": "1"},
    {},
])
def test_bad_input_on_the_page_is_a_400_with_the_errors_and_nothing_saved(
        manager: User, signed_in: Callable[[User], Client], data: dict[str, str]) -> None:
    response = signed_in(manager).post(reverse("reporting:kpi_targets"), data)
    assert response.status_code == 400
    assert "Please correct the following" in response.content.decode()
    assert targets() == []


def test_the_page_is_refused_without_reports_manage(make_user: Callable[..., User],
                                                    signed_in: Callable[[User], Client]) -> None:
    biller = make_user(Role.BILLER)
    client = signed_in(biller)
    assert client.get(reverse("reporting:kpi_targets")).status_code == 404
    response = client.post(reverse("reporting:kpi_targets"), {"kpi": "denial_rate", "action": "save",
                                                              "direction": MOST, "target": "5"})
    assert response.status_code == 404
    assert targets() == []
    assert AuditEvent.objects.filter(actor=biller, outcome=Outcome.DENIED).count() == 2


def test_a_kpi_on_a_dashboard_shows_its_status_against_the_target(
        north: Any, make_user: Callable[..., User], signed_in: Callable[[User], Client]) -> None:
    from openpractice.workforce.tests.factories import EmployeeFactory
    from openpractice.workforce.tests.factories_training import TrainingAssignmentFactory

    TrainingAssignmentFactory(employee=EmployeeFactory(location=north), due_on=dt.date(2025, 2, 1))
    KpiTarget.objects.create(kpi="overdue_training", direction=MOST, target=0, warn_at=2)
    html = signed_in(make_user(Role.HR)).get(reverse("reporting:dashboard_hr")).content.decode()
    assert '<article class="kpi-tile kpi-close" aria-labelledby="kpi-overdue_training-label">' in html
    assert "Close to target" in html
    assert "target ≤ 0" in html
