"""Encryption at rest for sensitive fields (SSN, bank details, salaries, grievance narratives).

Keys come from ``settings.OPENPRACTICE_FIELD_KEYS``: Fernet keys (32 random bytes, urlsafe base64). The first
key encrypts; every key decrypts. To rotate: put a new key first, run ``openpractice crypto rotate`` (which
re-encrypts every stored value with it), then remove the old key.

Fernet is AES-128-CBC with an HMAC-SHA256 over the ciphertext, so a value that was tampered with, or that
was encrypted with a key no longer configured, fails to decrypt instead of returning garbage.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.db.models.functions import Cast

from openpractice.audit.services import record


class UndecryptableValue(ValueError):
    """A stored value that no configured key opens: its key was removed too early, or it was altered."""


def generate_key() -> str:
    """A new random key, in the form OPENPRACTICE_FIELD_KEYS expects."""
    return Fernet.generate_key().decode("ascii")


@functools.lru_cache(maxsize=8)
def _fernets(keys: tuple[str, ...]) -> tuple[MultiFernet, Fernet]:
    """(all keys, primary key), built once per distinct key list."""
    if not keys:
        raise ImproperlyConfigured(
            "OPENPRACTICE_FIELD_KEYS is empty: set it to one or more Fernet keys "
            "(generate one with `openpractice crypto generate-key`)."
        )
    built: list[Fernet] = []
    for position, key in enumerate(keys, start=1):
        try:
            built.append(Fernet(key))
        except (ValueError, TypeError):
            # Never echo the key itself: it is a secret even when malformed.
            raise ImproperlyConfigured(
                f"OPENPRACTICE_FIELD_KEYS key #{position} of {len(keys)} is not a Fernet key: it must be "
                "32 random bytes in urlsafe base64 (44 characters ending in '='). "
                "Generate one with `openpractice crypto generate-key`."
            ) from None
    return MultiFernet(built), built[0]


def _configured() -> tuple[MultiFernet, Fernet]:
    keys = settings.OPENPRACTICE_FIELD_KEYS
    if isinstance(keys, str):  # a single key given as a string rather than a list
        keys = [keys]
    return _fernets(tuple(str(key).strip() for key in keys))


def check_keys() -> None:
    """Raise ImproperlyConfigured now if the configured keys are unusable."""
    _configured()


def encrypt(plaintext: str) -> str:
    """Encrypt with the first (primary) key. Two encryptions of the same text differ (random IV)."""
    if not isinstance(plaintext, str):
        raise TypeError(f"encrypt() takes text, not {type(plaintext).__name__}")
    everything, _primary = _configured()
    return everything.encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    """Decrypt with whichever configured key made the token."""
    everything, _primary = _configured()
    try:
        return everything.decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError) as exc:
        raise UndecryptableValue(
            "An encrypted value cannot be decrypted with any key in OPENPRACTICE_FIELD_KEYS: its key was "
            "removed before `openpractice crypto rotate` finished, or the stored value was altered."
        ) from exc


def is_current(token: str) -> bool:
    """True when the token was made with the primary key, so rotating it would change nothing."""
    _everything, primary = _configured()
    try:
        primary.decrypt(token.encode("ascii"))
    except (InvalidToken, UnicodeError):
        return False
    return True


def rotate(token: str) -> str:
    """Re-encrypt a token with the primary key (it must open with one of the configured keys)."""
    everything, _primary = _configured()
    try:
        return everything.rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError) as exc:
        raise UndecryptableValue(
            "An encrypted value cannot be rotated: no key in OPENPRACTICE_FIELD_KEYS opens it."
        ) from exc


# ---------------------------------------------------------------------------------------------------------
# Re-encrypting what is stored


@dataclass
class FieldRotation:
    """What happened to one encrypted column."""

    model: str
    field: str
    rotated: int = 0
    current: int = 0
    empty: int = 0
    undecryptable: int = 0
    # Primary keys of rows that no key opens (first few), so an operator can find them.
    undecryptable_pks: list[str] = dataclasses.field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model, "field": self.field, "rotated": self.rotated, "current": self.current,
            "empty": self.empty, "undecryptable": self.undecryptable, "undecryptable_pks": self.undecryptable_pks,
        }  # fmt: skip


@dataclass
class RotationReport:
    fields: list[FieldRotation]

    @property
    def rotated(self) -> int:
        return sum(item.rotated for item in self.fields)

    @property
    def current(self) -> int:
        return sum(item.current for item in self.fields)

    @property
    def undecryptable(self) -> int:
        return sum(item.undecryptable for item in self.fields)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rotated": self.rotated,
            "current": self.current,
            "undecryptable": self.undecryptable,
            "fields": [item.as_dict() for item in self.fields],
        }


_MAX_REPORTED_PKS = 20


def encrypted_fields(model_list: Iterable[type[models.Model]] | None = None) -> list[tuple[type[models.Model], Any]]:
    """Every (model, EncryptedTextField) pair whose column lives in that model's own table."""
    from django.apps import apps

    from .fields import EncryptedTextField

    found = []
    for model in model_list if model_list is not None else apps.get_models():
        if model._meta.proxy:
            continue  # a proxy shares its concrete model's table, which is visited on its own
        for model_field in model._meta.local_concrete_fields:
            if isinstance(model_field, EncryptedTextField):
                found.append((model, model_field))
    return found


