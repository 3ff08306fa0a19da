"""Building, submitting and discarding 837P batches: claims locked into one batch only, control numbers never
reused, every transport attempt logged, nothing about the claims changed when a delivery fails."""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections

from openpractice.accounts.models import User
from openpractice.accounts.roles import Role, Tier
from openpractice.audit.models import AuditEvent
from openpractice.billing.models import (
    BatchSubmission,
    BillingSettings,
    Claim,
    ClaimBatch,
    ClaimIssue,
    ClaimStatusChange,
    ControlNumber,
)
from openpractice.billing.selectors.batches import ready_claims_by_payer
from openpractice.billing.services.batches import batch_build, batch_discard, batch_submit
from openpractice.billing.services.numbers import GROUP, INTERCHANGE
from openpractice.billing.tests.x12_support import ready_claim, ready_practice
from openpractice.billing.transports import (
    DirectoryDropTransport,
    TransportError,
    batch_file_path,
    validation_path,
)
from openpractice.billing.x12.validate import X12Validation
from openpractice.core.models import Location, Practice
from openpractice.patients.tests.factories import PayerFactory


@pytest.fixture(autouse=True)
def data_dir(settings: Any, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path
    return tmp_path


@pytest.fixture
def billing(practice: Practice) -> BillingSettings:
    return ready_practice(practice)


@pytest.fixture
def biller(make_user: Callable[..., User]) -> User:
    return make_user(Role.BILLER, username="biller")


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action))


class FailingTransport:
    name = "broken"

    def send(self, batch: ClaimBatch, path: Path) -> str:
        raise TransportError("The clearinghouse refused the connection")


# --- build ---------------------------------------------------------------------------------------------------


def test_building_takes_every_ready_claim_writes_the_file_and_records_one_audit_event(
    billing: BillingSettings, north: Location, south: Location, biller: User, data_dir: Path,
) -> None:
    claims = [ready_claim(north, biller), ready_claim(south, biller)]
    draft = ready_claim(north, biller)
    Claim.objects.filter(pk=draft.pk).update(status="draft")
    batch = batch_build(actor=biller)
    assert batch is not None
    assert set(Claim.objects.filter(batch=batch)) == set(claims)
    assert Claim.objects.get(pk=draft.pk).batch_id is None
    assert (batch.claim_count, batch.total_charge, batch.status) == (2, Decimal("250.00"), "built")
    assert batch.created_by == biller
    assert batch.usage_indicator == "T"
    assert batch.payer is None
    path = batch_file_path(batch)
    assert path == data_dir / "x12" / "batches" / f"837P-{batch.interchange_control_number:09d}.x12"
    content = path.read_bytes()
    assert hashlib.sha256(content).hexdigest() == batch.file_sha256
    assert len(content) == batch.file_size
    assert content.count(b"CLM*") == 2
    assert not list(path.parent.glob(".*.part"))
    [event] = _events("billing.batch_built")
    assert event.actor_id == biller.pk
    assert event.object_id == str(batch.pk)
    assert event.location_id is None  # two locations
    assert Claim.objects.filter(status="ready", batch=batch).count() == 2  # still ready until submitted


def test_a_second_build_finds_nothing_so_no_claim_is_in_two_batches(billing: BillingSettings, north: Location,
                                                                     biller: User) -> None:
    ready_claim(north, biller)
    first = batch_build(actor=biller)
    assert first is not None
    assert batch_build(actor=biller) is None
    assert ClaimBatch.objects.count() == 1


def test_control_numbers_are_unique_persisted_and_never_reused_even_after_a_discard(
    billing: BillingSettings, north: Location, biller: User,
) -> None:
    ready_claim(north, biller)
    first = batch_build(actor=biller)
    assert first is not None
    batch_discard(actor=biller, batch=first)
    second = batch_build(actor=biller)  # the same claim, batched again
    assert second is not None
    ready_claim(north, biller)
    third = batch_build(actor=biller)
    assert third is not None
    numbers = [first.interchange_control_number, second.interchange_control_number, third.interchange_control_number]
    assert len(set(numbers)) == 3
    assert numbers == sorted(numbers)
    assert len({first.group_control_number, second.group_control_number, third.group_control_number}) == 3
    assert ControlNumber.objects.get(name=INTERCHANGE).last_value == third.interchange_control_number
    assert ControlNumber.objects.get(name=GROUP).last_value == third.group_control_number
    text = batch_file_path(third).read_text()
    assert f"*{third.interchange_control_number:09d}*0*T*:~" in text
    assert f"GE*1*{third.group_control_number}~" in text


