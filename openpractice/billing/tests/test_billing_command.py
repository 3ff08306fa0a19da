"""`openpractice billing export-837`: a batch from the ready claims written to a file, as text or JSON, and a
clear non-zero exit when there is nothing to do or the input is wrong."""

from __future__ import annotations

import json
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.audit.models import AuditEvent
from openpractice.billing.models import Claim, ClaimBatch
from openpractice.billing.tests.x12_support import ready_claim, ready_practice
from openpractice.billing.transports import batch_file_path
from openpractice.billing.x12.validate import validate_x12
from openpractice.core.models import Location, Practice
from openpractice.patients.tests.factories import PayerFactory


@pytest.fixture(autouse=True)
def data_dir(settings: Any, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path / "data"
    return tmp_path


@pytest.fixture
def biller(make_user: Callable[..., User]) -> User:
    return make_user(Role.BILLER, username="biller")


def export(*args: str) -> str:
    out = StringIO()
    call_command("billing", "export-837", *args, stdout=out)
    return out.getvalue()


def test_export_writes_the_837p_keeps_the_batch_and_prints_a_summary(
    practice: Practice, north: Location, south: Location, biller: User, tmp_path: Path,
) -> None:
    ready_practice(practice)
    ready_claim(north, biller)
    ready_claim(south, biller)
    target = tmp_path / "claims.x12"
    printed = export("--out", str(target))
    batch = ClaimBatch.objects.get()
    assert printed.strip() == (f"Exported 2 claim(s), total charge $250.00, to {target} "
                               f"(batch {batch.interchange_control_number:09d}, {batch.file_size:,} bytes).")
    assert target.read_bytes() == batch_file_path(batch).read_bytes()
    assert validate_x12(target).ok
    assert Claim.objects.filter(batch=batch).count() == 2
    assert batch.created_by is None
    [event] = AuditEvent.objects.filter(action="billing.batch_built")
    assert event.actor is None
    assert "openpractice billing export-837" in event.reason


def test_export_for_one_payer_prints_json(practice: Practice, north: Location, biller: User,
                                          tmp_path: Path) -> None:
    ready_practice(practice)
    payer = PayerFactory(payer_id="BRH01")
    wanted = ready_claim(north, biller, payer=payer)
    ready_claim(north, biller)
    target = tmp_path / "brh.x12"
    data = json.loads(export("--out", str(target), "--payer", "BRH01", "--json", "--validate"))
    assert data["claims"] == 1
    assert data["total_charge"] == "125.00"
    assert data["files"] == [str(target)]
    assert data["validation"]["ok"] is True
    assert Claim.objects.get(pk=wanted.pk).batch_id == data["batch"]["id"]
    assert "BRH01" in target.read_text()


def test_nothing_ready_exits_non_zero_with_a_message(practice: Practice, tmp_path: Path) -> None:
    ready_practice(practice)
    with pytest.raises(CommandError, match=r"No claims are ready to send: nothing was exported\."):
        export("--out", str(tmp_path / "x.x12"))
    assert not (tmp_path / "x.x12").exists()


def test_an_unknown_payer_exits_non_zero(practice: Practice, north: Location, biller: User,
                                         tmp_path: Path) -> None:
    ready_practice(practice)
    ready_claim(north, biller)
    with pytest.raises(CommandError, match="Unknown payer ID “NOPE”"):
        export("--out", str(tmp_path / "x.x12"), "--payer", "NOPE")
    assert not ClaimBatch.objects.exists()


def test_missing_billing_settings_exit_non_zero(practice: Practice, north: Location, biller: User,
                                               tmp_path: Path) -> None:
    ready_claim(north, biller)
    with pytest.raises(CommandError, match="Billing settings are missing"):
        export("--out", str(tmp_path / "x.x12"))
    assert not ClaimBatch.objects.exists()


def test_a_claim_the_837p_cannot_carry_exits_non_zero_naming_it(practice: Practice, north: Location,
                                                                biller: User, tmp_path: Path) -> None:
    ready_practice(practice)
    claim = ready_claim(north, biller, payer=PayerFactory(name="Paper Only", payer_id=""))
    with pytest.raises(CommandError, match=f"No batch was built: Claim {claim.claim_number}: the payer Paper Only"):
        export("--out", str(tmp_path / "x.x12"))


def test_an_output_directory_that_does_not_exist_is_refused_before_anything_is_built(
    practice: Practice, north: Location, biller: User, tmp_path: Path,
) -> None:
    ready_practice(practice)
    ready_claim(north, biller)
    with pytest.raises(CommandError, match="does not exist"):
        export("--out", str(tmp_path / "missing" / "x.x12"))
    assert not ClaimBatch.objects.exists()
