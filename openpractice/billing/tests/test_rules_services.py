"""The practice's scrubber rules through their services: validated in a biller's words, audited, permission."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent, Outcome
from openpractice.billing.choices import Severity
from openpractice.billing.models import ScrubRule
from openpractice.billing.services.rules import scrub_rule_create, scrub_rule_deactivate, scrub_rule_update
from openpractice.billing.tests.factories import ScrubRuleFactory
from openpractice.patients.tests.factories import PayerFactory


@pytest.fixture
def biller(make_user: Any) -> Any:
    """Rules are practice-wide: only billing.manage at every location may change them."""
    return make_user(Role.BILLER)


def data(**changes: Any) -> dict[str, Any]:
    return {"name": "Telehealth needs 95", "payer": None, "procedure_code": "99213", "place_of_service": "02",
            "requires_modifier": "95", "forbids_modifier": "", "requires_prior_authorization": False,
            "severity": Severity.ERROR, "message": "Telehealth visits need modifier 95.",
            "fix_hint": "Add modifier 95 to the line.", **changes}


def errors(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return exc.value.message_dict


def test_a_biller_adds_a_rule_and_it_is_audited(biller: Any) -> None:
    payer = PayerFactory(name="Aetna")
    rule = scrub_rule_create(actor=biller, data=data(payer=payer, procedure_code=" 99213 ", requires_modifier="95"))
    assert (rule.payer, rule.procedure_code, rule.requires_modifier, rule.is_active, rule.created_by) == (
        payer, "99213", "95", True, biller)
    event = AuditEvent.objects.get(action="billing.scrub_rule_created")
    assert (event.object_id, event.patient_id) == (str(rule.pk), None)
    assert set(event.changed_fields.split(",")) == {"name", "payer", "procedure_code", "place_of_service",
                                                    "requires_modifier", "severity", "message", "fix_hint"}


def test_codes_are_stored_in_their_standard_form(biller: Any) -> None:
    rule = scrub_rule_create(actor=biller, data=data(procedure_code="j1100", requires_modifier="gt"))
    assert (rule.procedure_code, rule.requires_modifier) == ("J1100", "GT")


@pytest.mark.parametrize(("changes", "field", "says"), [
    ({"procedure_code": "9921"}, "procedure_code", "exactly 5 digits"),
    ({"procedure_code": "Z1234"}, "procedure_code", "not a CPT or HCPCS code"),
    ({"requires_modifier": "9"}, "requires_modifier", "two letters or digits"),
    ({"forbids_modifier": "2-5"}, "forbids_modifier", "two letters or digits"),
    ({"forbids_modifier": "95"}, "forbids_modifier", "both require and forbid"),
    ({"place_of_service": "98"}, "place_of_service", "place-of-service code"),
    ({"message": "  "}, "message", "the biller will see"),
    ({"procedure_code": "", "place_of_service": ""}, "__all__", "at least one of payer, procedure code"),
    ({"severity": "fatal"}, "severity", "not a valid choice"),
])
def test_a_rule_that_could_never_work_is_refused_in_words_a_biller_understands(
        biller: Any, changes: dict[str, Any], field: str, says: str) -> None:
    with pytest.raises(ValidationError) as exc:
        scrub_rule_create(actor=biller, data=data(**changes))
    assert any(says in message for message in errors(exc)[field]), errors(exc)
    assert not ScrubRule.objects.exists()
    assert not AuditEvent.objects.exists()


def test_two_rules_cannot_share_a_name(biller: Any) -> None:
    scrub_rule_create(actor=biller, data=data())
    with pytest.raises(ValidationError) as exc:
        scrub_rule_create(actor=biller, data=data(procedure_code="99214"))
    assert "name" in str(errors(exc)).lower()
    assert ScrubRule.objects.count() == 1


def test_an_update_records_the_fields_that_changed(biller: Any) -> None:
    rule = scrub_rule_create(actor=biller, data=data())
    scrub_rule_update(actor=biller, rule=rule, data={"severity": Severity.WARNING, "message": rule.message})
    rule.refresh_from_db()
    assert rule.severity == Severity.WARNING
    assert AuditEvent.objects.get(action="billing.scrub_rule_updated").changed_fields == "severity"


def test_an_update_that_removes_the_last_filter_is_refused(biller: Any) -> None:
    rule = scrub_rule_create(actor=biller, data=data())
    with pytest.raises(ValidationError):
        scrub_rule_update(actor=biller, rule=rule, data={"procedure_code": "", "place_of_service": ""})
    rule.refresh_from_db()
    assert (rule.procedure_code, rule.place_of_service) == ("99213", "02")


def test_a_rule_is_switched_off_and_on_again(biller: Any) -> None:
    rule = scrub_rule_create(actor=biller, data=data())
    scrub_rule_deactivate(actor=biller, rule=rule)
    scrub_rule_deactivate(actor=biller, rule=rule)  # already off: nothing more recorded
    rule.refresh_from_db()
    assert not rule.is_active
    assert AuditEvent.objects.filter(action="billing.scrub_rule_deactivated").count() == 1
    scrub_rule_update(actor=biller, rule=rule, data={"is_active": True})
    rule.refresh_from_db()
    assert rule.is_active


def test_unknown_fields_are_refused(biller: Any) -> None:
    with pytest.raises(ValidationError, match="created_by"):
        scrub_rule_create(actor=biller, data=data(created_by=biller))


def test_someone_who_only_views_billing_cannot_change_rules(make_user: Any, north: Any, biller: Any) -> None:
    viewer = make_user(Role.PRACTICE_MANAGER, Tier.ENTRY, locations=[north])
    rule = ScrubRuleFactory(procedure_code="99213", created_by=biller)
    with pytest.raises(PermissionDenied):
        scrub_rule_create(actor=viewer, data=data())
    with pytest.raises(PermissionDenied):
        scrub_rule_update(actor=viewer, rule=rule, data={"message": "Changed"})
    with pytest.raises(PermissionDenied):
        scrub_rule_deactivate(actor=viewer, rule=rule)
    assert list(ScrubRule.objects.values_list("pk", "message", "is_active")) == [(rule.pk, rule.message, True)]
    assert AuditEvent.objects.filter(actor=viewer, outcome=Outcome.DENIED).count() == 3
    assert not AuditEvent.objects.filter(outcome=Outcome.ALLOWED).exists()


def test_a_biller_of_one_location_cannot_change_practice_wide_rules(make_user: Any, north: Any, biller: Any) -> None:
    north_biller = make_user(Role.BILLER, locations=[north], username="north-biller")
    rule = ScrubRuleFactory(procedure_code="99213", created_by=biller)
    with pytest.raises(PermissionDenied, match="every location"):
        scrub_rule_create(actor=north_biller, data=data())
    with pytest.raises(PermissionDenied):
        scrub_rule_update(actor=north_biller, rule=rule, data={"message": "Changed"})
    with pytest.raises(PermissionDenied):
        scrub_rule_deactivate(actor=north_biller, rule=rule)
    assert list(ScrubRule.objects.values_list("pk", "message", "is_active")) == [(rule.pk, rule.message, True)]
    denials = AuditEvent.objects.filter(actor=north_biller, outcome=Outcome.DENIED)
    assert sorted(denials.values_list("action", flat=True)) == [
        "billing.scrub_rule_create", "billing.scrub_rule_deactivate", "billing.scrub_rule_update"]
    assert all("at all locations" in reason for reason in denials.values_list("reason", flat=True))
    assert not AuditEvent.objects.filter(outcome=Outcome.ALLOWED).exists()
