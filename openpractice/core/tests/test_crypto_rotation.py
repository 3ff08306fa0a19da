"""Re-encrypting stored values with a new key, on a real table (SQLite or PostgreSQL).

No product model has an encrypted field yet, so these tests build a small table of their own inside the
test's transaction (rolled back with it) and hand its model to the rotation service. The management command
itself is run against the real models, where today it finds nothing to do.
"""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection, models
from django.db.models.functions import Cast
from django.test import override_settings
from django.test.utils import isolate_apps

from openpractice.audit.models import AuditEvent
from openpractice.core import crypto
from openpractice.core.fields import EncryptedTextField

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()
STRAY_KEY = Fernet.generate_key().decode()
TABLE = "op_test_encrypted_record"


@pytest.fixture
def record_model(db: Any) -> type[Any]:
    with isolate_apps("openpractice.core"):

        class VisibleRecords(models.Manager["EncryptedRecord"]):
            """A default manager that hides some rows, as "active only" managers do."""

            def get_queryset(self) -> models.QuerySet[EncryptedRecord]:
                return super().get_queryset().exclude(label="hidden")

        class EncryptedRecord(models.Model):
            ssn = EncryptedTextField(null=True, blank=True)
            bank_account = EncryptedTextField(blank=True, default="")
            label = models.CharField(max_length=20)

            objects = VisibleRecords()

            class Meta:
                app_label = "core"
                db_table = TABLE

            def __str__(self) -> str:
                return self.label

    # Plain DDL: the SQLite schema editor refuses to run inside the test's transaction, and this table
    # must vanish when that transaction rolls back.
    primary_key = "BIGSERIAL PRIMARY KEY" if connection.vendor == "postgresql" else "INTEGER PRIMARY KEY AUTOINCREMENT"
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {TABLE} (id {primary_key}, ssn TEXT NULL, bank_account TEXT NOT NULL, "
            "label VARCHAR(20) NOT NULL)"
        )
    return EncryptedRecord


def stored(model: type[models.Model], pk: int, column: str) -> str | None:
    """The token as the database holds it (bypassing the field's decryption)."""
    return (
        model._default_manager.filter(pk=pk)
        .annotate(raw=Cast(column, models.TextField()))
        .values_list("raw", flat=True)[0]
    )


def test_rotation_re_encrypts_every_value_with_the_new_key_and_keeps_the_plain_text(
    record_model: type[Any],
) -> None:
    with override_settings(OPENPRACTICE_FIELD_KEYS=[OLD_KEY]):
        rows = [
            record_model._default_manager.create(ssn=f"123-45-{n:04d}", bank_account=f"00012345{n}", label=f"r{n}")
            for n in range(7)
        ]
        blank = record_model._default_manager.create(ssn=None, bank_account="", label="blank")
    old_tokens = {row.pk: stored(record_model, row.pk, "ssn") for row in rows}

    with override_settings(OPENPRACTICE_FIELD_KEYS=[NEW_KEY, OLD_KEY]):
        report = crypto.encrypted_fields_rotate(batch_size=3, model_list=[record_model])

    by_field = {item.field: item for item in report.fields}
    assert (by_field["ssn"].rotated, by_field["ssn"].empty) == (7, 1)
    assert (by_field["bank_account"].rotated, by_field["bank_account"].empty) == (7, 1)
    assert report.rotated == 14
    assert report.undecryptable == 0
    # The old key is no longer needed: every value opens with the new key alone, unchanged.
    with override_settings(OPENPRACTICE_FIELD_KEYS=[NEW_KEY]):
        for n, row in enumerate(rows):
            fresh = record_model._default_manager.get(pk=row.pk)
            assert fresh.ssn == f"123-45-{n:04d}"
            assert fresh.bank_account == f"00012345{n}"
            assert fresh.label == f"r{n}"
            assert stored(record_model, row.pk, "ssn") != old_tokens[row.pk]
        empty = record_model._default_manager.get(pk=blank.pk)
        assert (empty.ssn, empty.bank_account) == (None, "")


def test_a_second_rotation_finds_everything_current_and_rewrites_nothing(record_model: type[Any]) -> None:
    with override_settings(OPENPRACTICE_FIELD_KEYS=[OLD_KEY]):
        row = record_model._default_manager.create(ssn="123-45-6789", bank_account="1", label="a")
    with override_settings(OPENPRACTICE_FIELD_KEYS=[NEW_KEY, OLD_KEY]):
        crypto.encrypted_fields_rotate(model_list=[record_model])
        token = stored(record_model, row.pk, "ssn")
        again = crypto.encrypted_fields_rotate(model_list=[record_model])
    assert (again.rotated, again.current) == (0, 2)
    assert stored(record_model, row.pk, "ssn") == token


