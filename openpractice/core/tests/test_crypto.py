"""The encryption helper and the encrypted model field, without a database."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import models
from django.test import override_settings
from django.test.utils import isolate_apps

from openpractice.core import crypto
from openpractice.core.fields import EncryptedTextField

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


def test_a_value_round_trips_and_is_not_stored_as_plain_text() -> None:
    token = crypto.encrypt("123-45-6789")
    assert "123-45-6789" not in token
    assert crypto.decrypt(token) == "123-45-6789"


def test_the_same_text_encrypts_differently_each_time() -> None:
    assert crypto.encrypt("salary 90000") != crypto.encrypt("salary 90000")


def test_unicode_text_survives_the_round_trip() -> None:
    assert crypto.decrypt(crypto.encrypt("Peña — ñandú ✓")) == "Peña — ñandú ✓"


def test_encrypt_refuses_anything_but_text() -> None:
    with pytest.raises(TypeError):
        crypto.encrypt(b"bytes")  # type: ignore[arg-type]


def test_the_first_key_encrypts_and_every_key_decrypts() -> None:
    with override_settings(OPENPRACTICE_FIELD_KEYS=[OLD_KEY]):
        old_token = crypto.encrypt("routing 021000021")
    with override_settings(OPENPRACTICE_FIELD_KEYS=[NEW_KEY, OLD_KEY]):
        assert crypto.decrypt(old_token) == "routing 021000021"
        assert not crypto.is_current(old_token)
        new_token = crypto.encrypt("routing 021000021")
        assert crypto.is_current(new_token)
    # The new key alone opens what it made, and not what the old key made.
    with override_settings(OPENPRACTICE_FIELD_KEYS=[NEW_KEY]):
        assert crypto.decrypt(new_token) == "routing 021000021"
        with pytest.raises(crypto.UndecryptableValue):
            crypto.decrypt(old_token)


def test_rotate_moves_a_token_to_the_first_key_so_the_old_key_can_be_dropped() -> None:
    with override_settings(OPENPRACTICE_FIELD_KEYS=[OLD_KEY]):
        old_token = crypto.encrypt("account 000123456789")
    with override_settings(OPENPRACTICE_FIELD_KEYS=[NEW_KEY, OLD_KEY]):
        rotated = crypto.rotate(old_token)
        assert rotated != old_token
        assert crypto.is_current(rotated)
    with override_settings(OPENPRACTICE_FIELD_KEYS=[NEW_KEY]):
        assert crypto.decrypt(rotated) == "account 000123456789"


def test_rotate_refuses_a_token_no_key_opens() -> None:
    with override_settings(OPENPRACTICE_FIELD_KEYS=[OLD_KEY]):
        old_token = crypto.encrypt("x")
    with override_settings(OPENPRACTICE_FIELD_KEYS=[NEW_KEY]), pytest.raises(crypto.UndecryptableValue):
        crypto.rotate(old_token)


def test_a_tampered_token_does_not_decrypt() -> None:
    token = crypto.encrypt("123-45-6789")
    tampered = token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB")
    with pytest.raises(crypto.UndecryptableValue):
        crypto.decrypt(tampered)


def test_text_that_is_not_a_token_does_not_decrypt() -> None:
    with pytest.raises(crypto.UndecryptableValue):
        crypto.decrypt("123-45-6789")
    with pytest.raises(crypto.UndecryptableValue):
        crypto.decrypt("ünïcode")


@pytest.mark.parametrize("bad_key", ["too-short", "x" * 44, "", "cGxlYXNl"])
def test_a_malformed_key_is_a_clear_configuration_error_that_does_not_echo_the_key(bad_key: str) -> None:
    with override_settings(OPENPRACTICE_FIELD_KEYS=[NEW_KEY, bad_key]), pytest.raises(ImproperlyConfigured) as error:
        crypto.encrypt("x")
    assert "key #2 of 2" in str(error.value)
    if bad_key:
        assert bad_key not in str(error.value)


def test_no_keys_at_all_is_a_clear_configuration_error() -> None:
    with override_settings(OPENPRACTICE_FIELD_KEYS=[]), pytest.raises(ImproperlyConfigured, match="empty"):
        crypto.check_keys()


def test_a_single_key_given_as_a_string_works() -> None:
    with override_settings(OPENPRACTICE_FIELD_KEYS=NEW_KEY):
        assert crypto.decrypt(crypto.encrypt("x")) == "x"


def test_generated_keys_are_usable_and_different() -> None:
    first, second = crypto.generate_key(), crypto.generate_key()
    assert first != second
    with override_settings(OPENPRACTICE_FIELD_KEYS=[first]):
        assert crypto.decrypt(crypto.encrypt("x")) == "x"


# --- the model field ---------------------------------------------------------------------------------------


def test_the_field_stores_a_token_and_gives_back_plain_text() -> None:
    field = EncryptedTextField()
    stored = field.get_prep_value("123-45-6789")
    assert stored is not None
    assert "123-45-6789" not in stored
    assert field.from_db_value(stored, None, None) == "123-45-6789"


def test_the_field_keeps_none_and_empty_as_they_are() -> None:
    field = EncryptedTextField(null=True, blank=True)
    assert field.get_prep_value(None) is None
    assert field.get_prep_value("") == ""
    assert field.from_db_value(None, None, None) is None
    assert field.from_db_value("", None, None) == ""


def test_the_field_reads_plain_text_from_forms_and_fixtures_unchanged() -> None:
    field = EncryptedTextField()
    assert field.to_python("123-45-6789") == "123-45-6789"
    assert field.to_python(None) is None
    assert field.to_python(90000) == "90000"


def test_the_field_refuses_a_stored_value_no_key_opens() -> None:
    with override_settings(OPENPRACTICE_FIELD_KEYS=[OLD_KEY]):
        stored = EncryptedTextField().get_prep_value("x")
    with override_settings(OPENPRACTICE_FIELD_KEYS=[NEW_KEY]), pytest.raises(crypto.UndecryptableValue):
        EncryptedTextField().from_db_value(stored, None, None)


@isolate_apps("openpractice.core")
def test_the_field_cannot_be_searched_except_for_isnull() -> None:
    class Employee(models.Model):
        salary = EncryptedTextField(null=True)

        class Meta:
            app_label = "core"

        def __str__(self) -> str:
            return str(self.pk)

    assert "IS NULL" in str(Employee._default_manager.filter(salary__isnull=True).query)
    for lookup in ("salary", "salary__exact", "salary__icontains", "salary__startswith", "salary__in"):
        with pytest.raises(FieldError, match="encrypted"):
            Employee._default_manager.filter(**{lookup: "90000"})
    with pytest.raises(FieldError, match="encrypted"):
        Employee._default_manager.filter(salary__lower__exact="x")


@isolate_apps("openpractice.core")
def test_the_field_refuses_to_be_unique_or_indexed() -> None:
    class Employee(models.Model):
        ssn = EncryptedTextField(unique=True)
        bank = EncryptedTextField(db_index=True)
        note = EncryptedTextField()

        class Meta:
            app_label = "core"

        def __str__(self) -> str:
            return str(self.pk)

    ids = {field.name: [error.id for error in field.check()] for field in Employee._meta.local_fields}
    assert "openpractice.E101" in ids["ssn"]
    assert "openpractice.E101" in ids["bank"]
    assert "openpractice.E101" not in ids["note"]
