"""The scrubber rules pages: the list with the built-in checks, the form with its live sentence, switching off."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.billing.models import ScrubRule
from openpractice.billing.tests.factories import ScrubRuleFactory
from openpractice.patients.tests.factories import PayerFactory


@pytest.fixture
def biller(make_user: Any) -> Any:
    """Rules are practice-wide: only billing.manage at every location may change them."""
    return make_user(Role.BILLER)


@pytest.fixture
def viewer(make_user: Any, north: Any) -> Any:
    return make_user(Role.PRACTICE_MANAGER, Tier.ENTRY, locations=[north])


def form_data(**changes: Any) -> dict[str, Any]:
    return {"name": "Aetna telehealth", "payer": "", "procedure_code": "99213", "place_of_service": "02",
            "requires_modifier": "95", "forbids_modifier": "", "severity": "error",
            "message": "Telehealth visits need modifier 95.", "fix_hint": "Add 95 to the line.", **changes}


def test_the_list_shows_each_rule_in_a_sentence_and_the_built_in_checks(signed_in: Any, biller: Any) -> None:
    aetna = PayerFactory(name="Aetna")
    ScrubRuleFactory(name="Aetna telehealth", payer=aetna, procedure_code="99213", place_of_service="02",
                     requires_modifier="95", created_by=biller)
    response = signed_in(biller).get(reverse("billing:rule_list"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "On lines for Aetna with code 99213 at POS 02: require modifier 95 — error" in page
    assert "npi_check_digit" in page
    assert "Every NPI passes its check digit" in page
    assert reverse("billing:rule_create") in page


def test_switched_off_rules_are_listed_on_their_own(signed_in: Any, biller: Any) -> None:
    ScrubRuleFactory(name="Old rule", procedure_code="99213", is_active=False, created_by=biller)
    ScrubRuleFactory(name="Current rule", procedure_code="99214", created_by=biller)
    client = signed_in(biller)
    active = client.get(reverse("billing:rule_list")).content.decode()
    inactive = client.get(reverse("billing:rule_list"), {"status": "inactive"}).content.decode()
    assert "Current rule" in active
    assert "Old rule" not in active
    assert "Old rule" in inactive
    assert "Current rule" not in inactive


def test_someone_who_only_views_billing_sees_the_rules_without_links_to_change_them(
        signed_in: Any, viewer: Any, biller: Any) -> None:
    rule = ScrubRuleFactory(procedure_code="99213", created_by=biller)
    page = signed_in(viewer).get(reverse("billing:rule_list")).content.decode()
    assert rule.name in page
    assert reverse("billing:rule_create") not in page
    assert reverse("billing:rule_edit", args=[rule.pk]) not in page


def test_a_biller_adds_a_rule_through_the_form(signed_in: Any, biller: Any) -> None:
    response = signed_in(biller).post(reverse("billing:rule_create"), form_data(requires_modifier="95"))
    assert response.status_code == 302
    rule = ScrubRule.objects.get()
    assert (rule.name, rule.procedure_code, rule.place_of_service, rule.requires_modifier, rule.created_by) == (
        "Aetna telehealth", "99213", "02", "95", biller)


def test_a_rule_with_a_bad_code_comes_back_with_the_reason_and_nothing_is_saved(signed_in: Any, biller: Any) -> None:
    response = signed_in(biller).post(reverse("billing:rule_create"), form_data(procedure_code="9921",
                                                                                requires_modifier="9"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "CPT codes have exactly 5 digits" in page
    assert "two letters or digits" in page
    assert not ScrubRule.objects.exists()


def test_a_rule_without_any_filter_is_refused(signed_in: Any, biller: Any) -> None:
    response = signed_in(biller).post(reverse("billing:rule_create"), form_data(procedure_code="", place_of_service=""))
    assert response.status_code == 400
    assert "Choose at least one of payer, procedure code or place of service" in response.content.decode()
    assert not ScrubRule.objects.exists()


def test_the_form_explains_the_rule_as_it_is_typed(signed_in: Any, biller: Any) -> None:
    aetna = PayerFactory(name="Aetna")
    response = signed_in(biller).get(reverse("billing:rule_create"), {
        "explain": "1", "payer": str(aetna.pk), "procedure_code": "99213", "place_of_service": "02",
        "requires_modifier": "95", "severity": "error"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.content.decode().strip().startswith('<p id="rule-explanation"')
    assert "On lines for Aetna with code 99213 at POS 02: require modifier 95 — error" in response.content.decode()
    assert "<html" not in response.content.decode()


def test_the_edit_form_opens_with_the_rules_sentence_and_saves_changes(signed_in: Any, biller: Any) -> None:
    rule = ScrubRuleFactory(name="Labs", procedure_code="36415", forbids_modifier="59", created_by=biller)
    client = signed_in(biller)
    page = client.get(reverse("billing:rule_edit", args=[rule.pk])).content.decode()
    assert "On lines with code 36415: forbid modifier 59 — error" in page
    response = client.post(reverse("billing:rule_edit", args=[rule.pk]),
                           form_data(name="Labs", procedure_code="36415", place_of_service="", requires_modifier="",
                                     forbids_modifier="59", severity="warning", message=rule.message))
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.severity == "warning"
    assert AuditEvent.objects.get(action="billing.scrub_rule_updated").changed_fields == "fix_hint,severity"


def test_a_rule_is_switched_off_from_its_page(signed_in: Any, biller: Any) -> None:
    rule = ScrubRuleFactory(procedure_code="99213", created_by=biller)
    client = signed_in(biller)
    assert client.post(reverse("billing:rule_edit", args=[rule.pk]), {"action": "deactivate"}).status_code == 302
    rule.refresh_from_db()
    assert not rule.is_active
    assert client.post(reverse("billing:rule_edit", args=[rule.pk]), {"action": "activate"}).status_code == 302
    rule.refresh_from_db()
    assert rule.is_active


def test_someone_who_only_views_billing_cannot_open_or_post_the_rule_forms(
        signed_in: Any, viewer: Any, biller: Any) -> None:
    rule = ScrubRuleFactory(procedure_code="99213", created_by=biller)
    client = signed_in(viewer)
    assert client.get(reverse("billing:rule_create")).status_code == 404
    assert client.post(reverse("billing:rule_create"), form_data()).status_code == 404
    assert client.post(reverse("billing:rule_edit", args=[rule.pk]), {"action": "deactivate"}).status_code == 404
    assert list(ScrubRule.objects.values_list("pk", "is_active")) == [(rule.pk, True)]
    assert AuditEvent.objects.filter(actor=viewer, outcome=Outcome.DENIED).count() == 3


def test_a_rule_for_a_payer_deactivated_since_can_still_be_edited(signed_in: Any, biller: Any) -> None:
    gone = PayerFactory(name="Old Payer", is_active=False)
    rule = ScrubRuleFactory(name="Old payer rule", payer=gone, procedure_code="99213", created_by=biller)
    response = signed_in(biller).post(reverse("billing:rule_edit", args=[rule.pk]), form_data(
        name="Old payer rule", payer=str(gone.pk), place_of_service="", requires_modifier="", severity="warning",
        message=rule.message))
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.payer, rule.severity) == (gone, "warning")


def test_a_biller_of_one_location_sees_the_rules_but_cannot_open_or_post_the_forms(
        signed_in: Any, make_user: Any, north: Any, biller: Any) -> None:
    rule = ScrubRuleFactory(procedure_code="99213", created_by=biller)
    north_biller = make_user(Role.BILLER, locations=[north], username="north-biller")
    client = signed_in(north_biller)
    page = client.get(reverse("billing:rule_list")).content.decode()
    assert rule.name in page
    assert reverse("billing:rule_create") not in page
    assert reverse("billing:rule_edit", args=[rule.pk]) not in page
    assert client.get(reverse("billing:rule_create")).status_code == 404
    assert client.post(reverse("billing:rule_create"), form_data()).status_code == 404
    assert client.get(reverse("billing:rule_edit", args=[rule.pk])).status_code == 404
    assert client.post(reverse("billing:rule_edit", args=[rule.pk]), {"action": "deactivate"}).status_code == 404
    assert list(ScrubRule.objects.values_list("pk", "is_active", "message")) == [(rule.pk, True, rule.message)]
    assert AuditEvent.objects.filter(actor=north_biller, outcome=Outcome.DENIED).count() == 4


@pytest.mark.parametrize("payer", ["²", "١٢", "99999999999999999999", "-1", "x"])
def test_a_payer_that_is_no_id_leaves_the_live_sentence_without_a_payer(signed_in: Any, biller: Any,
                                                                        payer: str) -> None:
    response = signed_in(biller).get(reverse("billing:rule_create"), {
        "explain": "1", "payer": payer, "procedure_code": "99213", "severity": "error"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "On lines with code 99213" in response.content.decode()
