"""Practice-wide interview criteria so a structured scorecard works from day one (editable, and positions add
their own)."""

from django.db import migrations

CRITERIA = [
    ("Relevant experience", "Has done this work, or close to it, in a healthcare setting."),
    ("Communication", "Clear and courteous with patients, clinicians and payers, in person, by phone and in writing."),
    ("Patient focus", "Puts the patient's experience first; calm with upset or anxious callers."),
    ("Privacy and compliance", "Knows why HIPAA matters and gives examples of handling protected information."),
    ("Accuracy and organisation", "Careful with detail; keeps track of many open items."),
    ("Teamwork", "Works well with colleagues and takes direction; resolves conflict constructively."),
    ("Reliability", "Dependable attendance and follow-through; references agree."),
]


def seed(apps, schema_editor):
    criterion = apps.get_model("workforce", "ScorecardCriterion")
    for order, (name, guidance) in enumerate(CRITERIA, start=1):
        criterion.objects.get_or_create(position=None, name=name, defaults={"guidance": guidance, "order": order * 10})


def unseed(apps, schema_editor):
    apps.get_model("workforce", "ScorecardCriterion").objects.filter(
        position=None, name__in=[name for name, _ in CRITERIA]).delete()


class Migration(migrations.Migration):
    dependencies = [("workforce", "0004_hiring_and_development")]
    operations = [migrations.RunPython(seed, unseed)]
