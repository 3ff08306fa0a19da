"""The categories a practice starts with, with their service levels (editable afterwards)."""

from django.db import migrations

CATEGORIES = [
    # kind, name, acknowledge within, resolve within, opens a privacy incident
    ("patient", "Billing dispute", 3, 30, False),
    ("patient", "Service or wait times", 3, 30, False),
    ("patient", "Staff conduct", 2, 30, False),
    ("patient", "Quality of care concern", 2, 30, False),
    ("patient", "Privacy complaint", 1, 30, True),
    ("patient", "Access to records", 2, 30, False),
    ("staff", "Conflict between colleagues", 3, 30, False),
    ("staff", "Grievance about pay or hours", 5, 30, False),
    ("staff", "Harassment or discrimination", 1, 14, False),
    ("staff", "Working conditions or safety", 3, 30, False),
]


def seed(apps, schema_editor):
    category = apps.get_model("cases", "CaseCategory")
    for kind, name, acknowledge, resolve, incident in CATEGORIES:
        category.objects.get_or_create(kind=kind, name=name, defaults={
            "acknowledge_days": acknowledge, "resolve_days": resolve, "opens_incident": incident})


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
