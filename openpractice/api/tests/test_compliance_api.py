"""/policies, /acknowledgements and /incidents: the same permissions, scope and audit as the compliance pages.
Refusals are 404 (audited) and change nothing; filters take listed values only; acknowledging is idempotent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.compliance.choices import IncidentStatus, NotificationAudience, VersionStatus
from openpractice.compliance.models import Acknowledgement, Incident, Policy, PolicyVersion
from openpractice.compliance.tests.factories_incidents import IncidentFactory, breach
from openpractice.compliance.tests.factories_policies import PolicyVersionFactory, campaign_for, published_version
from openpractice.core.models import Location
from openpractice.core.selectors import practice_today

from .conftest import API, TokenClient

pytestmark = pytest.mark.django_db

Api = Callable[[User], TokenClient]


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every compliance row, column by column: a refusal must leave this unchanged."""
    state = {}
    for model in apps.get_app_config("compliance").get_models():
        columns = [field.attname for field in model._meta.concrete_fields]
        state[model._meta.label] = list(model._default_manager.order_by("pk").values_list(*columns))
    return state


def denials(user: User) -> int:
    return AuditEvent.objects.filter(actor=user, outcome=Outcome.DENIED).count()


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["items"]]


@pytest.fixture
def officer(make_user: Callable[..., User]) -> User:
    return make_user(Role.PRIVACY_OFFICER, username="privacy")


@pytest.fixture
def desk(make_user: Callable[..., User], north: Location) -> User:
    return make_user(Role.FRONT_DESK, locations=[north], username="desk")


# --- policies --------------------------------------------------------------------------------------------------


def test_the_policy_list_needs_compliance_view_and_is_paginated(
        officer: User, desk: User, make_user: Callable[..., User], api_as: Api) -> None:
    for title in ("Breach response", "Minimum necessary", "Workplace safety"):
        published_version(owner=officer, title=title, category="safety" if title.startswith("Work") else "privacy")
    auditor = make_user(Role.AUDITOR)

    first = api_as(auditor).get(f"{API}/policies", {"limit": 2})
    assert first.json()["count"] == 3
    assert [row["title"] for row in first.json()["items"]] == ["Breach response", "Minimum necessary"]
    assert first.json()["items"][0]["current_version"] == 1
    rest = api_as(auditor).get(f"{API}/policies", {"limit": 2, "offset": 2})
    assert [row["title"] for row in rest.json()["items"]] == ["Workplace safety"]

    before = denials(desk)
    refused = api_as(desk).get(f"{API}/policies")
    assert refused.status_code == 404
    assert refused.json()["code"] == "not_found"
    assert denials(desk) == before + 1


def test_the_policy_list_filters_on_listed_values_only(officer: User, api_as: Api) -> None:
    in_force = published_version(owner=officer, title="Minimum necessary")
    safety = published_version(owner=officer, title="Sharps", category="safety")
    draft_only = PolicyVersionFactory(policy__owner=officer, policy__title="Remote work").policy
    client = api_as(officer)

    assert ids(client.get(f"{API}/policies", {"category": "safety"})) == [safety.policy_id]
    assert ids(client.get(f"{API}/policies", {"status": "draft"})) == [draft_only.pk]
    assert ids(client.get(f"{API}/policies", {"q": "minimum"})) == [in_force.policy_id]
    for params in ({"category": "astrology"}, {"status": "lost"}, {"limit": 500}):
        response = client.get(f"{API}/policies", params)
        assert response.status_code == 422, params
        assert response.json()["code"] == "validation_error"


