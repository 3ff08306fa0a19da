"""The bulk helpers the scrubber's 10,000-claim path stands on: `any_of` lookups, instance-free row inserts and
the paused collector. Run on SQLite and PostgreSQL alike (CI runs both)."""

from __future__ import annotations

import datetime as dt
import gc
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openpractice.accounts.roles import Role
from openpractice.audit.models import AuditEvent
from openpractice.billing.choices import ClaimStatus, StatusSource
from openpractice.billing.models import Claim, ClaimStatusChange
from openpractice.billing.services.claim_status import StatusMove, claims_transition
from openpractice.billing.tests.factories import make_claim
from openpractice.core.bulk_insert import insert_rows
from openpractice.core.gc_pause import gc_paused
from openpractice.core.lookups import any_of_chunk_size

pytestmark = pytest.mark.django_db


@pytest.fixture
def biller(make_user: Any, north: Any) -> Any:
    return make_user(Role.BILLER, locations=[north])


@pytest.fixture
def claims(north: Any, biller: Any) -> list[Claim]:
    made = [make_claim(location=north, actor=biller) for _ in range(3)]
    made[2].status = ClaimStatus.HELD
    made[2].save(update_fields=["status"])
    return made


def test_any_of_selects_what_in_selects(claims: list[Claim]) -> None:
    ids = [claims[0].pk, claims[2].pk]
    assert set(Claim.objects.filter(pk__any_of=ids)) == set(Claim.objects.filter(pk__in=ids)) == {claims[0],
                                                                                                  claims[2]}
    assert set(Claim.objects.exclude(pk__any_of=ids)) == {claims[1]}
    assert list(Claim.objects.filter(pk__any_of=[])) == []
    assert set(Claim.objects.exclude(pk__any_of=[])) == set(claims)


def test_any_of_on_relations_and_text(claims: list[Claim]) -> None:
    patients = {claims[1].patient_id}
    assert list(Claim.objects.filter(patient_id__any_of=patients)) == [claims[1]]  # a set is fine
    assert list(Claim.objects.filter(patient__any_of=sorted(patients))) == [claims[1]]
    assert set(Claim.objects.filter(status__any_of=[ClaimStatus.HELD, ClaimStatus.CLOSED])) == {claims[2]}
    quoted = "x'); DELETE FROM billing_claim; --"
    assert list(Claim.objects.filter(claim_number__any_of=[quoted])) == []  # text values stay bound parameters
    assert Claim.objects.count() == 3


def test_any_of_sends_one_parameter_on_postgresql(claims: list[Claim]) -> None:
    with CaptureQueriesContext(connection) as queries:
        list(Claim.objects.filter(pk__any_of=[claim.pk for claim in claims]))
    sql = queries.captured_queries[0]["sql"]
    if connection.vendor == "postgresql":
        assert "= ANY(" in sql
        assert " IN (" not in sql
        assert any_of_chunk_size() > 2000
    else:
        assert " IN (" in sql
        assert any_of_chunk_size() == 2000


def test_any_of_refuses_a_single_value(claims: list[Claim]) -> None:
    with pytest.raises(TypeError, match="list of values"):
        list(Claim.objects.filter(claim_number__any_of="CLM1"))
    with pytest.raises(TypeError, match="list of values"):
        list(Claim.objects.filter(pk__any_of=5))


def test_insert_rows_writes_plain_rows_and_prepares_constants(claims: list[Claim], biller: Any) -> None:
    at = dt.datetime(2026, 11, 2, 15, 30, tzinfo=dt.UTC)
    rows = [(claim.pk, "draft", "ready", f"reason {n}") for n, claim in enumerate(claims)]
    with CaptureQueriesContext(connection) as queries:
        inserted = insert_rows(ClaimStatusChange, ("claim", "from_status", "to_status", "reason"), rows,
                               constants={"source": StatusSource.SCRUBBER, "actor": biller.pk, "at": at})
    assert inserted == 3
    assert len(queries) == 1  # one statement (UNNEST on PostgreSQL, executemany elsewhere)
    stored = list(ClaimStatusChange.objects.filter(source=StatusSource.SCRUBBER).order_by("reason"))
    assert [(c.claim_id, c.from_status, c.to_status, c.reason, c.actor_id, c.at) for c in stored] == [
        (claim.pk, "draft", "ready", f"reason {n}", biller.pk, at) for n, claim in enumerate(claims)]


def test_insert_rows_with_nothing_to_insert_runs_no_query() -> None:
    with CaptureQueriesContext(connection) as queries:
        assert insert_rows(ClaimStatusChange, ("claim",), []) == 0
    assert len(queries) == 0


def test_insert_rows_refuses_columns_it_cannot_pass_through(claims: list[Claim]) -> None:
    before = ClaimStatusChange.objects.count(), AuditEvent.objects.count()
    with pytest.raises(TypeError, match="only integer, text"):  # an address column has no plain form here
        insert_rows(AuditEvent, ("seq", "ip_address"), [(1, "10.0.0.1")])
    with pytest.raises(TypeError, match="not a column"):
        insert_rows(Claim, ("status_changes",), [(1,)])
    assert (ClaimStatusChange.objects.count(), AuditEvent.objects.count()) == before


def test_claims_transition_records_history_through_insert_rows(claims: list[Claim], biller: Any) -> None:
    moves = [(claims[0], ClaimStatus.READY, ""), (claims[1], ClaimStatus.HELD, "NPI fails its check digit"),
             (claims[2], ClaimStatus.HELD, "already held")]
    changes = claims_transition(actor=biller, moves=moves, source=StatusSource.SCRUBBER)
    assert changes == [StatusMove(claims[0].pk, "draft", "ready"), StatusMove(claims[1].pk, "draft", "held")]
    history = {(c.claim_id, c.from_status, c.to_status, c.reason, c.source, c.actor_id)
               for c in ClaimStatusChange.objects.filter(source=StatusSource.SCRUBBER)}
    assert history == {(claims[0].pk, "draft", "ready", "", "scrubber", biller.pk),
                       (claims[1].pk, "draft", "held", "NPI fails its check digit", "scrubber", biller.pk)}
    assert [Claim.objects.get(pk=c.pk).status for c in claims] == ["ready", "held", "held"]


def test_gc_paused_restores_the_collector_even_when_the_block_fails() -> None:
    seen: list[bool] = []

    def fail_inside() -> None:
        with gc_paused():
            seen.append(gc.isenabled())
            raise RuntimeError("boom")

    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        fail_inside()
    assert seen == [False]
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()
