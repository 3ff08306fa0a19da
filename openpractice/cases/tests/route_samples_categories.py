"""Case category samples for THE route matrix (tests/test_routes.py SAMPLES). Categories are practice-wide (no
out-of-scope category: None), so "category" belongs in the SCOPED_ROUTES exclusions.

    "category": category_samples.categories,  # category_edit (<pk> = CaseCategory); practice-wide

The sample is a category of a kind the actor edits (those who work that kind of case everywhere: patient
complaints for cases.manage, staff grievances for cases.staff), so every permitted role opens the edit page; an
actor who edits none (or no actor) gets a patient category, which the permission check refuses first. The
categories are the ones migration 0002 seeds.
"""

from __future__ import annotations

from typing import Any

from openpractice.cases.choices import CaseKind
from openpractice.cases.models import CaseCategory
from openpractice.cases.selectors import category_kinds_managed


def categories(world: Any, actor: Any) -> tuple[CaseCategory, None]:
    kinds = category_kinds_managed(actor) if actor is not None else []
    kind = kinds[0] if kinds else CaseKind.PATIENT
    category = CaseCategory.objects.filter(kind=kind, is_active=True).order_by("pk").first()
    assert category is not None, "migration 0002 seeds the categories"
    return category, None