def test_a_batch_for_one_payer_takes_only_that_payers_claims(billing: BillingSettings, north: Location,
                                                             biller: User) -> None:
    mine, other = PayerFactory(), PayerFactory()
    wanted = ready_claim(north, biller, payer=mine)
    left = ready_claim(north, biller, payer=other)
    batch = batch_build(actor=biller, payer=mine)
    assert batch is not None
    assert batch.payer == mine
    assert list(Claim.objects.filter(batch=batch)) == [wanted]
    assert Claim.objects.get(pk=left.pk).batch_id is None


def test_a_biller_at_north_batches_only_north_claims(billing: BillingSettings, north: Location, south: Location,
                                                     biller: User, make_user: Callable[..., User]) -> None:
    north_biller = make_user(Role.BILLER, locations=[north], username="north-biller")
    at_north = ready_claim(north, biller)
    at_south = ready_claim(south, biller)
    batch = batch_build(actor=north_biller)
    assert batch is not None
    assert list(Claim.objects.filter(batch=batch)) == [at_north]
    assert Claim.objects.get(pk=at_south.pk).batch_id is None
    [event] = _events("billing.batch_built")
    assert event.location_id == north.pk


@pytest.mark.parametrize(("role", "tier"), [(Role.FRONT_DESK, Tier.STANDARD),
                                            (Role.PRACTICE_MANAGER, Tier.ENTRY)])
def test_people_without_billing_manage_cannot_build_and_nothing_changes(
    billing: BillingSettings, north: Location, biller: User, make_user: Callable[..., User], role: str, tier: str,
) -> None:
    claim = ready_claim(north, biller)
    someone = make_user(role, tier)
    with pytest.raises(PermissionDenied):
        batch_build(actor=someone)
    assert ClaimBatch.objects.count() == 0
    assert Claim.objects.get(pk=claim.pk).batch_id is None
    assert AuditEvent.objects.filter(actor=someone, outcome="denied", action="billing.batch_build").count() == 1
    assert not ControlNumber.objects.filter(name=INTERCHANGE).exists()


def test_without_billing_settings_nothing_is_built(practice: Practice, north: Location, biller: User) -> None:
    ready_claim(north, biller)
    with pytest.raises(ValidationError, match="Billing settings are missing"):
        batch_build(actor=biller)
    assert ClaimBatch.objects.count() == 0


def test_a_claim_the_837p_cannot_carry_is_held_and_left_out_and_the_rest_is_sent(
    billing: BillingSettings, north: Location, south: Location, biller: User, data_dir: Path,
) -> None:
    good = [ready_claim(north, biller), ready_claim(south, biller)]
    bad = ready_claim(north, biller, payer=PayerFactory(name="Paper Only", payer_id=""))
    held: list[str] = []
    batch = batch_build(actor=biller, held=held)
    assert batch is not None
    assert held == [bad.claim_number]
    assert set(Claim.objects.filter(batch=batch)) == set(good)
    assert (batch.claim_count, batch.total_charge) == (2, Decimal("250.00"))
    text = batch_file_path(batch).read_text()
    assert bad.claim_number not in text
    assert text.count("CLM*") == 2
    bad.refresh_from_db()
    assert (bad.status, bad.batch_id) == ("held", None)
    [issue] = ClaimIssue.objects.filter(claim=bad)
    assert (issue.rule, issue.severity) == ("x12_writer", "error")
    assert issue.message == "The 837P cannot carry this claim: the payer Paper Only has no electronic payer ID."
    change = ClaimStatusChange.objects.get(claim=bad)
    assert (change.from_status, change.to_status, change.source) == ("ready", "held", "batch")
    [event] = _events("billing.claim_status_changed")
    assert (event.object_id, event.patient_id, event.location_id) == (str(bad.pk), bad.patient_id, north.pk)
    assert "1 held" in _events("billing.batch_built")[0].reason


def test_when_the_837p_can_carry_no_claim_no_batch_is_built_and_the_claims_are_held(
    billing: BillingSettings, north: Location, biller: User, data_dir: Path,
) -> None:
    bad = ready_claim(north, biller, payer=PayerFactory(name="Paper Only", payer_id=""))
    with pytest.raises(ValidationError, match=f"Claim {bad.claim_number}: the payer Paper Only has no electronic"):
        batch_build(actor=biller)
    assert ClaimBatch.objects.count() == 0
    bad.refresh_from_db()
    assert (bad.status, bad.batch_id) == ("held", None)
    assert not any((data_dir / "x12" / "batches").iterdir())
    ready_claim(north, biller)
    batch = batch_build(actor=biller)
    assert batch is not None
    assert batch.interchange_control_number == 2  # number 1 was reserved by the build that wrote nothing