def encrypted_fields_rotate(
    *, actor: Any = None, batch_size: int = 500, model_list: Iterable[type[models.Model]] | None = None
) -> RotationReport:
    """Re-encrypt every stored encrypted value with the primary key.

    Each batch of rows is locked (SELECT … FOR UPDATE) and rewritten in its own transaction, so a large table
    is not locked as a whole and an interrupted run can simply be started again: values already under the
    primary key are left alone. A value that no key opens is counted and left untouched, never overwritten.
    Not one transaction on purpose (batches), hence no @transaction.atomic here.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    check_keys()
    report = RotationReport(fields=[])
    by_model: dict[type[models.Model], list[Any]] = {}
    for model, model_field in encrypted_fields(model_list):
        by_model.setdefault(model, []).append(model_field)
    for model, model_fields in by_model.items():
        results = {f.name: FieldRotation(model=model._meta.label, field=f.name) for f in model_fields}
        _rotate_model(model, model_fields, results, batch_size)
        report.fields.extend(results.values())
    # Counts only: which rows hold which values is nobody's business in the audit trail.
    record(
        actor=actor,
        action="crypto.keys_rotated",
        reason=f"{report.rotated} rotated, {report.current} already current, {report.undecryptable} undecryptable",
    )
    return report


def _rotate_model(
    model: type[models.Model], model_fields: Sequence[Any], results: dict[str, FieldRotation], batch_size: int
) -> None:
    pk_name = model._meta.pk.attname  # type: ignore[union-attr]
    # Cast to plain text so that the stored token comes back as it is, not decrypted by the field.
    raw = {f"_raw_{f.attname}": Cast(f.attname, output_field=models.TextField()) for f in model_fields}
    # The base manager: a default manager that hides rows (inactive, archived …) must not hide them from rotation.
    last_pk: Any = None
    while True:
        with transaction.atomic():
            rows = model._base_manager.select_for_update().order_by(pk_name)
            if last_pk is not None:
                rows = rows.filter(**{f"{pk_name}__gt": last_pk})
            batch = list(rows.annotate(**raw).values_list(pk_name, *raw)[:batch_size])
            for pk, *tokens in batch:
                changes: dict[str, Any] = {}
                for model_field, token in zip(model_fields, tokens, strict=True):
                    result = results[model_field.name]
                    if not token:
                        result.empty += 1
                    elif is_current(token):
                        result.current += 1
                    else:
                        try:
                            new_token = rotate(token)
                        except UndecryptableValue:
                            result.undecryptable += 1
                            if len(result.undecryptable_pks) < _MAX_REPORTED_PKS:
                                result.undecryptable_pks.append(str(pk))
                            continue
                        # A Value typed as plain text is written as is; the field would encrypt it again.
                        changes[model_field.attname] = models.Value(new_token, output_field=models.TextField())
                        result.rotated += 1
                if changes:
                    model._base_manager.filter(**{pk_name: pk}).update(**changes)
        if len(batch) < batch_size:
            return
        last_pk = batch[-1][0]
