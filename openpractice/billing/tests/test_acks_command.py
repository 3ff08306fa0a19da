"""`openpractice billing import-ack FILE --user U` and `billing import-271 FILE --user U`: the imports from
the server's command line, human text by default and JSON with --json."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.billing.models import AcknowledgementImport, Claim
from openpractice.billing.tests.factories import make_claim
from openpractice.patients.models import EligibilityResponse
from openpractice.patients.tests.factories import CoverageFactory, PatientFactory, PayerFactory

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).parent / "x12"


@pytest.fixture
def biller(make_user: Callable[..., User]) -> User:
    return make_user(Role.BILLER, username="biller")


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("billing", *args, stdout=out)
    return out.getvalue()


def submitted(actor: User, location, number: str) -> Claim:
    claim = make_claim(location=location, actor=actor, status="submitted")
    Claim.objects.filter(pk=claim.pk).update(claim_number=number)
    return Claim.objects.get(pk=claim.pk)


def test_import_ack_prints_json_with_each_claim(biller, north):
    submitted(biller, north, "OP0000301")
    submitted(biller, north, "OP0000302")
    data = json.loads(run("import-ack", str(SAMPLES / "277ca-mixed.x12"), "--user", "biller", "--json"))
    assert data["kind"] == "277CA"
    assert data["accepted"] == ["OP0000301"]
    assert data["rejected"][0]["claim"] == "OP0000302"
    assert "BILLING PROVIDER NPI NOT ON FILE" in data["rejected"][0]["reason"]
    assert data["unknown"] == ["OP0000303", "OP9999999"]
    assert data["duplicate"] is False


def test_import_ack_prints_a_human_summary_and_says_when_a_file_came_twice(biller, north):
    submitted(biller, north, "OP0000302")
    text = run("import-ack", str(SAMPLES / "277ca-mixed.x12"), "--user", "biller")
    assert "Imported 277CA 277ca-mixed.x12: 0 claim(s) accepted, 1 rejected." in text
    assert "rejected OP0000302: 277CA: A7/562" in text
    assert "already imported" in run("import-ack", str(SAMPLES / "277ca-mixed.x12"), "--user", "biller")


def test_import_271_prints_json_without_patient_names(biller, north):
    coverage = CoverageFactory(patient=PatientFactory(home_location=north, last_name="Doe"),
                               payer=PayerFactory(payer_id="12345"), member_id="W123456789")
    output = run("import-271", str(SAMPLES / "271-active.x12"), "--user", "biller", "--json")
    data = json.loads(output)
    assert data["recorded"] == [{"coverage_id": coverage.pk, "patient_id": coverage.patient_id, "active": True,
                                 "copay": "30.00", "deductible": "1500.00", "deductible_remaining": "1200.00"}]
    assert "Doe" not in output
    assert EligibilityResponse.objects.count() == 1


def test_a_malformed_file_fails_the_command_and_changes_nothing(biller, north, tmp_path):
    claim = submitted(biller, north, "OP0000302")
    broken = tmp_path / "broken.x12"
    broken.write_bytes((SAMPLES / "277ca-mixed.x12").read_bytes().replace(b"IEA*1*000004601~", b""))
    with pytest.raises(CommandError, match="cut short"):
        run("import-ack", str(broken), "--user", "biller")
    assert Claim.objects.get(pk=claim.pk).status == "submitted"
    assert AcknowledgementImport.objects.count() == 0


@pytest.mark.parametrize(("args", "message"), [
    (["import-ack", "missing.x12", "--user", "biller"], "is not a file"),
    (["import-ack", str(SAMPLES / "999-accepted.x12"), "--user", "nobody"], "No active user"),
    (["import-271", str(SAMPLES / "999-accepted.x12"), "--user", "biller"], "not a 271"),
])
def test_wrong_input_is_a_clear_error(biller, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)


def test_a_user_without_billing_manage_imports_nothing(make_user, north):
    make_user(Role.FRONT_DESK, username="desk")
    with pytest.raises(CommandError, match="may not import"):
        run("import-ack", str(SAMPLES / "999-accepted.x12"), "--user", "desk")
    assert AcknowledgementImport.objects.count() == 0