def test_the_control_numbers_are_taken_before_the_file_is_written_and_a_failed_build_never_reuses_them(
    billing: BillingSettings, north: Location, biller: User, data_dir: Path,
) -> None:
    ready_claim(north, biller)
    billing.submitter_name = "***"  # nothing left once cleaned for X12: the file cannot be written at all
    billing.save(update_fields=["submitter_name"])
    with pytest.raises(ValidationError, match="The submitter and receiver names are needed"):
        batch_build(actor=biller)
    assert ClaimBatch.objects.count() == 0
    assert Claim.objects.get().batch_id is None
    assert ControlNumber.objects.get(name=INTERCHANGE).last_value == 1
    billing.submitter_name = "Riverbend Family Medicine"
    billing.save(update_fields=["submitter_name"])
    batch = batch_build(actor=biller)
    assert batch is not None
    assert (batch.interchange_control_number, batch.group_control_number) == (2, 2)


def test_building_with_validation_keeps_pyx12s_verdict_beside_the_file(billing: BillingSettings,
                                                                       north: Location, biller: User) -> None:
    ready_claim(north, biller)
    batch = batch_build(actor=biller, validate=True)
    assert batch is not None
    result = X12Validation.load(validation_path(batch))
    assert result is not None
    assert result.ok
    assert result.segments > 20


# --- submit --------------------------------------------------------------------------------------------------


def test_submitting_drops_the_file_logs_the_attempt_and_marks_the_batch_and_claims_submitted(
    billing: BillingSettings, north: Location, biller: User, data_dir: Path,
) -> None:
    claims = [ready_claim(north, biller), ready_claim(north, biller)]
    batch = batch_build(actor=biller)
    assert batch is not None
    submission = batch_submit(actor=biller, batch=batch)
    dropped = data_dir / "x12" / "outbox" / batch.file_name
    assert submission.succeeded
    assert submission.transport == "directory"
    assert submission.destination == str(dropped)
    assert dropped.read_bytes() == batch_file_path(batch).read_bytes()
    batch.refresh_from_db()
    assert batch.status == "submitted"
    assert batch.submitted_at is not None
    for claim in claims:
        claim.refresh_from_db()
        assert claim.status == "submitted"
        assert claim.submitted_at is not None
        change = ClaimStatusChange.objects.get(claim=claim)
        assert (change.from_status, change.to_status, change.source, change.actor) == ("ready", "submitted",
                                                                                      "batch", biller)
    assert len(_events("billing.batch_submitted")) == 1
    assert not _events("billing.claim_status_changed")  # no event per claim status: one for the batch …
    disclosed = _events("billing.claims_submitted")  # … and one per patient whose claims went to the payer
    assert sorted((event.patient_id, event.location_id, event.object_id) for event in disclosed) == sorted(
        (claim.patient_id, north.pk, str(batch.pk)) for claim in claims)
    assert all("1 claim(s) in batch" in event.reason for event in disclosed)
    with pytest.raises(ValidationError, match="already submitted"):
        batch_submit(actor=biller, batch=batch)
    assert BatchSubmission.objects.count() == 1


def test_submitting_into_the_configured_drop_directory(billing: BillingSettings, north: Location, biller: User,
                                                       data_dir: Path) -> None:
    billing.drop_directory = str(data_dir / "x12" / "clearinghouse" / "in")
    billing.save(update_fields=["drop_directory"])
    ready_claim(north, biller)
    batch = batch_build(actor=biller)
    assert batch is not None
    submission = batch_submit(actor=biller, batch=batch)
    assert submission.destination == str(data_dir / "x12" / "clearinghouse" / "in" / batch.file_name)