def test_everyone_reads_a_policy_in_force_and_only_viewers_see_drafts(
        officer: User, desk: User, api_as: Api) -> None:
    version = published_version(owner=officer, title="Minimum necessary",
                                body_html="<p>Use the minimum necessary.</p>")
    draft = PolicyVersionFactory(policy=version.policy, number=2, body_html="<p>Next text.</p>")
    draft_only = PolicyVersionFactory(policy__owner=officer).policy

    staff_view = api_as(desk).get(f"{API}/policies/{version.policy_id}")
    assert staff_view.status_code == 200
    body = staff_view.json()
    assert body["current_version"]["id"] == version.pk
    assert body["current_version"]["body_html"] == "<p>Use the minimum necessary.</p>"
    assert body["in_progress_version"] is None

    officer_view = api_as(officer).get(f"{API}/policies/{version.policy_id}").json()
    assert officer_view["in_progress_version"]["id"] == draft.pk
    assert officer_view["in_progress_version"]["status"] == VersionStatus.DRAFT

    before = denials(desk)
    assert api_as(desk).get(f"{API}/policies/{draft_only.pk}").status_code == 404
    assert denials(desk) == before + 1
    assert api_as(desk).get(f"{API}/policies/999999").status_code == 404


def test_a_manager_creates_a_policy_with_a_sanitised_first_draft(officer: User, api_as: Api) -> None:
    response = api_as(officer).post(f"{API}/policies", {
        "title": "  Minimum necessary ", "category": "privacy", "review_months": 24,
        "body_html": "<p>Only what is needed.</p><script>alert(1)</script>", "effective_on": "2030-01-01"})

    assert response.status_code == 201, response.content
    body = response.json()
    policy = Policy.objects.get(pk=body["id"])
    assert (policy.title, policy.owner, policy.review_months) == ("Minimum necessary", officer, 24)
    assert body["current_version"] is None
    assert body["in_progress_version"]["body_html"] == "<p>Only what is needed.</p>"
    assert policy.versions.get().status == VersionStatus.DRAFT
    assert AuditEvent.objects.filter(action="compliance.policy_created", actor=officer,
                                     object_id=str(policy.pk)).count() == 1


@pytest.mark.parametrize(("payload", "field"), [
    ({"category": "astrology"}, "category"),
    ({"owner_id": 999999}, "owner_id"),
    ({"body_html": "<script>only a script</script>"}, "body_html"),
    ({"review_months": 0}, "review_months"),
])
def test_a_policy_that_is_not_valid_is_a_422_and_nothing_is_created(
        officer: User, api_as: Api, payload: dict[str, Any], field: str) -> None:
    data = {"title": "Minimum necessary", "category": "privacy", "body_html": "<p>Text</p>", **payload}
    response = api_as(officer).post(f"{API}/policies", data)
    assert response.status_code == 422
    assert field in {str(part) for error in response.json()["errors"] for part in error["loc"]}
    assert not Policy.objects.exists()


def test_changing_a_policy_is_for_managers_and_a_refusal_changes_nothing(
        officer: User, make_user: Callable[..., User], api_as: Api) -> None:
    version = published_version(owner=officer, title="Minimum necessary")
    auditor, owner = make_user(Role.AUDITOR), make_user(Role.HR)
    url = f"{API}/policies/{version.policy_id}"

    before, refused_before = snapshot(), denials(auditor)
    for call in (lambda: api_as(auditor).patch(url, {"title": "Changed"}),
                 lambda: api_as(auditor).post(f"{API}/policies", {"title": "New", "category": "privacy",
                                                                  "body_html": "<p>x</p>"})):
        response = call()
        assert response.status_code == 404
    assert snapshot() == before
    assert denials(auditor) == refused_before + 2

    response = api_as(officer).patch(url, {"title": "Minimum necessary standard", "owner_id": owner.pk,
                                           "review_months": 6})
    assert response.status_code == 200, response.content
    version.refresh_from_db()
    assert (version.policy.title, version.policy.owner, version.policy.review_months) == (
        "Minimum necessary standard", owner, 6)
    assert version.next_review_on == dt.date(2025, 7, 1)  # the new cycle from the effective date
    assert response.json()["current_version"]["next_review_on"] == "2025-07-01"

    before = snapshot()
    empty = api_as(officer).patch(url, {"title": None})
    assert empty.status_code == 422
    assert snapshot() == before


