"""Fuzzing the imports: a 999, 277CA or 271 damaged in random ways either imports or is refused with a
ValidationError, and a refused file leaves every claim, status change, import record, eligibility response and
audit event exactly as it was."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from openpractice.accounts.roles import Role
from openpractice.audit.models import AuditEvent
from openpractice.billing.models import AcknowledgementImport, Claim, ClaimBatch, ClaimStatusChange
from openpractice.billing.services.acknowledgements import acknowledgement_import
from openpractice.billing.services.eligibility import eligibility_271_import
from openpractice.billing.tests.factories import make_claim
from openpractice.patients.models import EligibilityResponse
from openpractice.patients.tests.factories import CoverageFactory, PatientFactory, PayerFactory

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).parent / "x12"
FILES = ["999-rejected.x12", "999-accepted.x12", "277ca-mixed.x12", "271-active.x12", "271-batch.x12"]
PIECES = st.sampled_from([b"*", b":", b"~", b"\n", b"0", b"9", b"A", b"R", b"STC", b"IK5", b"EB", b"\xff",
                          b"OP0000301", b"-1", b"1E9"])


@st.composite
def damaged(draw: Any) -> tuple[str, bytes]:
    name = draw(st.sampled_from(FILES))
    data = bytearray((SAMPLES / name).read_bytes())
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(data) - 1))
        kind = draw(st.sampled_from(["replace", "insert", "delete"]))
        piece = draw(st.one_of(PIECES, st.binary(min_size=1, max_size=4)))
        if kind == "replace":
            data[at:at + len(piece)] = piece
        elif kind == "insert":
            data[at:at] = piece
        else:
            del data[at:at + draw(st.integers(1, 30))]
    return name, bytes(data)


def state() -> tuple[Any, ...]:
    return (
        list(Claim.objects.order_by("pk").values_list("pk", "status", "payer_claim_number")),
        ClaimStatusChange.objects.count(), AcknowledgementImport.objects.count(),
        EligibilityResponse.objects.count(), AuditEvent.objects.count(),
    )


@pytest.fixture
def world(make_user, north):
    biller = make_user(Role.BILLER, username="biller")
    batch = ClaimBatch.objects.create(interchange_control_number=1102, group_control_number=102, claim_count=2,
                                      file_name="837.x12", usage_indicator="T", created_by=biller)
    for number in ("OP0000201", "OP0000202", "OP0000301", "OP0000302", "OP0000303"):
        claim = make_claim(location=north, actor=biller, status="submitted")
        Claim.objects.filter(pk=claim.pk).update(claim_number=number,
                                                 batch=batch if number.startswith("OP00002") else None)
    acme = PayerFactory(name="Acme Health Plan", payer_id="12345")
    for member in ("W123456789", "B555666777", "G111222333"):
        CoverageFactory(patient=PatientFactory(home_location=north), payer=acme, member_id=member)
    return biller


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(case=damaged())
def test_a_damaged_file_imports_or_is_refused_and_a_refusal_changes_nothing(world, case):
    name, content = case
    importer = eligibility_271_import if name.startswith("271") else acknowledgement_import
    with transaction.atomic():
        before = state()
        refusal: ValidationError | None = None
        try:
            importer(actor=world, file_name=name, content=content)
        except ValidationError as error:
            refusal = error
        event("refused" if refusal is not None else "imported")
        if refusal is not None:
            assert refusal.messages
            assert state() == before
        transaction.set_rollback(True)  # each example starts from the same claims
