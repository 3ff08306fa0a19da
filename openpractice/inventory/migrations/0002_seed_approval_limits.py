"""The approval limits the issue gives as defaults: office manager entry up to $500, mid up to $2,500, experienced
up to $10,000; practice managers without a limit. Practices change them afterwards."""

from decimal import Decimal

from django.db import migrations

LIMITS = [
    ("office_manager", "entry", Decimal("500.00")),
    ("office_manager", "mid", Decimal("2500.00")),
    ("office_manager", "experienced", Decimal("10000.00")),
    ("practice_manager", "entry", None),
    ("practice_manager", "advanced", None),
    ("practice_manager", "senior", None),
]


def seed(apps, schema_editor):
    limit = apps.get_model("inventory", "ApprovalLimit")
    for role, tier, amount in LIMITS:
        limit.objects.get_or_create(role=role, tier=tier, defaults={"max_amount": amount})


class Migration(migrations.Migration):
    dependencies = [("inventory", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