def test_a_retired_policy_cannot_be_changed(officer: User, api_as: Api) -> None:
    version = published_version(owner=officer)
    Policy.objects.filter(pk=version.policy_id).update(retired_at=dt.datetime(2025, 2, 1, tzinfo=dt.UTC))
    before = snapshot()
    response = api_as(officer).patch(f"{API}/policies/{version.policy_id}", {"title": "Changed"})
    assert response.status_code == 422
    assert snapshot() == before


# --- acknowledgements ------------------------------------------------------------------------------------------


@pytest.fixture
def version(officer: User) -> PolicyVersion:
    return published_version(owner=officer, title="Minimum necessary")


def test_acknowledging_an_own_request_is_idempotent(desk: User, version: PolicyVersion, api_as: Api) -> None:
    request = campaign_for(version, [desk]).requests.get()
    client = api_as(desk)

    first = client.post(f"{API}/acknowledgements", {"request_id": request.pk, "attested": True})
    assert first.status_code == 201, first.content
    body = first.json()
    assert (body["user_id"], body["version_id"], body["policy_title"], body["version_number"]) == (
        desk.pk, version.pk, "Minimum necessary", 1)
    assert body["attestation"] == request.campaign.attestation

    before = snapshot()
    again = client.post(f"{API}/acknowledgements", {"request_id": request.pk, "attested": True})
    by_version = client.post(f"{API}/acknowledgements", {"version_id": version.pk, "attested": True})
    assert again.status_code == by_version.status_code == 200
    assert again.json() == by_version.json() == body
    assert snapshot() == before
    assert Acknowledgement.objects.count() == 1
    assert AuditEvent.objects.filter(action="compliance.policy_acknowledged").count() == 1


def test_acknowledging_by_version_finds_the_callers_request(desk: User, version: PolicyVersion,
                                                            api_as: Api) -> None:
    campaign_for(version, [desk])
    response = api_as(desk).post(f"{API}/acknowledgements", {"version_id": version.pk, "attested": True})
    assert response.status_code == 201
    assert Acknowledgement.objects.get().user == desk


def test_nobody_acknowledges_someone_elses_request(
        desk: User, officer: User, version: PolicyVersion, make_user: Callable[..., User], api_as: Api) -> None:
    other = make_user(Role.BILLER)
    request = campaign_for(version, [other]).requests.get()
    before = snapshot()
    for caller in (desk, officer):  # not even the privacy officer
        refused_before = denials(caller)
        for payload in ({"request_id": request.pk}, {"version_id": version.pk}):
            response = api_as(caller).post(f"{API}/acknowledgements", {**payload, "attested": True})
            assert response.status_code == 404
        assert denials(caller) == refused_before + 2
    assert snapshot() == before


@pytest.mark.parametrize("payload", [
    {"attested": False}, {"attested": True, "version_id": 0}, {"attested": True, "request_id": None},
])
def test_an_acknowledgement_needs_the_attestation_and_one_target(
        desk: User, version: PolicyVersion, api_as: Api, payload: dict[str, Any]) -> None:
    request = campaign_for(version, [desk]).requests.get()
    data = {"request_id": request.pk, **payload}
    if data["request_id"] is None:
        data.pop("request_id")
    before = snapshot()
    response = api_as(desk).post(f"{API}/acknowledgements", data)
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert snapshot() == before


def test_a_version_no_longer_in_force_cannot_be_acknowledged(desk: User, version: PolicyVersion,
                                                             api_as: Api) -> None:
    request = campaign_for(version, [desk]).requests.get()
    PolicyVersion.objects.filter(pk=version.pk).update(status=VersionStatus.RETIRED)
    before = snapshot()
    response = api_as(desk).post(f"{API}/acknowledgements", {"request_id": request.pk, "attested": True})
    assert response.status_code == 422
    assert snapshot() == before


