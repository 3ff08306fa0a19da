"""Billing settings (submitter, receiver, usage, drop directory): who may change them, what is refused, and the
page that shows them."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.billing.models import BillingSettings
from openpractice.billing.services.billing_settings import billing_settings_save
from openpractice.billing.tests.factories import BillingSettingsFactory
from openpractice.core.models import Location

VALID = {
    "submitter_name": "Riverbend Family Medicine", "submitter_id": "RIVERBEND01", "contact_name": "Billing Office",
    "contact_phone": "(919) 555-0100", "contact_email": "billing@riverbend.example",
    "receiver_name": "Demo Clearinghouse", "receiver_id": "CLEARHOUSE01", "usage_indicator": "T",
    "drop_directory": "",
    # Receivables: what the form shows pre-filled (the model's defaults) unless the practice changes them.
    "write_off_approval_threshold": "50.00", "statement_minimum_balance": "5.00", "statement_how_to_pay": "",
}


@pytest.fixture(autouse=True)
def data_dir(settings: Any, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path
    settings.OPENPRACTICE_X12_DROP_ROOTS = []
    return tmp_path


@pytest.fixture
def biller(make_user: Callable[..., User]) -> User:
    return make_user(Role.BILLER, username="biller")


def _row() -> list[Any]:
    return list(BillingSettings.objects.values_list(*VALID))


def test_a_biller_at_every_location_enters_the_settings_and_the_change_is_audited(biller: User) -> None:
    saved = billing_settings_save(actor=biller, data=VALID)
    assert saved.contact_phone == "9195550100"
    [created] = AuditEvent.objects.filter(action="billing.settings_created")
    assert "submitter_id" in created.changed_fields
    assert "drop_directory" not in created.changed_fields
    billing_settings_save(actor=biller, data={"usage_indicator": "P", "submitter_id": "RIVERBEND01"})
    [updated] = AuditEvent.objects.filter(action="billing.settings_updated")
    assert updated.changed_fields == "usage_indicator"
    assert BillingSettings.objects.get().usage_indicator == "P"


def test_a_biller_of_one_location_cannot_change_practice_wide_settings(
    db: Any, north: Location, make_user: Callable[..., User],
) -> None:
    BillingSettingsFactory()
    before = _row()
    north_biller = make_user(Role.BILLER, locations=[north])
    with pytest.raises(PermissionDenied):
        billing_settings_save(actor=north_biller, data={"usage_indicator": "P"})
    assert _row() == before
    assert AuditEvent.objects.filter(actor=north_biller, outcome="denied").count() == 1


@pytest.mark.parametrize(("field", "value", "message"), [
    ("contact_phone", "555-0100", "ten digits"),
    ("submitter_id", "RIVER BEND", "letters, digits"),
    ("receiver_id", "CLEAR*HOUSE", "letters, digits"),
    ("submitter_name", "Riverbend*Family", "X12 separators"),
    ("drop_directory", "outbox", "absolute path"),
    ("drop_directory", "/etc/cron.d", "must be inside"),
    ("usage_indicator", "X", "not a valid choice"),
])
def test_values_a_clearinghouse_would_reject_are_refused_and_nothing_is_saved(
    biller: User, field: str, value: str, message: str,
) -> None:
    billing_settings_save(actor=biller, data=VALID)
    before = _row()
    with pytest.raises(ValidationError) as raised:
        billing_settings_save(actor=biller, data={field: value})
    assert message in " ".join(raised.value.message_dict[field])
    assert _row() == before


def test_the_drop_directory_may_be_under_the_data_directory_or_a_root_the_administrator_allowed(
    biller: User, data_dir: Path, settings: Any, tmp_path_factory: Any,
) -> None:
    billing_settings_save(actor=biller, data={**VALID, "drop_directory": str(data_dir / "x12" / "clearinghouse")})
    with pytest.raises(ValidationError, match="where batches are built"):
        billing_settings_save(actor=biller, data={"drop_directory": str(data_dir / "x12" / "batches")})
    elsewhere = tmp_path_factory.mktemp("sftp-client")
    with pytest.raises(ValidationError):
        billing_settings_save(actor=biller, data={"drop_directory": str(elsewhere / "out")})
    settings.OPENPRACTICE_X12_DROP_ROOTS = [elsewhere]
    billing_settings_save(actor=biller, data={"drop_directory": str(elsewhere / "out")})
    assert BillingSettings.objects.get().drop_directory == str(elsewhere / "out")


def test_the_settings_page_saves_for_a_biller(biller: User, signed_in: Callable[[User], Client]) -> None:
    client = signed_in(biller)
    assert client.get(reverse("billing:settings")).status_code == 200
    response = client.post(reverse("billing:settings"), VALID)
    assert response.status_code == 302
    assert BillingSettings.objects.get().receiver_id == "CLEARHOUSE01"
    bad = client.post(reverse("billing:settings"), {**VALID, "contact_phone": "12"})
    assert bad.status_code == 400
    assert "ten digits" in bad.content.decode()
    assert BillingSettings.objects.get().contact_phone == "9195550100"


def test_the_settings_page_sets_the_write_off_threshold_and_statement_text(
    biller: User, signed_in: Callable[[User], Client],
) -> None:
    client = signed_in(biller)
    response = client.post(reverse("billing:settings"), {
        **VALID, "write_off_approval_threshold": "125.00", "statement_how_to_pay": "Call 919-555-0100 to pay by card."})
    assert response.status_code == 302
    saved = BillingSettings.objects.get()
    assert (saved.write_off_approval_threshold, saved.statement_how_to_pay) == (
        Decimal("125.00"), "Call 919-555-0100 to pay by card.")
    bad = client.post(reverse("billing:settings"), {**VALID, "write_off_approval_threshold": "-1"})
    assert bad.status_code == 400
    assert BillingSettings.objects.get().write_off_approval_threshold == Decimal("125.00")


def test_a_practice_manager_who_only_views_billing_sees_the_settings_but_cannot_change_them(
    db: Any, make_user: Callable[..., User], signed_in: Callable[[User], Client],
) -> None:
    BillingSettingsFactory()
    before = _row()
    manager = make_user(Role.PRACTICE_MANAGER, Tier.ENTRY)
    client = signed_in(manager)
    page = client.get(reverse("billing:settings")).content.decode()
    assert "CLEARHOUSE01" in page
    assert 'name="receiver_id"' not in page
    response = client.post(reverse("billing:settings"), {**VALID, "receiver_id": "OTHER"}, follow=True)
    assert "You may read the billing settings but not change them." in response.content.decode()
    assert _row() == before
    assert AuditEvent.objects.filter(actor=manager, outcome="denied").count() == 1


def test_the_front_desk_cannot_open_the_billing_settings(db: Any, make_user: Callable[..., User],
                                                         signed_in: Callable[[User], Client]) -> None:
    desk = make_user(Role.FRONT_DESK)
    client = signed_in(desk)
    assert client.get(reverse("billing:settings")).status_code == 404
    assert client.post(reverse("billing:settings"), VALID).status_code == 404
    assert not BillingSettings.objects.exists()


def test_the_server_folders_are_shown_only_to_those_who_may_change_the_settings(
    biller: User, north: Location, make_user: Callable[..., User], signed_in: Callable[[User], Client],
    data_dir: Path, settings: Any,
) -> None:
    drop_root = data_dir / "clearinghouse"
    settings.OPENPRACTICE_X12_DROP_ROOTS = [str(drop_root)]
    BillingSettingsFactory(drop_directory=str(drop_root / "outbox"))
    editor_page = signed_in(biller).get(reverse("billing:settings")).content.decode()
    assert str(data_dir) in editor_page
    assert str(drop_root) in editor_page
    readers = [make_user(Role.PRACTICE_MANAGER, Tier.ENTRY, username="pm-entry"),
               make_user(Role.BILLER, locations=[north], username="north-biller")]
    for reader in readers:
        page = signed_in(reader).get(reverse("billing:settings")).content.decode()
        assert "CLEARHOUSE01" in page  # the settings themselves are readable
        assert str(data_dir) not in page
        assert str(drop_root) not in page
        assert "outbox" not in page
        assert 'name="receiver_id"' not in page
