"""Position pages, the org chart (scope, no N+1) and the /positions API handlers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.api.routers import positions as api
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.core.models import Location
from openpractice.workforce.models import Position

from .factories import CredentialTypeFactory, EmployeeFactory, PositionFactory

pytestmark = pytest.mark.django_db


def _count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_list_and_detail_for_a_viewer_and_404_with_an_audit_for_others(
        make_user: Callable[..., User], signed_in: Callable[[User], Client], north: Location) -> None:
    position = PositionFactory(title="Front desk lead", location=north)
    client = signed_in(make_user(Role.OFFICE_MANAGER, Tier.MID))
    assert "Front desk lead" in client.get(reverse("workforce:position_list")).content.decode()
    page = client.get(reverse("workforce:position_detail", args=[position.pk]))
    assert page.status_code == 200
    assert "Edit" not in page.content.decode()
    client = signed_in(make_user(Role.FRONT_DESK))
    assert client.get(reverse("workforce:position_list")).status_code == 404
    assert client.get(reverse("workforce:position_detail", args=[position.pk])).status_code == 404
    assert AuditEvent.objects.filter(outcome=Outcome.DENIED, action="access.denied").count() == 2


def test_a_position_of_another_location_is_a_404(
        make_user: Callable[..., User], signed_in: Callable[[User], Client], north: Location,
        south: Location) -> None:
    southern = PositionFactory(title="South MA", location=south)
    client = signed_in(make_user(Role.HR, locations=[north]))
    assert client.get(reverse("workforce:position_detail", args=[southern.pk])).status_code == 404
    response = client.post(reverse("workforce:position_edit", args=[southern.pk]), {"title": "Hijacked"})
    assert response.status_code == 404
    southern.refresh_from_db()
    assert southern.title == "South MA"


def test_creating_through_the_form_and_a_bad_tier_gets_a_form_error(
        make_user: Callable[..., User], signed_in: Callable[[User], Client]) -> None:
    client = signed_in(make_user(Role.HR))
    form = {"title": "Office manager", "role": Role.OFFICE_MANAGER, "tier": Tier.SENIOR,
            "required_education": "high_school", "min_months_in_previous_role": "0", "pay_basis": "annual",
            "headcount": "1"}
    response = client.post(reverse("workforce:position_create"), form)
    assert response.status_code == 400
    assert "comes at these tiers only" in response.content.decode()
    assert not Position.objects.exists()
    response = client.post(reverse("workforce:position_create"), {**form, "tier": Tier.MID})
    position = Position.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("workforce:position_detail",
                                                                           args=[position.pk])


def test_editing_into_a_circle_is_refused_on_the_form(
        make_user: Callable[..., User], signed_in: Callable[[User], Client]) -> None:
    top = PositionFactory(title="Top")
    below = PositionFactory(title="Below", reports_to=top)
    client = signed_in(make_user(Role.HR))
    response = client.post(reverse("workforce:position_edit", args=[top.pk]), {
        "title": "Top", "reports_to": below.pk, "required_education": "none", "min_months_in_previous_role": "0",
        "pay_basis": "annual", "headcount": "1", "pay_min": "40000", "pay_max": "60000"})
    assert response.status_code == 400
    assert "circle" in response.content.decode()
    top.refresh_from_db()
    assert top.reports_to_id is None


def test_a_viewer_posting_a_deactivation_changes_nothing(
        make_user: Callable[..., User], signed_in: Callable[[User], Client]) -> None:
    position = PositionFactory()
    client = signed_in(make_user(Role.OFFICE_MANAGER, Tier.MID))
    assert client.post(reverse("workforce:position_deactivate", args=[position.pk])).status_code == 404
    position.refresh_from_db()
    assert position.is_active


def test_org_chart_shows_the_tree_and_only_the_employees_in_scope(
        make_user: Callable[..., User], signed_in: Callable[[User], Client], north: Location,
        south: Location) -> None:
    top = PositionFactory(title="Practice manager", headcount=1)
    nurse = PositionFactory(title="Nurse", reports_to=top, headcount=3)
    EmployeeFactory(first_name="Nora", position=nurse, location=north)
    EmployeeFactory(first_name="Sam", position=nurse, location=south)
    client = signed_in(make_user(Role.HR, locations=[north]))
    html = client.get(reverse("workforce:org_chart")).content.decode()
    assert html.index("Practice manager") < html.index("Nurse")
    assert "Nora" in html
    assert "Sam" not in html
    assert "1 vacancy" in html  # 3 budgeted, 2 filled (whether seen or not)


def _tree(rows: int, north: Location) -> None:
    parent = None
    for index in range(rows):
        parent = PositionFactory(title=f"Level {index}", reports_to=parent if index % 2 else None)
        EmployeeFactory(position=parent, location=north)


def test_org_chart_takes_the_same_number_of_queries_for_3_or_30_positions(
        make_user: Callable[..., User], signed_in: Callable[[User], Client], north: Location) -> None:
    client = signed_in(make_user(Role.HR))
    url = reverse("workforce:org_chart")
    _tree(3, north)
    _count_queries(client, url)
    few = _count_queries(client, url)
    _tree(27, north)
    assert _count_queries(client, url) == few


def test_position_list_takes_the_same_number_of_queries_for_3_or_30_positions(
        make_user: Callable[..., User], signed_in: Callable[[User], Client], north: Location) -> None:
    client = signed_in(make_user(Role.HR))
    url = reverse("workforce:position_list")
    _tree(3, north)
    _count_queries(client, url)
    few = _count_queries(client, url)
    _tree(20, north)
    assert _count_queries(client, url) == few


# --- API handlers (called directly: the lead wires the router into /api/v1) --------------------------------------


def _position_in(**fields: Any) -> api.PositionIn:
    return api.PositionIn.model_validate(fields)


def _patch_in(**fields: Any) -> api.PositionPatchIn:
    return api.PositionPatchIn.model_validate(fields)


def _request(user: User, method: str = "get") -> Any:
    request = getattr(RequestFactory(), method)("/api/v1/positions")
    request.user = user
    return request


def test_api_creates_reads_and_patches_a_position(make_user: Callable[..., User], north: Location) -> None:
    hr = make_user(Role.HR)
    CredentialTypeFactory(code="CMPE")
    created = api.position_create(_request(hr, "post"), _position_in(
        title="Practice manager (senior)", role=Role.PRACTICE_MANAGER, tier=Tier.SENIOR, location_id=north.pk,
        required_certifications=["cmpe"]))
    position = created.value if hasattr(created, "value") else created
    out = api.PositionOut.from_orm(position)
    assert out.required_certifications == ["CMPE"]
    assert out.location_id == north.pk
    assert api.position_detail(_request(hr), position.pk).pk == position.pk
    patched = api.position_update(_request(hr, "patch"), position.pk, _patch_in(title="PM"))
    assert patched.title == "PM"


def test_api_refuses_unknown_references_circles_and_out_of_scope(
        make_user: Callable[..., User], north: Location, south: Location) -> None:
    hr = make_user(Role.HR)
    with pytest.raises(ValidationError) as caught:
        api.position_create(_request(hr, "post"), _position_in(title="X", required_certifications=["NOPE"]))
    assert "required_certifications" in caught.value.message_dict
    top = PositionFactory(title="Top")
    below = PositionFactory(title="Below", reports_to=top)
    with pytest.raises(ValidationError):
        api.position_update(_request(hr, "patch"), top.pk, _patch_in(reports_to_id=below.pk))
    northern_hr = make_user(Role.HR, locations=[north])
    southern = PositionFactory(title="South", location=south)
    with pytest.raises(Http404):
        api.position_detail(_request(northern_hr), southern.pk)
    with pytest.raises(Http404):
        api.position_update(_request(northern_hr, "patch"), southern.pk, _patch_in(title="Mine"))
    with pytest.raises(ValidationError):  # a location outside the caller's manage scope is no choice
        api.position_create(_request(northern_hr, "post"), _position_in(title="Y", location_id=south.pk))
    viewer = make_user(Role.OFFICE_MANAGER, Tier.MID)
    with pytest.raises(Http404):
        api.position_create(_request(viewer, "post"), _position_in(title="Z"))
    northern_only = make_user(Role.HR, locations=[north])
    with pytest.raises(PermissionDenied):  # practice-wide needs manage at every location
        api.position_create(_request(northern_only, "post"), _position_in(title="Wide"))
    southern.refresh_from_db()
    top.refresh_from_db()
    assert southern.title == "South"
    assert top.reports_to_id is None
    assert sorted(Position.objects.values_list("title", flat=True)) == ["Below", "South", "Top"]