def test_the_list_is_your_own_and_for_viewers_the_people_in_scope(
        desk: User, version: PolicyVersion, make_user: Callable[..., User], north: Location, south: Location,
        api_as: Api) -> None:
    southerner = make_user(Role.FRONT_DESK, locations=[south])
    second = published_version(owner=version.policy.owner, title="Sharps")
    own = Acknowledgement.objects.create(version=version, user=desk, attestation="Read.")
    own_second = Acknowledgement.objects.create(version=second, user=desk, attestation="Read.")
    theirs = Acknowledgement.objects.create(version=version, user=southerner, attestation="Read.")
    auditor = make_user(Role.AUDITOR, locations=[north])

    assert sorted(ids(api_as(desk).get(f"{API}/acknowledgements"))) == [own.pk, own_second.pk]
    assert ids(api_as(desk).get(f"{API}/acknowledgements", {"user_id": southerner.pk})) == []
    assert ids(api_as(southerner).get(f"{API}/acknowledgements")) == [theirs.pk]

    viewer = api_as(auditor)
    assert sorted(ids(viewer.get(f"{API}/acknowledgements"))) == [own.pk, own_second.pk]
    assert ids(viewer.get(f"{API}/acknowledgements", {"user_id": southerner.pk})) == []
    assert ids(viewer.get(f"{API}/acknowledgements", {"version_id": second.pk})) == [own_second.pk]
    everyone = api_as(make_user(Role.PRIVACY_OFFICER))
    assert sorted(ids(everyone.get(f"{API}/acknowledgements", {"version_id": version.pk}))) == [own.pk, theirs.pk]
    page = everyone.get(f"{API}/acknowledgements", {"limit": 1, "offset": 1}).json()
    assert page["count"] == 3
    assert len(page["items"]) == 1
    assert everyone.get(f"{API}/acknowledgements", {"user_id": "me"}).status_code == 422


# --- incidents -------------------------------------------------------------------------------------------------


def test_anyone_reports_an_incident_and_gets_its_status_only(desk: User, north: Location, api_as: Api) -> None:
    today = practice_today().isoformat()
    response = api_as(desk).post(f"{API}/incidents", {
        "title": "Chart left on the counter", "kind": "access", "location_id": north.pk, "discovered_on": today,
        "description": "A patient's chart was visible.", "phi_involved": "Name and medications"})

    assert response.status_code == 201, response.content
    incident = Incident.objects.get()
    assert (incident.reported_by, incident.location) == (desk, north)
    assert response.json() == {"id": incident.pk, "title": "Chart left on the counter", "discovered_on": today,
                               "status": IncidentStatus.OPEN,
                               "created_at": response.json()["created_at"]}
    assert AuditEvent.objects.filter(action="compliance.incident_reported", actor=desk).count() == 1
    before = denials(desk)
    assert api_as(desk).get(f"{API}/incidents/{incident.pk}").status_code == 404
    assert api_as(desk).get(f"{API}/incidents").status_code == 404
    assert denials(desk) == before + 2


@pytest.mark.parametrize(("payload", "field"), [
    ({"location_id": "south"}, "location_id"),  # a location the reporter does not work at
    ({"kind": "gossip"}, "kind"),
    ({"discovered_on": "2999-01-01"}, "discovered_on"),
    ({"title": ""}, "title"),
])
def test_a_report_that_is_not_valid_is_a_422_and_nothing_is_created(
        desk: User, south: Location, api_as: Api, payload: dict[str, Any], field: str) -> None:
    data = {"title": "Fax", "kind": "misdirected", "discovered_on": "2025-04-01", "description": "x", **payload}
    if data.get("location_id") == "south":
        data["location_id"] = south.pk
    response = api_as(desk).post(f"{API}/incidents", data)
    assert response.status_code == 422
    assert field in {str(part) for error in response.json()["errors"] for part in error["loc"]}
    assert not Incident.objects.exists()


