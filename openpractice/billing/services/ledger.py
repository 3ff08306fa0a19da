"""The one way money is recorded: ledger entries, appended in bulk, with their account balances kept in step.

Callers (charge posting, 835 posting, patient payments, refunds, write-offs) build `NewEntry` values and call
`ledger_post` inside their own transaction; nothing else writes LedgerEntry or AccountBalance. An entry is never
changed: `ledger_reverse` posts the opposite of earlier entries (each entry can be reversed once; the database
refuses a second reversal). Auditing is the caller's: it knows what the money movement was (one event per
remittance, per payment).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.core.lookups import any_of_chunk_size

from ..choices import EntryKind, Party
from ..models import AccountBalance, LedgerEntry

CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class NewEntry:
    """One ledger entry to post. `amount` is signed by its effect on what is owed (see models/ledger.py)."""

    kind: str
    amount: Decimal
    party: str
    patient_id: int
    location_id: int
    payer_id: int | None = None
    claim_id: int | None = None
    claim_line_id: int | None = None
    charge_id: int | None = None
    service_date: dt.date | None = None
    group_code: str = ""
    reason_code: str = ""
    remittance_claim_id: int | None = None
    remittance_id: int | None = None
    payment_id: int | None = None
    reverses_id: int | None = None
    memo: str = ""


def balance_key(patient_id: int, claim_id: int | None, party: str, payer_id: int | None) -> str:
    return f"{patient_id}:{claim_id or 0}:{party}:{payer_id or 0}"


def _check(entry: NewEntry) -> None:
    if entry.kind not in EntryKind.values:
        raise ValidationError(_("Unknown kind of ledger entry: %(kind)s.") % {"kind": entry.kind})
    if entry.party not in Party.values:
        raise ValidationError(_("Unknown party: %(party)s.") % {"party": entry.party})
    if entry.party == Party.PAYER and entry.payer_id is None:
        raise ValidationError(_("An amount owed by a payer must name the payer."))
    if not isinstance(entry.amount, Decimal) or not entry.amount.is_finite():
        raise ValidationError(_("A ledger amount must be a finite decimal."))
    if entry.amount != entry.amount.quantize(CENT):
        raise ValidationError(_("A ledger amount is in whole cents: %(amount)s.") % {"amount": entry.amount})


@transaction.atomic
def ledger_post(*, actor: Any, entries: Sequence[NewEntry], posted_on: dt.date) -> list[LedgerEntry]:
    """Append `entries` and add each to its account balance. Zero amounts are skipped (nothing moved). Returns
    the stored entries (with primary keys) in the order given."""
    wanted = [entry for entry in entries if entry.amount != 0]
    for entry in wanted:
        _check(entry)
    if not wanted:
        return []
    now = timezone.now()
    stored = LedgerEntry.objects.bulk_create(
        [LedgerEntry(
            kind=entry.kind, amount=entry.amount, party=entry.party, patient_id=entry.patient_id,
            location_id=entry.location_id, payer_id=entry.payer_id if entry.party == Party.PAYER else None,
            claim_id=entry.claim_id, claim_line_id=entry.claim_line_id, charge_id=entry.charge_id,
            service_date=entry.service_date, posted_on=posted_on, group_code=entry.group_code,
            reason_code=entry.reason_code, remittance_claim_id=entry.remittance_claim_id,
            remittance_id=entry.remittance_id, payment_id=entry.payment_id, reverses_id=entry.reverses_id,
            memo=entry.memo[:200], created_by=actor, created_at=now,
        ) for entry in wanted],
        batch_size=2000,
    )
    _add_to_balances(wanted, now=now)
    return stored


def _add_to_balances(entries: Iterable[NewEntry], *, now: dt.datetime) -> None:
    deltas: dict[str, Decimal] = defaultdict(Decimal)
    shape: dict[str, NewEntry] = {}
    for entry in entries:
        payer_id = entry.payer_id if entry.party == Party.PAYER else None
        key = balance_key(entry.patient_id, entry.claim_id, entry.party, payer_id)
        deltas[key] += entry.amount
        shape.setdefault(key, replace(entry, payer_id=payer_id))
    keys = sorted(deltas)
    # Make sure a row exists for every key (a racing transaction may create the same one: ignore_conflicts),
    # then lock them all in key order and add.
    AccountBalance.objects.bulk_create(
        [AccountBalance(key=key, patient_id=shape[key].patient_id, claim_id=shape[key].claim_id,
                        party=shape[key].party, payer_id=shape[key].payer_id, location_id=shape[key].location_id,
                        service_date=shape[key].service_date, balance=Decimal(0), updated_at=now)
         for key in keys],
        ignore_conflicts=True, batch_size=2000,
    )
    changed: list[AccountBalance] = []
    chunk = any_of_chunk_size()
    for start in range(0, len(keys), chunk):
        for row in AccountBalance.objects.select_for_update().filter(key__any_of=keys[start:start + chunk]).order_by(
                "key").only("pk", "key", "balance"):
            row.balance += deltas[row.key]
            row.updated_at = now
            changed.append(row)
    AccountBalance.objects.bulk_update(changed, ["balance", "updated_at"], batch_size=1000)


@transaction.atomic
def ledger_reverse(*, actor: Any, entries: Sequence[LedgerEntry], posted_on: dt.date, memo: str = "",
                   remittance_claim_id: int | None = None) -> list[LedgerEntry]:
    """Post the opposite of each entry, naming it (`reverses`). An entry already reversed raises
    ValidationError (and the database refuses it even under a race)."""
    already = set(LedgerEntry.objects.filter(reverses_id__any_of=[entry.pk for entry in entries])
                  .values_list("reverses_id", flat=True)) if entries else set()
    if already:
        raise ValidationError(_("These entries were already reversed: %(ids)s.")
                              % {"ids": ", ".join(str(pk) for pk in sorted(already))})
    return ledger_post(actor=actor, posted_on=posted_on, entries=[
        NewEntry(kind=entry.kind, amount=-entry.amount, party=entry.party, patient_id=entry.patient_id,
                 location_id=entry.location_id, payer_id=entry.payer_id, claim_id=entry.claim_id,
                 claim_line_id=entry.claim_line_id, charge_id=entry.charge_id, service_date=entry.service_date,
                 group_code=entry.group_code, reason_code=entry.reason_code,
                 remittance_claim_id=remittance_claim_id or entry.remittance_claim_id,
                 remittance_id=entry.remittance_id, payment_id=entry.payment_id, reverses_id=entry.pk,
                 memo=memo or _("reversal"))
        for entry in entries])


@dataclass(frozen=True)
class LedgerDifference:
    key: str
    cached: Decimal
    from_entries: Decimal


def ledger_differences() -> list[LedgerDifference]:
    """Recompute every account balance from the entries and return where the cache differs (empty when sound).
    For `openpractice billing check-ledger` and the tests."""
    sums: dict[str, Decimal] = {}
    for patient_id, claim_id, party, payer_id, total in (
            LedgerEntry.objects.order_by().values_list("patient_id", "claim_id", "party", "payer_id")
            .annotate(total=Sum("amount"))):
        # SQLite sums NUMERIC columns in floating point: back to cents before comparing.
        sums[balance_key(patient_id, claim_id, party, payer_id)] = Decimal(total).quantize(CENT)
    cached = dict(AccountBalance.objects.values_list("key", "balance"))
    differences = []
    for key in sorted(set(sums) | set(cached)):
        if sums.get(key, Decimal(0)) != cached.get(key, Decimal(0)):
            differences.append(LedgerDifference(key, cached.get(key, Decimal(0)), sums.get(key, Decimal(0))))
    return differences
