"""Test data for employees and onboarding (built directly, not through the services)."""

from __future__ import annotations

import factory

from openpractice.workforce.models import ChecklistTemplate, ChecklistTemplateItem


class ChecklistTemplateFactory(factory.django.DjangoModelFactory[ChecklistTemplate]):
    class Meta:
        model = ChecklistTemplate

    name = factory.Sequence(lambda n: f"Checklist {n}")
    kind = "onboarding"


class ChecklistTemplateItemFactory(factory.django.DjangoModelFactory[ChecklistTemplateItem]):
    class Meta:
        model = ChecklistTemplateItem

    template = factory.SubFactory(ChecklistTemplateFactory)
    order = factory.Sequence(lambda n: n)
    title = factory.Sequence(lambda n: f"Task {n}")
    owner_role = "hr"
    due_days = 0
