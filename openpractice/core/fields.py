"""Model fields for sensitive values that are encrypted at rest (see openpractice.core.crypto).

    ssn = EncryptedTextField(_("SSN"), blank=True)

Python code sees plain text; the database holds only the Fernet token. Because every encryption of the same
text differs, the database cannot compare values: an encrypted field cannot be searched, filtered, ordered
meaningfully, indexed or made unique. The only lookup allowed is ``isnull``. Where a search is needed (the
last four digits of an SSN, say), store that part in its own plain field on purpose.
"""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.core.exceptions import FieldError
from django.db import models

from . import crypto


class EncryptedTextField(models.TextField):
    """A TextField whose column stores a Fernet token. An empty string is stored as an empty string."""

    description = "Text encrypted at rest (not searchable)"

    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        errors = super().check(**kwargs)
        for option in ("primary_key", "unique", "db_index"):
            if getattr(self, option, False):
                errors.append(
                    checks.Error(
                        f"EncryptedTextField cannot use {option}=True: its stored values are random tokens.",
                        hint="Keep a separate plain field (e.g. the last four digits) for lookups.",
                        obj=self,
                        id="openpractice.E101",
                    )
                )
        return errors

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def to_python(self, value: Any) -> str | None:
        # Values reaching Python (forms, full_clean, deserialization) are plain text already.
        if value is None or isinstance(value, str):
            return value
        return str(value)

    def get_prep_value(self, value: Any) -> str | None:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(str(value))

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        raise FieldError(
            f"{self.model.__name__}.{self.name} is encrypted and cannot be searched with '{lookup_name}': "
            "the database holds random tokens. Only __isnull works."
        )

    def get_transform(self, lookup_name: str) -> Any:
        raise FieldError(f"{self.model.__name__}.{self.name} is encrypted: no '{lookup_name}' transform can run on it.")