def test_the_incident_list_is_scoped_filtered_and_paginated(
        make_user: Callable[..., User], north: Location, south: Location, api_as: Api) -> None:
    local = make_user(Role.PRACTICE_MANAGER, Tier.SENIOR, locations=[north])
    older = breach(IncidentFactory(location=north, discovered_on=dt.date(2025, 3, 1), occurred_on=None))
    newer = IncidentFactory(location=north, discovered_on=dt.date(2025, 4, 1), title="Lost laptop")
    IncidentFactory(location=south)
    IncidentFactory(location=None)  # practice-wide: needs the permission everywhere
    client = api_as(local)

    first = client.get(f"{API}/incidents", {"limit": 1}).json()
    assert first["count"] == 2
    assert [row["id"] for row in first["items"]] == [newer.pk]
    second = client.get(f"{API}/incidents", {"limit": 1, "offset": 1}).json()
    row = second["items"][0]
    assert row["id"] == older.pk
    assert {(item["audience"], item["due_on"]) for item in row["deadlines"]} == {
        (NotificationAudience.INDIVIDUALS, "2025-04-30"), (NotificationAudience.HHS_ANNUAL, "2026-03-01")}
    assert ids(client.get(f"{API}/incidents", {"status": "assessed"})) == [older.pk]
    assert ids(client.get(f"{API}/incidents", {"q": "laptop"})) == [newer.pk]
    assert ids(client.get(f"{API}/incidents", {"kind": "loss_theft"})) == []
    for params in ({"status": "reopened"}, {"kind": "gossip"}):
        assert client.get(f"{API}/incidents", params).status_code == 422


def test_an_incident_carries_its_deadlines_with_the_days_left(officer: User, api_as: Api) -> None:
    today = practice_today()
    incident = breach(IncidentFactory(discovered_on=today - dt.timedelta(days=50), occurred_on=None), total=600)
    body = api_as(officer).get(f"{API}/incidents/{incident.pk}").json()
    left = {row["audience"]: row["days_left"] for row in body["deadlines"]}
    assert left == {NotificationAudience.INDIVIDUALS: 10, NotificationAudience.HHS_NOW: 10}
    assert body["individuals_affected"] == 600
    assert body["determination"] == "breach"


def test_managing_an_incident_out_of_scope_is_404_and_changes_nothing(
        make_user: Callable[..., User], desk: User, north: Location, south: Location, api_as: Api) -> None:
    local = make_user(Role.PRIVACY_OFFICER, locations=[north])
    there = breach(IncidentFactory(location=south))
    wide = IncidentFactory(location=None)
    here = IncidentFactory(location=north)
    before = snapshot()
    for caller, incident in ((local, there), (local, wide), (desk, here)):
        refused_before = denials(caller)
        assert api_as(caller).get(f"{API}/incidents/{incident.pk}").status_code == 404
        response = api_as(caller).patch(f"{API}/incidents/{incident.pk}", {"title": "Changed"})
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
        assert denials(caller) == refused_before + 2
    moved = api_as(local).patch(f"{API}/incidents/{here.pk}", {"location_id": south.pk})
    assert moved.status_code == 422
    assert snapshot() == before
    assert api_as(local).get(f"{API}/incidents/999999").status_code == 404


def test_a_manager_edits_an_incident_and_the_deadlines_follow_the_discovery(
        officer: User, north: Location, api_as: Api) -> None:
    incident = breach(IncidentFactory(location=north))
    response = api_as(officer).patch(f"{API}/incidents/{incident.pk}", {
        "discovered_on": "2025-04-10", "location_id": None, "phi_involved": "Names only"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["discovered_on"], body["location_id"], body["phi_involved"]) == ("2025-04-10", None, "Names only")
    assert body["title"] == incident.title  # unsent fields keep their values
    individuals = [row for row in body["deadlines"] if row["audience"] == NotificationAudience.INDIVIDUALS]
    assert individuals[0]["due_on"] == "2025-06-09"
    incident.refresh_from_db()
    assert incident.discovered_on == dt.date(2025, 4, 10)
    assert incident.deadlines.get(audience=NotificationAudience.INDIVIDUALS).due_on == dt.date(2025, 6, 9)
    assert AuditEvent.objects.filter(action="compliance.incident_updated", actor=officer).count() == 1

    before = snapshot()
    for payload in ({"title": None}, {"kind": "gossip"}, {"occurred_on": "2025-05-01"}):
        assert api_as(officer).patch(f"{API}/incidents/{incident.pk}", payload).status_code == 422, payload
    assert snapshot() == before