def test_a_failed_delivery_is_logged_changes_no_claim_and_can_be_retried(
    billing: BillingSettings, north: Location, biller: User, data_dir: Path,
) -> None:
    claim = ready_claim(north, biller)
    batch = batch_build(actor=biller)
    assert batch is not None
    failed = batch_submit(actor=biller, batch=batch, transport=FailingTransport())
    assert not failed.succeeded
    assert failed.transport == "broken"
    assert failed.detail == "The clearinghouse refused the connection"
    batch.refresh_from_db()
    claim.refresh_from_db()
    assert batch.status == "failed"
    assert batch.submitted_at is None
    assert claim.status == "ready"
    assert not ClaimStatusChange.objects.filter(claim=claim).exists()
    assert len(_events("billing.batch_submit_failed")) == 1
    retried = batch_submit(actor=biller, batch=batch)
    assert retried.succeeded
    claim.refresh_from_db()
    assert claim.status == "submitted"
    assert list(BatchSubmission.objects.filter(batch=batch).order_by("pk").values_list("succeeded", flat=True)) == [
        False, True]


def test_an_unwritable_drop_directory_is_a_logged_failure(billing: BillingSettings, north: Location, biller: User,
                                                          data_dir: Path) -> None:
    blocker = data_dir / "blocked"
    blocker.write_text("a file where the directory should be")
    ready_claim(north, biller)
    batch = batch_build(actor=biller)
    assert batch is not None
    submission = batch_submit(actor=biller, batch=batch, transport=DirectoryDropTransport(blocker / "outbox"))
    assert not submission.succeeded
    assert "Could not write" in submission.detail
    assert submission.destination == str(blocker / "outbox")


def test_a_batch_whose_file_changed_or_whose_claims_moved_on_is_not_sent(
    billing: BillingSettings, north: Location, biller: User,
) -> None:
    claim = ready_claim(north, biller)
    batch = batch_build(actor=biller)
    assert batch is not None
    path = batch_file_path(batch)
    original = path.read_bytes()
    path.write_bytes(original.replace(b"CLM*", b"CLX*"))
    with pytest.raises(ValidationError, match="changed after it was built"):
        batch_submit(actor=biller, batch=batch)
    path.write_bytes(original)
    Claim.objects.filter(pk=claim.pk).update(status="held")
    with pytest.raises(ValidationError, match=f"Claim\\(s\\) {claim.claim_number} are no longer ready"):
        batch_submit(actor=biller, batch=batch)
    assert BatchSubmission.objects.count() == 0


def test_a_batch_that_failed_validation_is_not_sent(billing: BillingSettings, north: Location, biller: User) -> None:
    ready_claim(north, biller)
    batch = batch_build(actor=biller)
    assert batch is not None
    X12Validation(ok=False, errors=["segment NM1 in loop 2010BA: bad"]).save(validation_path(batch))
    with pytest.raises(ValidationError, match="pyx12 found errors"):
        batch_submit(actor=biller, batch=batch)


def test_submitting_a_batch_with_a_claim_outside_the_users_locations_is_refused(
    billing: BillingSettings, north: Location, south: Location, biller: User, make_user: Callable[..., User],
) -> None:
    ready_claim(north, biller)
    ready_claim(south, biller)
    batch = batch_build(actor=biller)
    assert batch is not None
    north_biller = make_user(Role.BILLER, locations=[north], username="north-biller")
    with pytest.raises(PermissionDenied):
        batch_submit(actor=north_biller, batch=batch)
    with pytest.raises(PermissionDenied):
        batch_discard(actor=north_biller, batch=batch)
    batch.refresh_from_db()
    assert batch.status == "built"
    assert Claim.objects.filter(batch=batch).count() == 2
    assert BatchSubmission.objects.count() == 0
    assert AuditEvent.objects.filter(actor=north_biller, outcome="denied").count() == 2


# --- discard -------------------------------------------------------------------------------------------------


def test_discarding_releases_the_claims_removes_the_file_and_is_audited(
    billing: BillingSettings, north: Location, biller: User, django_capture_on_commit_callbacks: Any,
) -> None:
    claim = ready_claim(north, biller)
    batch = batch_build(actor=biller, validate=True)
    assert batch is not None
    batch_submit(actor=biller, batch=batch, transport=FailingTransport())
    path, checked = batch_file_path(batch), validation_path(batch)
    assert path.exists()
    assert checked.exists()
    with django_capture_on_commit_callbacks(execute=True):
        released = batch_discard(actor=biller, batch=batch)
    assert released == 1
    claim.refresh_from_db()
    assert claim.batch_id is None
    assert claim.status == "ready"
    batch.refresh_from_db()
    assert batch.status == "discarded"  # the batch and its log stay
    assert list(BatchSubmission.objects.filter(batch=batch).values_list("succeeded", flat=True)) == [False]
    assert not path.exists()
    assert not checked.exists()
    [event] = _events("billing.batch_discarded")
    assert "1 claim(s) released" in event.reason
    assert "1 failed attempt(s)" in event.reason
    with pytest.raises(ValidationError, match="already discarded"):
        batch_discard(actor=biller, batch=batch)
    with pytest.raises(ValidationError, match="was discarded"):
        batch_submit(actor=biller, batch=batch)
    again = batch_build(actor=biller)
    assert again is not None
    assert list(Claim.objects.filter(batch=again)) == [claim]


