"""Access review samples for tests/test_routes.py (`(world, actor) -> (in scope, out of scope)`), and the test
URLconf helper. Reviews are practice-wide (no out-of-scope object: None); the sample is open (not signed off), so
the note and sign-off routes act on it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from openpractice.compliance.models import AccessReview


def make_review(*, created_by: Any, period_start: dt.date = dt.date(2024, 1, 1),
                period_end: dt.date = dt.date(2024, 3, 31)) -> AccessReview:
    """A review made directly (no findings computed)."""
    return AccessReview.objects.create(period_start=period_start, period_end=period_end, created_by=created_by)


def accessreviews(world: Any, actor: Any) -> tuple[Any, None]:
    cache: dict[str, Any] = world.__dict__.setdefault("_compliance_accessreview_samples", {})
    if not cache:
        cache["review"] = make_review(created_by=world.stranger)
    return cache["review"], None