def test_a_value_no_key_opens_is_reported_and_left_untouched_while_the_rest_rotate(
    record_model: type[Any],
) -> None:
    with override_settings(OPENPRACTICE_FIELD_KEYS=[STRAY_KEY]):
        stray = record_model._default_manager.create(ssn="999-99-9999", bank_account="", label="stray")
    with override_settings(OPENPRACTICE_FIELD_KEYS=[OLD_KEY]):
        good = record_model._default_manager.create(ssn="123-45-6789", bank_account="", label="good")
    stray_token = stored(record_model, stray.pk, "ssn")

    with override_settings(OPENPRACTICE_FIELD_KEYS=[NEW_KEY, OLD_KEY]):
        report = crypto.encrypted_fields_rotate(model_list=[record_model])

    ssn = next(item for item in report.fields if item.field == "ssn")
    assert (ssn.rotated, ssn.undecryptable, ssn.undecryptable_pks) == (1, 1, [str(stray.pk)])
    assert stored(record_model, stray.pk, "ssn") == stray_token
    with override_settings(OPENPRACTICE_FIELD_KEYS=[NEW_KEY]):
        assert record_model._default_manager.get(pk=good.pk).ssn == "123-45-6789"


def test_rotation_also_reaches_rows_the_default_manager_hides(record_model: type[Any]) -> None:
    with override_settings(OPENPRACTICE_FIELD_KEYS=[OLD_KEY]):
        hidden = record_model._default_manager.create(ssn="123-45-6789", bank_account="", label="hidden")
    assert not record_model._default_manager.filter(pk=hidden.pk).exists()
    with override_settings(OPENPRACTICE_FIELD_KEYS=[NEW_KEY, OLD_KEY]):
        report = crypto.encrypted_fields_rotate(model_list=[record_model])
    assert report.rotated == 1
    with override_settings(OPENPRACTICE_FIELD_KEYS=[NEW_KEY]):
        assert record_model._base_manager.get(pk=hidden.pk).ssn == "123-45-6789"


def test_rotation_is_recorded_in_the_audit_trail_with_counts_only(record_model: type[Any]) -> None:
    with override_settings(OPENPRACTICE_FIELD_KEYS=[OLD_KEY]):
        record_model._default_manager.create(ssn="123-45-6789", bank_account="", label="a")
    with override_settings(OPENPRACTICE_FIELD_KEYS=[NEW_KEY, OLD_KEY]):
        crypto.encrypted_fields_rotate(model_list=[record_model])
    event = AuditEvent.objects.get(action="crypto.keys_rotated")
    assert event.reason.startswith("1 rotated")
    assert "6789" not in event.reason


def test_the_service_finds_encrypted_fields_on_the_models_it_is_given(record_model: type[Any]) -> None:
    found = crypto.encrypted_fields([record_model])
    assert [(model, field.name) for model, field in found] == [(record_model, "ssn"), (record_model, "bank_account")]


def test_a_batch_size_below_one_is_refused(record_model: type[Any]) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        crypto.encrypted_fields_rotate(batch_size=0, model_list=[record_model])


# --- the command, on the product's own models (none encrypted yet) ------------------------------------------


@pytest.mark.django_db
def test_the_rotate_command_runs_clean_when_no_model_has_an_encrypted_field_yet() -> None:
    out = StringIO()
    call_command("crypto", "rotate", "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert (report["rotated"], report["current"], report["undecryptable"]) == (0, 0, 0)
    expected = [(model._meta.label, field.name) for model, field in crypto.encrypted_fields()]
    assert [(item["model"], item["field"]) for item in report["fields"]] == expected


@pytest.mark.django_db
def test_the_rotate_command_reports_in_words_by_default() -> None:
    out = StringIO()
    call_command("crypto", "rotate", stdout=out)
    assert "Total: 0 re-encrypted" in out.getvalue()


@pytest.mark.django_db
def test_the_rotate_command_refuses_a_bad_key_with_a_clear_message() -> None:
    with override_settings(OPENPRACTICE_FIELD_KEYS=["not-a-key"]), pytest.raises(CommandError, match="key #1"):
        call_command("crypto", "rotate", stdout=StringIO())


@pytest.mark.django_db
def test_the_rotate_command_refuses_a_batch_size_below_one() -> None:
    with pytest.raises(CommandError, match="batch-size"):
        call_command("crypto", "rotate", "--batch-size", "0", stdout=StringIO())


def test_generate_key_prints_a_usable_key() -> None:
    out = StringIO()
    call_command("crypto", "generate-key", "--json", stdout=out, stderr=StringIO())
    key = json.loads(out.getvalue())["key"]
    with override_settings(OPENPRACTICE_FIELD_KEYS=[key]):
        assert crypto.decrypt(crypto.encrypt("x")) == "x"
