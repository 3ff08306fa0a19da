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
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from openpractice.core.bulk_insert import insert_rows, select_rows
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


_KINDS = frozenset(EntryKind.values)
_PARTIES = frozenset(Party.values)


def _check(entry: NewEntry) -> None:
    if entry.kind not in _KINDS:
        raise ValidationError(_("Unknown kind of ledger entry: %(kind)s.") % {"kind": entry.kind})
    if entry.party not in _PARTIES:
        raise ValidationError(_("Unknown party: %(party)s.") % {"party": entry.party})
    if entry.party == Party.PAYER and entry.payer_id is None:
        raise ValidationError(_("An amount owed by a payer must name the payer."))
    if not isinstance(entry.amount, Decimal) or not entry.amount.is_finite():
        raise ValidationError(_("A ledger amount must be a finite decimal."))
    if entry.amount != entry.amount.quantize(CENT):
        raise ValidationError(_("A ledger amount is in whole cents: %(amount)s.") % {"amount": entry.amount})


ENTRY_FIELDS = ("kind", "amount", "party", "patient", "location", "payer", "claim", "claim_line", "charge",
                "service_date", "group_code", "reason_code", "remittance_claim", "remittance", "payment", "reverses",
                "memo")


@transaction.atomic
def ledger_post(*, actor: Any, entries: Sequence[NewEntry], posted_on: dt.date) -> int:
    """Append `entries` and add each to its account balance. Zero amounts are skipped (nothing moved). Returns
    the number of entries stored.

    The entries go in as rows of plain values (core.bulk_insert): a 5,000-claim remittance posts over 20,000, and
    building and preparing a model instance for each took seconds. Append-only, as the table requires."""
    wanted = [entry for entry in entries if entry.amount != 0]
    for entry in wanted:
        _check(entry)
    if not wanted:
        return 0
    now = timezone.now()
    insert_rows(LedgerEntry, ENTRY_FIELDS, [
        (entry.kind, entry.amount, entry.party, entry.patient_id, entry.location_id,
         entry.payer_id if entry.party == Party.PAYER else None, entry.claim_id, entry.claim_line_id,
         entry.charge_id, entry.service_date, entry.group_code, entry.reason_code, entry.remittance_claim_id,
         entry.remittance_id, entry.payment_id, entry.reverses_id, entry.memo[:200])
        for entry in wanted], constants={"posted_on": posted_on, "created_by": actor.pk, "created_at": now})
    _add_to_balances(wanted, now=now)
    return len(wanted)


# What a new AccountBalance row is made of (after its key): its first entry's account, then the amount.
_BALANCE_FIELDS = ("key", "patient", "claim", "party", "payer", "location", "service_date", "balance")


def _add_to_balances(entries: Iterable[NewEntry], *, now: dt.datetime) -> None:
    """Add the entries to their AccountBalance rows, creating the rows not there yet, in key order.

    PostgreSQL: one INSERT ... ON CONFLICT DO UPDATE adding each key's total in the database (numeric, exact),
    which also settles a racing transaction creating the same key: the second waits on the row and adds to it.
    SQLite: the writer holds the database (BEGIN IMMEDIATE), so the totals are added in Python, as decimals
    (SQLite would add NUMERIC values as floating point), and written back with the same upsert."""
    deltas: dict[str, Decimal] = defaultdict(Decimal)
    shape: dict[str, tuple[Any, ...]] = {}
    for entry in entries:
        payer_id = entry.payer_id if entry.party == Party.PAYER else None
        key = balance_key(entry.patient_id, entry.claim_id, entry.party, payer_id)
        deltas[key] += entry.amount
        if key not in shape:
            shape[key] = (entry.patient_id, entry.claim_id, entry.party, payer_id, entry.location_id,
                          entry.service_date)
    keys = sorted(deltas)
    fields = [cast("models.Field[Any, Any]", AccountBalance._meta.get_field(name))
              for name in (*_BALANCE_FIELDS, "updated_at")]
    quote = connection.ops.quote_name
    table = quote(AccountBalance._meta.db_table)
    columns = [quote(str(field.column)) for field in fields]
    key_column, balance, updated = columns[0], columns[-2], columns[-1]
    stamp = fields[-1].get_db_prep_save(now, connection)
    # Only quoted names and type names from the model and placeholders go into the SQL; values are bound.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            source, params = select_rows(fields[:-1], [(key, *shape[key], deltas[key]) for key in keys])
            names = ", ".join(f"u.c{index}" for index in range(len(_BALANCE_FIELDS)))
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) SELECT {names}, %s::timestamptz "  # noqa: S608
                f"FROM ({source}) AS u ORDER BY u.c0 "
                f"ON CONFLICT ({key_column}) DO UPDATE SET {balance} = {table}.{balance} + EXCLUDED.{balance}, "
                f"{updated} = EXCLUDED.{updated}", [stamp, *params])
            return
        current: dict[str, Decimal] = {}
        chunk = any_of_chunk_size()
        for start in range(0, len(keys), chunk):
            current.update(AccountBalance.objects.filter(key__any_of=keys[start:start + chunk])
                           .values_list("key", "balance"))
        cursor.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))}) "  # noqa: S608
            f"ON CONFLICT ({key_column}) DO UPDATE SET {balance} = EXCLUDED.{balance}, {updated} = EXCLUDED.{updated}",
            [(key, *shape[key][:5], _sqlite_date(shape[key][5]), current.get(key, Decimal(0)) + deltas[key], stamp)
             for key in keys])


def _sqlite_date(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


@transaction.atomic
def ledger_reverse(*, actor: Any, entries: Sequence[LedgerEntry], posted_on: dt.date, memo: str = "",
                   remittance_claim_id: int | None = None) -> int:
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
