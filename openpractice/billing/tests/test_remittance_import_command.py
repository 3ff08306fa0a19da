"""`openpractice billing import-835 FILE --user U [--dry-run] [--json]` and `billing check-ledger [--json]`: the
summary as text or JSON with the agreed keys, a non-zero exit for a refused file or an unsound ledger."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role
from openpractice.billing.models import AccountBalance, Claim, LedgerEntry, Remittance, RemittanceImport
from openpractice.billing.tests.factories import make_claim
from openpractice.billing.tests.remit_support import charge_ledger, claim_payment, era, era_for
from openpractice.core.models import Location

pytestmark = pytest.mark.django_db

KEYS = {"payments", "claims_matched", "claims_unmatched", "paid_total", "adjustment_total",
        "patient_responsibility_total", "denied_claims", "reversed_claims", "duplicates_skipped", "errors"}


@pytest.fixture
def biller(make_user: Callable[..., User]) -> User:
    return make_user(Role.BILLER, username="biller")


@pytest.fixture
def claims(biller: User, north: Location) -> list[Claim]:
    made = [make_claim(location=north, actor=biller, status="accepted") for _ in range(2)]
    charge_ledger(made, biller)
    return made


def run(*args: str) -> str:
    out = StringIO()
    call_command("billing", *args, stdout=out)
    return out.getvalue()


def write(tmp_path: Path, text: str, name: str = "era.835") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_import_prints_the_summary_as_json_with_the_agreed_keys(claims: list[Claim], tmp_path: Path) -> None:
    path = write(tmp_path, era([claim_payment(claims[0]), claim_payment(claims[1], status="4"),
                                claim_payment(claims[1], number="NOT-OURS")]))

    data = json.loads(run("import-835", str(path), "--user", "biller", "--json"))

    assert set(data) >= KEYS
    assert set(data) - KEYS == {"notices", "dry_run", "import_id"}
    assert data == {**data, "payments": 1, "claims_matched": 2, "claims_unmatched": 1, "paid_total": "100.00",
                    "adjustment_total": "25.00", "patient_responsibility_total": "0.00", "denied_claims": 1,
                    "reversed_claims": 0, "duplicates_skipped": 0, "errors": [], "dry_run": False}
    assert data["import_id"] == RemittanceImport.objects.get().pk
    assert any("NOT-OURS" in notice for notice in data["notices"])


def test_import_prints_a_sentence_and_a_second_import_says_it_was_done(claims: list[Claim], tmp_path: Path) -> None:
    path = write(tmp_path, era_for(claims))

    text = run("import-835", str(path), "--user", "biller")

    assert "Posted era.835: 1 payment(s) (0 already posted), 2 claim(s) posted" in text
    assert "paid $200.00, adjusted $50.00" in text
    assert "already imported" in run("import-835", str(path), "--user", "biller")
    assert Remittance.objects.count() == 1


def test_a_dry_run_prints_what_would_be_posted_and_changes_nothing(claims: list[Claim], tmp_path: Path) -> None:
    path = write(tmp_path, era_for(claims))
    entries = LedgerEntry.objects.count()

    data = json.loads(run("import-835", str(path), "--user", "biller", "--dry-run", "--json"))

    assert (data["dry_run"], data["claims_matched"], data["import_id"]) == (True, 2, None)
    assert LedgerEntry.objects.count() == entries
    assert not RemittanceImport.objects.exists()


def test_a_refused_file_exits_non_zero_and_posts_nothing(claims: list[Claim], tmp_path: Path) -> None:
    path = write(tmp_path, era_for(claims).replace("*200.00*C*", "*199.00*C*"))
    out = StringIO()

    with pytest.raises(CommandError) as refused:
        call_command("billing", "import-835", str(path), "--user", "biller", "--json", stdout=out)

    assert refused.value.returncode == 1
    data = json.loads(out.getvalue())
    assert len(data["errors"]) == 1
    assert "BPR" in data["errors"][0]
    assert not Remittance.objects.exists()
    assert RemittanceImport.objects.get().status == "refused"


@pytest.mark.parametrize(("user", "message"), [("nobody", "No active user"), ("desk", "may not post payments")])
def test_an_unknown_user_or_one_who_may_not_post_is_refused(claims: list[Claim], tmp_path: Path,
                                                           make_user: Callable[..., User], user: str,
                                                           message: str) -> None:
    make_user(Role.FRONT_DESK, username="desk")
    path = write(tmp_path, era_for(claims))

    with pytest.raises(CommandError, match=message):
        run("import-835", str(path), "--user", user)

    assert not Remittance.objects.exists()


def test_check_ledger_passes_on_a_sound_ledger_and_fails_on_a_broken_cache(claims: list[Claim]) -> None:
    assert "The ledger is sound" in run("check-ledger")
    assert json.loads(run("check-ledger", "--json")) == {"ok": True, "differences": []}
    row = AccountBalance.objects.filter(claim=claims[0]).get()
    AccountBalance.objects.filter(pk=row.pk).update(balance=Decimal("1.00"))

    out = StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("billing", "check-ledger", "--json", stdout=out)

    assert failed.value.returncode == 1
    assert json.loads(out.getvalue())["differences"] == [
        {"key": row.key, "cached": "1.00", "from_entries": "125.00"}]
