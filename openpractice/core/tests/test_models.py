"""Practice.clean: the session limits are checked without crashing on a missing value."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from openpractice.audit.models import AuditEvent
from openpractice.core.models import Practice
from openpractice.core.services import practice_update

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("field", ["idle_timeout_minutes", "absolute_session_hours"])
def test_a_missing_session_limit_is_a_validation_error_not_a_crash(practice: Practice, field: str) -> None:
    setattr(practice, field, None)
    with pytest.raises(ValidationError) as raised:
        practice.full_clean()
    assert field in raised.value.message_dict
    practice.refresh_from_db()
    assert getattr(practice, field) is not None


@pytest.mark.parametrize("field", ["idle_timeout_minutes", "absolute_session_hours"])
def test_clean_alone_skips_a_missing_limit_and_leaves_it_to_field_validation(practice: Practice, field: str) -> None:
    setattr(practice, field, None)
    practice.clean()  # must not raise TypeError; clean_fields() reports the missing value


@pytest.mark.parametrize(("field", "value"), [("idle_timeout_minutes", 1), ("idle_timeout_minutes", 121),
                                              ("absolute_session_hours", 0), ("absolute_session_hours", 25)])
def test_session_limits_out_of_range_are_refused(practice: Practice, field: str, value: int) -> None:
    setattr(practice, field, value)
    with pytest.raises(ValidationError) as raised:
        practice.full_clean()
    assert field in raised.value.message_dict


def test_updating_a_session_limit_to_nothing_is_refused_and_changes_nothing(practice: Practice, administrator: Any) -> None:
    # What PATCH /api/v1/practice {"idle_timeout_minutes": null} hands the service.
    before = practice.idle_timeout_minutes
    with pytest.raises(ValidationError) as raised:
        practice_update(actor=administrator, practice=practice, data={"idle_timeout_minutes": None})
    assert "idle_timeout_minutes" in raised.value.message_dict
    practice.refresh_from_db()
    assert practice.idle_timeout_minutes == before
    assert not AuditEvent.objects.filter(action="practice.updated").exists()