def test_a_claim_rejected_after_its_batch_was_sent_is_fixed_and_goes_in_a_new_batch(
    billing: BillingSettings, north: Location, biller: User,
) -> None:
    claim = ready_claim(north, biller)
    other = ready_claim(north, biller)
    first = batch_build(actor=biller)
    assert first is not None
    batch_submit(actor=biller, batch=first)
    Claim.objects.filter(pk=claim.pk).update(status="ready")  # rejected, fixed and scrubbed ready again
    assert [row.claims for row in ready_claims_by_payer(actor=biller)] == [1]
    second = batch_build(actor=biller)
    assert second is not None
    assert list(Claim.objects.filter(batch=second)) == [claim]
    assert Claim.objects.get(pk=other.pk).batch_id == first.pk  # the sent one keeps its file
    assert batch_build(actor=biller) is None  # now waiting in the unsent second batch: frozen there
    assert batch_submit(actor=biller, batch=second).succeeded
    assert Claim.objects.get(pk=claim.pk).status == "submitted"


def test_a_submitted_batch_cannot_be_discarded(billing: BillingSettings, north: Location, biller: User) -> None:
    ready_claim(north, biller)
    batch = batch_build(actor=biller)
    assert batch is not None
    batch_submit(actor=biller, batch=batch)
    with pytest.raises(ValidationError, match="cannot be discarded"):
        batch_discard(actor=biller, batch=batch)
    assert batch_file_path(batch).exists()
    assert ClaimBatch.objects.filter(pk=batch.pk).exists()


@pytest.mark.postgresql
@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="SQLite's in-memory test database is shared by threads through a cache that raises "
                           "'table is locked' instead of waiting; SQLite writers queue at BEGIN IMMEDIATE")
@pytest.mark.django_db(transaction=True)
def test_two_people_building_at_the_same_moment_never_share_a_claim(
    billing: BillingSettings, north: Location, biller: User, make_user: Callable[..., User],
) -> None:
    claims = [ready_claim(north, biller) for _ in range(12)]
    other = make_user(Role.BILLER, username="other-biller")
    start = threading.Barrier(2)
    built: list[ClaimBatch | None] = []
    errors: list[BaseException] = []

    def build(actor: User) -> None:
        try:
            start.wait(timeout=10)
            built.append(batch_build(actor=actor))
        except BaseException as error:  # noqa: BLE001 - reported to the main thread below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=build, args=(actor,)) for actor in (biller, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    batches = [batch for batch in built if batch is not None]
    assert sum(batch.claim_count for batch in batches) == len(claims)
    assert Claim.objects.filter(batch__isnull=True).count() == 0
    in_files = [number for batch in batches
                for number in re.findall(r"CLM\*(OP\d+)\*", batch_file_path(batch).read_text())]
    assert sorted(in_files) == sorted(claim.claim_number for claim in claims)  # each claim in exactly one file


@pytest.mark.postgresql
@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="SQLite has one writer at a time: a second connection cannot take a number meanwhile")
@pytest.mark.django_db(transaction=True)
def test_the_control_number_counters_are_not_locked_while_the_file_is_written(
    billing: BillingSettings, north: Location, biller: User, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from openpractice.billing.services import batches as service
    from openpractice.billing.services.numbers import control_number_next

    ready_claim(north, biller)
    taken: list[int] = []
    errors: list[BaseException] = []

    def another_build_takes_a_number() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '2s'")
            taken.append(control_number_next(INTERCHANGE))
        except BaseException as error:  # noqa: BLE001 - reported to the main thread below
            errors.append(error)
        finally:
            connections.close_all()

    real_write = service.write_837p

    def write_while_someone_else_builds(*args: Any, **kwargs: Any) -> Any:
        thread = threading.Thread(target=another_build_takes_a_number)
        thread.start()
        thread.join(timeout=30)
        return real_write(*args, **kwargs)

    monkeypatch.setattr(service, "write_837p", write_while_someone_else_builds)
    batch = batch_build(actor=biller)
    assert batch is not None
    assert errors == []
    assert taken == [batch.interchange_control_number + 1]
